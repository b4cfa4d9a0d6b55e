"""Views of checklists (核查表): templates and versions, inline item edits on drafts, publishing,
XLSX import and export. Rules live in checklists/service.py; these views only choose responses."""
from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from inspect_app import access, locking
from inspect_app.access import Permission
from inspect_app.audit import security
from inspect_app.checklists import bp, service
from inspect_app.checklists.forms import ImportForm, ItemForm, LabelForm
from inspect_app.checklists.models import ChecklistItem, ChecklistTemplate, ChecklistVersion
from inspect_app.documents.download_names import content_disposition
from inspect_app.errors import DomainError
from inspect_app.extensions import db
from inspect_app.org.service import site_kinds
from inspect_app.rendering import render, wants_fragment

XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _version_or_404(version_id: int) -> ChecklistVersion:
    return db.session.get(ChecklistVersion, version_id) or abort(404)


def _item_or_404(item_id: int) -> ChecklistItem:
    return db.session.get(ChecklistItem, item_id) or abort(404)


def _can_edit(version: ChecklistVersion) -> bool:
    return not version.frozen and access.can(current_user, Permission.CHECKLIST_MANAGE)


def _add_form(version, formdata=None) -> ItemForm:
    form = ItemForm(formdata=formdata)
    if formdata is None:
        form.method.data = "documents"
    form.set_choices(version.sections, site_kinds())
    return form


def _with_publish_version(response, version):
    """An item fragment also carries the draft's current version for the 发布 form (out of band)."""
    if wants_fragment() and _can_edit(version):
        response.set_data(response.get_data() + render_template(
            "checklists/_publish_version.html", version=version, oob=True).encode())
    return response


def _version_page(version, fragment=None, status=200, add_form=None, label_form=None, **extra):
    """The version page (or one of its fragments) with the filtered item table."""
    kind_id = request.values.get("kind", 0, type=int)
    q = request.values.get("q", "").strip()
    items = service.version_items(version.id, kind_id, q)
    can_edit = _can_edit(version)
    if add_form is None and can_edit:
        add_form = _add_form(version)
    return _with_publish_version(render(
        "checklists/version.html", fragment, status=status, version=version, items=items,
        groups=service.group_by_section(items), kinds=site_kinds(), kind_id=kind_id, q=q,
        can_edit=can_edit, can_manage=access.can(current_user, Permission.CHECKLIST_MANAGE),
        add_form=add_form, label_form=label_form or LabelForm(),
        item_count=service.item_counts([version.id]).get(version.id, 0), **extra), version)


def _row(version, fragment, status=200, **context):
    """One item row (display or inline edit) for htmx, without loading the whole item table; the
    version page around it otherwise."""
    if wants_fragment():
        return _with_publish_version(render(fragment, status=status, can_edit=_can_edit(version), **context),
                                     version)
    return _version_page(version, fragment, status=status, **context)


@bp.get("")
@access.rule(Permission.CHECKLIST_VIEW)
def index():
    """Every checklist template with its versions: status, item count, published date."""
    templates = service.templates_with_versions()
    counts = service.item_counts([v.id for t in templates for v in t.versions])
    return render("checklists/index.html", templates=templates, counts=counts,
                  can_manage=access.can(current_user, Permission.CHECKLIST_MANAGE))


@bp.get("/versions/<int:version_id>")
@access.rule(Permission.CHECKLIST_VIEW)
def version(version_id):
    """One version: sections → items, filtered by site kind and searched by content (htmx)."""
    fragment = "checklists/_items.html" if request.htmx.target == "items" else None
    return _version_page(_version_or_404(version_id), fragment)


@bp.get("/items/<int:item_id>")
@access.rule(Permission.CHECKLIST_VIEW)
def item_row(item_id):
    """One item row in display mode (what "cancel" on an inline edit returns)."""
    item = _item_or_404(item_id)
    return _row(item.section.version, "checklists/_item_row.html", item=item)


@bp.get("/items/<int:item_id>/edit")
@access.rule(Permission.CHECKLIST_MANAGE)
def item_edit(item_id):
    """One item of a draft as an inline edit form; a published version answers 409."""
    item = _item_or_404(item_id)
    version = item.section.version
    if version.frozen:
        flash("该版本已发布，不能修改", "error")
        return _row(version, "checklists/_item_row.html", status=409, item=item)
    form = ItemForm.for_item(item, version.sections, site_kinds())
    return _row(version, "checklists/_item_edit.html", item=item, form=form, edit_form=form,
                         edit_item_id=item.id)


@bp.post("/items/<int:item_id>")
@access.rule(Permission.CHECKLIST_MANAGE)
def item_update(item_id):
    """Save an inline edit: the row in display mode, the form with errors (422), or 409 when the
    version is published (frozen)."""
    item = _item_or_404(item_id)
    version = item.section.version
    form = ItemForm()
    form.set_choices(version.sections, site_kinds())
    status = 422
    if form.validate():
        try:
            service.update_item(item, form.values(), current_user, form.version.data)
        except locking.EditConflict as error:
            db.session.rollback()
            status = error.status
            locking.rebase(form, ItemForm.for_item(item, version.sections, site_kinds()), item, error)
        except DomainError as error:
            if error.status == 409:     # published meanwhile: the row as it stands
                flash(error.message, "error")
                return _row(version, "checklists/_item_row.html", status=409, item=item)
            db.session.rollback()
            getattr(form, error.field or "code").errors.append(error.message)
        else:
            flash(f"已保存条目 {item.code}", "success")
            return _row(version, "checklists/_item_row.html", item=item)
    return _row(version, "checklists/_item_edit.html", status=status, item=item, form=form, edit_form=form,
                edit_item_id=item.id)


@bp.post("/items/<int:item_id>/delete")
@access.rule(Permission.CHECKLIST_MANAGE)
def item_delete(item_id):
    """Delete an item of a draft; htmx gets the item table back (counts updated, filters kept). An
    item edited since the row was drawn is not deleted: its current row comes back (409)."""
    item = _item_or_404(item_id)
    version = item.section.version
    code = item.code
    try:
        service.delete_item(item, current_user, request.form.get("version", type=int))
    except (DomainError, locking.EditConflict) as error:
        db.session.rollback()
        flash(error.message, "error")
        return _row(version, "checklists/_item_row.html", status=error.status, item=item)
    flash(f"已删除条目 {code}", "success")
    if wants_fragment():
        return _version_page(version, "checklists/_items.html")
    return redirect(url_for("checklists.version", version_id=version.id))


@bp.post("/versions/<int:version_id>/items")
@access.rule(Permission.CHECKLIST_MANAGE)
def item_create(version_id):
    """Add an item to a draft; invalid input re-renders the add form with errors (422)."""
    version = _version_or_404(version_id)
    form = _add_form(version, request.form)
    fragment = "checklists/_body.html"
    if form.validate():
        try:
            item = service.add_item(version, form.values(), current_user)
        except DomainError as error:
            if error.status == 409:     # published meanwhile: the version as it stands
                flash(error.message, "error")
                return _version_page(version, fragment, status=409)
            db.session.rollback()
            getattr(form, error.field or "code").errors.append(error.message)
        else:
            flash(f"已新增条目 {item.code}", "success")
            if not wants_fragment():
                return redirect(url_for("checklists.version", version_id=version.id))
            return _version_page(version, fragment)
    return _version_page(version, fragment, status=422, add_form=form)


@bp.post("/versions/<int:version_id>/publish")
@access.rule(Permission.CHECKLIST_MANAGE)
def publish(version_id):
    """Publish a draft; from then on it is frozen."""
    version = _version_or_404(version_id)
    try:
        service.publish(version, current_user, request.form.get("version", type=int))
    except (DomainError, locking.EditConflict) as error:
        db.session.rollback()
        flash(error.message, "error")
        return _version_page(version, status=error.status)
    flash(f"已发布“{version.label}”，此后不能再修改", "success")
    return redirect(url_for("checklists.version", version_id=version.id))


@bp.post("/versions/<int:version_id>/copy")
@access.rule(Permission.CHECKLIST_MANAGE)
def copy(version_id):
    """Copy a version as a new draft (next year's standard); the original stays unchanged."""
    version = _version_or_404(version_id)
    form = LabelForm()
    if form.validate():
        try:
            draft = service.copy_as_draft(version, form.label.data, current_user)
        except DomainError as error:
            form.label.errors.append(error.message)
        else:
            flash(f"已复制为新草稿“{draft.label}”", "success")
            return redirect(url_for("checklists.version", version_id=draft.id))
    return _version_page(version, status=422, label_form=form, copy_open=True)


@bp.get("/versions/<int:version_id>/export.xlsx")
@access.rule(Permission.CHECKLIST_VIEW)
def export(version_id):
    """The version as an Excel file, one row per item."""
    version = _version_or_404(version_id)
    body = service.export_xlsx(version)
    name = service.export_filename(version)
    security.download("export.checklist", obj=version, label=name.display)
    return Response(body, mimetype=XLSX_MIMETYPE, headers={"Content-Disposition": content_disposition(name)})


@bp.route("/import", methods=["GET", "POST"])
@access.rule(Permission.CHECKLIST_MANAGE)
def import_xlsx():
    """Upload a workbook to create a new draft version; any bad row and nothing is imported."""
    templates = service.templates_with_versions()
    form = ImportForm()
    form.set_choices(templates)
    if request.method == "GET" and request.args.get("template", type=int):
        form.template_id.data = request.args.get("template", type=int)
    errors, status = [], 200
    if form.validate_on_submit():
        template = db.session.get(ChecklistTemplate, form.template_id.data) if form.template_id.data \
            else form.name.data
        draft, errors = service.import_xlsx(form.file.data.read(), template, form.label.data, current_user)
        if draft is not None:
            flash(f"已导入新草稿“{draft.template.name}”{draft.label}，请核对后发布", "success")
            return redirect(url_for("checklists.version", version_id=draft.id))
        status = 422
    elif form.errors:
        status = 422
    return render("checklists/import.html", form=form, errors=errors, status=status)
