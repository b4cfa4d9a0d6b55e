"""Views of campaigns (核查任务) and teams (核查组). Province admins create and edit them; team
roles see only the campaigns of their own teams (others answer 404)."""
from flask import abort, flash, redirect, request, url_for
from flask_login import current_user

from inspect_app import access, locking
from inspect_app.access import Permission
from inspect_app.campaigns import bp, service
from inspect_app.campaigns.forms import CampaignForm, TeamForm
from inspect_app.campaigns.models import Campaign, Team
from inspect_app.checklists.service import published_versions
from inspect_app.errors import DomainError
from inspect_app.extensions import db
from inspect_app.rendering import render, wants_fragment


def _team_or_404(team_id: int) -> Team:
    return db.session.get(Team, team_id) or abort(404)


def _submit(form, save, saved_form=None, obj=None):
    """On a valid POST, call `save()` and return what it returns; otherwise None. A service refusal
    is rolled back and shown under the field it concerns (the name field otherwise); an edit over a
    newer version comes back with `saved_form()` (the form as the saved row fills it) beside it."""
    if not form.validate_on_submit():
        return None
    try:
        return save()
    except DomainError as error:
        db.session.rollback()
        field = getattr(form, error.field or "", None) or form.name
        field.errors.append(error.message)
    except locking.EditConflict as error:
        db.session.rollback()
        locking.rebase(form, saved_form(), obj, error)
    return None


def _status(form) -> int:
    """409/422 for a refused edit (locking.py), 422 for errors, else 200."""
    if getattr(form, "conflict", None) is not None:
        return form.conflict.status
    return 422 if form.errors else 200


@bp.get("")
@access.rule(Permission.CAMPAIGN_VIEW)
def index():
    """Campaigns the user may see: all for province roles, their teams' for team roles."""
    return render("campaigns/index.html", campaigns=service.visible_campaigns(current_user),
                  can_manage=access.can(current_user, Permission.CAMPAIGN_MANAGE))


@bp.route("/new", methods=["GET", "POST"])
@access.rule(Permission.CAMPAIGN_MANAGE)
def create():
    """Create a campaign with a published checklist version; errors keep what was typed (422)."""
    form = CampaignForm()
    form.set_choices(published_versions())
    campaign = _submit(form, lambda: service.create_campaign(form.values(), current_user))
    if campaign is not None:
        flash(f"已新建核查任务“{campaign.name}”", "success")
        return redirect(url_for("campaigns.detail", campaign_id=campaign.id))
    return render("campaigns/form.html", form=form, campaign=None, status=422 if form.errors else 200)


@bp.get("/<int:campaign_id>")
@access.rule(Permission.CAMPAIGN_VIEW)
def detail(campaign_id):
    """One campaign with the teams the user may see, their members and counties."""
    campaign = access.get_campaign_or_404(Campaign, campaign_id)
    return render("campaigns/detail.html", campaign=campaign, teams=service.visible_teams(current_user, campaign),
                  can_manage=access.can(current_user, Permission.CAMPAIGN_MANAGE))


@bp.route("/<int:campaign_id>/edit", methods=["GET", "POST"])
@access.rule(Permission.CAMPAIGN_MANAGE)
def edit(campaign_id):
    """Edit a campaign's name, year, dates and checklist version."""
    campaign = access.get_campaign_or_404(Campaign, campaign_id)
    versions = published_versions()
    if request.method == "GET":
        form = CampaignForm.for_campaign(campaign, versions)
    else:
        form = CampaignForm()
        form.set_choices(versions)
    if _submit(form, lambda: service.update_campaign(campaign, form.values(), current_user, form.version.data),
               lambda: CampaignForm.for_campaign(campaign, versions), campaign):
        flash(f"已保存核查任务“{campaign.name}”", "success")
        return redirect(url_for("campaigns.detail", campaign_id=campaign.id))
    return render("campaigns/form.html", form=form, campaign=campaign, status=_status(form))


@bp.route("/<int:campaign_id>/teams/new", methods=["GET", "POST"])
@access.rule(Permission.CAMPAIGN_MANAGE)
def team_create(campaign_id):
    """Add a team to a campaign; its counties are assigned on the team page that follows."""
    campaign = access.get_campaign_or_404(Campaign, campaign_id)
    form = TeamForm()
    form.set_choices(service.leaders(), service.member_candidates())
    team = _submit(form, lambda: service.create_team(campaign, form.values(), current_user))
    if team is not None:
        flash(f"已新建{team.name}，请为其分配负责的县", "success")
        return redirect(url_for("campaigns.team_edit", team_id=team.id))
    return render("campaigns/team.html", form=form, campaign=campaign, team=None,
                  status=422 if form.errors else 200)


@bp.route("/teams/<int:team_id>", methods=["GET", "POST"])
@access.rule(Permission.CAMPAIGN_MANAGE)
def team_edit(team_id):
    """Edit a team's name, leader and members; its counties are edited in place (htmx)."""
    team = _team_or_404(team_id)
    leaders, candidates = service.leaders(), service.member_candidates()
    if request.method == "GET":
        form = TeamForm.for_team(team, leaders, candidates)
    else:
        form = TeamForm()
        form.set_choices(leaders, candidates)
    if _submit(form, lambda: service.update_team(team, form.values(), current_user, form.version.data),
               lambda: TeamForm.for_team(team, leaders, candidates), team):
        flash(f"已保存{team.name}", "success")
        return redirect(url_for("campaigns.detail", campaign_id=team.campaign_id))
    return render("campaigns/team.html", form=form, campaign=team.campaign, team=team, status=_status(form))


@bp.get("/teams/<int:team_id>/county-search")
@access.rule(Permission.CAMPAIGN_MANAGE)
def county_search(team_id):
    """Counties matching the typed name or code that the team does not have yet (active search)."""
    team = _team_or_404(team_id)
    q = request.args.get("q", "").strip()
    results = service.search_counties(q, exclude_ids=[c.id for c in team.counties])
    if wants_fragment():    # every keystroke: skip the full page's leader and member queries
        return render("campaigns/_county_results.html", team=team, results=results, q=q)
    return render("campaigns/team.html", team=team, campaign=team.campaign, results=results, q=q,
                  form=TeamForm.for_team(team, service.leaders(), service.member_candidates()))


def _counties_response(team, status=200, error=None):
    if not wants_fragment():
        if error:
            flash(error, "error")
        return redirect(url_for("campaigns.team_edit", team_id=team.id))
    return render("campaigns/_counties.html", team=team, error=error, q="", results=[], status=status)


@bp.post("/teams/<int:team_id>/counties")
@access.rule(Permission.CAMPAIGN_MANAGE)
def county_add(team_id):
    """Assign a county to the team (its members then see that county)."""
    team = _team_or_404(team_id)
    try:
        county = service.add_county(team, request.form.get("county_id", 0, type=int), current_user)
    except DomainError as error:
        db.session.rollback()
        return _counties_response(team, error.status, error.message)
    flash(f"已为{team.name}添加 {county.name}", "success")
    return _counties_response(team)


@bp.post("/teams/<int:team_id>/counties/<int:county_id>/delete")
@access.rule(Permission.CAMPAIGN_MANAGE)
def county_remove(team_id, county_id):
    """Take a county away from the team."""
    team = _team_or_404(team_id)
    try:
        service.remove_county(team, county_id, current_user)
    except DomainError as error:
        db.session.rollback()
        return _counties_response(team, error.status, error.message)
    flash(f"已从{team.name}移除该县", "success")
    return _counties_response(team)
