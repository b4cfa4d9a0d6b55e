"""Business rules of the county problem list (反馈问题清单).

A county's list in a campaign is the set of its DRAFT findings until the team leader issues it
(下发). Before issuing the leader edits wording, merges duplicates and orders the findings; the
numbering is always derived (category order, then position), never stored until issue time.
Issuing is one transaction: a `ProblemList` row (ISSUED), one `RectificationItem` per remaining
draft finding, the findings frozen as ISSUED, a history row per item and the audit events.

The county side (PROBLEM_LIST_VIEW without VISIT_VIEW) sees only issued lists; that rule lives
here (`visible_list`), so every view, fragment and export goes through it.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from inspect_app import access
from inspect_app.access import Permission
from inspect_app.audit.service import changes, record
from inspect_app.campaigns.models import Campaign, Team, team_counties
from inspect_app.checklists.models import ChecklistItem, ChecklistSection
from inspect_app.documents import official_docx, workbook
from inspect_app.documents.dates import cn_date, iso_date, today_china
from inspect_app.extensions import db, utcnow
from inspect_app.media.models import Attachment, AttachmentKind
from inspect_app.org.models import Region, RegionLevel
from inspect_app.rectification import lifecycle, notifications
from inspect_app.rectification.lifecycle import Status
from inspect_app.rectification.models import ItemHistory, ProblemList, ProblemListStatus, RectificationItem
from inspect_app.visits.models import Finding, FindingStatus

FROZEN_MESSAGE = "问题清单已下发，不能再修改"
DRAFT_MARK = "（讨论稿）"
EDITABLE_FIELDS = ["description", "category", "severity", "rectification_type", "deadline", "suggested_measures"]


class ProblemListError(Exception):
    """A rule refused the action; `status` is the HTTP status the view answers with."""

    status = 422

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class Frozen(ProblemListError):
    """The list is issued (or the finding no longer a draft): nothing may change any more."""

    status = 409


class AlreadyIssued(Frozen):
    """A second 下发 of the same list (double click, retry)."""


class NotVisible(LookupError):
    """The list does not exist for this user (another county, or a draft seen from the county)."""


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
    """One county's list in one campaign, as far as this user may see it."""

    campaign: Campaign
    county: Region
    problem_list: ProblemList | None
    team: Team | None


def team_for(campaign_id: int, county_id: int) -> Team | None:
    """The campaign's team assigned to the county (the one that issues its list)."""
    return db.session.execute(
        sa.select(Team).join(team_counties, team_counties.c.team_id == Team.id)
        .where(Team.campaign_id == campaign_id, team_counties.c.county_id == county_id)
        .order_by(Team.id)).scalars().first()


def problem_list_of(campaign_id: int, county_id: int) -> ProblemList | None:
    return db.session.execute(sa.select(ProblemList).where(
        ProblemList.campaign_id == campaign_id, ProblemList.county_id == county_id)).scalar_one_or_none()


def visible_list(user, campaign: Campaign | None, county: Region) -> Sheet:
    """The (campaign, county) list if `user` may see it, else NotVisible.

    The county must be in the user's scope; a county-side user sees it only once issued.
    """
    if campaign is None or not access.can(user, Permission.PROBLEM_LIST_VIEW, county.id):
        raise NotVisible()
    plist = problem_list_of(campaign.id, county.id)
    sheet = Sheet(campaign, county, plist, plist.team if plist and plist.team else team_for(campaign.id, county.id))
    if not sheet.issued and not can_see_drafts(user):
        raise NotVisible()
    return sheet


def finding_sheet(user, finding: Finding) -> Sheet:
    """The list a finding belongs to (for the finding's own fragments)."""
    return visible_list(user, db.session.get(Campaign, finding.campaign_id), db.session.get(Region, finding.county_id))


# ---------------------------------------------------------------- the index

@dataclass
class IndexRow(_ListState):
    county: Region
    recorded: int = 0
    drafts: int = 0
    merged: int = 0
    items: int = 0
    problem_list: ProblemList | None = None


def _county_ids_of_campaign(campaign_id, user) -> sa.Select:
    """Counties that have a list in the campaign for this user: assigned to a team, with findings
    or with a list row — or, on the county side, only with an issued list.

    `campaign_id` is a value, or `Campaign.id` of an enclosing query (each branch correlates to it).
    """
    if not can_see_drafts(user):
        return sa.select(ProblemList.county_id).where(ProblemList.campaign_id == campaign_id,
                                                      ProblemList.status == ProblemListStatus.ISSUED) \
            .correlate(Campaign)
    assigned = sa.select(team_counties.c.county_id).join(Team, Team.id == team_counties.c.team_id) \
        .where(Team.campaign_id == campaign_id).correlate(Campaign)
    recorded = sa.select(Finding.county_id).where(Finding.campaign_id == campaign_id).correlate(Campaign)
    listed = sa.select(ProblemList.county_id).where(ProblemList.campaign_id == campaign_id).correlate(Campaign)
    return sa.union(assigned, recorded, listed)


def campaigns_for(user) -> list[Campaign]:
    """Campaigns in which the user has at least one list to see, newest first (one query)."""
    has_list = sa.select(sa.literal(1)).select_from(Region).where(
        Region.id.in_(_county_ids_of_campaign(Campaign.id, user)), access.county_clause(user, Region.id))
    return list(db.session.execute(sa.select(Campaign).where(sa.exists(has_list))
                                   .order_by(Campaign.start_date.desc(), Campaign.id.desc())).scalars())


def index_page(user, campaign: Campaign, q: str, page: int, per_page: int = 30):
    """One page of the campaign's counties in scope, with finding counts and list status."""
    stmt = sa.select(Region).where(Region.level == RegionLevel.COUNTY,
                                   Region.id.in_(_county_ids_of_campaign(campaign.id, user)),
                                   access.county_clause(user, Region.id))
    if q:
        stmt = stmt.where(sa.or_(Region.name.contains(q), Region.code.startswith(q)))
    pagination = db.paginate(stmt.order_by(Region.code), page=page, per_page=per_page, error_out=False)
    ids = [c.id for c in pagination.items]
    rows = {c.id: IndexRow(county=c) for c in pagination.items}
    if ids:
        counts = db.session.execute(
            sa.select(Finding.county_id, Finding.status, sa.func.count())
            .where(Finding.campaign_id == campaign.id, Finding.county_id.in_(ids))
            .group_by(Finding.county_id, Finding.status)).all()
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
                ProblemList.campaign_id == campaign.id, ProblemList.county_id.in_(ids))).scalars():
            rows[plist.county_id].problem_list = plist
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
    """The list's drafts in numbering order; none once issued (its items take their place)."""
    return [] if sheet.issued else ordered_drafts(sheet.campaign.id, sheet.county.id)


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


def effective_deadline(finding: Finding, issued_on: date) -> date:
    """The finding's own deadline, else the default for its rectification type from the issue date."""
    return finding.deadline or lifecycle.default_deadline(finding.rectification_type.value, issued_on)


def photo_ids(finding_ids: list[int]) -> dict[int, list[int]]:
    """Photo attachment ids per finding."""
    out: dict[int, list[int]] = defaultdict(list)
    if finding_ids:
        for att_id, finding_id in db.session.execute(
                sa.select(Attachment.id, Attachment.finding_id)
                .where(Attachment.finding_id.in_(finding_ids), Attachment.kind == AttachmentKind.PHOTO)
                .order_by(Attachment.id)).all():
            out[finding_id].append(att_id)
    return out


# ---------------------------------------------------------------- changing drafts

def ensure_editable(sheet: Sheet, finding: Finding | None = None) -> None:
    """Frozen when the list is issued or the finding is no longer a draft (merged or issued)."""
    if sheet.issued:
        raise Frozen(FROZEN_MESSAGE)
    if finding is not None and finding.status == FindingStatus.ISSUED:
        raise Frozen(FROZEN_MESSAGE)
    if finding is not None and finding.status == FindingStatus.MERGED:
        raise Frozen("该问题已合并到其他问题，请先取消合并再修改")


def update_finding(sheet: Sheet, finding: Finding, values: dict) -> bool:
    """Save the leader's wording of one draft finding; returns whether its category changed."""
    ensure_editable(sheet, finding)
    before, after = changes(finding, EDITABLE_FIELDS, values)
    if not after:
        return False
    category_changed = "category" in after
    for key, value in after.items():
        setattr(finding, key, value)
    if category_changed:
        finding.position = None   # goes to the end of its new category
    record("finding.edit", obj=finding, label=finding.description[:60], before=before, after=after,
           summary="修改问题清单中的问题表述")
    db.session.commit()
    return category_changed


def move(sheet: Sheet, finding: Finding, direction: str) -> None:
    """Move a draft finding up or down within its category (positions renumbered 1..n)."""
    ensure_editable(sheet, finding)
    ordered = ordered_drafts(sheet.campaign.id, sheet.county.id)
    for i, f in enumerate(ordered, start=1):
        f.position = i
    index = next(i for i, f in enumerate(ordered) if f.id == finding.id)
    other = index - 1 if direction == "up" else index + 1
    if 0 <= other < len(ordered) and ordered[other].category == finding.category:
        neighbour = ordered[other]
        finding.position, neighbour.position = neighbour.position, finding.position
        record("finding.move", obj=finding, label=finding.description[:60],
               before={"position": neighbour.position}, after={"position": finding.position},
               summary="调整问题清单顺序：" + ("上移" if direction == "up" else "下移"))
    db.session.commit()


def drafts_by_ids(sheet: Sheet, ids: list[int]) -> list[Finding]:
    """The selected findings, all drafts of this list (anything else is refused)."""
    ids = sorted(set(ids))
    findings = db.session.execute(sa.select(Finding).options(*_FINDING_PARTS).where(
        Finding.id.in_(ids))).scalars().all() if ids else []
    if len(findings) != len(ids) or any(f.campaign_id != sheet.campaign.id or f.county_id != sheet.county.id
                                        for f in findings):
        raise NotVisible()
    for f in findings:
        ensure_editable(sheet, f)
    order = {f.id: i for i, f in enumerate(ordered_drafts(sheet.campaign.id, sheet.county.id))}
    return sorted(findings, key=lambda f: order.get(f.id, 0))


def merge(sheet: Sheet, findings: list[Finding], keep: Finding, description: str) -> None:
    """Fold duplicates into `keep`: the others become MERGED (merged_into = keep), their photos and
    earlier-merged findings move to it, and the kept wording may be rewritten in the same step.

    Each photo keeps its source_finding_id, so `unmerge` can give a finding its own photos back; the
    photos moved are also listed in the merge's audit event.
    """
    ensure_editable(sheet, keep)
    if len(findings) < 2:
        raise ProblemListError("请至少选择两个问题进行合并")
    if keep not in findings:
        raise ProblemListError("请选择保留的问题")
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
    """Undo a merge before issuing: the finding is a draft again and its own photos come back."""
    if sheet.issued:
        raise Frozen(FROZEN_MESSAGE)
    if finding.status != FindingStatus.MERGED:
        raise ProblemListError("该问题未被合并")
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

def issue(sheet: Sheet, user, issued_on: date) -> ProblemList:
    """下发: in ONE transaction create the ISSUED list, one 待整改 item per draft finding (numbered
    in list order), freeze the findings, write each item's history and the audit events.

    A second issue answers AlreadyIssued (the unique (campaign, county) list row and the unique
    finding per item also stop a concurrent double submit); any failure rolls everything back.
    """
    campaign, county = sheet.campaign, sheet.county
    sheet.problem_list = problem_list_of(campaign.id, county.id)   # fresh: another request may have issued
    if sheet.issued:
        raise AlreadyIssued(already_issued_message(sheet.problem_list))
    findings = ordered_drafts(campaign.id, county.id)
    if not findings:
        raise ProblemListError(f"{county.name}在本次核查中没有待下发的问题，不能下发问题清单")
    now = utcnow()
    team = sheet.team
    try:
        plist = sheet.problem_list
        if plist is None:
            plist = ProblemList(campaign_id=campaign.id, county_id=county.id)
            db.session.add(plist)
        elif db.session.execute(
                sa.update(ProblemList).where(ProblemList.id == plist.id,
                                             ProblemList.status == ProblemListStatus.DRAFT)
                .values(status=ProblemListStatus.ISSUED).execution_options(synchronize_session=False)
        ).rowcount != 1:
            raise IntegrityError("problem list issued concurrently", None, Exception())
        plist.team_id = team.id if team else None
        plist.title = f"{county.name}反馈问题清单"
        plist.status = ProblemListStatus.ISSUED
        plist.issued_at = now
        plist.issued_on = issued_on
        plist.issued_by_id = user.id
        db.session.flush()
        number = numbering(sheet)
        for seq, finding in enumerate(findings, start=1):
            item = _item_from(finding, plist, campaign, county, seq, number(seq), issued_on, now)
            db.session.add(item)
            db.session.flush()
            finding.status = FindingStatus.ISSUED
            finding.position = seq
            db.session.add(ItemHistory(item_id=item.id, action="issue", from_status=None, to_status=Status.PENDING,
                                       actor_id=user.id, actor_role=user.role, at=now,
                                       note=f"{team.name if team else '核查组'}下发问题清单",
                                       data={"number": item.number, "finding_id": finding.id}))
            record("item.issue", obj=item, label=item.number, after={"status": Status.PENDING.label,
                                                                     "deadline": item.deadline},
                   summary=f"下发整改事项 {item.number}")
        record("problem_list.issue", obj=plist, label=plist.title,
               after={"status": ProblemListStatus.ISSUED, "issued_on": issued_on, "items": len(findings)},
               summary=f"下发{county.name}反馈问题清单，共 {len(findings)} 个问题")
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        existing = problem_list_of(campaign.id, county.id)
        if is_issued(existing):
            raise AlreadyIssued(already_issued_message(existing)) from None
        # Not a double issue: a 问题编号 of this county and year is taken (another campaign the same year).
        raise Frozen("下发失败：问题编号与已有整改事项重复（同一年度另一核查任务已下发该县清单），请联系管理员") from None
    except Exception:
        db.session.rollback()
        raise
    sheet.problem_list = plist
    notifications.list_issued(plist)   # after the commit: tells the county's coordinators, never fails the issue
    return plist


def _item_from(finding, plist, campaign, county, seq, number, issued_on, now) -> RectificationItem:
    """The rectification item a draft finding becomes when its list is issued."""
    return RectificationItem(
        problem_list_id=plist.id, finding_id=finding.id, campaign_id=campaign.id, county_id=county.id,
        site_id=finding.site_id, seq=seq, number=number, category=finding.category,
        description=finding.description, severity=finding.severity,
        rectification_type=finding.rectification_type, suggested_measures=finding.suggested_measures or "",
        deadline=effective_deadline(finding, issued_on), status=Status.PENDING, issued_at=now)


def already_issued_message(plist: ProblemList | None) -> str:
    """What a second 下发 is told: when the list was issued."""
    when = f"已于{cn_date(plist.issued_on)}" if plist is not None and plist.issued_on else "已"
    return f"该问题清单{when}下发，请勿重复下发"


def issued_items(sheet: Sheet) -> list[RectificationItem]:
    if sheet.problem_list is None:
        return []
    return db.session.execute(sa.select(RectificationItem).options(selectinload(RectificationItem.site)).where(
        RectificationItem.problem_list_id == sheet.problem_list.id).order_by(RectificationItem.seq)).scalars().all()


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


@dataclass
class Export:
    issued_on: date
    draft: bool
    rows: list[ExportRow] = field(default_factory=list)


def export_rows(sheet: Sheet) -> Export:
    """What the documents print: the issued items, or the current drafts as a 讨论稿 dated today."""
    if sheet.issued:
        rows = [ExportRow(i.seq, i.number, i.category, i.site.name, i.description, i.severity.label,
                          i.rectification_type.label, i.extended_deadline or i.deadline, i.suggested_measures)
                for i in issued_items(sheet)]
        return Export(sheet.problem_list.issued_on or today_china(), False, rows)
    today = today_china()
    number = numbering(sheet)
    rows = [ExportRow(seq, number(seq), f.category, f.site.name, f.description,
                      f.severity.label, f.rectification_type.label, effective_deadline(f, today),
                      f.suggested_measures)
            for seq, f in enumerate(ordered_drafts(sheet.campaign.id, sheet.county.id), start=1)]
    return Export(today, True, rows)


def export_filename(sheet: Sheet, data: Export, ext: str) -> str:
    mark = DRAFT_MARK if data.draft else ""
    return f"{sheet.county.name}反馈问题清单{mark}_{iso_date(data.issued_on)}.{ext}"


def feedback_docx(sheet: Sheet, data: Export) -> bytes:
    """The 反馈问题清单 Word document (GB/T 9704 layout); a draft's title carries 「（讨论稿）」."""
    groups: list[tuple[str, list[dict]]] = []
    for row in data.rows:
        if not groups or groups[-1][0] != row.category:
            groups.append((row.category, []))
        groups[-1][1].append({"number": row.number, "description": row.description, "site": row.site,
                              "severity": row.severity, "rectification_type": row.rectification_type,
                              "deadline": row.deadline, "measures_suggested": row.measures})
    team_name = sheet.team.name if sheet.team else "核查组"
    content = official_docx.problem_list_document(
        sheet.county.name, team_name, sheet.campaign.name, data.issued_on, groups,
        visit_start=sheet.campaign.start_date, visit_end=sheet.campaign.end_date)
    return _mark_draft(content) if data.draft else content


def _mark_draft(content: bytes) -> bytes:
    """Append 「（讨论稿）」 to the title (last title line, same run formatting) and the core title."""
    import copy
    import io

    from docx import Document

    document = Document(io.BytesIO(content))
    title_paragraphs = [p for p in document.paragraphs if p.style is not None and p.style.style_id == "GwTitle"]
    target = title_paragraphs[-1] if title_paragraphs else document.paragraphs[0]
    if target.runs:
        new_run = copy.deepcopy(target.runs[-1]._r)
        target.runs[-1]._r.addnext(new_run)
        target.runs[-1].text = DRAFT_MARK
    else:
        target.add_run(DRAFT_MARK)
    document.core_properties.title = (document.core_properties.title or "") + DRAFT_MARK
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


XLSX_COLUMNS = ["序号", "问题编号", "问题类别", "核查点位", "问题描述", "严重程度", "整改类型", "完成时限", "整改建议"]


def feedback_xlsx(sheet: Sheet, data: Export) -> bytes:
    """The list as one Excel sheet (frozen header, real date cells)."""
    rows = [{"序号": r.seq, "问题编号": r.number, "问题类别": r.category, "核查点位": r.site,
             "问题描述": r.description, "严重程度": r.severity, "整改类型": r.rectification_type,
             "完成时限": r.deadline, "整改建议": r.measures} for r in data.rows]
    title = "反馈问题清单" + (DRAFT_MARK if data.draft else "")
    return workbook.build_simple_table(title, XLSX_COLUMNS, rows, date_columns=["完成时限"])


def content_disposition(filename: str) -> str:
    return workbook.content_disposition(filename)
