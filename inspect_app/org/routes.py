"""Views of the organisation tree: county list, county page with its panels, inline edits, import."""
from flask import Response, flash, redirect, request, url_for
from flask_login import current_user

from inspect_app import access, locking
from inspect_app.access import Permission
from inspect_app.errors import DomainError
from inspect_app.extensions import db
from inspect_app.org import bp, service
from inspect_app.org.forms import FORMS, ImportForm, SiteKindForm
from inspect_app.org.importer import import_workbook, template_workbook
from inspect_app.org.models import MedicalCommunity, SiteKindGroup
from inspect_app.rendering import render

ENTITY = "<any(sites, units, communities):entity>"


def _page() -> int:
    return max(request.args.get("page", 1, type=int), 1)


@bp.get("/counties")
@access.rule(Permission.ORG_VIEW)
def counties():
    """Counties in the user's scope with active search by name or code and a city filter."""
    q, city = request.args.get("q", ""), request.args.get("city", "")
    pagination = service.search_counties(current_user, q, city, _page())
    counts = service.county_counts([c.id for c in pagination.items])
    return render("org/counties.html", "org/_county_table.html", pagination=pagination, counts=counts,
                  q=q, city=city, cities=service.cities_in_scope(current_user))


def _form_for(entity, county, formdata=None, obj=None, kinds=None):
    """The entity's form with its select choices filled for this county."""
    form = FORMS[entity](formdata=formdata, obj=obj)
    communities = db.session.query(MedicalCommunity).filter_by(county_id=county.id) \
        .order_by(MedicalCommunity.name).all()
    form.set_choices(kinds if kinds is not None else service.site_kinds(), communities)
    return form


def _panel(county, entity, form=None, status=200):
    """A county page, or just its sites/units/医共体 panel when htmx asks for it."""
    spec = service.ENTITIES[entity]
    q = request.args.get("q", "")
    kind_id = request.args.get("kind", 0, type=int)
    pagination = service.list_rows(spec.model, county, q, _page(), kind_id=kind_id)
    can_edit = access.can(current_user, spec.permission, county.id)
    kinds = service.site_kinds()
    if form is None and can_edit:
        form = _form_for(entity, county, kinds=kinds)
    fragment = "org/_rows.html" if request.htmx.target == f"{entity}-rows" else "org/_panel.html"
    return render("org/county.html", fragment, status=status, county=county, entity=entity, spec=spec,
                  pagination=pagination, q=q, kind_id=kind_id, form=form, can_edit=can_edit, kinds=kinds)


@bp.get("/counties/<code>")
@access.rule(Permission.ORG_VIEW)
def county(code):
    """One county: its 核查点位 panel by default."""
    return _panel(access.get_county_or_404(code), "sites")


@bp.get(f"/counties/<code>/{ENTITY}")
@access.rule(Permission.ORG_VIEW)
def county_panel(code, entity):
    """One county's sites, units or 医共体, searchable and paged."""
    return _panel(access.get_county_or_404(code), entity)


@bp.post(f"/counties/<code>/{ENTITY}")
@access.rule(Permission.ORG_VIEW)
def create(code, entity):
    """Add a site, unit or 医共体; invalid input re-renders the panel's form with errors (422)."""
    county = access.get_county_or_404(code)
    spec = service.ENTITIES[entity]
    access.require(spec.permission, county.id)
    form = _form_for(entity, county, request.form)
    if form.validate():
        try:
            obj = service.create_entity(spec, county, form.values())
        except DomainError as error:
            getattr(form, error.field or "name").errors.append(error.message)
        else:
            flash(f"已新增{spec.label}“{obj.name}”", "success")
            return _panel(county, entity)
    return _panel(county, entity, form=form, status=422)


@bp.get(f"/{ENTITY}/<int:ident>")
@access.rule(Permission.ORG_VIEW)
def row(entity, ident):
    """One row in display mode (also what "cancel" on an inline edit returns)."""
    spec = service.ENTITIES[entity]
    obj = access.get_or_404(spec.model, ident)
    return render("org/county.html", "org/_row.html", county=obj.county, entity=entity, spec=spec,
                  obj=obj, can_edit=access.can(current_user, spec.permission, obj.county_id),
                  pagination=None, form=None, q="", kind_id=0, kinds=[])


@bp.get(f"/{ENTITY}/<int:ident>/edit")
@access.rule(Permission.ORG_VIEW)
def edit(entity, ident):
    """One row as an inline edit form."""
    spec = service.ENTITIES[entity]
    obj = access.get_or_404(spec.model, ident)
    access.require(spec.permission, obj.county_id)
    return render("org/county.html", "org/_row_edit.html", county=obj.county, entity=entity, spec=spec,
                  obj=obj, form=_saved_form(entity, obj), pagination=None, q="", kind_id=0, can_edit=True, kinds=[])


def _saved_form(entity, obj):
    """The row's edit form filled from the row as saved (the edit view, and the conflict view's "saved")."""
    form = _form_for(entity, obj.county, obj=obj)
    if entity == "sites":
        form.community_id.data = obj.community_id or 0
    if entity == "units":
        form.category.data = obj.category.value
    return form


@bp.post(f"/{ENTITY}/<int:ident>")
@access.rule(Permission.ORG_VIEW)
def update(entity, ident):
    """Save an inline edit: the row comes back in display mode, or in edit mode with errors (422), or
    with the saved values beside the user's when someone saved the row since it was opened (409)."""
    spec = service.ENTITIES[entity]
    obj = access.get_or_404(spec.model, ident)
    access.require(spec.permission, obj.county_id)
    form = _form_for(entity, obj.county, request.form)
    status = 422
    if form.validate():
        try:
            service.update_entity(spec, obj, form.values(), form.version.data)
        except DomainError as error:
            db.session.rollback()
            getattr(form, error.field or "name").errors.append(error.message)
        except locking.EditConflict as error:
            db.session.rollback()
            status = error.status
            locking.rebase(form, _saved_form(entity, obj), obj, error)
        else:
            flash(f"已保存{spec.label}“{obj.name}”", "success")
            return row(entity, ident)
    return render("org/county.html", "org/_row_edit.html", status=status, county=obj.county, entity=entity,
                  spec=spec, obj=obj, form=form, pagination=None, q="", kind_id=0, can_edit=True, kinds=[])


@bp.route("/site-kinds", methods=["GET", "POST"])
@access.rule(Permission.ORG_VIEW)
def site_kinds():
    """Site kinds are data; the province admin adds new ones here."""
    form = SiteKindForm()
    status = 200
    if request.method == "POST":
        access.require(Permission.ORG_MANAGE)
        if form.validate():
            try:
                kind = service.create_site_kind(form.code.data, form.name.data, SiteKindGroup(form.group.data))
            except DomainError as error:
                getattr(form, error.field).errors.append(error.message)
            else:
                flash(f"已新增点位类型“{kind.name}”", "success")
                return redirect(url_for("org.site_kinds"))
        status = 422
    return render("org/site_kinds.html", kinds=service.site_kinds(), form=form, status=status,
                  can_edit=access.can(current_user, Permission.ORG_MANAGE))


@bp.route("/import", methods=["GET", "POST"])
@access.rule(Permission.ORG_MANAGE)
def import_xlsx():
    """Upload a workbook of regions, 医共体 and sites; all rows valid or nothing imported."""
    form = ImportForm()
    report = None
    status = 200
    if form.validate_on_submit():
        report = import_workbook(form.file.data.read(), current_user)
        if report.errors:
            status = 422
        else:
            flash(f"导入完成：新增 {sum(report.created.values())} 条，更新 {sum(report.updated.values())} 条", "success")
    elif form.errors:
        status = 422
    return render("org/import.html", form=form, report=report, status=status)


@bp.get("/import/template.xlsx")
@access.rule(Permission.ORG_MANAGE)
def import_template():
    """The empty import workbook with the expected sheets and columns."""
    from inspect_app.rectification.date_rules import today as today_china
    from inspect_app.documents.download_names import content_disposition, download_name
    name = download_name("组织架构导入模板", "org-import-template", today_china(), "xlsx")
    return Response(template_workbook(), headers={
        "Content-Disposition": content_disposition(name),
        "Content-Type": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"})
