"""THE place that decides who may see and do what.

Two questions, answered only here:
- *Which rows may this user see?* — `county_clause` / `scoped` restrict any query by its county
  column: everything (province roles), one city's counties, one county, or the counties of the
  user's inspection teams. Objects outside the scope answer 404, as if they did not exist.
  Inspection objects (visits, findings, problem lists, rectification items) also belong to a
  campaign: a team acts only within its own campaign, so for team roles their scope is the
  (campaign, county) pairs of their teams (`campaign_county_clause`, `can_see_campaign_county`) —
  a county added to another campaign's team does not open this campaign's objects to that team.
- *May this user do this?* — `can` / `require` combine the role's permissions with the scope.

Every view declares its rule with `@rule(...)`; a test walks ``app.url_map`` and fails for any view
without one, so a forgotten check cannot ship.
"""
import enum
from functools import wraps

import sqlalchemy as sa
import sqlalchemy.orm
from flask import abort, current_app
from flask_login import current_user

from inspect_app.campaigns.models import Team, team_counties, team_members
from inspect_app.extensions import db
from inspect_app.org.models import Region, RegionLevel
from inspect_app.roles import Role

PUBLIC = "public"        # no sign-in needed (login page, health check, static files)
SIGNED_IN = "signed_in"  # any signed-in account


class Permission(str, enum.Enum):
    ORG_VIEW = "org.view"          # browse the tree within one's scope
    ORG_MANAGE = "org.manage"      # regions, 医共体, site kinds, XLSX import
    SITE_MANAGE = "site.manage"    # add and edit sites of a county
    UNIT_MANAGE = "unit.manage"    # add and edit responsible units of a county
    USER_MANAGE = "user.manage"    # accounts
    AUDIT_VIEW = "audit.view"      # read the audit trail
    CHECKLIST_VIEW = "checklist.view"
    CHECKLIST_MANAGE = "checklist.manage"      # import, edit drafts, publish
    CAMPAIGN_VIEW = "campaign.view"
    CAMPAIGN_MANAGE = "campaign.manage"        # campaigns, teams, county assignments
    VISIT_VIEW = "visit.view"                  # visits, answers and draft findings (not the county side)
    VISIT_RECORD = "visit.record"              # start visits, answer, record findings and photos
    VISIT_REOPEN = "visit.reopen"              # reopen a submitted visit
    PROBLEM_LIST_VIEW = "problem_list.view"    # county roles: issued lists only (the service checks)
    PROBLEM_LIST_MANAGE = "problem_list.manage"  # consolidate, number and issue (下发)
    ITEM_VIEW = "item.view"                    # rectification items (unit responders: own unit)
    ITEM_ASSIGN = "item.assign"                # assign items to responsible units
    ITEM_REVIEW = "item.review"                # the acceptance queue (accept / return / extensions)
    LEDGER_EXPORT = "ledger.export"
    DASHBOARD_VIEW = "dashboard.view"          # closure rates and reports for one's scope
    REPORT_EXPORT = "report.export"            # 周报/月报 as a background job: a POST that only reads
    API_TOKEN_MANAGE = "api_token.manage"
    SECURITY_MANAGE = "security.manage"        # sign-in locks and the admin-class accounts' passwords
    RECHECK_VIEW = "recheck.view"              # re-check rounds and results (回头看 / 抽查复核) in scope
    RECHECK_DRAW = "recheck.draw"              # draw a round (province admin; a leader for their campaign)
    RECHECK_RECORD = "recheck.record"          # record results (the round's team)
    SELF_INSPECTION_VIEW = "self_inspection.view"      # 自查 and its comparison (scope: self_inspection_clause)
    SELF_INSPECTION_RECORD = "self_inspection.record"  # a county answers and submits its own 自查


# 三权分立 (等保2.0 三级): the system, security and audit administrators. Each manages what the
# others cannot, none acts on its own class's members, and none of them does the business work.
ADMIN_CLASS = frozenset({Role.SYSTEM_ADMIN, Role.SECURITY_ADMIN, Role.AUDIT_ADMIN})
_ALL_BUSINESS_ROLES = frozenset(Role) - {Role.AUDIT_ADMIN, Role.SECURITY_ADMIN}

ROLE_PERMISSIONS: dict[Permission, frozenset[Role]] = {
    Permission.ORG_VIEW: _ALL_BUSINESS_ROLES,
    Permission.ORG_MANAGE: frozenset({Role.PROVINCE_ADMIN}),
    Permission.SITE_MANAGE: frozenset({Role.PROVINCE_ADMIN, Role.COUNTY_COORDINATOR}),
    Permission.UNIT_MANAGE: frozenset({Role.PROVINCE_ADMIN, Role.COUNTY_COORDINATOR}),
    Permission.USER_MANAGE: frozenset({Role.SYSTEM_ADMIN, Role.PROVINCE_ADMIN}),
    Permission.AUDIT_VIEW: frozenset({Role.AUDIT_ADMIN}),   # only the auditor reads the audit trail
    Permission.CHECKLIST_VIEW: frozenset({Role.PROVINCE_ADMIN, Role.PROVINCE_VIEWER, Role.TEAM_LEADER,
                                          Role.INSPECTOR}),
    Permission.CHECKLIST_MANAGE: frozenset({Role.PROVINCE_ADMIN}),
    Permission.CAMPAIGN_VIEW: frozenset({Role.PROVINCE_ADMIN, Role.PROVINCE_VIEWER, Role.TEAM_LEADER,
                                         Role.INSPECTOR}),
    Permission.CAMPAIGN_MANAGE: frozenset({Role.PROVINCE_ADMIN}),
    Permission.VISIT_VIEW: frozenset({Role.PROVINCE_ADMIN, Role.PROVINCE_VIEWER, Role.CITY_VIEWER,
                                      Role.TEAM_LEADER, Role.INSPECTOR}),
    Permission.VISIT_RECORD: frozenset({Role.TEAM_LEADER, Role.INSPECTOR}),
    Permission.VISIT_REOPEN: frozenset({Role.TEAM_LEADER, Role.PROVINCE_ADMIN}),
    Permission.PROBLEM_LIST_VIEW: frozenset({Role.PROVINCE_ADMIN, Role.PROVINCE_VIEWER, Role.CITY_VIEWER,
                                             Role.TEAM_LEADER, Role.INSPECTOR, Role.COUNTY_COORDINATOR}),
    Permission.PROBLEM_LIST_MANAGE: frozenset({Role.TEAM_LEADER, Role.PROVINCE_ADMIN}),
    Permission.ITEM_VIEW: _ALL_BUSINESS_ROLES - {Role.SYSTEM_ADMIN},
    Permission.ITEM_ASSIGN: frozenset({Role.COUNTY_COORDINATOR}),
    Permission.ITEM_REVIEW: frozenset({Role.TEAM_LEADER, Role.PROVINCE_ADMIN}),
    Permission.LEDGER_EXPORT: _ALL_BUSINESS_ROLES - {Role.SYSTEM_ADMIN},
    Permission.DASHBOARD_VIEW: frozenset({Role.PROVINCE_ADMIN, Role.PROVINCE_VIEWER, Role.CITY_VIEWER,
                                          Role.TEAM_LEADER, Role.COUNTY_COORDINATOR}),
    Permission.REPORT_EXPORT: frozenset({Role.PROVINCE_ADMIN, Role.PROVINCE_VIEWER, Role.CITY_VIEWER,
                                         Role.TEAM_LEADER, Role.COUNTY_COORDINATOR}),   # as DASHBOARD_VIEW
    Permission.API_TOKEN_MANAGE: frozenset({Role.SYSTEM_ADMIN, Role.PROVINCE_ADMIN}),
    Permission.SECURITY_MANAGE: frozenset({Role.SECURITY_ADMIN}),
    Permission.RECHECK_VIEW: frozenset({Role.PROVINCE_ADMIN, Role.PROVINCE_VIEWER, Role.CITY_VIEWER,
                                        Role.TEAM_LEADER, Role.INSPECTOR, Role.COUNTY_COORDINATOR}),
    Permission.RECHECK_DRAW: frozenset({Role.PROVINCE_ADMIN, Role.TEAM_LEADER}),
    Permission.RECHECK_RECORD: frozenset({Role.TEAM_LEADER, Role.INSPECTOR}),
    Permission.SELF_INSPECTION_VIEW: frozenset({Role.PROVINCE_ADMIN, Role.PROVINCE_VIEWER, Role.CITY_VIEWER,
                                                Role.TEAM_LEADER, Role.INSPECTOR, Role.COUNTY_COORDINATOR}),
    # The county coordinator (县医改办) answers for the county: no separate self-inspection role.
    Permission.SELF_INSPECTION_RECORD: frozenset({Role.COUNTY_COORDINATOR}),
}

# Roles that see every county of the province.
PROVINCE_WIDE = frozenset({Role.SYSTEM_ADMIN, Role.AUDIT_ADMIN, Role.PROVINCE_ADMIN, Role.PROVINCE_VIEWER})
TEAM_ROLES = frozenset({Role.TEAM_LEADER, Role.INSPECTOR})
COUNTY_ROLES = frozenset({Role.COUNTY_COORDINATOR, Role.UNIT_RESPONDER})


def _signed_in(user) -> bool:
    return user is not None and getattr(user, "is_authenticated", False)


def has(user, permission: Permission) -> bool:
    """Whether the user's role carries `permission` (no object, no scope)."""
    return _signed_in(user) and user.role in ROLE_PERMISSIONS[permission]


# ---------------------------------------------------------------- which rows

def team_ids(user) -> sa.Select:
    """Teams the user leads or belongs to."""
    member = sa.select(team_members.c.team_id).where(team_members.c.user_id == user.id)
    return sa.union(sa.select(Team.id).where(Team.leader_id == user.id), member)


def team_county_ids(user) -> sa.Select:
    """Counties assigned to any team the user leads or belongs to."""
    return sa.select(team_counties.c.county_id).where(team_counties.c.team_id.in_(team_ids(user)))


def county_clause(user, column) -> sa.ColumnElement[bool]:
    """A WHERE clause limiting a county-id column to what `user` may see."""
    if not _signed_in(user):
        return sa.false()
    if user.role in PROVINCE_WIDE:
        return sa.true()
    if user.role == Role.CITY_VIEWER:
        if user.region_id is None:
            return sa.false()
        return column.in_(sa.select(Region.id).where(Region.parent_id == user.region_id))
    if user.role in COUNTY_ROLES:
        return column == user.region_id if user.region_id is not None else sa.false()
    if user.role in TEAM_ROLES:
        return column.in_(team_county_ids(user))
    return sa.false()


def team_pairs_clause(user, campaign_column, county_column) -> sa.ColumnElement[bool]:
    """Whether (campaign_column, county_column) is a (campaign, county) pair of one of the user's
    teams — a team's county in that team's own campaign."""
    return sa.exists(sa.select(sa.literal(1)).select_from(Team).join(
        team_counties, team_counties.c.team_id == Team.id).where(
        Team.id.in_(team_ids(user)), Team.campaign_id == campaign_column,
        team_counties.c.county_id == county_column))


def campaign_county_clause(user, campaign_column, county_column) -> sa.ColumnElement[bool]:
    """A WHERE clause for campaign-bound rows (visits, findings, lists, items): the county scope
    and, for team roles, only the pairs of their teams (team scope = (campaign, county) pairs)."""
    if _signed_in(user) and user.role in TEAM_ROLES:
        return team_pairs_clause(user, campaign_column, county_column)
    return county_clause(user, county_column)


def can_see_campaign_county(user, campaign_id: int | None, county_id: int | None) -> bool:
    """Whether a campaign's objects in one county lie inside the user's scope: the county, and for
    team roles the campaign of a team of theirs that covers the county."""
    if campaign_id is None or county_id is None or not _signed_in(user):
        return False
    if user.role not in TEAM_ROLES:
        return can_see_county(user, county_id)
    return db.session.execute(sa.select(team_pairs_clause(
        user, sa.literal(campaign_id), sa.literal(county_id)))).scalar()


def can_see_object(user, obj) -> bool:
    """One county-bound object; a campaign-bound one (it has a campaign_id) also by campaign."""
    campaign_id = getattr(obj, "campaign_id", None)
    if campaign_id is not None:
        return can_see_campaign_county(user, campaign_id, obj.county_id)
    return can_see_county(user, obj.county_id)


def scoped(stmt: sa.Select, column, user=None) -> sa.Select:
    """Restrict a SELECT by its county column to the (current) user's scope."""
    return stmt.where(county_clause(user if user is not None else current_user, column))


def unit_clause(user, column) -> sa.ColumnElement[bool]:
    """Unit responders see only rows of their own responsible unit; others are unrestricted here."""
    if user.role == Role.UNIT_RESPONDER:
        return column == user.unit_id if user.unit_id is not None else sa.false()
    return sa.true()


def item_clause(user, item_model) -> sa.ColumnElement[bool]:
    """Rectification items this user may see: their scope's counties (for team roles, in their
    teams' campaigns) and, for unit responders, only the items assigned to their unit."""
    return sa.and_(campaign_county_clause(user, item_model.campaign_id, item_model.county_id),
                   unit_clause(user, item_model.unit_id))


def item_scope_is_counties(user) -> bool:
    """Whether item_clause(user) is campaign_county_clause alone, so figures summed per campaign and
    county (the dashboard rollups) answer exactly for this user. Unit responders see only their
    unit's items."""
    return user.role != Role.UNIT_RESPONDER


def sees_every_county(user) -> bool:
    """Whether county_clause(user) is no restriction at all (province-wide roles), so figures summed
    over every county answer for this user."""
    return _signed_in(user) and user.role in PROVINCE_WIDE


def can_see_item(user, item) -> bool:
    """One rectification item: in scope (its campaign too, for team roles) and, for unit
    responders, assigned to their unit."""
    if not can_see_campaign_county(user, item.campaign_id, item.county_id):
        return False
    return user.role != Role.UNIT_RESPONDER or (user.unit_id is not None and item.unit_id == user.unit_id)


def can_see_attachment(user, attachment) -> bool:
    """A photo or document is visible to whoever may see what it is attached to.

    Inspection material (answers, findings) is for the inspection side; the county side sees a
    finding's photos only once the finding has been issued as a rectification item it may see.
    """
    from inspect_app.rectification.models import ProgressPost, RectificationItem

    if not _signed_in(user) or not can_see_county(user, attachment.county_id):
        return False
    if attachment.recheck_sample_id is not None:
        from inspect_app.rechecks.models import RecheckSample
        sample = db.session.get(RecheckSample, attachment.recheck_sample_id)
        return sample is not None and can_see_recheck_sample(user, sample)
    if attachment.self_answer_id is not None:
        return _self_answer_visible(user, attachment)
    if attachment.progress_id is not None:
        post = db.session.get(ProgressPost, attachment.progress_id)
        item = db.session.get(RectificationItem, post.item_id) if post else None
        return item is not None and has(user, Permission.ITEM_VIEW) and can_see_item(user, item)
    if has(user, Permission.VISIT_VIEW):
        return user.role not in TEAM_ROLES or _inspection_campaign_visible(user, attachment)
    if attachment.finding_id is None or not has(user, Permission.ITEM_VIEW):
        return False
    item = db.session.execute(sa.select(RectificationItem).where(
        RectificationItem.finding_id == attachment.finding_id)).scalar_one_or_none()
    return item is not None and can_see_item(user, item)


def _inspection_campaign_visible(user, attachment) -> bool:
    """A team member sees a finding's or an answer's photo only in their teams' campaigns."""
    from inspect_app.visits.models import Answer, Finding, SiteVisit

    if attachment.finding_id is not None:
        campaign_id = db.session.scalar(sa.select(Finding.campaign_id).where(Finding.id == attachment.finding_id))
    elif attachment.answer_id is not None:
        campaign_id = db.session.scalar(sa.select(SiteVisit.campaign_id).join(
            Answer, Answer.visit_id == SiteVisit.id).where(Answer.id == attachment.answer_id))
    else:
        return True
    return can_see_campaign_county(user, campaign_id, attachment.county_id)


def can_decide_repeats_in(user, campaign_id: int, county_id: int) -> bool:
    """屡查屡犯 links (repeats/): confirming, unlinking and linking by hand belong to whoever manages
    the problem list of that campaign and county — the team leader of that campaign (team scope: a
    leader of another campaign is answered 404) and the province administrator."""
    return has(user, Permission.PROBLEM_LIST_MANAGE) and can_see_campaign_county(user, campaign_id, county_id)


def can_decide_repeat(user, finding) -> bool:
    """Whether `user` may decide on the repeat links of `finding` (can_decide_repeats_in)."""
    return finding is not None and can_decide_repeats_in(user, finding.campaign_id, finding.county_id)


def earlier_findings_clause(user, finding, finding_model) -> sa.ColumnElement[bool]:
    """The findings a repeat decider may see and pick as the earlier one for `finding`: those of the
    same county (never another county's), in any campaign — including campaigns the leader's team
    did not carry out, which is the point of a repeat. Nothing for anyone who may not decide on
    `finding` (can_decide_repeat)."""
    if not can_decide_repeat(user, finding):
        return sa.false()
    return finding_model.county_id == finding.county_id
# ---------------------------------------------------------------- 自查 (county self-inspection)
#
# A self-inspection is the county's own work: while it is a draft only the county itself and the
# province-wide roles see it. Once submitted, the inspection side sees it too: the city its
# counties', team members their teams' (campaign, county) pairs. Only the county's coordinator
# answers it. The comparison with the inspectors' answers shows the inspectors' results, which the
# county side otherwise sees only once issued: the county sees its comparison once its problem list
# of that campaign is issued.

def self_inspection_clause(user, model) -> sa.ColumnElement[bool]:
    """A WHERE clause on a SelfInspection-like model (campaign_id, county_id, status): the
    self-inspections `user` may see."""
    from inspect_app.self_inspections.models import SelfInspectionStatus

    if not has(user, Permission.SELF_INSPECTION_VIEW):
        return sa.false()
    if user.role in COUNTY_ROLES or user.role in PROVINCE_WIDE:
        return county_clause(user, model.county_id)
    return sa.and_(model.status == SelfInspectionStatus.SUBMITTED,
                   campaign_county_clause(user, model.campaign_id, model.county_id))


def can_see_self_inspection(user, self_inspection) -> bool:
    """One self-inspection, by the rule of `self_inspection_clause`."""
    if not has(user, Permission.SELF_INSPECTION_VIEW):
        return False
    if user.role not in COUNTY_ROLES and user.role not in PROVINCE_WIDE and not self_inspection.submitted:
        return False
    return can_see_campaign_county(user, self_inspection.campaign_id, self_inspection.county_id)


def can_record_self_inspection(user, self_inspection) -> bool:
    """Whether `user` may answer (and submit) this self-inspection: the coordinator of its county."""
    return has(user, Permission.SELF_INSPECTION_RECORD) and user.region_id is not None \
        and self_inspection.county_id == user.region_id


def self_comparison_clause(user, campaign_column, county_column) -> sa.ColumnElement[bool]:
    """(campaign, county) pairs whose 自查 comparison `user` may see: the campaign-bound scope, and for
    county roles only once a problem list of that campaign has been issued to the county."""
    from inspect_app.rectification.models import ProblemList, ProblemListStatus

    if not has(user, Permission.SELF_INSPECTION_VIEW):
        return sa.false()
    clause = campaign_county_clause(user, campaign_column, county_column)
    if user.role in COUNTY_ROLES:
        issued = sa.exists(sa.select(ProblemList.id).where(
            ProblemList.campaign_id == campaign_column, ProblemList.county_id == county_column,
            ProblemList.status == ProblemListStatus.ISSUED))
        clause = sa.and_(clause, issued)
    return clause


def can_see_self_comparison(user, campaign_id: int, county_id: int) -> bool:
    """One county's 自查 comparison in one campaign, by the rule of `self_comparison_clause`."""
    if not _signed_in(user):
        return False
    return bool(db.session.execute(sa.select(self_comparison_clause(
        user, sa.literal(campaign_id), sa.literal(county_id)))).scalar())


def _self_answer_visible(user, attachment) -> bool:
    """A self-inspection photo: whoever may see the self-inspection."""
    from inspect_app.self_inspections.models import SelfAnswer

    answer = db.session.get(SelfAnswer, attachment.self_answer_id)
    return answer is not None and can_see_self_inspection(user, answer.self_inspection)


def scope_name(user) -> str:
    """How documents name what this user's figures cover: a county, a city, the user's inspection
    teams' counties, or the whole province."""
    if user.role in COUNTY_ROLES or user.role == Role.CITY_VIEWER:
        return user.region.name if user.region is not None else ""
    if user.role in TEAM_ROLES:
        names = db.session.execute(sa.select(Team.name).where(Team.id.in_(team_ids(user))).distinct()
                                   .order_by(Team.name)).scalars().all()
        return f"{'、'.join(names)}负责县（市、区）" if names else "所在核查组负责县（市、区）"
    return "全省"


def visible_counties(user=None) -> sa.Select:
    """SELECT of the county regions this user may see, ordered by code."""
    user = user if user is not None else current_user
    return scoped(sa.select(Region).where(Region.level == RegionLevel.COUNTY), Region.id, user) \
        .order_by(Region.code)


def can_see_county(user, county_id: int | None) -> bool:
    """Whether one county lies inside the user's scope."""
    if county_id is None:
        return False
    if user.role in PROVINCE_WIDE:
        return True
    stmt = sa.select(sa.literal(1)).select_from(Region) \
        .where(Region.id == county_id, county_clause(user, Region.id))
    return db.session.execute(stmt).first() is not None


def team_clause(user, column) -> sa.ColumnElement[bool]:
    """A WHERE clause on a team-id column: province roles see every team, team roles their own."""
    if not _signed_in(user):
        return sa.false()
    if user.role in PROVINCE_WIDE:
        return sa.true()
    if user.role in TEAM_ROLES:
        return column.in_(team_ids(user))
    return sa.false()


def campaign_clause(user, column) -> sa.ColumnElement[bool]:
    """A WHERE clause on a campaign-id column: province roles see every campaign, team roles the
    campaigns of their teams."""
    if not _signed_in(user):
        return sa.false()
    if user.role in PROVINCE_WIDE:
        return sa.true()
    if user.role in TEAM_ROLES:
        return column.in_(sa.select(Team.campaign_id).where(Team.id.in_(team_ids(user))))
    return sa.false()


def figures_campaign_clause(user, column) -> sa.ColumnElement[bool]:
    """Campaigns a user may pick on the dashboard and in the API: those of their teams, and those
    that issued a problem list to a county they may see (every one, province-wide)."""
    from inspect_app.rectification.models import ProblemList

    issued_here = sa.select(ProblemList.campaign_id).where(
        campaign_county_clause(user, ProblemList.campaign_id, ProblemList.county_id))
    return sa.or_(campaign_clause(user, column), column.in_(issued_here))


def get_campaign_or_404(model, ident):
    """A campaign the current user may see, or 404 (other teams' campaigns look non-existent)."""
    obj = db.session.get(model, ident)
    if obj is None or db.session.execute(sa.select(sa.literal(1)).where(
            campaign_clause(current_user, sa.literal(obj.id)))).first() is None:
        abort(404)
    return obj


def _region_by_code(code: str, level: RegionLevel) -> Region | None:
    """The region of one level with this 6-digit code, unscoped (callers check the scope)."""
    return db.session.execute(
        sa.select(Region).where(Region.code == code, Region.level == level)).scalar_one_or_none()


def get_city_or_404(code: str) -> Region:
    """A city by its 6-digit code, if the current user may see at least one of its counties."""
    city = _region_by_code(code, RegionLevel.CITY)
    if city is None:
        abort(404)
    if not can_see_city(current_user, city.id):
        abort(404)
    return city


# ---------------------------------------------------------------- re-checks (回头看 / 抽查复核)

def led_campaigns(user) -> sa.Select:
    """Campaigns in which the user leads a team."""
    return sa.select(Team.campaign_id).where(Team.leader_id == user.id)


def recheck_round_clause(user, round_model, sample_model) -> sa.ColumnElement[bool]:
    """Re-check rounds this user may see: every one (province roles); the rounds of their teams, and
    for a leader every round of a campaign they lead a team in (team roles); the rounds with a
    sample in their city's or county's counties (city viewers, county coordinators)."""
    if not _signed_in(user) or user.role not in ROLE_PERMISSIONS[Permission.RECHECK_VIEW]:
        return sa.false()
    if user.role in PROVINCE_WIDE:
        return sa.true()
    if user.role in TEAM_ROLES:
        mine = round_model.team_id.in_(team_ids(user))
        return sa.or_(mine, round_model.campaign_id.in_(led_campaigns(user))) \
            if user.role == Role.TEAM_LEADER else mine
    # An alias of its own: the outer query may already select from the samples table.
    inner = sa.orm.aliased(sample_model)
    return sa.exists(sa.select(sa.literal(1)).select_from(inner).where(
        inner.round_id == round_model.id, county_clause(user, inner.county_id)).correlate(round_model))


def recheck_sample_clause(user, round_model, sample_model) -> sa.ColumnElement[bool]:
    """Sampled items (and their results) this user may see, on a query joining samples to rounds:
    all of a visible round's samples for province and team roles; only their own scope's counties
    for city viewers and county coordinators (another county's results never show)."""
    rounds = recheck_round_clause(user, round_model, sample_model)
    if _signed_in(user) and (user.role in PROVINCE_WIDE or user.role in TEAM_ROLES):
        return rounds
    return sa.and_(rounds, county_clause(user, sample_model.county_id))


def can_see_recheck_round(user, round_obj) -> bool:
    """One round (see recheck_round_clause)."""
    from inspect_app.rechecks.models import RecheckRound, RecheckSample
    return db.session.execute(sa.select(sa.literal(1)).select_from(RecheckRound).where(
        RecheckRound.id == round_obj.id, recheck_round_clause(user, RecheckRound, RecheckSample))).first() is not None


def can_see_recheck_sample(user, sample) -> bool:
    """One sampled item and its result, photos included (see recheck_sample_clause)."""
    from inspect_app.rechecks.models import RecheckRound, RecheckSample
    return db.session.execute(sa.select(sa.literal(1)).select_from(RecheckSample).join(
        RecheckRound, RecheckRound.id == RecheckSample.round_id).where(
        RecheckSample.id == sample.id, recheck_sample_clause(user, RecheckRound, RecheckSample))).first() is not None


def can_record_recheck(user, round_obj) -> bool:
    """Whether the user records results in this round: a member or the leader of its team."""
    return has(user, Permission.RECHECK_RECORD) and db.session.execute(
        sa.select(sa.literal(1)).where(sa.literal(round_obj.team_id).in_(team_ids(user)))).first() is not None


def can_draw_recheck(user, campaign_id: int | None) -> bool:
    """Whether the user may draw a round of this campaign: the province admin, or a leader of one of
    the campaign's teams ("a campaign's team leader for their campaign")."""
    if campaign_id is None or not has(user, Permission.RECHECK_DRAW):
        return False
    if user.role == Role.PROVINCE_ADMIN:
        return True
    return db.session.execute(sa.select(sa.literal(1)).where(
        sa.literal(campaign_id).in_(led_campaigns(user)))).first() is not None


def recheck_campaigns_clause(user, column) -> sa.ColumnElement[bool]:
    """Campaigns the user may draw a round of (see can_draw_recheck)."""
    if not has(user, Permission.RECHECK_DRAW):
        return sa.false()
    return sa.true() if user.role == Role.PROVINCE_ADMIN else column.in_(led_campaigns(user))
def can_see_city(user, city_id: int) -> bool:
    """Whether the user may see a city: at least one of its counties lies inside their scope."""
    if user.role in PROVINCE_WIDE:
        return True
    return db.session.execute(sa.select(Region.id).where(Region.parent_id == city_id, county_clause(user, Region.id))
                              .limit(1)).first() is not None


# ---------------------------------------------------------------- what actions

def can(user, permission: Permission, county_id: int | None = None) -> bool:
    """Whether `user` may do `permission`, on `county_id`'s objects when one is given."""
    return has(user, permission) and (county_id is None or can_see_county(user, county_id))


def require(permission: Permission, county_id: int | None = None) -> None:
    """Abort 404 when the object's county is outside the scope, 403 when the role may not act."""
    if county_id is not None and not can_see_county(current_user, county_id):
        abort(404)
    if not has(current_user, permission):
        abort(403)


def get_or_404(model, ident):
    """Load a county-bound object the current user may see, or answer 404 (never 403: another
    county's objects must look non-existent). Campaign-bound objects are checked by campaign too."""
    obj = db.session.get(model, ident)
    if obj is None or not can_see_object(current_user, obj):
        abort(404)
    return obj


def get_county_or_404(code: str) -> Region:
    """A county by its 6-digit code, if the current user may see it."""
    county = _region_by_code(code, RegionLevel.COUNTY)
    if county is None or not can_see_county(current_user, county.id):
        abort(404)
    return county


# ---------------------------------------------------------------- accounts (三权分立)

def manageable_roles(actor) -> frozenset[Role]:
    """Roles whose accounts `actor` may create, edit, disable and set passwords for.

    The system administrator manages ordinary accounts only (never an admin-class one, so never
    their own class); the province administrator the same minus other province administrators;
    the security and audit administrators no accounts at all (the security administrator sets
    admin-class passwords only, see `can_set_password`).
    """
    if not _signed_in(actor):
        return frozenset()
    if actor.role == Role.SYSTEM_ADMIN:
        return frozenset(Role) - ADMIN_CLASS
    if actor.role == Role.PROVINCE_ADMIN:
        return frozenset(Role) - ADMIN_CLASS - {Role.PROVINCE_ADMIN}
    return frozenset()


def can_manage_account(actor, target) -> bool:
    """Whether `actor` may edit or disable `target`'s account (its role, scope, status)."""
    return target.role in manageable_roles(actor)


def can_set_password(actor, target) -> bool:
    """Whether `actor` may set `target`'s password: admin-class accounts only by the security
    administrator, and never one of the security administrators themselves (own class); every
    other account by whoever manages it."""
    if target.role in ADMIN_CLASS:
        return _signed_in(actor) and actor.role == Role.SECURITY_ADMIN and target.role != Role.SECURITY_ADMIN
    return can_manage_account(actor, target)


# ---------------------------------------------------------------- declaring a view's rule

def rule(requirement):
    """Declare and enforce who may call a view: PUBLIC, SIGNED_IN or a `Permission`.

    Object-level checks (which county) happen in the view through `get_or_404`/`require`, since
    only the view knows the object; the role-level check happens here before the view runs.
    """
    def decorate(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if requirement != PUBLIC:
                if not current_user.is_authenticated:
                    return current_app.login_manager.unauthorized()
                if isinstance(requirement, Permission) and not has(current_user, requirement):
                    abort(403)
            return view(*args, **kwargs)
        wrapped.access_rule = requirement
        return wrapped
    return decorate


def rule_of(view) -> object | None:
    """The declared rule of a view function (None when it has none — a bug the tests catch)."""
    return getattr(view, "access_rule", None)


def permissions_of(user) -> set[str]:
    """The permission names a user's role carries; templates use it to draw navigation."""
    return {p.value for p in ROLE_PERMISSIONS if has(user, p)}

