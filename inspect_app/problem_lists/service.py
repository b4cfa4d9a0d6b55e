"""Business rules of the county problem list (反馈问题清单).

A county's list in a campaign is the set of its DRAFT findings until the team leader issues it
(下发). Before issuing the leader edits wording, merges duplicates and orders the findings; the
numbering is always derived (category order, then position), never stored until issue time.
Issuing is one transaction: a `ProblemList` row (ISSUED), one `RectificationItem` per remaining
draft finding, the findings frozen as ISSUED, a history row per item and the audit events.

Findings recorded after a county's list was issued (a late visit, a re-check) are not stuck: they
form the county's next list in the campaign, a supplementary list (补充清单, `ProblemList.sequence`
2, 3, …), worked on and issued the same way, its 问题编号 continuing after the issued ones.

Deadlines are set at issue: each item's default counts from the issue day by its rectification
type and the campaign's periods (lifecycle.default_deadline: working days on the official
calendar), and the leader may change each one on the issue screen, never to before the issue day.

The county side (PROBLEM_LIST_VIEW without VISIT_VIEW) sees only issued lists; that rule lives
here (`visible_list`), so every view, fragment and export goes through it.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from inspect_app import access, locking
from inspect_app.access import Permission
from inspect_app.audit.models import AuditEvent
from inspect_app.audit.service import changes, record
from inspect_app.campaigns.models import Campaign, Team, team_counties
from inspect_app.checklists.models import ChecklistItem, ChecklistSection
from inspect_app.documents import official_docx, workbook
from inspect_app.documents.dates import cn_date, iso_date, to_china
from inspect_app.documents.download_names import DownloadName, download_name
from inspect_app.errors import DomainError
from inspect_app.extensions import db, utcnow
from inspect_app.media import service as media_service
from inspect_app.media.models import Attachment, AttachmentKind
from inspect_app.org.models import Region, RegionLevel
from inspect_app.rectification import date_rules, lifecycle, notifications
from inspect_app.rectification.lifecycle import Status
from inspect_app.repeats import service as repeats
from inspect_app.rectification.models import (ItemHistory, ProblemList, ProblemListStatus, RectificationItem,
                                              list_kind_label)
from inspect_app.visits.models import Finding, FindingStatus, SiteVisit, VisitStatus
from inspect_app.visits.service import county_scores, submitted_visit_count

FROZEN_MESSAGE = "问题清单已下发，不能再修改"
DEADLINE_BEFORE_ISSUE = "完成时限不能早于下发日期（{day}）"
ISSUE_DATE_IN_FUTURE = "下发日期不能晚于今天（{today}）"
ISSUE_DATE_BEFORE_VISITS = "下发日期不能早于清单所列问题的现场核查日期（{day}）"
OPEN_VISITS_UNCONFIRMED = "该县还有核查中的点位，请确认后再下发，或等核查提交后再下发"
NOT_VISIBLE_MESSAGE = "该问题清单不存在或不在查看范围内"
MERGE_STALE_MESSAGE = "所选问题中有问题已被他人修改（上方为最新表述），尚未合并"
DRAFT_MARK = "（讨论稿）"
EDITABLE_FIELDS = ["description", "category", "severity", "rectification_type", "deadline", "suggested_measures"]


# ---------------------------------------------------------------- who sees what

def can_see_drafts(user) -> bool:
    """Draft lists are inspection material: only roles that may view visits see them."""
    return access.can(user, Permission.VISIT_VIEW)


def can_manage(user, county_id: int) -> bool:
    """Consolidating and issuing: team leaders (and the province admin) for counties in scope."""
    return access.can(user, Permission.PROBLEM_LIST_MANAGE, county_id)


def is_issued(plist: ProblemList | None) -> bool:
    """Whether a (campaign, county) list row exists and has been issued (下发)."""
    return plist is not None and plist.status == ProblemListStatus.ISSUED


class _ListState:
    """The list status of anything holding a `problem_list` (a Sheet, an index row)."""

    problem_list: ProblemList | None

    @property
    def issued(self) -> bool:
        return is_issued(self.problem_list)

    @property
    def status_label(self) -> str:
        return ProblemListStatus.ISSUED.label if self.issued else ProblemListStatus.DRAFT.label


@dataclass
class Sheet(_ListState):
    """One county's lists in one campaign, as far as this user may see them: the issued ones
    (`issued_lists`, by sequence) and the open one its draft findings make (`drafts` of them).

    `problem_list` is the latest issued list (None before the first 下发); `issued` means every
    finding has been issued — nothing is open to work on."""

    campaign: Campaign
    county: Region
    problem_list: ProblemList | None
    team: Team | None
    issued_lists: list[ProblemList] = field(default_factory=list)
    drafts: int = 0

    @property
    def issued(self) -> bool:
        return is_issued(self.problem_list) and not self.drafts

    @property
    def next_sequence(self) -> int:
        """The sequence the open list takes when issued (1, or 2, 3, … for a 补充清单)."""
        return self.problem_list.sequence + 1 if self.problem_list is not None else 1

    @property
    def supplementary(self) -> bool:
        """Whether the open list is a supplementary list (an earlier one has been issued)."""
        return self.problem_list is not None

    @property
    def open_title(self) -> str:
        """反馈问题清单 or 补充反馈问题清单 (…) — what the open list is called."""
        return list_kind_label(self.next_sequence)


def team_for(campaign_id: int, county_id: int) -> Team | None:
    """The campaign's team assigned to the county (the one that issues its list)."""
    return db.session.execute(
        sa.select(Team).join(team_counties, team_counties.c.team_id == Team.id)
        .where(Team.campaign_id == campaign_id, team_counties.c.county_id == county_id)
        .order_by(Team.id)).scalars().first()


def lists_of(campaign_id: int, county_id: int) -> list[ProblemList]:
    """The county's list rows in the campaign, by sequence (the first, then its supplements)."""
    return list(db.session.execute(sa.select(ProblemList).where(
        ProblemList.campaign_id == campaign_id, ProblemList.county_id == county_id)
        .order_by(ProblemList.sequence)).scalars())


def problem_list_of(campaign_id: int, county_id: int) -> ProblemList | None:
    """The county's latest issued list in the campaign (None before the first 下发)."""
    issued = [p for p in lists_of(campaign_id, county_id) if is_issued(p)]
    return issued[-1] if issued else None


def draft_count(campaign_id: int, county_id: int) -> int:
    """How many draft findings wait for the county's open list (待下发)."""
    return db.session.scalar(sa.select(sa.func.count()).select_from(Finding).where(
        Finding.campaign_id == campaign_id, Finding.county_id == county_id, Finding.status == FindingStatus.DRAFT))


def visible_list(user, campaign: Campaign | None, county: Region) -> Sheet:
    """The (campaign, county) lists if `user` may see them, else DomainError (404).

    The county and the campaign must be in the user's scope (access.can_see_campaign_county: a team
    sees only its own campaigns' counties); a county-side user sees them only once one is issued,
    and never the drafts of the open list (the views draw those only for `can_see_drafts`).
    """
    if campaign is None or not access.can(user, Permission.PROBLEM_LIST_VIEW, county.id) \
            or not access.can_see_campaign_county(user, campaign.id, county.id):
        raise DomainError(NOT_VISIBLE_MESSAGE, status=404)
    issued = [p for p in lists_of(campaign.id, county.id) if is_issued(p)]
    plist = issued[-1] if issued else None
    team = issued[0].team if issued and issued[0].team else team_for(campaign.id, county.id)
    sheet = Sheet(campaign, county, plist, team, issued_lists=issued,
                  drafts=draft_count(campaign.id, county.id) if can_see_drafts(user) else 0)
    if plist is None and not can_see_drafts(user):
        raise DomainError(NOT_VISIBLE_MESSAGE, status=404)
    return sheet


def finding_sheet(user, finding: Finding) -> Sheet:
    """The list a finding belongs to (for the finding's own fragments). A finding that is not
    issued is inspection material: a 404 DomainError to the county side, whatever the URL or fragment."""
    if finding.status != FindingStatus.ISSUED and not can_see_drafts(user):
        raise DomainError(NOT_VISIBLE_MESSAGE, status=404)
    return visible_list(user, db.session.get(Campaign, finding.campaign_id), db.session.get(Region, finding.county_id))


def open_visits(campaign_id: int, county_id: int) -> list[SiteVisit]:
    """The county's visits of the campaign still 核查中 (findings may still come from them)."""
    return list(db.session.execute(sa.select(SiteVisit).options(selectinload(SiteVisit.site),
                                                                selectinload(SiteVisit.inspector))
                                   .where(SiteVisit.campaign_id == campaign_id, SiteVisit.county_id == county_id,
                                          SiteVisit.status == VisitStatus.IN_PROGRESS)
                                   .order_by(SiteVisit.started_at, SiteVisit.id)).scalars())


# ---------------------------------------------------------------- the index

@dataclass
class IndexRow(_ListState):
    county: Region
    recorded: int = 0
    drafts: int = 0
    merged: int = 0
    items: int = 0
    problem_list: ProblemList | None = None

    @property
    def supplement_open(self) -> bool:
        """A list is issued and findings recorded since wait for the supplementary list."""
        return is_issued(self.problem_list) and self.drafts > 0

    @property
    def status_label(self) -> str:
        return "补充清单整理中" if self.supplement_open else super().status_label


def _has_list(campaign_id, user, county_id) -> sa.ColumnElement[bool]:
    """Whether the county `county_id` has a list in the campaign for this user: assigned to a team,
    with findings or with a list row — or, on the county side, only with an issued list.

    `campaign_id` and `county_id` are values or columns of an enclosing query. Each branch is an
    EXISTS probe on a (campaign, county) index, so the cost does not grow with the findings table
    (a UNION of every finding's county made the campaign picker take seconds at 10⁶ findings)."""
    if not can_see_drafts(user):
        return sa.exists().where(ProblemList.campaign_id == campaign_id, ProblemList.county_id == county_id,
                                 ProblemList.status == ProblemListStatus.ISSUED).correlate_except(ProblemList)
    assigned = sa.exists().where(team_counties.c.team_id == Team.id, Team.campaign_id == campaign_id,
                                 team_counties.c.county_id == county_id).correlate_except(team_counties, Team)
    recorded = sa.exists().where(Finding.campaign_id == campaign_id, Finding.county_id == county_id) \
        .correlate_except(Finding)
    listed = sa.exists().where(ProblemList.campaign_id == campaign_id, ProblemList.county_id == county_id) \
        .correlate_except(ProblemList)
    return sa.or_(assigned, recorded, listed)


def campaigns_for(user) -> list[Campaign]:
    """Campaigns in which the user has at least one list to see, newest first (one query)."""
    has_list = sa.select(sa.literal(1)).select_from(Region).where(
        Region.level == RegionLevel.COUNTY, _has_list(Campaign.id, user, Region.id),
        access.campaign_county_clause(user, Campaign.id, Region.id)).correlate(Campaign)
    return list(db.session.execute(sa.select(Campaign).where(sa.exists(has_list))
                                   .order_by(Campaign.start_date.desc(), Campaign.id.desc())).scalars())


def index_page(user, campaign: Campaign, q: str, page: int, per_page: int = 30):
    """One page of the campaign's counties in scope, with finding counts and list status."""
    stmt = sa.select(Region).where(Region.level == RegionLevel.COUNTY,
                                   _has_list(campaign.id, user, Region.id),
                                   access.campaign_county_clause(user, sa.literal(campaign.id), Region.id))
    if q:
        stmt = stmt.where(sa.or_(Region.name.contains(q), Region.code.startswith(q)))
    pagination = db.paginate(stmt.order_by(Region.code), page=page, per_page=per_page, error_out=False)
    ids = [c.id for c in pagination.items]
    rows = {c.id: IndexRow(county=c) for c in pagination.items}
    if ids:
        counted = sa.select(Finding.county_id, Finding.status, sa.func.count()) \
            .where(Finding.campaign_id == campaign.id, Finding.county_id.in_(ids))
        if not can_see_drafts(user):   # the county side counts only what was issued to it
            counted = counted.where(Finding.status == FindingStatus.ISSUED)
        counts = db.session.execute(counted.group_by(Finding.county_id, Finding.status)).all()
        for county_id, status, n in counts:
            row = rows[county_id]
            row.recorded += n
            if status == FindingStatus.DRAFT:
                row.drafts = n
            elif status == FindingStatus.MERGED:
                row.merged = n
            else:
                row.items = n
        for plist in db.session.execute(sa.select(ProblemList).where(
                ProblemList.campaign_id == campaign.id, ProblemList.county_id.in_(ids))
                .order_by(ProblemList.sequence)).scalars():
            rows[plist.county_id].problem_list = plist   # the latest list wins
    return pagination, [rows[i] for i in ids]


# ---------------------------------------------------------------- ordering and numbering

def _category_positions(findings: list[Finding]) -> dict[str, tuple]:
    """Categories in checklist order (their section's position); free categories after, by name."""
    item_ids = {f.item_id for f in findings if f.item_id}
    section_pos: dict[int, int] = {}
    if item_ids:
        section_pos = dict(db.session.execute(
            sa.select(ChecklistItem.id, ChecklistSection.position)
            .join(ChecklistSection, ChecklistSection.id == ChecklistItem.section_id)
            .where(ChecklistItem.id.in_(item_ids))).all())
    keys: dict[str, tuple] = {}
    for f in findings:
        pos = section_pos.get(f.item_id, None)
        key = (0, pos, f.category) if pos is not None else (1, 0, f.category)
        if f.category not in keys or key < keys[f.category]:
            keys[f.category] = key
    return keys


# What a finding's card shows besides its own columns, loaded with the list rather than row by row.
_FINDING_PARTS = (selectinload(Finding.site), selectinload(Finding.item))


def ordered_drafts(campaign_id: int, county_id: int) -> list[Finding]:
    """The list's draft findings in numbering order: category order, then position, then age."""
    findings = db.session.execute(sa.select(Finding).options(*_FINDING_PARTS).where(
        Finding.campaign_id == campaign_id, Finding.county_id == county_id,
        Finding.status == FindingStatus.DRAFT)).scalars().all()
    keys = _category_positions(findings)
    big = 1 << 30
    return sorted(findings, key=lambda f: (keys[f.category], f.position if f.position is not None else big,
                                           f.created_at, f.id))


def sheet_drafts(sheet: Sheet) -> list[Finding]:
    """The open list's drafts in numbering order; none when nothing is open (or for the county
    side, which never sees drafts: visible_list leaves its `drafts` at 0)."""
    return ordered_drafts(sheet.campaign.id, sheet.county.id) if sheet.drafts else []


def merged_children(campaign_id: int, county_id: int) -> dict[int, list[Finding]]:
    """Merged findings keyed by the finding they were merged into."""
    out: dict[int, list[Finding]] = defaultdict(list)
    for f in db.session.execute(sa.select(Finding).options(*_FINDING_PARTS).where(
            Finding.campaign_id == campaign_id, Finding.county_id == county_id,
            Finding.status == FindingStatus.MERGED).order_by(Finding.id)).scalars():
        out[f.merged_into_id].append(f)
    return out


def group_numbered(findings: list[Finding]) -> list[tuple[str, list[tuple[int, Finding]]]]:
    """[(category, [(seq, finding), …]), …] with seq running 1..n over the whole list."""
    groups: list[tuple[str, list]] = []
    for seq, f in enumerate(findings, start=1):
        if not groups or groups[-1][0] != f.category:
            groups.append((f.category, []))
        groups[-1][1].append((seq, f))
    return groups


def item_number(county: Region, campaign: Campaign, seq: int, offset: int = 0) -> str:
    """问题编号, e.g. 411329-2022-001: county code, year, and a running number within that county
    and year (`offset` = numbers already used by lists issued earlier that year, e.g. a 回头看)."""
    return f"{county.code}-{campaign.year}-{offset + seq:03d}"


def numbering(sheet: "Sheet"):
    """seq → 问题编号 for this list, continuing after the numbers earlier lists took that year. The
    confirmation page, the issue itself and the draft exports all number through this."""
    offset = numbers_used(sheet.county, sheet.campaign.year)
    return lambda seq: item_number(sheet.county, sheet.campaign, seq, offset)


def numbers_used(county: Region, year: int) -> int:
    """How many 问题编号 of this county and year earlier lists have taken."""
    return db.session.scalar(sa.select(sa.func.count()).select_from(RectificationItem).where(
        RectificationItem.county_id == county.id, RectificationItem.number.startswith(f"{county.code}-{year}-")))


def default_deadline(campaign: Campaign, finding: Finding, issued_on: date) -> date:
    """The deadline an item gets by default when issued on `issued_on`: the leader's proposed date on
    the finding when it is not before the issue day, else the campaign's period for its type counted
    from the issue day (lifecycle.default_deadline: working days, official calendar)."""
    if finding.deadline is not None and finding.deadline >= issued_on:
        return finding.deadline
    return lifecycle.default_deadline(finding.rectification_type.value, issued_on, campaign.deadline_periods)


def proposed_deadlines(campaign: Campaign, findings: list[Finding], issued_on: date,
                       typed: dict[int, date | None] | None = None, basis: date | None = None) -> dict[int, date]:
    """The deadline per finding on the issue screen: what the leader typed, except that a blank, or
    a date still equal to the default proposed for the earlier issue date `basis`, takes the default
    for `issued_on` (so changing the meeting date moves the defaults and keeps the leader's own)."""
    typed = typed or {}
    out = {}
    for f in findings:
        day = typed.get(f.id)
        if day is None or (basis is not None and basis != issued_on and day == default_deadline(campaign, f, basis)):
            day = default_deadline(campaign, f, issued_on)
        out[f.id] = day
    return out


def check_issue_date(findings: list[Finding], issued_on: date, now: datetime | None = None) -> str | None:
    """Why `issued_on` cannot be the list's 下发 (feedback meeting) date, or None: it may not lie after
    today in Beijing, nor before the last day (Beijing) on which one of the list's findings was
    inspected — the meeting feeds back what the visits found (domain.md §4)."""
    today = date_rules.today(now or utcnow())
    if issued_on > today:
        return ISSUE_DATE_IN_FUTURE.format(today=cn_date(today))
    visit_ids = {f.visit_id for f in findings if f.visit_id is not None}
    if visit_ids:
        latest = db.session.scalar(sa.select(sa.func.max(SiteVisit.started_at)).where(SiteVisit.id.in_(visit_ids)))
        if latest is not None and issued_on < to_china(latest).date():
            return ISSUE_DATE_BEFORE_VISITS.format(day=cn_date(latest))
    return None


def issue_instant(issued_on: date, now: datetime) -> datetime:
    """The instant an item counts as issued (its issued_at and the time of its "issue" history row):
    `now` when the list is dated today, else the start (00:00 Beijing) of its recorded 下发 date, so
    periods, deadlines, dashboards and the API all count the date on the list, not the data entry."""
    if issued_on == date_rules.today(now):
        return now
    return date_rules.end_of_day_utc(issued_on - timedelta(days=1))


def check_deadlines(deadlines: dict[int, date], issued_on: date) -> dict[int, str]:
    """Errors per finding id for deadlines before the issue day (none may fall before it)."""
    message = DEADLINE_BEFORE_ISSUE.format(day=cn_date(issued_on))
    return {fid: message for fid, day in deadlines.items() if day is not None and day < issued_on}


def photos_by_finding(finding_ids: list[int]) -> dict[int, list[Attachment]]:
    """Photo attachments per finding, oldest first, for thumbnails captioned with time taken and GPS."""
    out: dict[int, list[Attachment]] = defaultdict(list)
    if finding_ids:
        for att in db.session.execute(
                sa.select(Attachment)
                .where(Attachment.finding_id.in_(finding_ids), Attachment.kind == AttachmentKind.PHOTO)
                .order_by(Attachment.id)).scalars():
            out[att.finding_id].append(att)
    return out


# ---------------------------------------------------------------- changing drafts

def ensure_editable(sheet: Sheet, finding: Finding | None = None) -> None:
    """DomainError (409) when the list is issued or the finding is no longer a draft (merged or issued)."""
    if sheet.issued:
        raise DomainError(FROZEN_MESSAGE, status=409)
    if finding is not None and finding.status == FindingStatus.ISSUED:
        raise DomainError(FROZEN_MESSAGE, status=409)
    if finding is not None and finding.status == FindingStatus.MERGED:
        raise DomainError("该问题已合并到其他问题，请先取消合并再修改", status=409)


def update_finding(sheet: Sheet, finding: Finding, values: dict, version: int | None) -> bool:
    """Save the leader's wording of one draft finding; returns whether its category changed.

    `version` is the finding's version the form was drawn from: a save over someone else's newer one
    raises locking.EditConflict (409, nothing written; 422 without a version). Values equal to the
    saved ones change nothing and are not refused: there is nothing to lose.
    """
    ensure_editable(sheet, finding)
    before, after = changes(finding, EDITABLE_FIELDS, values)
    if not after:
        return False
    locking.claim(finding, version)
    category_changed = "category" in after
    for key, value in after.items():
        setattr(finding, key, value)
    if category_changed:
        finding.position = None   # goes to the end of its new category
    record("finding.edit", obj=finding, label=finding.description[:60], before=before, after=after,
           summary="修改问题清单中的问题表述")
    db.session.commit()
    return category_changed


def move(sheet: Sheet, finding: Finding, direction: str) -> Finding | None:
    """Move a draft finding up or down within its category (positions renumbered 1..n). Returns the
    neighbour it changed places with, or None when it stayed (first or last of its category)."""
    ensure_editable(sheet, finding)
    ordered = ordered_drafts(sheet.campaign.id, sheet.county.id)
    for i, f in enumerate(ordered, start=1):
        f.position = i
    index = next(i for i, f in enumerate(ordered) if f.id == finding.id)
    other = index - 1 if direction == "up" else index + 1
    neighbour = None
    if 0 <= other < len(ordered) and ordered[other].category == finding.category:
        neighbour = ordered[other]
        finding.position, neighbour.position = neighbour.position, finding.position
        record("finding.move", obj=finding, label=finding.description[:60],
               before={"position": neighbour.position}, after={"position": finding.position},
               summary="调整问题清单顺序：" + ("上移" if direction == "up" else "下移"))
    db.session.commit()
    return neighbour


def drafts_by_ids(sheet: Sheet, ids: list[int]) -> list[Finding]:
    """The selected findings, all drafts of this list (anything else is refused)."""
    ids = sorted(set(ids))
    findings = db.session.execute(sa.select(Finding).options(*_FINDING_PARTS).where(
        Finding.id.in_(ids))).scalars().all() if ids else []
    if len(findings) != len(ids) or any(f.campaign_id != sheet.campaign.id or f.county_id != sheet.county.id
                                        for f in findings):
        raise DomainError(NOT_VISIBLE_MESSAGE, status=404)
    for f in findings:
        ensure_editable(sheet, f)
    order = {f.id: i for i, f in enumerate(ordered_drafts(sheet.campaign.id, sheet.county.id))}
    return sorted(findings, key=lambda f: order.get(f.id, 0))


def merge(sheet: Sheet, findings: list[Finding], keep: Finding, description: str,
          versions: dict[int, int | None]) -> None:
    """Fold duplicates into `keep`: the others become MERGED (merged_into = keep), their photos and
    earlier-merged findings move to it, and the kept wording may be rewritten in the same step.

    `versions` maps each finding to the version the merge step showed: a finding edited since
    raises locking.EditConflict (409; 422 without versions) and nothing is merged, so nobody's
    wording disappears into a merge made on an older view. Each photo keeps its source_finding_id,
    so `unmerge` can give a finding its own photos back; the photos moved are also listed in the
    merge's audit event.
    """
    ensure_editable(sheet, keep)
    if len(findings) < 2:
        raise DomainError("请至少选择两个问题进行合并")
    if keep not in findings:
        raise DomainError("请选择保留的问题")
    for finding in findings:
        try:
            locking.claim(finding, versions.get(finding.id))
        except locking.EditConflict as error:
            if error.status == 409:
                error = locking.EditConflict(MERGE_STALE_MESSAGE, 409, record=finding)
            raise error from None
    for other in findings:
        if other.id == keep.id:
            continue
        moved = db.session.execute(sa.select(Attachment).where(Attachment.finding_id == other.id)).scalars().all()
        for att in moved:
            att.finding_id = keep.id
        for child in db.session.execute(sa.select(Finding).where(Finding.merged_into_id == other.id)).scalars():
            child.merged_into_id = keep.id
        other.status = FindingStatus.MERGED
        other.merged_into_id = keep.id
        record("finding.merge", obj=other, label=other.description[:60],
               before={"status": FindingStatus.DRAFT}, after={"status": FindingStatus.MERGED,
                                                              "merged_into_id": keep.id,
                                                              "attachment_ids": [a.id for a in moved]},
               summary=f"合并到问题 #{keep.id}")
    if description and description != keep.description:
        record("finding.edit", obj=keep, label=description[:60], before={"description": keep.description},
               after={"description": description}, summary="合并时修改保留问题的表述")
        keep.description = description
    db.session.commit()


def unmerge(sheet: Sheet, finding: Finding) -> None:
    """Undo a merge before issuing: the finding is a draft again and its own photos come back.
    Refused (409) once the finding it was merged into has been issued."""
    if finding.status != FindingStatus.MERGED:
        raise DomainError("该问题未被合并")
    keeper_row = db.session.get(Finding, finding.merged_into_id) if finding.merged_into_id else None
    if keeper_row is not None and keeper_row.status != FindingStatus.DRAFT:
        raise DomainError(FROZEN_MESSAGE, status=409)
    list_findings = sa.select(Finding.id).where(Finding.campaign_id == sheet.campaign.id,
                                                Finding.county_id == sheet.county.id)
    own = db.session.execute(sa.select(Attachment).where(
        Attachment.source_finding_id == finding.id, Attachment.finding_id.in_(list_findings))).scalars().all()
    for att in own:
        att.finding_id = finding.id
    att_ids = [att.id for att in own]
    keeper = finding.merged_into_id
    finding.status = FindingStatus.DRAFT
    finding.merged_into_id = None
    record("finding.unmerge", obj=finding, label=finding.description[:60],
           before={"status": FindingStatus.MERGED, "merged_into_id": keeper},
           after={"status": FindingStatus.DRAFT, "attachment_ids": att_ids}, summary="取消合并")
    db.session.commit()


# ---------------------------------------------------------------- issuing (下发)

def issue(sheet: Sheet, user, issued_on: date, deadlines: dict[int, date] | None = None, *,
          sequence: int | None = None, open_visits_confirmed: bool = True) -> ProblemList:
    """下发: in ONE transaction create the ISSUED list (the first, or the next 补充清单), one 待整改 item
    per draft finding (numbered in list order, 问题编号 continuing after the county's issued ones),
    freeze the findings, write each item's history and the audit events.

    `deadlines` maps a finding id to the leader's deadline; a finding without one gets
    `default_deadline`. A deadline before `issued_on` is refused (DomainError, 422). Visits of
    the county still 核查中 are refused unless `open_visits_confirmed` (422). `sequence` is the list the
    leader confirmed: issuing it again (double click, retry) answers DomainError (409), as does a
    concurrent issue (the unique (campaign, county, sequence) row); any failure rolls everything back.
    """
    campaign, county = sheet.campaign, sheet.county
    existing = lists_of(campaign.id, county.id)
    if sequence is not None and any(p.sequence == sequence and is_issued(p) for p in existing):
        raise DomainError(already_issued_message(next(p for p in existing if p.sequence == sequence)),
                          status=409)
    findings = ordered_drafts(campaign.id, county.id)
    if not findings:
        if existing:
            raise DomainError(already_issued_message(existing[-1]), status=409)
        raise DomainError(f"{county.name}在本次核查中没有待下发的问题，不能下发问题清单")
    deadlines = {f.id: (deadlines or {}).get(f.id) or default_deadline(campaign, f, issued_on) for f in findings}
    errors = check_deadlines(deadlines, issued_on)
    if errors:
        raise DomainError(next(iter(errors.values())))
    date_error = check_issue_date(findings, issued_on)
    if date_error:
        raise DomainError(date_error)
    if not open_visits_confirmed and open_visits(campaign.id, county.id):
        raise DomainError(OPEN_VISITS_UNCONFIRMED)
    next_sequence = existing[-1].sequence + 1 if existing else 1
    now = utcnow()
    issued_at = issue_instant(issued_on, now)
    team = sheet.team
    try:
        plist = ProblemList(campaign_id=campaign.id, county_id=county.id, sequence=next_sequence,
                            team_id=team.id if team else None, title=f"{county.name}{list_kind_label(next_sequence)}",
                            status=ProblemListStatus.ISSUED, issued_at=now, issued_on=issued_on,
                            issued_by_id=user.id)
        db.session.add(plist)
        db.session.flush()
        number = numbering(sheet)
        items = [_item_from(finding, plist, campaign, county, seq, number(seq), deadlines[finding.id], issued_at)
                 for seq, finding in enumerate(findings, start=1)]
        # Every new row gets its id up front, so the commit's flush writes each table with one
        # executemany instead of one INSERT … RETURNING per row: a list of 300 findings costs the
        # statements of a list of 3 (it took 1,813, issue 12 seen 4).
        for item, item_id in zip(items, _reserve_ids(RectificationItem, len(items))):
            item.id = item_id
        db.session.add_all(items)
        audit_ids = iter(_reserve_ids(AuditEvent, len(items) + 1))
        # The history rows are plain rows (one INSERT after the items', no ORM objects: building and
        # flushing 300 of them was a third of the issue's time; nothing listens to their flush).
        note = f"{team.name if team else '核查组'}下发{plist.title}"
        history = []
        for seq, (finding, item) in enumerate(zip(findings, items), start=1):
            finding.status = FindingStatus.ISSUED
            finding.position = seq
            history.append({"item_id": item.id, "action": "issue", "from_status": None, "to_status": Status.PENDING,
                            "actor_id": user.id, "actor_role": user.role, "at": issued_at, "note": note,
                            "data": {"number": item.number, "finding_id": finding.id,
                                     "deadline": item.deadline.isoformat()}})
            record("item.issue", obj=item, label=item.number, after={"status": Status.PENDING.label,
                                                                     "deadline": item.deadline},
                   summary=f"下发整改事项 {item.number}").id = next(audit_ids)
        record("problem_list.issue", obj=plist, label=plist.title,
               after={"status": ProblemListStatus.ISSUED, "issued_on": issued_on, "items": len(findings),
                      "sequence": next_sequence},
               summary=f"下发{plist.title}，共 {len(findings)} 个问题").id = next(audit_ids)
        db.session.flush()
        db.session.execute(sa.insert(ItemHistory), history)
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        latest = problem_list_of(campaign.id, county.id)
        if latest is not None and latest.sequence >= next_sequence:
            raise DomainError(already_issued_message(latest), status=409) from None
        # Not a double issue: a 问题编号 of this county and year is taken (another campaign the same year).
        raise DomainError("下发失败：问题编号与已有整改事项重复（同一年度另一核查任务已下发该县清单），请联系管理员",
                          status=409) from None
    except Exception:
        db.session.rollback()
        raise
    sheet.problem_list = plist
    sheet.issued_lists = sheet.issued_lists + [plist]
    sheet.drafts = 0
    notifications.list_issued(plist)   # after the commit: tells the county's coordinators, never fails the issue
    return plist


def _reserve_ids(model, count: int) -> list[int]:
    """`count` new primary keys of `model`'s table, in one statement: the next values of its
    sequence on PostgreSQL; on SQLite the ids after the largest, which no one else can take before
    this transaction ends (its first write took the database's write lock; the caller has written the
    list row already). With ids assigned the ORM inserts many rows with one executemany — it fetches
    generated ids row by row on SQLite, which cannot guarantee the order of a batched RETURNING."""
    table = model.__table__
    if count <= 0:
        return []
    if db.engine.dialect.name == "postgresql":
        return list(db.session.execute(sa.text(
            "SELECT nextval(pg_get_serial_sequence(:table, 'id')) FROM generate_series(1, :count)"),
            {"table": table.name, "count": count}).scalars())
    first = db.session.execute(sa.select(sa.func.coalesce(sa.func.max(table.c.id), 0))).scalar_one() + 1
    return list(range(first, first + count))


def _item_from(finding, plist, campaign, county, seq, number, deadline, issued_at) -> RectificationItem:
    """The rectification item a draft finding becomes when its list is issued (at `issue_instant`)."""
    return RectificationItem(
        problem_list_id=plist.id, finding_id=finding.id, campaign_id=campaign.id, county_id=county.id,
        site_id=finding.site_id, seq=seq, number=number, category=finding.category,
        description=finding.description, severity=finding.severity,
        rectification_type=finding.rectification_type, suggested_measures=finding.suggested_measures or "",
        deadline=deadline, status=Status.PENDING, issued_at=issued_at)


def already_issued_message(plist: ProblemList | None) -> str:
    """What a second 下发 is told: when the list was issued."""
    when = f"已于{cn_date(plist.issued_on)}" if plist is not None and plist.issued_on else "已"
    return f"该问题清单{when}下发，请勿重复下发"


def issued_notice(campaign_id: int, county_id: int) -> str | None:
    """What an inspector in the county is told once its list is issued: new findings go to a
    supplementary list (None while nothing is issued)."""
    plist = problem_list_of(campaign_id, county_id)
    if plist is None:
        return None
    return (f"本县{plist.kind_label}已于{cn_date(plist.issued_on)}下发，"
            f"新记录的问题将列入{list_kind_label(plist.sequence + 1)}，由组长另行下发。")


def issued_items(sheet: Sheet, plist: ProblemList | None = None) -> list[RectificationItem]:
    """The items of one issued list (default: the latest), in list order."""
    plist = plist or sheet.problem_list
    if plist is None:
        return []
    return db.session.execute(sa.select(RectificationItem).options(selectinload(RectificationItem.site)).where(
        RectificationItem.problem_list_id == plist.id).order_by(RectificationItem.seq)).scalars().all()


def group_items(items: list[RectificationItem]) -> list[tuple[str, list[RectificationItem]]]:
    groups: list[tuple[str, list]] = []
    for item in items:
        if not groups or groups[-1][0] != item.category:
            groups.append((item.category, []))
        groups[-1][1].append(item)
    return groups


# ---------------------------------------------------------------- exports

@dataclass
class ExportRow:
    seq: int
    number: str
    category: str
    site: str
    description: str
    severity: str
    rectification_type: str
    deadline: date
    measures: str
    finding_id: int | None = None   # whose photos make the document's 附件：问题照片


@dataclass
class Export:
    issued_on: date
    draft: bool
    rows: list[ExportRow] = field(default_factory=list)
    sequence: int = 1
    supplement_to: date | None = None   # a 补充清单: the day the first list was issued

    @property
    def kind(self) -> str:
        return list_kind_label(self.sequence)


def export_rows(sheet: Sheet, sequence: int | None = None) -> Export:
    """What the documents print: the issued list of that `sequence`, or by default the open list's
    drafts as a 讨论稿 dated today when there are any, else the latest issued list.
    DomainError (404) for a sequence that is not issued."""
    first = sheet.issued_lists[0].issued_on if sheet.issued_lists else None
    if sequence is not None or not sheet.drafts:
        plist = next((p for p in sheet.issued_lists if p.sequence == sequence), None) \
            if sequence is not None else sheet.problem_list
        if plist is None:
            if sequence is not None:
                raise DomainError(NOT_VISIBLE_MESSAGE, status=404)
            return Export(date_rules.today(), True)
        rows = [ExportRow(i.seq, i.number, i.category, i.site.name, i.description, i.severity.label,
                          i.rectification_type.label, date_rules.effective_deadline(i), i.suggested_measures,
                          i.finding_id)
                for i in issued_items(sheet, plist)]
        return Export(plist.issued_on or date_rules.today(), False, rows, plist.sequence,
                      first if plist.sequence > 1 else None)
    today = date_rules.today()
    number = numbering(sheet)
    rows = [ExportRow(seq, number(seq), f.category, f.site.name, f.description,
                      f.severity.label, f.rectification_type.label, default_deadline(sheet.campaign, f, today),
                      f.suggested_measures, f.id)
            for seq, f in enumerate(ordered_drafts(sheet.campaign.id, sheet.county.id), start=1)]
    return Export(today, True, rows, sheet.next_sequence, first)


def export_filename(sheet: Sheet, data: Export, ext: str) -> DownloadName:
    """新野县_2022年核查_反馈问题清单（讨论稿）_2022-07-25.docx, fallback
    feedback-411329-draft-2022-07-25.docx (list 2 on: feedback-411329-list2-…)."""
    what = data.kind + (DRAFT_MARK if data.draft else "")
    detail_ascii = "-".join(p for p in (f"list{data.sequence}" if data.sequence > 1 else "",
                                        "draft" if data.draft else "") if p)
    return download_name(what, "feedback", data.issued_on, ext, scope=sheet.county.name,
                         scope_code=sheet.county.code, campaign=sheet.campaign.name, detail_ascii=detail_ascii)


def feedback_docx(sheet: Sheet, data: Export) -> bytes:
    """The 反馈问题清单 Word document (GB/T 9704 layout), or a 补充反馈问题清单; a draft's title carries
    「（讨论稿）」. It ends with 附件：问题照片, the inspectors' photos of each item (issue 14). An item
    that repeats an earlier campaign's finding ends with 本问题在2022年核查中已指出 (repeats.marks)."""
    groups: list[tuple[str, list[dict]]] = []
    marks = repeats.marks(r.finding_id for r in data.rows)
    for row in data.rows:
        if not groups or groups[-1][0] != row.category:
            groups.append((row.category, []))
        mark = marks.get(row.finding_id)
        groups[-1][1].append({"number": row.number, "description": row.description, "site": row.site,
                              "severity": row.severity, "rectification_type": row.rectification_type,
                              "deadline": row.deadline, "measures_suggested": row.measures,
                              "repeat_note": mark.sentence if mark else ""})
    team_name = sheet.team.name if sheet.team else "核查组"
    return official_docx.problem_list_document(
        sheet.county.name, team_name, sheet.campaign.name, data.issued_on, groups,
        visit_start=sheet.campaign.start_date, visit_end=sheet.campaign.end_date,
        score=_score_summary(sheet), supplement_to=data.supplement_to, kind=data.kind,
        title_suffix=DRAFT_MARK if data.draft else "", photo_annex=_photo_annex(data.rows),
        extra_sections=_self_inspection_sections(sheet))


def _self_inspection_sections(sheet: Sheet) -> list[official_docx.Section]:
    """自查情况, when the county submitted a self-inspection in this campaign (issue 15)."""
    from inspect_app.self_inspections.feedback import self_inspection_section

    section = self_inspection_section(sheet.campaign.id, sheet.county.id,
                                      official_docx.county_short(sheet.county.name))
    return [section] if section is not None else []


def _photo_annex(rows: list[ExportRow]) -> list[official_docx.PhotoGroup]:
    """Each item with photos, in list order: its photos captioned for the annex."""
    photos = media_service.photos_of_findings(r.finding_id for r in rows if r.finding_id)
    annex = []
    for row in rows:
        pictures = [p for p in (media_service.annex_photo(photo, f"问题编号 {row.number}", row.site)
                                for photo in photos.get(row.finding_id, [])) if p is not None]
        if pictures:
            annex.append(official_docx.PhotoGroup(f"{row.number}　{row.site}", pictures))
    return annex


def _score_summary(sheet: Sheet) -> tuple[float, int, list[str]] | None:
    """The county's campaign score for the feedback document: (percent, submitted sites, vetoes)."""
    score = county_scores(sheet.campaign.id, [sheet.county.id]).get(sheet.county.id)
    if score is None or score.percent is None:
        return None
    return score.percent, submitted_visit_count(sheet.campaign.id, sheet.county.id), score.vetoed


XLSX_COLUMNS = list(workbook.PROBLEM_LIST_COLUMNS)


def feedback_xlsx(sheet: Sheet, data: Export) -> bytes:
    """The list as one Excel sheet that prints: title rows (title; campaign, county, date), the
    header repeated on every page, county / campaign / date in the print header, page numbers in
    the footer, real date cells and row heights for the wrapped text. The last column, 屡查屡犯,
    names the earlier campaigns' years an item repeats (repeats.marks, one query), else is empty."""
    marks = repeats.marks(r.finding_id for r in data.rows)
    rows = [{"序号": r.seq, "问题编号": r.number, "问题类别": r.category, "核查点位": r.site,
             "问题描述": r.description, "严重程度": r.severity, "整改类型": r.rectification_type,
             "完成时限": r.deadline, "整改建议": r.measures,
             "屡查屡犯": marks[r.finding_id].years_text if r.finding_id in marks else ""} for r in data.rows]
    title = data.kind + (DRAFT_MARK if data.draft else "")
    issued = iso_date(data.issued_on)
    team = sheet.team.name if sheet.team else "核查组"
    lines = [f"{sheet.county.name}{title}",
             f"核查活动：{sheet.campaign.name}　　县(市)：{sheet.county.name}　　核查组：{team}　　"
             f"{'生成' if data.draft else '下发'}日期：{issued}　　共{len(rows)}个问题"]
    return workbook.build_simple_table(title, XLSX_COLUMNS, rows, date_columns=["完成时限"], title_lines=lines,
                                       print_header=(sheet.county.name, sheet.campaign.name, issued),
                                       widths=workbook.PROBLEM_LIST_WIDTHS)


