"""Views of the 屡查屡犯 links: the leader's panel under a finding of the problem list, confirm,
unlink, search an earlier finding of the county and link it by hand.

Every view declares PROBLEM_LIST_MANAGE (team leader, province administrator) and loads the
finding or link through `access.can_decide_repeat`: another campaign's leader, another county's
finding — 404. Each answer is the panel fragment (#repeat-<finding id>) for htmx and the panel page
otherwise; a state change without htmx goes back to the problem list.
"""
from flask import abort, redirect, request, url_for
from flask_login import current_user

from inspect_app import access
from inspect_app.access import Permission
from inspect_app.extensions import db
from inspect_app.repeats import bp, service
from inspect_app.repeats.models import RepeatLink
from inspect_app.rendering import render, wants_fragment
from inspect_app.visits.models import Finding

# The dashboard's partial (templates/dashboard/_repeats.html) asks for its figures itself, so the
# dashboard page includes it with one line and its view stays as it is.
bp.add_app_template_global(service.repeat_rates, "repeat_rates")


def _finding(ident) -> Finding:
    """A finding whose repeat links the current user may decide on, or 404."""
    finding = db.session.get(Finding, ident)
    if finding is None or not access.can_decide_repeat(current_user, finding):
        abort(404)
    return finding


def _link(ident) -> RepeatLink:
    link = db.session.get(RepeatLink, ident)
    if link is None or not access.can_decide_repeat(current_user, link.finding):
        abort(404)
    return link


def _list_url(finding) -> str:
    return url_for("problem_lists.show", campaign_id=finding.campaign_id, code=finding.site.county.code)


def _panel(finding, status=200, **extra):
    """The leader's panel of one finding (page, or the #repeat-<id> fragment)."""
    return render("repeats/panel.html", "repeats/_panel.html", status=status, finding=finding,
                  rows=service.link_rows(finding), list_url=_list_url(finding), **extra)


def _after_change(finding):
    if wants_fragment():
        return _panel(finding)
    return redirect(_list_url(finding))


@bp.get("/findings/<int:ident>")
@access.rule(Permission.PROBLEM_LIST_MANAGE)
def panel(ident):
    """The finding's links with their state, confirm / unlink buttons and the search to link by
    hand; ?collapsed=1 (htmx) answers the card's compact mark again (收起)."""
    finding = _finding(ident)
    if request.args.get("collapsed") and wants_fragment():
        return render("repeats/panel.html", "repeats/_mark.html", fid=finding.id, finding=finding,
                      repeat_marks=service.marks([finding.id]), can_link_repeats=True,
                      rows=service.link_rows(finding), list_url=_list_url(finding))
    return _panel(finding)


@bp.get("/findings/<int:ident>/candidates")
@access.rule(Permission.PROBLEM_LIST_MANAGE)
def candidates(ident):
    """Earlier findings of the same county matching ?q= (description, site, item code, 问题编号)."""
    finding = _finding(ident)
    q = request.args.get("q", "")
    found = service.candidates(current_user, finding, q)
    return render("repeats/panel.html", "repeats/_candidates.html", finding=finding, found=found, q=q,
                  rows=service.link_rows(finding), list_url=_list_url(finding))


@bp.post("/findings/<int:ident>/link")
@access.rule(Permission.PROBLEM_LIST_MANAGE)
def link(ident):
    """Link the finding by hand to the earlier finding `earlier_id` (confirmed at once)."""
    finding = _finding(ident)
    earlier = service.earlier_finding_for(current_user, finding, request.form.get("earlier_id", type=int) or 0)
    service.link_by_hand(finding, earlier, current_user)
    return _after_change(finding)


@bp.post("/links/<int:ident>/confirm")
@access.rule(Permission.PROBLEM_LIST_MANAGE)
def confirm(ident):
    """Confirm an automatic link (or restore an unlinked one)."""
    link = _link(ident)
    service.confirm(link, current_user)
    return _after_change(link.finding)


@bp.post("/links/<int:ident>/unlink")
@access.rule(Permission.PROBLEM_LIST_MANAGE)
def unlink(ident):
    """Unlink: not the same problem; the pair is never suggested again."""
    link = _link(ident)
    service.unlink(link, current_user)
    return _after_change(link.finding)
