"""Business rules of 自查 (county self-inspection, issue 15).

Before a campaign's visits a county answers, for each of its own sites, the same checklist version
as the campaign (the items that apply to the site's kind). Starting a site's self-inspection creates
an empty answer (version 1) for each such item; each answer is then saved in place with the version
the screen was drawn from (a stale save is refused, 409). Submitting locks it (409 on any later
change). Once the inspectors' visit of the site is submitted, the two sides are compared
(`comparison`). Every state change is audited in its transaction. Access: inspect_app/access.py.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.orm import joinedload
from sqlalchemy.exc import IntegrityError

from inspect_app import access, locking
from inspect_app.audit.service import changes, record
from inspect_app.campaigns.models import Campaign, Team, team_counties
from inspect_app.checklists.models import ChecklistItem, ChecklistSection, checklist_item_site_kinds
from inspect_app.errors import DomainError
from inspect_app.extensions import db, utcnow
from inspect_app.media.models import Attachment
from inspect_app.org.models import Region, Site, SiteKind
from inspect_app.self_inspections import comparison
from inspect_app.self_inspections.models import SelfAnswer, SelfInspection, SelfInspectionStatus
from inspect_app.visits.models import Answer, AnswerResult, SiteVisit, VisitStatus

MSG_NOT_FOUND = "未找到该自查记录"
MSG_SUBMITTED = "该自查已提交，内容已锁定，不能再修改"
MSG_NO_CHECKLIST = "该核查任务尚未指定核查表，暂不能开展自查"
MSG_NOT_COVERED = "该县不在此核查任务的范围内"
MSG_UNANSWERED = "还有 {n} 项未作答，请全部作答后再提交自查"
MSG_NOT_EDITABLE = "只有本县县级联络员可以填写自查"


# ---------------------------------------------------------------- campaigns and sites

def county_campaigns(county_id: int) -> list[Campaign]:
    """The campaigns whose teams cover the county, newest first (by start date)."""
    return db.session.execute(
        sa.select(Campaign).join(Team, Team.campaign_id == Campaign.id)
        .join(team_counties, team_counties.c.team_id == Team.id)
        .where(team_counties.c.county_id == county_id).distinct()
        .order_by(Campaign.start_date.desc(), Campaign.id.desc())).scalars().all()


def campaign_covers(campaign: Campaign, county_id: int) -> bool:
    """Whether a team of the campaign covers the county."""
    return db.session.execute(
        sa.select(sa.literal(1)).select_from(Team).join(team_counties, team_counties.c.team_id == Team.id)
        .where(Team.campaign_id == campaign.id, team_counties.c.county_id == county_id).limit(1)).first() is not None


def _items_stmt(version_id: int, kind_id: int) -> sa.Select:
    return sa.select(ChecklistItem).join(
        checklist_item_site_kinds, checklist_item_site_kinds.c.item_id == ChecklistItem.id
    ).where(ChecklistItem.version_id == version_id, checklist_item_site_kinds.c.site_kind_id == kind_id)


@dataclass
class SiteRow:
    """One site of the county page: its self-inspection in the campaign (or None) and progress."""
    site: Site
    self_inspection: SelfInspection | None
    answered: int = 0
    total: int = 0


def county_sites(user, campaign: Campaign, county: Region) -> list[SiteRow]:
    """The county's active sites with their self-inspections in the campaign that `user` may see
    (access.self_inspection_clause) and the answered counts. A constant number of queries."""
    sites = db.session.execute(
        sa.select(Site).options(joinedload(Site.kind)).join(SiteKind, SiteKind.id == Site.kind_id)
        .where(Site.county_id == county.id, Site.active).order_by(SiteKind.sort_order, Site.name)).scalars().all()
    found = {s.site_id: s for s in db.session.execute(
        sa.select(SelfInspection).where(SelfInspection.campaign_id == campaign.id,
                                        SelfInspection.county_id == county.id,
                                        access.self_inspection_clause(user, SelfInspection))).scalars()}
    counts = dict(db.session.execute(
        sa.select(SelfAnswer.self_inspection_id, sa.func.count()).where(
            SelfAnswer.self_inspection_id.in_([s.id for s in found.values()]), SelfAnswer.result.is_not(None))
        .group_by(SelfAnswer.self_inspection_id)).all()) if found else {}
    totals = dict(db.session.execute(
        sa.select(checklist_item_site_kinds.c.site_kind_id, sa.func.count())
        .join(ChecklistItem, ChecklistItem.id == checklist_item_site_kinds.c.item_id)
        .where(ChecklistItem.version_id == campaign.checklist_version_id)
        .group_by(checklist_item_site_kinds.c.site_kind_id)).all()) if campaign.checklist_version_id else {}
    return [SiteRow(site, found.get(site.id), counts.get(found[site.id].id, 0) if site.id in found else 0,
                    totals.get(site.kind_id, 0)) for site in sites]


# ---------------------------------------------------------------- one self-inspection

def load(self_inspection_id: int, user) -> SelfInspection:
    """The self-inspection with its site, kind and county; DomainError 404 outside `user`'s scope
    (access.can_see_self_inspection), so another county's looks non-existent."""
    found = db.session.execute(
        sa.select(SelfInspection).options(joinedload(SelfInspection.site).joinedload(Site.kind),
                                          joinedload(SelfInspection.county), joinedload(SelfInspection.campaign))
        .where(SelfInspection.id == self_inspection_id)).scalar_one_or_none()
    if found is None or not access.can_see_self_inspection(user, found):
        raise DomainError(MSG_NOT_FOUND, 404)
    return found


def start(user, campaign: Campaign, site: Site) -> tuple[SelfInspection, bool]:
    """Start the self-inspection of one site of the user's county (or find it: one per campaign and
    site, so a repeated start returns the first). Creates an empty answer for every item of the
    campaign's checklist version that applies to the site's kind. Returns (self-inspection, created).

    DomainError 403 for anyone but the county's coordinator, 409 when the campaign has no
    checklist version, 404 when no team of the campaign covers the county."""
    if not access.has(user, access.Permission.SELF_INSPECTION_RECORD) or user.region_id != site.county_id:
        raise DomainError(MSG_NOT_EDITABLE, 403)
    if not campaign_covers(campaign, site.county_id):
        raise DomainError(MSG_NOT_COVERED, 404)
    if campaign.checklist_version_id is None:
        raise DomainError(MSG_NO_CHECKLIST, 409)

    def existing():
        return db.session.execute(sa.select(SelfInspection).where(
            SelfInspection.campaign_id == campaign.id, SelfInspection.site_id == site.id)).scalar_one_or_none()

    found = existing()
    if found is not None:
        return found, False
    inspection = SelfInspection(campaign_id=campaign.id, site_id=site.id, county_id=site.county_id,
                                checklist_version_id=campaign.checklist_version_id, started_by_id=user.id,
                                started_at=utcnow())
    db.session.add(inspection)
    try:
        db.session.flush()
        items = db.session.execute(_items_stmt(campaign.checklist_version_id, site.kind_id)).scalars().all()
        db.session.add_all(SelfAnswer(self_inspection_id=inspection.id, item_id=item.id, note="")
                           for item in items)
        record("self_inspection.start", user=user, obj=inspection, county_id=site.county_id, label=site.name,
               after={"campaign": campaign.name, "site": site.name, "items": len(items)})
        db.session.commit()
    except IntegrityError:          # a parallel start of the same site won: use its row
        db.session.rollback()
        found = existing()
        if found is None:
            raise
        return found, False
    return inspection, True


@dataclass
class ItemRow:
    item: ChecklistItem
    answer: SelfAnswer
    photos: list[Attachment] = field(default_factory=list)


@dataclass
class Screen:
    """What the answer screen shows: sections of item rows, and the progress."""
    self_inspection: SelfInspection
    sections: list[tuple[ChecklistSection, list[ItemRow]]]

    @property
    def rows(self) -> list[ItemRow]:
        return [row for _, rows in self.sections for row in rows]

    @property
    def answered(self) -> int:
        return sum(1 for row in self.rows if row.answer.result is not None)

    @property
    def total(self) -> int:
        return len(self.rows)


def screen(inspection: SelfInspection) -> Screen:
    """Sections and items of the self-inspection with answers and photos, in three queries."""
    answers = db.session.execute(
        sa.select(SelfAnswer).options(joinedload(SelfAnswer.item).joinedload(ChecklistItem.section))
        .join(ChecklistItem, ChecklistItem.id == SelfAnswer.item_id)
        .join(ChecklistSection, ChecklistSection.id == ChecklistItem.section_id)
        .where(SelfAnswer.self_inspection_id == inspection.id)
        .order_by(ChecklistSection.position, ChecklistItem.position, ChecklistItem.id)).scalars().all()
    photos: dict[int, list[Attachment]] = defaultdict(list)
    if answers:
        for photo in db.session.execute(sa.select(Attachment).where(
                Attachment.self_answer_id.in_([a.id for a in answers]))
                .order_by(Attachment.uploaded_at, Attachment.id)).scalars():
            photos[photo.self_answer_id].append(photo)
    sections: dict[int, tuple[ChecklistSection, list[ItemRow]]] = {}
    for answer in answers:
        sections.setdefault(answer.item.section_id, (answer.item.section, []))[1].append(
            ItemRow(answer.item, answer, photos.get(answer.id, [])))
    return Screen(inspection, list(sections.values()))


def answer_of(inspection: SelfInspection, item_id: int) -> SelfAnswer:
    """The self-inspection's answer row of one item; DomainError 404 for an item it does not have."""
    answer = db.session.execute(sa.select(SelfAnswer).options(joinedload(SelfAnswer.item)).where(
        SelfAnswer.self_inspection_id == inspection.id, SelfAnswer.item_id == item_id)).scalar_one_or_none()
    if answer is None:
        raise DomainError("该条目不属于本次自查", 404)
    return answer


def ensure_editable(inspection: SelfInspection, user) -> None:
    """DomainError 403 unless `user` is the county's coordinator; 409 once submitted (locked)."""
    if not access.can_record_self_inspection(user, inspection):
        raise DomainError(MSG_NOT_EDITABLE, 403)
    if inspection.submitted:
        raise DomainError(MSG_SUBMITTED, 409)


def save_answer(inspection: SelfInspection, answer: SelfAnswer, result: AnswerResult | None, note: str,
                seen_version: int | None, user) -> bool:
    """Save one item's result and note; returns whether anything changed.

    Saving what is stored already changes nothing (a retried request after a dropped answer gets the
    same row back, whatever version it carries). Otherwise the save claims the row's version
    (`locking.claim`): DomainError 409 when someone saved it since the screen was drawn, 422 when the
    request carries no version. DomainError 409 once the self-inspection is submitted."""
    ensure_editable(inspection, user)
    before, after = changes(answer, ["result", "note"], {"result": result, "note": note})
    if not after:
        return False
    try:
        locking.claim(answer, seen_version)
    except locking.EditConflict as conflict:
        raise DomainError(conflict.message, conflict.status) from None
    answer.result, answer.note = result, note
    answer.answered_by_id = user.id
    answer.updated_at = utcnow()
    record("self_answer.save", user=user, obj=answer, county_id=inspection.county_id, label=answer.item.code,
           before=before, after=after)
    db.session.commit()
    return True


def submit(inspection: SelfInspection, user) -> bool:
    """Submit the self-inspection: locked from now on (any change answers 409). Every item needs a
    result (不适用 is one), else DomainError 422. Returns False when it was submitted already (a
    repeated submit changes nothing)."""
    if not access.can_record_self_inspection(user, inspection):
        raise DomainError(MSG_NOT_EDITABLE, 403)
    if inspection.submitted:
        return False
    open_items = db.session.execute(sa.select(sa.func.count()).where(
        SelfAnswer.self_inspection_id == inspection.id, SelfAnswer.result.is_(None))).scalar_one()
    if open_items:
        raise DomainError(MSG_UNANSWERED.format(n=open_items), 422)
    claimed = db.session.execute(
        sa.update(SelfInspection).where(SelfInspection.id == inspection.id,
                                        SelfInspection.status == SelfInspectionStatus.DRAFT)
        .values(status=SelfInspectionStatus.SUBMITTED, submitted_by_id=user.id, submitted_at=utcnow())
        .execution_options(synchronize_session=False))
    if claimed.rowcount != 1:     # a parallel submit came first
        db.session.rollback()
        return False
    record("self_inspection.submit", user=user, obj=inspection, county_id=inspection.county_id,
           label=inspection.site.name, before={"status": SelfInspectionStatus.DRAFT},
           after={"status": SelfInspectionStatus.SUBMITTED})
    db.session.commit()
    db.session.refresh(inspection)
    return True


def photo_owner(inspection: SelfInspection, item_id: int, user) -> SelfAnswer:
    """The answer a new photo of an item belongs to, once the self-inspection may still change."""
    answer = answer_of(inspection, item_id)
    ensure_editable(inspection, user)
    return answer


# ---------------------------------------------------------------- comparison

def comparison_pairs(campaign_id: int, county_ids) -> list[comparison.Pair]:
    """The (county, inspectors) answer pairs of submitted self-inspections and submitted visits of
    the same campaign, site and checklist item, both with a result. The caller has checked that
    the user may see the comparison of these counties (access.self_comparison_clause)."""
    county_ids = list(county_ids)
    if not county_ids:
        return []
    stmt = (sa.select(SelfInspection.county_id, Region.name, Site.id, Site.name, ChecklistItem.code,
                      ChecklistItem.content, SelfAnswer.result, Answer.result)
            .select_from(SelfAnswer)
            .join(SelfInspection, SelfInspection.id == SelfAnswer.self_inspection_id)
            .join(SiteVisit, sa.and_(SiteVisit.campaign_id == SelfInspection.campaign_id,
                                     SiteVisit.site_id == SelfInspection.site_id))
            .join(Answer, sa.and_(Answer.visit_id == SiteVisit.id, Answer.item_id == SelfAnswer.item_id))
            .join(ChecklistItem, ChecklistItem.id == SelfAnswer.item_id)
            .join(Site, Site.id == SelfInspection.site_id)
            .join(Region, Region.id == SelfInspection.county_id)
            .where(SelfInspection.campaign_id == campaign_id, SelfInspection.county_id.in_(county_ids),
                   SelfInspection.status == SelfInspectionStatus.SUBMITTED,
                   SiteVisit.status == VisitStatus.SUBMITTED,
                   SelfAnswer.result.is_not(None), Answer.result.is_not(None)))
    return [comparison.Pair(*row) for row in db.session.execute(stmt)]


@dataclass
class CountyComparison:
    """One county's comparison page: its counts, the pairs and the worst items."""
    counts: comparison.Agreement
    pairs: list[comparison.Pair]
    submitted_sites: int

    def of(self, outcome: comparison.Outcome) -> list[comparison.Pair]:
        return comparison.of_outcome(self.pairs, outcome)

    @property
    def worst(self) -> list[comparison.ItemDisagreement]:
        return comparison.worst_items(self.pairs)


def submitted_site_counts(campaign_id: int, county_ids) -> dict[int, int]:
    """Submitted self-inspections per county in one campaign."""
    county_ids = list(county_ids)
    if not county_ids:
        return {}
    return dict(db.session.execute(
        sa.select(SelfInspection.county_id, sa.func.count()).where(
            SelfInspection.campaign_id == campaign_id, SelfInspection.county_id.in_(county_ids),
            SelfInspection.status == SelfInspectionStatus.SUBMITTED).group_by(SelfInspection.county_id)).all())


def county_comparison(campaign_id: int, county_id: int) -> CountyComparison:
    """The comparison of one county in one campaign (the caller has checked access)."""
    pairs = comparison_pairs(campaign_id, [county_id])
    return CountyComparison(comparison.agreement(pairs), pairs,
                            submitted_site_counts(campaign_id, [county_id]).get(county_id, 0))


@dataclass
class CountyLine:
    county: Region
    submitted_sites: int
    counts: comparison.Agreement


def campaign_overview(user, campaign: Campaign) -> tuple[list[CountyLine], list[comparison.ItemDisagreement]]:
    """For the province, a city or a team: each county of the campaign whose comparison `user` may
    see (access.self_comparison_clause) and that has a submitted self-inspection, with its counts;
    and the worst items across those counties."""
    counties = db.session.execute(
        sa.select(Region).where(Region.id.in_(
            sa.select(SelfInspection.county_id).where(SelfInspection.campaign_id == campaign.id,
                                                      SelfInspection.status == SelfInspectionStatus.SUBMITTED)),
            access.self_comparison_clause(user, sa.literal(campaign.id), Region.id))
        .order_by(Region.code)).scalars().all()
    ids = [c.id for c in counties]
    pairs = comparison_pairs(campaign.id, ids)
    by_county = comparison.agreement_by_county(pairs)
    sites = submitted_site_counts(campaign.id, ids)
    lines = [CountyLine(c, sites.get(c.id, 0), by_county.get(c.id, comparison.Agreement())) for c in counties]
    return lines, comparison.worst_items(pairs)


@dataclass
class IndexRow:
    campaign: Campaign
    county: Region
    started: int
    submitted: int
    can_compare: bool


def index_rows(user) -> list[IndexRow]:
    """自查 home: for a county, each campaign covering it; for everyone else, each (campaign, county)
    with a self-inspection they may see. With the started and submitted site counts."""
    counts = sa.select(SelfInspection.campaign_id, SelfInspection.county_id,
                       sa.func.count().label("started"),
                       sa.func.count().filter(SelfInspection.status == SelfInspectionStatus.SUBMITTED)
                       .label("submitted")).where(access.self_inspection_clause(user, SelfInspection)) \
        .group_by(SelfInspection.campaign_id, SelfInspection.county_id)
    found = {(r.campaign_id, r.county_id): (r.started, r.submitted) for r in db.session.execute(counts)}
    pairs = set(found)
    if user.role in access.COUNTY_ROLES and user.region_id is not None:
        pairs |= {(c.id, user.region_id) for c in county_campaigns(user.region_id)}
    if not pairs:
        return []
    campaigns = {c.id: c for c in db.session.execute(
        sa.select(Campaign).where(Campaign.id.in_({p[0] for p in pairs}))).scalars()}
    counties = {c.id: c for c in db.session.execute(
        sa.select(Region).where(Region.id.in_({p[1] for p in pairs}))).scalars()}
    rows = [IndexRow(campaigns[cid], counties[rid], *found.get((cid, rid), (0, 0)),
                     can_compare=access.can_see_self_comparison(user, cid, rid)) for cid, rid in pairs]
    return sorted(rows, key=lambda r: (-r.campaign.start_date.toordinal(), -r.campaign.id, r.county.code))
