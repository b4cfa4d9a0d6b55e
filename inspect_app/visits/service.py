"""Business rules of site visits: which campaign a county belongs to, starting and submitting visits,
answers (idempotent upsert per visit and item) and findings.

Every record a tablet creates carries a client-generated UUID; posting the same UUID again (a retry
after a dropped connection) finds the existing row instead of creating a second one. Every state
change is audited in the same transaction. Screen data is loaded with a fixed number of queries,
whatever the number of checklist items.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

import sqlalchemy as sa
from flask import url_for
from flask_login import current_user
from sqlalchemy.orm import joinedload

from inspect_app import access, locking
from inspect_app.audit.models import AuditEvent
from inspect_app.audit.service import changes, record
from inspect_app.campaigns.models import Campaign, Team, team_counties
from inspect_app.checklists.models import ChecklistItem, ChecklistSection, checklist_item_site_kinds
from inspect_app.errors import DomainError
from inspect_app.extensions import db, utcnow
from inspect_app.idempotency import clean_uuid, create_once, new_uuid  # noqa: F401 (used by routes)
from inspect_app.media import service as media_service
from inspect_app.media.models import Attachment
from inspect_app.org.models import Region, Site, SiteKind
from inspect_app.repeats import service as repeats
from inspect_app.text import NUL_MESSAGE, clean_text, has_nul
from inspect_app.visits import positions, scoring
from inspect_app.visits.models import (AnswerResult, Answer, Finding, FindingStatus, RectificationType,
                                       Severity, SiteVisit, VisitStatus)

MSG_SUBMITTED = "该核查已提交，内容为只读；如需修改请联系组长退回"
MSG_NOT_SUBMITTED = "该核查尚未提交"
MSG_NO_CAMPAIGN = "该县目前没有分配给您所在核查组的核查任务"
MSG_NO_CHECKLIST = "该核查任务尚未指定核查表，请联系省级管理员"
MSG_UUID_TAKEN = "该编号已被其他记录使用，请刷新页面后重试"
MSG_FINDING_FROZEN = "该问题已进入问题清单，不能再修改或删除"
MSG_VISIT_NOT_FOUND = "该核查不存在或不在查看范围内"
MSG_FINDING_HAS_MERGED = "该问题已合并了其他问题，请先在问题清单中撤销合并后再删除"


# ---------------------------------------------------------------- campaigns and counties

@dataclass
class Assignment:
    """The campaign (and team) under which a county is inspected."""
    campaign: Campaign
    team_id: int


def all_assignments(user, county_ids) -> dict[int, list[Assignment]]:
    """For each county, every campaign whose team covers it — only the user's own teams for team
    roles — newest first (by start date). One query for any number of counties."""
    county_ids = list(county_ids)
    if not county_ids:
        return {}
    stmt = sa.select(team_counties.c.county_id, Team.id, Campaign) \
        .join(Team, Team.id == team_counties.c.team_id).join(Campaign, Campaign.id == Team.campaign_id) \
        .where(team_counties.c.county_id.in_(county_ids)) \
        .order_by(Campaign.start_date.desc(), Campaign.id.desc(), Team.id)
    if user.role in access.TEAM_ROLES:
        stmt = stmt.where(Team.id.in_(access.team_ids(user)))
    found: dict[int, list[Assignment]] = defaultdict(list)
    for county_id, team_id, campaign in db.session.execute(stmt):
        if not any(a.campaign.id == campaign.id for a in found[county_id]):
            found[county_id].append(Assignment(campaign, team_id))
    return found


def assignments(user, county_ids) -> dict[int, Assignment]:
    """For each county, the campaign whose team covers it — the user's own team for team roles —
    the latest by start date when several do."""
    return {county_id: found[0] for county_id, found in all_assignments(user, county_ids).items()}


def assignment_for(user, county_id: int, campaign_id: int | None = None) -> Assignment | None:
    """The county's campaign for this user: the given one (None if it does not cover the county for
    them), or the latest."""
    found = all_assignments(user, [county_id]).get(county_id, [])
    if campaign_id is None:
        return found[0] if found else None
    return next((a for a in found if a.campaign.id == campaign_id), None)


@dataclass
class CountyRow:
    county: Region
    campaign: Campaign
    sites: int = 0
    in_progress: int = 0
    submitted: int = 0
    latest: bool = True          # the county's newest campaign (older ones are listed while unfinished)


def my_counties(user) -> list[CountyRow]:
    """我的核查: the counties of the user's teams (in scope for viewers: counties any team covers),
    each under its newest campaign — and again under any older campaign that still has visits
    核查中, so unfinished work is never only reachable by URL. A constant number of queries."""
    counties = db.session.execute(
        access.visible_counties(user).where(Region.id.in_(sa.select(team_counties.c.county_id)))
    ).scalars().all()
    found = all_assignments(user, [c.id for c in counties])
    by_key = {(c.id, a.campaign.id): CountyRow(c, a.campaign, latest=(i == 0))
              for c in counties for i, a in enumerate(found.get(c.id, []))}
    if not by_key:
        return []
    county_ids = {county_id for county_id, _ in by_key}
    site_counts = dict(db.session.execute(
        sa.select(Site.county_id, sa.func.count()).where(Site.county_id.in_(county_ids), Site.active)
        .group_by(Site.county_id)).all())
    for (county_id, _), row in by_key.items():
        row.sites = site_counts.get(county_id, 0)
    for county_id, campaign_id, status, count in db.session.execute(
            sa.select(SiteVisit.county_id, SiteVisit.campaign_id, SiteVisit.status, sa.func.count())
            .where(SiteVisit.county_id.in_(county_ids)).group_by(SiteVisit.county_id, SiteVisit.campaign_id,
                                                                 SiteVisit.status)):
        row = by_key.get((county_id, campaign_id))
        if row is None:
            continue
        if status == VisitStatus.SUBMITTED:
            row.submitted += count
        else:
            row.in_progress += count
    rows = [row for row in by_key.values() if row.latest or row.in_progress]
    return sorted(rows, key=lambda r: (not r.latest, r.county.code, -r.campaign.id))


@dataclass
class SiteRow:
    site: Site
    visit: SiteVisit | None
    answered: int
    total: int

    @property
    def status_label(self) -> str:
        if self.visit is None:
            return "未开始"
        if self.visit.status == VisitStatus.SUBMITTED:
            score = stored_score(self.visit)
            if score is None or score.percent is None:
                return "已提交"
            return f"已提交 · {score.percent:.1f} 分" + (" · 一票否决" if score.veto else "")
        return f"核查中 {self.answered}/{self.total}"

    @property
    def status_class(self) -> str:
        if self.visit is None:
            return "todo"
        return "done" if self.visit.status == VisitStatus.SUBMITTED else "doing"


def item_counts_by_kind(version_id: int | None) -> dict[int, int]:
    """How many items of a checklist version apply to each site kind."""
    if version_id is None:
        return {}
    stmt = sa.select(checklist_item_site_kinds.c.site_kind_id, sa.func.count()) \
        .join(ChecklistItem, ChecklistItem.id == checklist_item_site_kinds.c.item_id) \
        .where(ChecklistItem.version_id == version_id).group_by(checklist_item_site_kinds.c.site_kind_id)
    return dict(db.session.execute(stmt).all())


def answered_counts(visit_ids) -> dict[int, int]:
    visit_ids = list(visit_ids)
    if not visit_ids:
        return {}
    stmt = sa.select(Answer.visit_id, sa.func.count()).where(
        Answer.visit_id.in_(visit_ids), Answer.result.is_not(None)).group_by(Answer.visit_id)
    return dict(db.session.execute(stmt).all())


def county_sites(county: Region, assignment: Assignment) -> list[tuple[str, list[SiteRow]]]:
    """The county's active sites grouped by kind (一办六部, 六大远程中心, 医疗卫生机构, 政府部门), each
    with its kind, its visit in this campaign and its progress. A constant number of queries."""
    sites = db.session.execute(
        sa.select(Site).options(joinedload(Site.kind)).join(SiteKind, SiteKind.id == Site.kind_id)
        .where(Site.county_id == county.id, Site.active).order_by(SiteKind.sort_order, Site.name)
    ).scalars().all()
    visits = {v.site_id: v for v in db.session.execute(
        sa.select(SiteVisit).where(SiteVisit.county_id == county.id,
                                   SiteVisit.campaign_id == assignment.campaign.id)
        .order_by(SiteVisit.id)).scalars()}
    # A visit keeps the version it was answered against; one count query per version in use.
    totals = {version_id: item_counts_by_kind(version_id) for version_id in
              {assignment.campaign.checklist_version_id} | {v.checklist_version_id for v in visits.values()}}
    answered = answered_counts(v.id for v in visits.values())
    groups: dict[str, tuple[str, list[SiteRow]]] = {}
    for site in sites:
        visit = visits.get(site.id)
        version_id = visit.checklist_version_id if visit else assignment.campaign.checklist_version_id
        row = SiteRow(site, visit, answered.get(visit.id, 0) if visit else 0, totals[version_id].get(site.kind_id, 0))
        groups.setdefault(site.kind.group.value, (site.kind.group.label, []))[1].append(row)
    return list(groups.values())


def offline_bundle(county: Region, assignment: Assignment) -> dict:
    """What a tablet keeps for working in a county offline (离线准备), JSON-ready:

    ``{"county": {"code", "name"}, "campaign": {"id", "name", "checklist_version_id"},
    "sites": [{"id", "name", "kind", "visit_id" | None, "status"}], "pages": [URL path, …]}``.
    The pages are the ones a visit needs: 我的核查, the county's sites, the screen of every visit
    already started there in this campaign and, for every site not started yet, its blank visit
    screen (prepared_visit), so that a site can be started and answered offline (offline.js keeps
    them for the service worker). A constant number of queries (county_sites).
    """
    sites, pages = [], [url_for("visits.index"), url_for("visits.county", code=county.code)]
    for _label, rows in county_sites(county, assignment):
        for row in rows:
            sites.append({"id": row.site.id, "name": row.site.name, "kind": row.site.kind.name,
                          "visit_id": row.visit.id if row.visit else None, "status": row.status_label})
            if row.visit is not None:
                pages.append(url_for("visits.show", visit_id=row.visit.id))
            elif campaign_has_checklist(assignment):
                pages.append(url_for("visits.prepared", site_id=row.site.id))
    campaign = assignment.campaign
    return {"county": {"code": county.code, "name": county.name},
            "campaign": {"id": campaign.id, "name": campaign.name,
                         "checklist_version_id": campaign.checklist_version_id},
            "sites": sites, "pages": pages}


def campaign_has_checklist(assignment: Assignment) -> bool:
    return assignment.campaign.checklist_version_id is not None


# The id a not yet started visit's screen uses in its URLs (`/visits/-<site id>/…`): never a row's
# id, so nothing posted to it can land anywhere; offline.js replaces it with the id the server gives
# the visit when the queued start is sent.
def placeholder_visit_id(site: Site) -> int:
    return -site.id


def prepared_visit(user, site: Site, assignment: Assignment) -> SiteVisit:
    """The visit screen of a site nobody has started yet in this campaign, for 离线准备: a transient
    SiteVisit (never added to the session) with the placeholder id, the campaign's checklist
    version and no answers, rendered by the visit screen like a just-started visit.

    Raises DomainError (409) when the campaign has no checklist yet. The caller has checked the
    site's county and the user's team (assignment_for)."""
    if not campaign_has_checklist(assignment):
        raise DomainError(MSG_NO_CHECKLIST, status=409)
    return SiteVisit(id=placeholder_visit_id(site), uuid="", campaign_id=assignment.campaign.id,
                     campaign=assignment.campaign, team_id=assignment.team_id, site_id=site.id, site=site,
                     county_id=site.county_id, checklist_version_id=assignment.campaign.checklist_version_id,
                     inspector_id=user.id, inspector=user, status=VisitStatus.IN_PROGRESS, started_at=None)


def started_visit(site: Site, assignment: Assignment) -> SiteVisit | None:
    """The site's visit in the assignment's campaign, if someone has started it."""
    return db.session.execute(sa.select(SiteVisit).where(
        SiteVisit.site_id == site.id, SiteVisit.campaign_id == assignment.campaign.id)).scalar_one_or_none()


# ---------------------------------------------------------------- visits

def start_visit(user, site: Site, assignment: Assignment, client_uuid: str, *, lat=None, lon=None,
                accuracy=None) -> tuple[SiteVisit, bool]:
    """Start (or resume) the visit of a site in the county's campaign; returns (visit, created).

    A site has one visit per campaign (a unique constraint), so a second tablet starting the same
    site — also at the same moment — joins the existing visit; the same client UUID returns the
    visit it created. A UUID already used for another site is refused (409).
    """
    def find() -> SiteVisit | None:
        existing = db.session.execute(sa.select(SiteVisit).where(SiteVisit.uuid == client_uuid)).scalar_one_or_none()
        if existing is not None:
            if existing.site_id != site.id:
                raise DomainError(MSG_UUID_TAKEN, status=409)
            return existing
        return db.session.execute(sa.select(SiteVisit).where(
            SiteVisit.site_id == site.id, SiteVisit.campaign_id == assignment.campaign.id)).scalar_one_or_none()

    def create() -> SiteVisit:
        if assignment.campaign.checklist_version_id is None:
            raise DomainError(MSG_NO_CHECKLIST, status=409)
        visit = SiteVisit(uuid=client_uuid, campaign_id=assignment.campaign.id, team_id=assignment.team_id,
                          site_id=site.id, county_id=site.county_id,
                          checklist_version_id=assignment.campaign.checklist_version_id, inspector_id=user.id,
                          status=VisitStatus.IN_PROGRESS, started_at=utcnow(),
                          gps_lat=_coordinate(lat, 90), gps_lon=_coordinate(lon, 180),
                          gps_accuracy=_coordinate(accuracy, 1e7, allow_negative=False))
        db.session.add(visit)
        db.session.flush()
        record("visit.start", user=user, obj=visit, label=site.name,
               after={"site": site.name, "gps_lat": visit.gps_lat, "gps_lon": visit.gps_lon})
        db.session.commit()
        return visit

    return create_once(find, create)


def _coordinate(value, limit, allow_negative=True):
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    if number != number or abs(number) > limit or (not allow_negative and number < 0):
        return None
    return number


def _items_stmt(visit: SiteVisit, kind_id: int):
    return sa.select(ChecklistItem).join(
        checklist_item_site_kinds, checklist_item_site_kinds.c.item_id == ChecklistItem.id
    ).where(ChecklistItem.version_id == visit.checklist_version_id,
            checklist_item_site_kinds.c.site_kind_id == kind_id)


@dataclass
class ItemRow:
    item: ChecklistItem
    answer: Answer | None
    findings: list[Finding] = field(default_factory=list)
    photos: list[Attachment] = field(default_factory=list)

    @property
    def missing_photo(self) -> bool:
        return self.item.photo_required and not self.photos and not any(f.photo_count for f in self.findings)


@dataclass
class VisitScreen:
    """Everything the visit screen shows, loaded in a fixed number of queries."""
    visit: SiteVisit
    sections: list[tuple[ChecklistSection, list[ItemRow]]]
    free_findings: list[Finding]
    answered: int
    total: int
    photos_by_finding: dict[int, list[Attachment]]

    @property
    def rows(self):
        return [row for _, rows in self.sections for row in rows]

    @property
    def finding_count(self) -> int:
        return sum(len(row.findings) for row in self.rows) + len(self.free_findings)

    @property
    def unanswered(self) -> int:
        return self.total - self.answered

    @property
    def missing_photos(self) -> list[ItemRow]:
        return [row for row in self.rows if row.missing_photo]

    @property
    def unanswered_rows(self) -> list[ItemRow]:
        return [row for row in self.rows if row.answer is None or row.answer.result is None]

    @property
    def gaps(self) -> list["Gap"]:
        """What submitting needs a reason for: each unanswered item, each required photo missing."""
        return [Gap(row.item, "unanswered") for row in self.unanswered_rows] + \
            [Gap(row.item, "photo") for row in self.missing_photos]

    @property
    def score(self) -> scoring.Score:
        """The visit's score as answered now (visits.scoring)."""
        return scoring.score([scoring.ScoredItem(row.item.code, row.item.weight, row.item.veto,
                                                 row.answer.result if row.answer else None)
                              for row in self.rows])


@dataclass(frozen=True)
class Gap:
    """An item a visit is submitted without: kind "unanswered" (未作答) or "photo" (缺少照片)."""
    item: ChecklistItem
    kind: str

    @property
    def field(self) -> str:
        """The form field of its reason on the submit page."""
        return f"reason-{self.kind}-{self.item.id}"

    @property
    def label(self) -> str:
        return {"unanswered": "未作答", "photo": "缺少照片"}[self.kind]


def load_visit(visit_id: int) -> SiteVisit:
    """The visit with its site, kind, county and inspector (404 outside the user's scope)."""
    visit = db.session.execute(
        sa.select(SiteVisit).options(joinedload(SiteVisit.site).joinedload(Site.kind),
                                     joinedload(SiteVisit.site).joinedload(Site.county),
                                     joinedload(SiteVisit.inspector))
        .where(SiteVisit.id == visit_id)).scalar_one_or_none()
    if visit is None or not access.can_see_object(current_user, visit):   # county, and the team's campaign
        raise DomainError(MSG_VISIT_NOT_FOUND, status=404)
    return visit


def visit_screen(visit: SiteVisit) -> VisitScreen:
    """Sections and items applying to the site's kind, with answers, findings and photos."""
    items = db.session.execute(
        _items_stmt(visit, visit.site.kind_id).options(joinedload(ChecklistItem.section))
        .join(ChecklistSection, ChecklistSection.id == ChecklistItem.section_id)
        .order_by(ChecklistSection.position, ChecklistItem.position, ChecklistItem.id)
    ).scalars().all()
    answers = {a.item_id: a for a in db.session.execute(
        sa.select(Answer).where(Answer.visit_id == visit.id)).scalars()}
    findings = db.session.execute(sa.select(Finding).where(Finding.visit_id == visit.id)
                                  .order_by(Finding.created_at, Finding.id)).scalars().all()
    photos = _photos_for(findings, answers.values())
    photos_by_finding: dict[int, list[Attachment]] = defaultdict(list)
    photos_by_answer: dict[int, list[Attachment]] = defaultdict(list)
    for photo in photos:
        if photo.finding_id is not None:
            photos_by_finding[photo.finding_id].append(photo)
        elif photo.answer_id is not None:
            photos_by_answer[photo.answer_id].append(photo)
    for finding in findings:
        finding.photo_count = len(photos_by_finding.get(finding.id, []))
    findings_by_item = defaultdict(list)
    free = []
    for finding in findings:
        (findings_by_item[finding.item_id] if finding.item_id else free).append(finding)
    sections: dict[int, tuple[ChecklistSection, list[ItemRow]]] = {}
    answered = 0
    for item in items:
        answer = answers.get(item.id)
        if answer is not None and answer.result is not None:
            answered += 1
        row = ItemRow(item, answer, findings_by_item.get(item.id, []),
                      photos_by_answer.get(answer.id, []) if answer else [])
        sections.setdefault(item.section_id, (item.section, []))[1].append(row)
    return VisitScreen(visit, list(sections.values()), free, answered, len(items), photos_by_finding)


def _photos_for(findings, answers) -> list[Attachment]:
    finding_ids = [f.id for f in findings]
    answer_ids = [a.id for a in answers]
    if not finding_ids and not answer_ids:
        return []
    return db.session.execute(sa.select(Attachment).where(sa.or_(
        Attachment.finding_id.in_(finding_ids), Attachment.answer_id.in_(answer_ids)))
        .order_by(Attachment.uploaded_at, Attachment.id)).scalars().all()


def progress(visit: SiteVisit) -> tuple[int, int]:
    """(answered, total) for the visit's site kind."""
    total = db.session.execute(sa.select(sa.func.count()).select_from(
        _items_stmt(visit, visit.site.kind_id).subquery())).scalar_one()
    return answered_counts([visit.id]).get(visit.id, 0), total


def applicable_item(visit: SiteVisit, item_id: int) -> ChecklistItem | None:
    """The checklist item if it belongs to the visit's version and applies to the site's kind."""
    return db.session.execute(_items_stmt(visit, visit.site.kind_id).options(joinedload(ChecklistItem.section))
                              .where(ChecklistItem.id == item_id)).scalar_one_or_none()


def answer_of(visit: SiteVisit, item: ChecklistItem) -> Answer | None:
    """The visit's answer row for one item, if there is one yet."""
    return db.session.execute(sa.select(Answer).where(Answer.visit_id == visit.id,
                                                      Answer.item_id == item.id)).scalar_one_or_none()


def ensure_editable(visit: SiteVisit) -> None:
    if visit.status == VisitStatus.SUBMITTED:
        raise DomainError(MSG_SUBMITTED, status=409)


def _answer_once(visit: SiteVisit, item: ChecklistItem, client_uuid: str, result: AnswerResult | None,
                 note: str, user) -> tuple[Answer, bool]:
    """The item's answer row: (existing row, False), or (row created with these values, True).
    One row per (visit, item) is a unique constraint, so a racing second create finds the first."""
    def find() -> Answer | None:
        # By UUID first: a twin that commits between the two reads is then found by the second.
        same = db.session.execute(sa.select(Answer).where(Answer.uuid == client_uuid)).scalar_one_or_none()
        if same is not None and (same.visit_id, same.item_id) != (visit.id, item.id):
            raise DomainError(MSG_UUID_TAKEN, status=409)
        return same or answer_of(visit, item)

    def create() -> Answer:
        ensure_editable(visit)
        answer = Answer(uuid=client_uuid, visit_id=visit.id, item_id=item.id, result=result, note=note,
                        answered_by_id=user.id, updated_at=utcnow())
        db.session.add(answer)
        db.session.flush()
        record("answer.save", user=user, obj=answer, county_id=visit.county_id, label=item.code,
               after={"result": result, "note": note})
        db.session.commit()
        return answer

    return create_once(find, create)


def save_answer(visit: SiteVisit, item: ChecklistItem, client_uuid: str, result: AnswerResult | None,
                note: str, user) -> tuple[Answer, bool]:
    """Upsert the answer of one item; returns (answer, changed).

    One row per (visit, item): the first save creates it with the client's UUID, later saves update
    it — also a save that raced the first one and lost (it updates the winner's row, as if it had
    come second). Saving what is already stored changes nothing (no write, no audit), so a retried
    request gets the same answer back.
    """
    ensure_editable(visit)
    answer, created = _answer_once(visit, item, client_uuid, result, note, user)
    if created:
        return answer, True
    before, after = changes(answer, ["result", "note"], {"result": result, "note": note})
    if not after:
        return answer, False
    answer.result, answer.note = result, note
    answer.answered_by_id = user.id
    answer.updated_at = utcnow()
    record("answer.save", user=user, obj=answer, county_id=visit.county_id, label=item.code, before=before, after=after)
    db.session.commit()
    return answer, True


def ensure_answer(visit: SiteVisit, item: ChecklistItem, client_uuid: str, user) -> Answer:
    """The item's answer row, created empty when an item photo comes before any result. An answer
    saved meanwhile (also at the same moment) is returned as it is, never emptied."""
    answer, _created = _answer_once(visit, item, client_uuid, None, "", user)
    return answer


REASON_MAX = 200
MSG_REASON_MISSING = "请说明原因：{label}"
MSG_REASON_LONG = "原因不超过 200 字"


def _gap_reasons(screen: VisitScreen, reasons: dict[str, str] | None) -> tuple[list[dict], dict[str, str]]:
    """The cleaned reasons given for the screen's gaps (as kept with the visit), and {field: message}
    for each gap whose reason is missing, too long or not text."""
    reasons = reasons or {}
    errors: dict[str, str] = {}
    kept = []
    for gap in screen.gaps:
        reason = (clean_text(reasons.get(gap.field) or "", multiline=True)).strip()  # the text rule
        if has_nul(reason):
            errors[gap.field] = NUL_MESSAGE
        elif not reason:
            errors[gap.field] = MSG_REASON_MISSING.format(label=gap.label)
        elif len(reason) > REASON_MAX:
            errors[gap.field] = MSG_REASON_LONG
        else:
            kept.append({"item_id": gap.item.id, "code": gap.item.code, "kind": gap.kind, "reason": reason})
    return kept, errors


def reason_errors(visit: SiteVisit, reasons: dict[str, str] | None) -> dict[str, str]:
    """{field: message} for each gap of `visit` whose reason in `reasons` would refuse the submit
    (what the confirmation shows under each item after submit_visit refused with 422)."""
    return _gap_reasons(visit_screen(visit), reasons)[1]


def submit_visit(visit: SiteVisit, user, reasons: dict[str, str] | None = None) -> bool:
    """Submit a visit: from now on read-only to inspectors, its score fixed (visits.scoring).

    `reasons` maps each gap's field name (`Gap.field`) to the inspector's reason; every unanswered
    item and every 需拍照 item without a photo needs one (issue: required answers), kept with the
    visit and in the audit trail. Returns False when already submitted (a retried submit changes
    nothing). Raises DomainError(422, `field` the first gap's) when a reason is missing or too long
    (reason_errors gives every gap's message); nothing is saved then."""
    if visit.status == VisitStatus.SUBMITTED:
        return False
    ensure_editable(visit)
    screen = visit_screen(visit)
    kept, errors = _gap_reasons(screen, reasons)
    if errors:
        raise DomainError(f"还有 {len(errors)} 项需要说明原因后才能提交", field=next(iter(errors)))
    score = screen.score
    visit.status = VisitStatus.SUBMITTED
    visit.submitted_at = utcnow()
    visit.score_points, visit.score_possible = score.points, score.possible
    visit.veto_codes = ",".join(score.vetoed)
    visit.submit_reasons = kept
    record("visit.submit", user=user, obj=visit, label=visit.site.name, before={"status": VisitStatus.IN_PROGRESS},
           after={"status": VisitStatus.SUBMITTED, "answered": screen.answered, "total": screen.total,
                  "score": score.percent, "veto": visit.veto_codes, "reasons": kept})
    # A site without a position takes the median GPS of this, its first submitted visit's photos.
    positions.place_site_from_visit(visit, user)
    db.session.commit()
    return True


def stored_score(visit: SiteVisit) -> scoring.Score | None:
    """The score fixed when the visit was submitted (None before the first submit)."""
    if visit.score_possible is None:
        return None
    return scoring.Score(visit.score_points or 0.0, visit.score_possible,
                         vetoed=[c for c in (visit.veto_codes or "").split(",") if c])


def submitted_visit_count(campaign_id: int, county_id: int) -> int:
    """How many of a county's visits in a campaign are submitted (and so scored)."""
    return db.session.execute(sa.select(sa.func.count()).select_from(SiteVisit).where(
        SiteVisit.campaign_id == campaign_id, SiteVisit.county_id == county_id,
        SiteVisit.status == VisitStatus.SUBMITTED)).scalar_one()


def county_scores(campaign_id: int, county_ids) -> dict[int, scoring.Score]:
    """Each county's campaign score: the submitted visits' points added up (visits.scoring.combine).
    One query for any number of counties; counties without a submitted visit are absent."""
    county_ids = list(county_ids)
    if not county_ids:
        return {}
    rows = db.session.execute(
        sa.select(SiteVisit.county_id, SiteVisit.score_points, SiteVisit.score_possible, SiteVisit.veto_codes)
        .where(SiteVisit.campaign_id == campaign_id, SiteVisit.county_id.in_(county_ids),
               SiteVisit.status == VisitStatus.SUBMITTED, SiteVisit.score_possible.is_not(None)))
    found: dict[int, scoring.Score] = {}
    for county_id, points, possible, vetoes in rows:
        one = scoring.Score(points or 0.0, possible, vetoed=[c for c in (vetoes or "").split(",") if c])
        found[county_id] = found[county_id] + one if county_id in found else one
    return found


def reopen_visit(visit: SiteVisit, user) -> None:
    """The team leader (or province admin) reopens a submitted visit for correction."""
    if visit.status != VisitStatus.SUBMITTED:
        raise DomainError(MSG_NOT_SUBMITTED, status=409)
    visit.status = VisitStatus.IN_PROGRESS
    visit.reopen_count = (visit.reopen_count or 0) + 1
    record("visit.reopen", user=user, obj=visit, label=visit.site.name, before={"status": VisitStatus.SUBMITTED},
           after={"status": VisitStatus.IN_PROGRESS, "reopen_count": visit.reopen_count})
    db.session.commit()


# ---------------------------------------------------------------- findings

def finding_defaults(item: ChecklistItem | None, answer: Answer | None, note: str | None = None) -> dict:
    """Prefill of a finding form: description from item content + the answer's note, category =
    section title, severity 一般, type 限期整改 (the deadline is set at issue, from the issue day)."""
    description = ""
    if item is not None:
        description = item.content
        note = (note if note is not None else (answer.note if answer is not None else "")).strip()
        if note:
            description = f"{item.content}（{note}）"
    rtype = RectificationType.DEADLINE
    return {"description": description, "category": item.section.title if item is not None else "",
            "severity": Severity.GENERAL.value, "rectification_type": rtype.value, "suggested_measures": ""}


FINDING_FIELDS = ["description", "category", "severity", "rectification_type", "suggested_measures"]


def create_finding(visit: SiteVisit, values: dict, client_uuid: str, user, item: ChecklistItem | None = None
                   ) -> tuple[Finding, bool]:
    """Record a finding at the visit's site, from an item's answer or free-standing.

    Idempotent on the client UUID, also for retries racing each other: a retry returns the finding
    it created. A UUID already used in another visit is refused (409)."""
    def find() -> Finding | None:
        existing = db.session.execute(sa.select(Finding).where(Finding.uuid == client_uuid)).scalar_one_or_none()
        if existing is not None and existing.visit_id != visit.id:
            raise DomainError(MSG_UUID_TAKEN, status=409)
        return existing

    def create() -> Finding:
        ensure_editable(visit)
        answer = answer_of(visit, item) if item is not None else None
        finding = Finding(uuid=client_uuid, campaign_id=visit.campaign_id, county_id=visit.county_id,
                          site_id=visit.site_id, visit_id=visit.id, item_id=item.id if item else None,
                          answer_id=answer.id if answer else None, created_by_id=user.id,
                          status=FindingStatus.DRAFT, **values)
        db.session.add(finding)
        db.session.flush()
        record("finding.create", user=user, obj=finding, label=finding.description[:60],
               after={k: getattr(finding, k) for k in FINDING_FIELDS})
        repeats.link_automatically(finding, user)    # 屡查屡犯: an earlier campaign's same problem
        db.session.commit()
        return finding

    return create_once(find, create)


def ensure_finding_editable(finding: Finding) -> None:
    if finding.status != FindingStatus.DRAFT:
        raise DomainError(MSG_FINDING_FROZEN, status=409)
    if finding.visit is not None:
        ensure_editable(finding.visit)


def update_finding(finding: Finding, values: dict, user, version: int | None) -> bool:
    """Edit a draft finding of a visit that is not submitted; returns whether anything changed.

    `version` is the one the edit form was drawn from: a save over a newer one raises
    locking.EditConflict (409; 422 without a version) and writes nothing.
    """
    ensure_finding_editable(finding)
    before, after = changes(finding, FINDING_FIELDS, values)
    if not after:
        return False
    locking.claim(finding, version)
    for key, value in after.items():
        setattr(finding, key, value)
    record("finding.update", user=user, obj=finding, label=finding.description[:60], before=before, after=after)
    db.session.commit()
    return True


def delete_finding(finding: Finding, user, version: int | None = None) -> list[str]:
    """Delete a draft finding with its photo rows; after the commit, remove the photo files no other
    row refers to (content-addressed: the same picture may belong to another finding). Returns the
    storage keys removed. A finding that others were merged into is refused: the problem list must
    undo the merge first, or their photos and wording would go with it.

    `version`, when given (the card the delete was tapped on, e.g. a delete queued offline), must
    still be the saved one: someone's edit since raises locking.EditConflict (409) and nothing is
    deleted — the user decides again on the current text."""
    ensure_finding_editable(finding)
    if version is not None:
        locking.claim(finding, version)
    if db.session.execute(sa.select(Finding.id).where(Finding.merged_into_id == finding.id).limit(1)).first():
        raise DomainError(MSG_FINDING_HAS_MERGED, status=409)
    photos = db.session.execute(sa.select(Attachment).where(Attachment.finding_id == finding.id)).scalars().all()
    keys = {getattr(photo, column.name) for photo in photos for column in media_service.key_columns()}
    record("finding.delete", user=user, obj=finding, label=finding.description[:60],
           before={k: getattr(finding, k) for k in FINDING_FIELDS}
           | {"photos": [photo.sha256 for photo in photos], "visit_id": finding.visit_id})
    db.session.execute(sa.delete(Attachment).where(Attachment.finding_id == finding.id))
    db.session.delete(finding)
    db.session.commit()
    return media_service.discard_files(keys)


def deleted_finding_visit(finding_id: int, user) -> int | None:
    """The visit of a finding that was deleted (its audit event), if the user may see that visit's
    campaign and county — so that a delete sent twice (a queued delete replayed after its answer was
    lost) is answered as done, not 404. None when no such deletion is on record for this user."""
    event = db.session.execute(
        sa.select(AuditEvent).where(AuditEvent.action == "finding.delete", AuditEvent.object_type == "Finding",
                                    AuditEvent.object_id == str(finding_id))
        .order_by(AuditEvent.id.desc()).limit(1)).scalar_one_or_none()
    before = event.before if event is not None and isinstance(event.before, dict) else {}
    visit = db.session.get(SiteVisit, before.get("visit_id")) if before.get("visit_id") else None
    if visit is None or not access.can_see_campaign_county(user, visit.campaign_id, visit.county_id):
        return None
    return visit.id


def finding_photos(finding: Finding) -> list[Attachment]:
    return db.session.execute(sa.select(Attachment).where(Attachment.finding_id == finding.id)
                              .order_by(Attachment.uploaded_at, Attachment.id)).scalars().all()


def can_record(user, visit: SiteVisit) -> bool:
    """May this user change the visit now (record role in scope — the county in one of their teams'
    campaigns, that of the visit — and the visit not submitted)?"""
    return visit.status != VisitStatus.SUBMITTED and access.has(user, access.Permission.VISIT_RECORD) \
        and access.can_see_campaign_county(user, visit.campaign_id, visit.county_id)
