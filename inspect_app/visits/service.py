"""Business rules of site visits: which campaign a county belongs to, starting and submitting visits,
answers (idempotent upsert per visit and item) and findings.

Every record a tablet creates carries a client-generated UUID; posting the same UUID again (a retry
after a dropped connection) finds the existing row instead of creating a second one. Every state
change is audited in the same transaction. Screen data is loaded with a fixed number of queries,
whatever the number of checklist items.
"""
from __future__ import annotations

import uuid as uuid_module
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

import sqlalchemy as sa
from flask import abort, url_for
from flask_login import current_user
from sqlalchemy.orm import joinedload

from inspect_app import access
from inspect_app.audit.service import changes, record
from inspect_app.campaigns.models import Campaign, Team, team_counties
from inspect_app.checklists.models import ChecklistItem, ChecklistSection, checklist_item_site_kinds
from inspect_app.documents.dates import today_china
from inspect_app.extensions import db, utcnow
from inspect_app.media.models import Attachment
from inspect_app.org.models import Region, Site, SiteKind
from inspect_app.rectification.lifecycle import default_deadline
from inspect_app.visits.models import (AnswerResult, Answer, Finding, FindingStatus, RectificationType,
                                       Severity, SiteVisit, VisitStatus)

MSG_SUBMITTED = "该核查已提交，内容为只读；如需修改请联系组长退回"
MSG_NOT_SUBMITTED = "该核查尚未提交"
MSG_NO_CAMPAIGN = "该县目前没有分配给您所在核查组的核查任务"
MSG_NO_CHECKLIST = "该核查任务尚未指定核查表，请联系省级管理员"
MSG_UUID_TAKEN = "该编号已被其他记录使用，请刷新页面后重试"
MSG_FINDING_FROZEN = "该问题已进入问题清单，不能再修改或删除"


class VisitError(Exception):
    """A refused visit operation; ``message`` is Chinese and shown as-is, ``status`` is the HTTP code."""

    def __init__(self, message: str, status: int = 409):
        super().__init__(message)
        self.message = message
        self.status = status


def new_uuid() -> str:
    """A server-side UUID for clients without JavaScript."""
    return str(uuid_module.uuid4())


def clean_uuid(value: str | None) -> str | None:
    """The canonical form of a client UUID, or None when it is not a UUID."""
    try:
        return str(uuid_module.UUID(str(value or "").strip()))
    except ValueError:
        return None


# ---------------------------------------------------------------- campaigns and counties

@dataclass
class Assignment:
    """The campaign (and team) under which a county is inspected."""
    campaign: Campaign
    team_id: int


def assignments(user, county_ids) -> dict[int, Assignment]:
    """For each county, the campaign whose team covers it — the user's own team for team roles —
    the latest by start date when several do. One query for any number of counties."""
    county_ids = list(county_ids)
    if not county_ids:
        return {}
    stmt = sa.select(team_counties.c.county_id, Team.id, Campaign) \
        .join(Team, Team.id == team_counties.c.team_id).join(Campaign, Campaign.id == Team.campaign_id) \
        .where(team_counties.c.county_id.in_(county_ids)) \
        .order_by(Campaign.start_date.desc(), Campaign.id.desc(), Team.id)
    if user.role in access.TEAM_ROLES:
        stmt = stmt.where(Team.id.in_(access.team_ids(user)))
    found: dict[int, Assignment] = {}
    for county_id, team_id, campaign in db.session.execute(stmt):
        found.setdefault(county_id, Assignment(campaign, team_id))
    return found


def assignment_for(user, county_id: int) -> Assignment | None:
    return assignments(user, [county_id]).get(county_id)


@dataclass
class CountyRow:
    county: Region
    campaign: Campaign
    sites: int = 0
    in_progress: int = 0
    submitted: int = 0


def my_counties(user) -> list[CountyRow]:
    """The counties of the user's teams (in scope for viewers: counties any team covers), each with
    its site count and visit counts. A constant number of queries."""
    counties = db.session.execute(
        access.visible_counties(user).where(Region.id.in_(sa.select(team_counties.c.county_id)))
    ).scalars().all()
    found = assignments(user, [c.id for c in counties])
    rows = [CountyRow(c, found[c.id].campaign) for c in counties if c.id in found]
    if not rows:
        return rows
    by_id = {r.county.id: r for r in rows}
    for county_id, count in db.session.execute(
            sa.select(Site.county_id, sa.func.count()).where(Site.county_id.in_(by_id), Site.active)
            .group_by(Site.county_id)):
        by_id[county_id].sites = count
    for county_id, campaign_id, status, count in db.session.execute(
            sa.select(SiteVisit.county_id, SiteVisit.campaign_id, SiteVisit.status, sa.func.count())
            .where(SiteVisit.county_id.in_(by_id)).group_by(SiteVisit.county_id, SiteVisit.campaign_id,
                                                            SiteVisit.status)):
        row = by_id[county_id]
        if campaign_id == row.campaign.id:
            if status == VisitStatus.SUBMITTED:
                row.submitted += count
            else:
                row.in_progress += count
    return rows


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
            return "已提交"
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
    The pages are the ones a visit needs: 我的核查, the county's sites and the screen of every visit
    already started there in this campaign (offline.js keeps them for the service worker). A constant
    number of queries (county_sites).
    """
    sites, pages = [], [url_for("visits.index"), url_for("visits.county", code=county.code)]
    for _label, rows in county_sites(county, assignment):
        for row in rows:
            sites.append({"id": row.site.id, "name": row.site.name, "kind": row.site.kind.name,
                          "visit_id": row.visit.id if row.visit else None, "status": row.status_label})
            if row.visit is not None:
                pages.append(url_for("visits.show", visit_id=row.visit.id))
    campaign = assignment.campaign
    return {"county": {"code": county.code, "name": county.name},
            "campaign": {"id": campaign.id, "name": campaign.name,
                         "checklist_version_id": campaign.checklist_version_id},
            "sites": sites, "pages": pages}


# ---------------------------------------------------------------- visits

def start_visit(user, site: Site, assignment: Assignment, client_uuid: str, *, lat=None, lon=None,
                accuracy=None) -> tuple[SiteVisit, bool]:
    """Start (or resume) the visit of a site in the county's campaign; returns (visit, created).

    Idempotent: the same client UUID returns the visit it created, and a site has one visit per
    campaign, so a second tablet starting the same site joins the existing visit.
    """
    existing = db.session.execute(sa.select(SiteVisit).where(SiteVisit.uuid == client_uuid)).scalar_one_or_none()
    if existing is not None:
        if existing.site_id != site.id:
            raise VisitError(MSG_UUID_TAKEN)
        return existing, False
    existing = db.session.execute(sa.select(SiteVisit).where(
        SiteVisit.site_id == site.id, SiteVisit.campaign_id == assignment.campaign.id)).scalar_one_or_none()
    if existing is not None:
        return existing, False
    if assignment.campaign.checklist_version_id is None:
        raise VisitError(MSG_NO_CHECKLIST)
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
    return visit, True


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


def load_visit(visit_id: int) -> SiteVisit:
    """The visit with its site, kind, county and inspector (404 outside the user's scope)."""
    visit = db.session.execute(
        sa.select(SiteVisit).options(joinedload(SiteVisit.site).joinedload(Site.kind),
                                     joinedload(SiteVisit.site).joinedload(Site.county),
                                     joinedload(SiteVisit.inspector))
        .where(SiteVisit.id == visit_id)).scalar_one_or_none()
    if visit is None or not access.can_see_county(current_user, visit.county_id):
        abort(404)
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
        raise VisitError(MSG_SUBMITTED)


def save_answer(visit: SiteVisit, item: ChecklistItem, client_uuid: str, result: AnswerResult | None,
                note: str, user) -> tuple[Answer, bool]:
    """Upsert the answer of one item; returns (answer, changed).

    One row per (visit, item): the first save creates it with the client's UUID, later saves update
    it. Saving what is already stored changes nothing (no write, no audit), so a retried request
    gets the same answer back.
    """
    ensure_editable(visit)
    answer = answer_of(visit, item)
    if answer is None:
        taken = db.session.execute(sa.select(Answer.id).where(Answer.uuid == client_uuid)).first()
        if taken:
            raise VisitError(MSG_UUID_TAKEN)
        answer = Answer(uuid=client_uuid, visit_id=visit.id, item_id=item.id, result=result, note=note,
                        answered_by_id=user.id, updated_at=utcnow())
        db.session.add(answer)
        db.session.flush()
        record("answer.save", user=user, obj=answer, county_id=visit.county_id, label=item.code,
               after={"result": result, "note": note})
        db.session.commit()
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
    """The item's answer row, created empty when an item photo comes before any result."""
    answer = answer_of(visit, item)
    if answer is not None:
        return answer
    answer, _ = save_answer(visit, item, client_uuid, None, "", user)
    return answer


def submit_visit(visit: SiteVisit, user) -> bool:
    """Submit a visit: from now on read-only to inspectors. Returns False when already submitted
    (a retried submit changes nothing)."""
    if visit.status == VisitStatus.SUBMITTED:
        return False
    visit.status = VisitStatus.SUBMITTED
    visit.submitted_at = utcnow()
    answered, total = progress(visit)
    record("visit.submit", user=user, obj=visit, label=visit.site.name, before={"status": VisitStatus.IN_PROGRESS},
           after={"status": VisitStatus.SUBMITTED, "answered": answered, "total": total})
    db.session.commit()
    return True


def reopen_visit(visit: SiteVisit, user) -> None:
    """The team leader (or province admin) reopens a submitted visit for correction."""
    if visit.status != VisitStatus.SUBMITTED:
        raise VisitError(MSG_NOT_SUBMITTED)
    visit.status = VisitStatus.IN_PROGRESS
    visit.reopen_count = (visit.reopen_count or 0) + 1
    record("visit.reopen", user=user, obj=visit, label=visit.site.name, before={"status": VisitStatus.SUBMITTED},
           after={"status": VisitStatus.IN_PROGRESS, "reopen_count": visit.reopen_count})
    db.session.commit()


# ---------------------------------------------------------------- findings

def default_deadlines(today: date | None = None) -> dict[str, str]:
    """Proposed deadline per rectification type, from today in Beijing (ISO dates, for the form)."""
    today = today or today_china()
    return {t.value: default_deadline(t.value, today).isoformat() for t in RectificationType}


def finding_defaults(item: ChecklistItem | None, answer: Answer | None, note: str | None = None) -> dict:
    """Prefill of a finding form: description from item content + the answer's note, category =
    section title, severity 一般, type 限期整改 with its default deadline."""
    description = ""
    if item is not None:
        description = item.content
        note = (note if note is not None else (answer.note if answer is not None else "")).strip()
        if note:
            description = f"{item.content}（{note}）"
    rtype = RectificationType.DEADLINE
    return {"description": description, "category": item.section.title if item is not None else "",
            "severity": Severity.GENERAL.value, "rectification_type": rtype.value,
            "deadline": date.fromisoformat(default_deadlines()[rtype.value]), "suggested_measures": ""}


FINDING_FIELDS = ["description", "category", "severity", "rectification_type", "deadline", "suggested_measures"]


def create_finding(visit: SiteVisit, values: dict, client_uuid: str, user, item: ChecklistItem | None = None
                   ) -> tuple[Finding, bool]:
    """Record a finding at the visit's site, from an item's answer or free-standing.

    Idempotent on the client UUID: a retry returns the finding it created."""
    existing = db.session.execute(sa.select(Finding).where(Finding.uuid == client_uuid)).scalar_one_or_none()
    if existing is not None:
        if existing.visit_id != visit.id:
            raise VisitError(MSG_UUID_TAKEN)
        return existing, False
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
    db.session.commit()
    return finding, True


def ensure_finding_editable(finding: Finding) -> None:
    if finding.status != FindingStatus.DRAFT:
        raise VisitError(MSG_FINDING_FROZEN)
    if finding.visit is not None:
        ensure_editable(finding.visit)


def update_finding(finding: Finding, values: dict, user) -> bool:
    """Edit a draft finding of a visit that is not submitted; returns whether anything changed."""
    ensure_finding_editable(finding)
    before, after = changes(finding, FINDING_FIELDS, values)
    if not after:
        return False
    for key, value in after.items():
        setattr(finding, key, value)
    record("finding.update", user=user, obj=finding, label=finding.description[:60], before=before, after=after)
    db.session.commit()
    return True


def delete_finding(finding: Finding, user) -> None:
    """Delete a draft finding with its photo rows (files are content-addressed and may be shared)."""
    ensure_finding_editable(finding)
    record("finding.delete", user=user, obj=finding, label=finding.description[:60],
           before={k: getattr(finding, k) for k in FINDING_FIELDS})
    db.session.execute(sa.delete(Attachment).where(Attachment.finding_id == finding.id))
    db.session.delete(finding)
    db.session.commit()


def finding_photos(finding: Finding) -> list[Attachment]:
    return db.session.execute(sa.select(Attachment).where(Attachment.finding_id == finding.id)
                              .order_by(Attachment.uploaded_at, Attachment.id)).scalars().all()


def can_record(user, visit: SiteVisit) -> bool:
    """May this user change the visit now (record role in scope, visit not submitted)?"""
    return visit.status != VisitStatus.SUBMITTED and access.can(user, access.Permission.VISIT_RECORD,
                                                                visit.county_id)
