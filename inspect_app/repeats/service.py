"""屡查屡犯 — repeat findings: which earlier finding a finding repeats, the leader's decisions on it,
and the marks and figures drawn from the links.

The matching rule (issue 15). A finding repeats an earlier campaign's finding when, in the same
county,
- both were recorded under **the same checklist item**, and
- both were recorded at **the same site** — or, for a county-level finding, at any county-level site.

*The same checklist item* across campaigns means the same item **code within the same checklist
template** (`ChecklistVersion.template_id`, `ChecklistItem.code`). Each year's checklist is a new
`ChecklistVersion` row with its own item rows, so item ids differ between campaigns; the code is
what stays: `checklists.service.copy_as_draft` copies a version with its codes, the XLSX exchange
(`checklists.xlsx`) identifies items by code, and a code is unique within a version
(`uq checklist_items(version_id, code)`). The wording of an item may be corrected from one year to
the next; its code is how inspectors and counties cite it ("A01"). Items of another template
(another province's checklist) never match, even with an equal code.

*County-level* findings are those recorded at a 政府部门 site (`SiteKindGroup.GOVERNMENT`: the
county's 卫健委, 医保局, 财政局 …). A finding about the county's government duties (A 责任共同体:
leading group, budget, staffing, insurance payment) is the county's, whichever department the team
happened to visit: 2022 at the 卫健委, 2023 at the 财政局 is the same problem. Every other site kind
is a place of its own (one 医共体's office, one township centre), so there the site must be equal.

*Earlier* means a campaign that started before this finding's campaign (`Campaign.start_date`).
The earlier finding may be issued or still a draft of that campaign (a list left unissued was
still reported at the feedback meeting); one merged into another finding counts as the finding it
was merged into, which is what the county received. A finding recorded without a checklist item
(自由记录) is never matched automatically: the leader links it by hand.

Links (`RepeatLink`) are made when a finding is recorded (`link_automatically`, called by
`visits.service.create_finding`) and re-checked when its checklist item or site changes, or
removed when it is deleted (`_follow_findings`, a flush listener: whoever changes the row). Both
directions are looked at: a 2022 finding entered after 2023's is linked from the 2023 one. A
finding merged into another hands its links to that one (`carry_links`); one unmerged is matched
afresh. An
automatic link is 待确认 until the leader confirms it or unlinks it; an unlinked pair is kept and
never suggested again; the leader may also link by hand. Suggested and confirmed links both mark
the finding as a repeat (the link was made by a rule the province set; the leader's decision only
removes a wrong one). Every change is in the audit trail.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.orm import Session, aliased

from inspect_app import access
from inspect_app.audit.service import record
from inspect_app.campaigns.models import Campaign
from inspect_app.checklists.models import ChecklistItem, ChecklistSection, ChecklistVersion
from inspect_app.errors import DomainError
from inspect_app.extensions import db, utcnow
from inspect_app.org.models import Region, Site, SiteKind, SiteKindGroup
from inspect_app.repeats.models import ACTIVE_STATES, LinkOrigin, LinkState, RepeatLink
from inspect_app.text import clean_text
from inspect_app.visits.models import Finding, FindingStatus

#: Site kinds whose findings are the county's (matched in the whole county, not per site).
COUNTY_LEVEL_GROUPS = (SiteKindGroup.GOVERNMENT,)
SEARCH_LIMIT = 20
SEARCH_MAX_LENGTH = 50


# ---------------------------------------------------------------- the matching rule

def _is_county_level(site_id: int) -> bool:
    group = db.session.execute(sa.select(SiteKind.group).join(Site, Site.kind_id == SiteKind.id)
                               .where(Site.id == site_id)).scalar_one_or_none()
    return group in COUNTY_LEVEL_GROUPS


def _earlier_campaigns(campaign_id: int) -> sa.Select:
    """SELECT of the ids of the campaigns that started before `campaign_id` did."""
    this = sa.select(Campaign.start_date).where(Campaign.id == campaign_id).scalar_subquery()
    return sa.select(Campaign.id).where(Campaign.start_date < this)


def _item_key(item_id: int | None):
    """(template id, item code) of a checklist item — what makes items equal across campaigns."""
    if item_id is None:
        return None
    return db.session.execute(sa.select(ChecklistVersion.template_id, ChecklistItem.code).join(
        ChecklistVersion, ChecklistVersion.id == ChecklistItem.version_id).where(
        ChecklistItem.id == item_id)).one_or_none()


def _later_campaigns(campaign_id: int) -> sa.Select:
    """SELECT of the ids of the campaigns that started after `campaign_id` did."""
    this = sa.select(Campaign.start_date).where(Campaign.id == campaign_id).scalar_subquery()
    return sa.select(Campaign.id).where(Campaign.start_date > this)


def matching_later(finding: Finding) -> set[int]:
    """Ids of the later campaigns' findings that repeat `finding` by the rule in the module
    docstring — the other direction of `matching_earlier`, for an earlier campaign's finding
    recorded (or corrected) after the later one (data entry of 2022 after 2023's). Findings merged
    into another are left out (the one they were merged into carries their links); empty without
    a checklist item."""
    if finding.item_id is None or finding.site_id is None:
        return set()
    key = _item_key(finding.item_id)
    if key is None:
        return set()
    later = aliased(Finding)
    stmt = (sa.select(later.id)
            .join(ChecklistItem, ChecklistItem.id == later.item_id)
            .join(ChecklistVersion, ChecklistVersion.id == ChecklistItem.version_id)
            .where(ChecklistVersion.template_id == key.template_id, ChecklistItem.code == key.code,
                   later.county_id == finding.county_id, later.status != FindingStatus.MERGED,
                   later.campaign_id.in_(_later_campaigns(finding.campaign_id))))
    if _is_county_level(finding.site_id):
        stmt = stmt.join(Site, Site.id == later.site_id).join(SiteKind, SiteKind.id == Site.kind_id) \
            .where(SiteKind.group.in_(COUNTY_LEVEL_GROUPS))
    else:
        stmt = stmt.where(later.site_id == finding.site_id)
    return set(db.session.execute(stmt).scalars()) - {finding.id}


def matching_earlier(finding: Finding) -> set[int]:
    """Ids of the earlier campaigns' findings `finding` repeats by the rule in the module docstring
    (a merged finding replaced by the one it was merged into); empty without a checklist item."""
    if finding.item_id is None or finding.site_id is None:
        return set()
    key = _item_key(finding.item_id)
    if key is None:
        return set()
    earlier = aliased(Finding)
    stmt = (sa.select(earlier.id, earlier.merged_into_id)
            .join(ChecklistItem, ChecklistItem.id == earlier.item_id)
            .join(ChecklistVersion, ChecklistVersion.id == ChecklistItem.version_id)
            .where(ChecklistVersion.template_id == key.template_id, ChecklistItem.code == key.code,
                   earlier.county_id == finding.county_id,
                   earlier.campaign_id.in_(_earlier_campaigns(finding.campaign_id))))
    if _is_county_level(finding.site_id):
        stmt = stmt.join(Site, Site.id == earlier.site_id).join(SiteKind, SiteKind.id == Site.kind_id) \
            .where(SiteKind.group.in_(COUNTY_LEVEL_GROUPS))
    else:
        stmt = stmt.where(earlier.site_id == finding.site_id)
    return {merged_into or ident for ident, merged_into in db.session.execute(stmt)} - {finding.id}


def _links_of(finding_id: int) -> dict[int, RepeatLink]:
    return {link.earlier_finding_id: link for link in db.session.execute(
        sa.select(RepeatLink).where(RepeatLink.finding_id == finding_id)).scalars()}


def _audit(action: str, link: RepeatLink, summary: str, user=None, before=None, after=None) -> None:
    """One audit event about a link, filed under the later finding (where a reader looks for it)."""
    after = after if after is not None else {"state": link.state, "origin": link.origin}
    record(action, object_type="Finding", object_id=link.finding_id, county_id=link.county_id,
           label=f"问题 #{link.finding_id} 屡查屡犯 ← 问题 #{link.earlier_finding_id}", user=user,
           before=before, after={"earlier_finding_id": link.earlier_finding_id, **after}, summary=summary)


def _suggest(finding_id: int, earlier_id: int, county_id: int, user) -> RepeatLink:
    link = RepeatLink(finding_id=finding_id, earlier_finding_id=earlier_id, county_id=county_id,
                      origin=LinkOrigin.AUTO, state=LinkState.SUGGESTED, created_at=utcnow(),
                      created_by_id=getattr(user, "id", None))
    db.session.add(link)
    _audit("repeat.suggest", link, "自动关联往年同一问题（屡查屡犯，待组长确认）", user=user)
    return link


def _withdraw(link: RepeatLink, user) -> None:
    _audit("repeat.withdraw", link, "核查项或核查点位已改变，撤回自动关联", user=user,
           before={"state": link.state}, after={"state": "withdrawn"})
    db.session.delete(link)


def link_automatically(finding: Finding, user=None) -> list[RepeatLink]:
    """Bring `finding`'s automatic links in line with the matching rule (the caller commits), in
    both directions: to the earlier campaigns' findings it repeats, and from the later campaigns'
    findings that repeat it (an earlier campaign's finding recorded after the later one's — the
    later one is `finding_id`, this one `earlier_finding_id`; a merged finding does not look back).

    New matches become SUGGESTED auto links; a SUGGESTED auto link that no longer matches (its item
    or site changed) is withdrawn. Pairs with any other history — confirmed, unlinked, made by
    hand — are left as the leader decided: an unlinked pair is never suggested again. Returns the
    links added."""
    with db.session.no_autoflush:
        matches = matching_earlier(finding)
        existing = _links_of(finding.id)
        # A merged finding is represented by the one it was merged into (carry_links), whose own
        # links are not this finding's to withdraw: only a finding in its own right looks back.
        target = finding.id
        merged = finding.status == FindingStatus.MERGED or finding.merged_into_id is not None
        later_matches = set() if merged else matching_later(finding)
        existing_later = {} if merged else {link.finding_id: link for link in db.session.execute(
            sa.select(RepeatLink).where(RepeatLink.earlier_finding_id == target)).scalars()}
    added = []
    for earlier_id in sorted(matches - existing.keys()):
        added.append(_suggest(finding.id, earlier_id, finding.county_id, user))
    for earlier_id, link in existing.items():
        if earlier_id not in matches and link.origin is LinkOrigin.AUTO and link.state is LinkState.SUGGESTED:
            _withdraw(link, user)
    for later_id in sorted(later_matches - existing_later.keys()):
        added.append(_suggest(later_id, target, finding.county_id, user))
    stale = [link for later_id, link in existing_later.items() if later_id not in later_matches
             and link.origin is LinkOrigin.AUTO and link.state is LinkState.SUGGESTED]
    if stale:
        # A later finding may match one merged into this finding rather than this one: it stays.
        with db.session.no_autoflush:
            for child in db.session.execute(sa.select(Finding).where(Finding.merged_into_id == finding.id)).scalars():
                later_matches |= matching_later(child)
    for link in stale:
        if link.finding_id not in later_matches:
            _withdraw(link, user)
    return added


#: Which of two links on the same pair wins when a merge brings them together: a leader's decision
#: over a suggestion (an unlinked pair stays unlinked: never suggested again).
def _decided_rank(link: RepeatLink) -> int:
    return 0 if link.state is LinkState.SUGGESTED else 1


def carry_links(merged: Finding, keep_id: int, user=None) -> None:
    """`merged` was merged into the finding `keep_id` (problem_lists.service.merge): its 屡查屡犯
    links move to that finding, in both directions (the caller commits).

    A pair the kept finding already has is not duplicated: the decided link (confirmed or
    unlinked) wins over a suggestion, and between two decided ones the kept finding's own stays;
    the merged finding's row is then removed. Each move is in the audit trail."""
    with db.session.no_autoflush:
        own = db.session.execute(sa.select(RepeatLink).where(sa.or_(
            RepeatLink.finding_id == merged.id, RepeatLink.earlier_finding_id == merged.id))).scalars().all()
        kept = db.session.execute(sa.select(RepeatLink).where(sa.or_(
            RepeatLink.finding_id == keep_id, RepeatLink.earlier_finding_id == keep_id))).scalars().all()
    pairs = {(link.finding_id, link.earlier_finding_id): link for link in kept}
    for link in own:
        pair = (keep_id if link.finding_id == merged.id else link.finding_id,
                keep_id if link.earlier_finding_id == merged.id else link.earlier_finding_id)
        before = {"finding_id": link.finding_id, "earlier_finding_id": link.earlier_finding_id,
                  "state": link.state}
        there = pairs.get(pair)
        if there is not None:
            if _decided_rank(link) > _decided_rank(there):
                there.state, there.origin = link.state, link.origin
                there.decided_by_id, there.decided_at = link.decided_by_id, link.decided_at
            _audit("repeat.merge", there, f"问题 #{merged.id} 已合并到本问题，其屡查屡犯关联并入", user=user,
                   before=before, after={"state": there.state, "origin": there.origin})
            db.session.delete(link)
            continue
        link.finding_id, link.earlier_finding_id = pair
        pairs[pair] = link
        _audit("repeat.merge", link, f"问题 #{merged.id} 已合并到本问题，其屡查屡犯关联随之转移", user=user,
               before=before)


def _follow_findings(session: Session, _context, _instances) -> None:
    """Flush listener: a finding whose checklist item or site changed, or whose merge was undone,
    is matched again (both directions); a finding merged into another hands its links to that one
    (carry_links); a deleted finding's links go with it (SQLite does not enforce the ON DELETE
    CASCADE)."""
    for obj in list(session.dirty):
        if isinstance(obj, Finding) and obj.id is not None:
            state = sa.inspect(obj)
            merged = state.attrs.merged_into_id.history
            if merged.has_changes() and obj.merged_into_id is not None:
                carry_links(obj, obj.merged_into_id)
            elif merged.has_changes() or state.attrs.item_id.history.has_changes() \
                    or state.attrs.site_id.history.has_changes():
                link_automatically(obj)     # a changed item or site, or a merge undone
    deleted = [obj.id for obj in session.deleted if isinstance(obj, Finding) and obj.id is not None]
    if deleted:
        with session.no_autoflush:
            gone = session.execute(sa.select(RepeatLink).where(sa.or_(
                RepeatLink.finding_id.in_(deleted), RepeatLink.earlier_finding_id.in_(deleted)))).scalars().all()
        for link in gone:
            _audit("repeat.remove", link, "问题已删除，关联随之删除", before={"state": link.state}, after={})
            session.delete(link)


def install() -> None:
    """Register the flush listener (idempotent; create_app). It runs before the audit chain's, so
    the audit rows it adds are chained in the same flush."""
    if not sa.event.contains(Session, "before_flush", _follow_findings):
        sa.event.listen(Session, "before_flush", _follow_findings, insert=True)


# ---------------------------------------------------------------- the leader's decisions

def _decided(link: RepeatLink, user, state: LinkState) -> None:
    link.state, link.decided_by_id, link.decided_at = state, user.id, utcnow()


def confirm(link: RepeatLink, user) -> bool:
    """The leader confirms that the finding repeats the earlier one (also undoes an unlink).
    Returns whether anything changed; the caller checked access (access.can_decide_repeat)."""
    if link.state is LinkState.CONFIRMED:
        return False
    before = link.state
    _decided(link, user, LinkState.CONFIRMED)
    _audit("repeat.confirm", link, "确认屡查屡犯关联", user=user, before={"state": before})
    db.session.commit()
    return True


def unlink(link: RepeatLink, user) -> bool:
    """The leader says it is not the same problem: the link stays as UNLINKED so the rule never
    suggests it again. Returns whether anything changed."""
    if link.state is LinkState.UNLINKED:
        return False
    before = link.state
    _decided(link, user, LinkState.UNLINKED)
    _audit("repeat.unlink", link, "取消屡查屡犯关联", user=user, before={"state": before})
    db.session.commit()
    return True


def link_by_hand(finding: Finding, earlier: Finding, user) -> RepeatLink:
    """Link `finding` to an earlier campaign's finding of the same county, confirmed at once.

    A merged earlier finding links the finding it was merged into. Refused (DomainError 422) for a
    finding of the same or a later campaign; 404 for another county's (as if it did not exist).
    An existing pair (e.g. unlinked before) is confirmed instead of duplicated."""
    if earlier.county_id != finding.county_id:
        raise DomainError("未找到该问题", status=404)
    if earlier.merged_into_id is not None:
        earlier = db.session.get(Finding, earlier.merged_into_id)
    if earlier.id == finding.id or db.session.execute(
            sa.select(sa.literal(1)).where(sa.literal(earlier.campaign_id).in_(
                _earlier_campaigns(finding.campaign_id)))).first() is None:
        raise DomainError("只能关联此前核查任务中的问题", field="earlier_id")
    link = _links_of(finding.id).get(earlier.id)
    if link is not None:
        confirm(link, user)
        return link
    link = RepeatLink(finding_id=finding.id, earlier_finding_id=earlier.id, county_id=finding.county_id,
                      origin=LinkOrigin.MANUAL, state=LinkState.CONFIRMED, created_at=utcnow(),
                      created_by_id=user.id, decided_by_id=user.id, decided_at=utcnow())
    db.session.add(link)
    db.session.flush()
    _audit("repeat.link", link, "手动关联往年同一问题（屡查屡犯）", user=user)
    db.session.commit()
    return link


# ---------------------------------------------------------------- what screens and documents show

def years_text(years: list[int]) -> str:
    """[2022, 2023] → '2022年、2023年'."""
    return "、".join(f"{y}年" for y in years)


@dataclass
class Mark:
    """A finding's repeat mark: the years of the earlier campaigns it repeats."""

    years: list[int]
    pending: bool = False       # an automatic link is still 待确认

    @property
    def years_text(self) -> str:
        return years_text(self.years)

    @property
    def sentence(self) -> str:
        """What the feedback document says after the item (issue 15)."""
        return f"本问题在{self.years_text}核查中已指出。"

    @property
    def ledger_text(self) -> str:
        """The 整改台账's 屡查屡犯 cell: the earlier campaigns' years (empty for other items). Short, so
        the 20 columns still print on A3 at ≥ 70 % (documents.workbook.LEDGER_WIDTHS)."""
        return self.years_text


def marks(finding_ids) -> dict[int, Mark]:
    """finding id → Mark, for the findings among `finding_ids` with an active link (one query; the
    caller bounds the ids: a page, a document, a ledger batch)."""
    ids = sorted({i for i in finding_ids if i is not None})
    if not ids:
        return {}
    earlier = aliased(Finding)
    rows = db.session.execute(
        sa.select(RepeatLink.finding_id, Campaign.year, RepeatLink.state)
        .join(earlier, earlier.id == RepeatLink.earlier_finding_id)
        .join(Campaign, Campaign.id == earlier.campaign_id)
        .where(RepeatLink.finding_id.in_(ids), RepeatLink.state.in_(ACTIVE_STATES)))
    years: dict[int, set[int]] = defaultdict(set)
    pending: set[int] = set()
    for finding_id, year, state in rows:
        years[finding_id].add(year)
        if state is LinkState.SUGGESTED:
            pending.add(finding_id)
    return {fid: Mark(sorted(ys), fid in pending) for fid, ys in years.items()}


@dataclass
class LinkRow:
    """One link as the leader's panel shows it, with the earlier finding it points to."""

    link: RepeatLink
    campaign: Campaign
    earlier: Finding
    site_name: str
    item_code: str
    number: str             # the earlier item's 问题编号 once issued


def _earlier_select(*lead) -> sa.Select:
    """SELECT *lead, Finding, its Campaign, site name, item code and 问题编号 (when issued)."""
    from inspect_app.rectification.models import RectificationItem

    return (sa.select(*lead, Finding, Campaign, Site.name, ChecklistItem.code, RectificationItem.number)
            .select_from(Finding)
            .join(Campaign, Campaign.id == Finding.campaign_id)
            .join(Site, Site.id == Finding.site_id)
            .outerjoin(ChecklistItem, ChecklistItem.id == Finding.item_id)
            .outerjoin(RectificationItem, RectificationItem.finding_id == Finding.id))


def link_rows(finding: Finding) -> list[LinkRow]:
    """The finding's links, every state, the earliest campaign first."""
    stmt = _earlier_select(RepeatLink).join(RepeatLink, RepeatLink.earlier_finding_id == Finding.id) \
        .where(RepeatLink.finding_id == finding.id)
    rows = [LinkRow(link, campaign, earlier, site, code or "", number or "")
            for link, earlier, campaign, site, code, number in db.session.execute(stmt).all()]
    return sorted(rows, key=lambda r: (r.campaign.start_date, r.earlier.id))


@dataclass
class Candidate:
    finding: Finding
    campaign: Campaign
    site_name: str
    item_code: str
    number: str


def candidates(user, finding: Finding, q: str) -> list[Candidate]:
    """Earlier campaigns' findings of the finding's county that the leader may link by hand
    (access.earlier_findings_clause), whose description, site, item code or 问题编号 contains `q`;
    not merged, not linked already (an unlinked pair may be linked again). At most SEARCH_LIMIT,
    the latest campaign first."""
    from inspect_app.rectification.models import RectificationItem

    q = clean_text(q or "")[:SEARCH_MAX_LENGTH].strip()
    active = sa.select(RepeatLink.earlier_finding_id).where(RepeatLink.finding_id == finding.id,
                                                            RepeatLink.state.in_(ACTIVE_STATES))
    stmt = _earlier_select().where(
        access.earlier_findings_clause(user, finding, Finding),
        Finding.campaign_id.in_(_earlier_campaigns(finding.campaign_id)),
        Finding.status != FindingStatus.MERGED, Finding.id.notin_(active))
    if q:
        pattern = "%" + q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        stmt = stmt.where(sa.or_(Finding.description.ilike(pattern, escape="\\"),
                                 Site.name.ilike(pattern, escape="\\"),
                                 ChecklistItem.code.ilike(pattern, escape="\\"),
                                 RectificationItem.number.ilike(pattern, escape="\\")))
    stmt = stmt.order_by(Campaign.start_date.desc(), Finding.id).limit(SEARCH_LIMIT)
    return [Candidate(f, campaign, site, code or "", number or "")
            for f, campaign, site, code, number in db.session.execute(stmt).all()]


def earlier_finding_for(user, finding: Finding, earlier_id: int) -> Finding:
    """The earlier finding a manual link names, if the leader may pick it; else 404."""
    earlier = db.session.execute(sa.select(Finding).where(
        Finding.id == earlier_id, access.earlier_findings_clause(user, finding, Finding))).scalar_one_or_none()
    if earlier is None:
        raise DomainError("未找到该问题", status=404)
    return earlier


# ---------------------------------------------------------------- dashboard figures

@dataclass
class Rate:
    """Repeat findings among the findings of one group (a county, a checklist section)."""

    key: str
    name: str
    findings: int = 0
    repeats: int = 0

    @property
    def rate(self) -> float:
        return self.repeats / self.findings if self.findings else 0.0


@dataclass
class RepeatRates:
    total: Rate
    counties: list[Rate] = field(default_factory=list)
    sections: list[Rate] = field(default_factory=list)


NO_SECTION = ("", "未关联核查项（自由记录）")


def repeat_rates(user, filters) -> RepeatRates:
    """The repeat rate (屡查屡犯率) = findings with an active repeat link ÷ findings, in the user's
    scope (access.campaign_county_clause) and the dashboard's filters (campaign, city, county —
    the date filters are about items issued, not findings, and do not apply), by county and by
    checklist section.

    Findings counted: those of the campaign(s) not merged into another (a merged finding is part of
    the one kept). The county side (no access.Permission.VISIT_VIEW) counts only issued findings,
    the only ones it may see. Sections are grouped by their code (stable across a template's
    versions, like item codes), named by their title; findings without a checklist item form one
    group of their own. Two queries."""
    repeat = sa.exists(sa.select(RepeatLink.id).where(RepeatLink.finding_id == Finding.id,
                                                      RepeatLink.state.in_(ACTIVE_STATES)))
    flag = sa.case((repeat, 1), else_=0)
    where = [access.campaign_county_clause(user, Finding.campaign_id, Finding.county_id),
             Finding.status != FindingStatus.MERGED]
    if not access.has(user, access.Permission.VISIT_VIEW):
        where.append(Finding.status == FindingStatus.ISSUED)
    if filters.campaign_id:
        where.append(Finding.campaign_id == filters.campaign_id)
    if filters.county_id:
        where.append(Finding.county_id == filters.county_id)
    elif filters.city_id:
        where.append(Finding.county_id.in_(sa.select(Region.id).where(Region.parent_id == filters.city_id)))
    counts = (sa.func.count(Finding.id), sa.func.coalesce(sa.func.sum(flag), 0))
    by_county = db.session.execute(
        sa.select(Region.code, Region.name, *counts).join(Region, Region.id == Finding.county_id)
        .where(*where).group_by(Region.code, Region.name).order_by(Region.code)).all()
    by_section = db.session.execute(
        sa.select(ChecklistSection.code, sa.func.min(ChecklistSection.title), *counts)
        .outerjoin(ChecklistItem, ChecklistItem.id == Finding.item_id)
        .outerjoin(ChecklistSection, ChecklistSection.id == ChecklistItem.section_id)
        .where(*where).group_by(ChecklistSection.code).order_by(ChecklistSection.code)).all()
    counties = [Rate(code, name, int(n), int(r)) for code, name, n, r in by_county]
    sections = [Rate(code or NO_SECTION[0], title or NO_SECTION[1], int(n), int(r))
                for code, title, n, r in by_section]
    sections.sort(key=lambda s: (s.key == "", s.key))
    total = Rate("", "合计", sum(c.findings for c in counties), sum(c.repeats for c in counties))
    return RepeatRates(total, counties, sections)
