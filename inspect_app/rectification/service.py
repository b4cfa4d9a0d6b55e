"""The county's rectification work: listing items in scope, applying any action, evidence, the ledger.

One function, `apply_action`, carries every lifecycle action: it loads the item with access (404),
asks `lifecycle.apply` (403/409/400), then writes the item, its history row, the audit event, the
notifications and the evidence files in ONE transaction. A stale version — seen by the lifecycle, by
SQLAlchemy's version counter (StaleDataError) or by waiting on PostgreSQL's row lock — is refused
with the same 409 message.
"""
from __future__ import annotations

import dataclasses

import datetime as dt
from dataclasses import dataclass, field

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import joinedload
from sqlalchemy.orm.exc import StaleDataError

from inspect_app import access
from inspect_app.audit.service import record
from inspect_app.auth.models import User
from inspect_app.campaigns.models import Campaign
from inspect_app.documents.download_names import DownloadName, download_name
from inspect_app.documents.dates import to_china
from inspect_app.documents.evidence_package import PackageFile, PackageItem, write_evidence_package
from inspect_app.documents.workbook import evidence_count_label
from inspect_app.errors import DomainError
from inspect_app.extensions import db, utcnow
from inspect_app.idempotency import Duplicate, create_once, new_uuid
from inspect_app.media import processing
from inspect_app.media import service as media_service
from inspect_app.media.models import Attachment, AttachmentKind, PhotoStage
from inspect_app.org import service as org_service
from inspect_app.org.models import Region, ResponsibleUnit
from inspect_app.rectification import channels, date_rules, lifecycle, listing, notifications, search
from inspect_app.rectification.lifecycle import Action, Actor, Status
from inspect_app.rectification.models import (ItemHistory, Milestone, ProgressPost,
                                              RectificationItem)
from inspect_app.roles import Role


MSG_UUID_TAKEN = "该进展编号已被其他事项使用，请刷新页面后重试"
MISSING_VERSION_MESSAGE = "页面缺少事项的版本信息（可能是旧页面），未执行；请核对下方最新内容后再提交"
MSG_FILE_NOT_FOUND = "该文件不存在或不在查看范围内"
MSG_COUNTY_NOT_FOUND = "该县（市、区）不存在或不在查看范围内"
NO_VERSION = 0   # versions start at 1: what a request without one is checked against


# ---------------------------------------------------------------- loading and listing

def load_item(item_id: int, user, for_update: bool = False) -> RectificationItem:
    """The item if `user` may see it (another county's or another unit's item answers 404).

    `for_update` locks the row on PostgreSQL (SELECT … FOR UPDATE), so two parallel saves queue up
    and the second sees the first's new version; SQLite serialises writers anyway.
    """
    stmt = sa.select(RectificationItem).where(RectificationItem.id == item_id)
    if for_update and db.engine.dialect.name == "postgresql":
        stmt = stmt.with_for_update().execution_options(populate_existing=True)
    item = db.session.execute(stmt).scalar_one_or_none()
    if item is None or not access.can_see_item(user, item):
        raise DomainError(lifecycle.NOT_FOUND_MESSAGE, status=404)
    return item


def actor_for(user, item: RectificationItem) -> Actor:
    """The lifecycle's view of the user acting on this item."""
    return Actor(user_id=user.id, role=user.role, unit_id=user.unit_id, in_scope=access.can_see_item(user, item))


def allowed_actions(item, user, now=None) -> list[Action]:
    """The buttons to draw for this user on this item."""
    return lifecycle.allowed_actions(item, actor_for(user, item), now or utcnow())


def check_may_act(item, user, action: Action | str) -> None:
    """Raise DomainError (404 outside scope, 403 role or unit) unless `user` may take `action` on
    `item` at all — the permission half of the lifecycle's check, decided before any input is read."""
    refusal = lifecycle.permission_refusal(item, actor_for(user, item), action)
    if refusal is not None:
        raise refusal


def check_may_set_milestones(item, user) -> None:
    """Raise DomainError 403 unless `user` is the county side of `item` (before the form is read)."""
    if not may_set_milestones(item, user):
        raise DomainError("您无权为该事项设置阶段目标", status=403)


@dataclass
class Filters:
    """The list and ledger filters (the same query string drives both)."""

    campaign: int = 0
    county: int = 0
    unit: int = 0
    status: str = ""       # a Status name
    bucket: str = ""       # a key of lifecycle.AGING_LABELS, or "open" (未销号)
    urgency: str = ""      # red / yellow / blue
    waiting: str = ""      # a key of WAITING: what is waiting for someone (the home page's tasks)
    q: str = ""

    @classmethod
    def from_args(cls, args) -> "Filters":
        status = args.get("status", "")
        bucket = args.get("bucket", "")
        urgency = args.get("urgency", "")
        waiting = args.get("waiting", "")
        return cls(campaign=args.get("campaign", 0, type=int), county=args.get("county", 0, type=int),
                   unit=args.get("unit", 0, type=int),
                   status=status if status in Status.__members__ else "",
                   bucket=bucket if bucket in lifecycle.AGING_LABELS or bucket == "open" else "",
                   urgency=urgency if urgency in lifecycle.URGENCY_LABELS else "",
                   waiting=waiting if waiting in WAITING else "",
                   q=args.get("q", "").strip()[:100])

    def args(self) -> dict:
        """Non-empty filters as query arguments (for pager and export links)."""
        return {k: v for k, v in self.__dict__.items() if v}


#: What an item can be waiting for, as list filters: (label, SQL condition).
WAITING: dict[str, tuple[str, sa.ColumnElement[bool]]] = {
    "unassigned": ("待指派", sa.and_(RectificationItem.status == Status.PENDING,
                                     RectificationItem.unit_id.is_(None))),
    "act": ("待办理", RectificationItem.status.in_([Status.PENDING, Status.IN_PROGRESS])),
    # A JSON column cleared through the ORM may hold JSON null rather than SQL NULL.
    "extension": ("延期待审批", sa.and_(RectificationItem.pending_extension.is_not(None),
                                        sa.cast(RectificationItem.pending_extension, sa.String) != "null")),
}


def _today(now=None) -> dt.date:
    return date_rules.today(now or utcnow())


EFFECTIVE_DEADLINE = date_rules.effective_deadline_sql(RectificationItem)


def item_dates(items, now=None) -> dict[int, date_rules.ItemDates]:
    """The computed deadline values (deadline in force, days left, overdue, bucket, urgency) of each
    item by id, as of today in Beijing: what the screens show, so templates apply no rule."""
    today = _today(now)
    return {item.id: date_rules.item_dates(item, today) for item in items}


def items_query(user, filters: Filters, now=None) -> sa.Select:
    """Items this user may see (access.item_clause), narrowed by the filters, oldest number first."""
    today = _today(now)
    stmt = sa.select(RectificationItem).where(access.item_clause(user, RectificationItem))
    if filters.campaign:
        stmt = stmt.where(RectificationItem.campaign_id == filters.campaign)
    if filters.county:
        stmt = stmt.where(RectificationItem.county_id == filters.county)
    if filters.unit:
        stmt = stmt.where(RectificationItem.unit_id == filters.unit)
    if filters.status:
        stmt = stmt.where(RectificationItem.status == Status[filters.status])
    if filters.bucket:
        stmt = stmt.where(date_rules.aging_clause_sql(filters.bucket, RectificationItem.status, EFFECTIVE_DEADLINE,
                                                      today))
    if filters.urgency:
        stmt = stmt.where(date_rules.urgency_clause_sql(filters.urgency, RectificationItem.status, EFFECTIVE_DEADLINE,
                                                        RectificationItem.planned_date, today))
    if filters.waiting:
        stmt = stmt.where(WAITING[filters.waiting][1])
    if filters.q:
        stmt = stmt.where(search.matches(filters.q, db.engine.dialect.name))
    return stmt.options(joinedload(RectificationItem.unit), joinedload(RectificationItem.county),
                        joinedload(RectificationItem.site))


def search_items(user, filters: Filters, page: int, per_page: int | None = None, after: str | None = None,
                 before: str | None = None) -> listing.ItemPage:
    """One page of the items list, effective deadline then 问题编号: after or before a keyset cursor
    (the pager's links), else by page number; the count is bounded (listing.py)."""
    per_page = per_page or current_app.config["PAGE_SIZE"]
    if filters.q and not search.indexed(filters.q, db.engine.dialect.name):
        # No index serves 1–2 characters: the search looks at a bounded window of the list (listing.py).
        return listing.page_of(items_query(user, dataclasses.replace(filters, q="")), page, per_page,
                               after=after, before=before, count_limit=listing.SHORT_SEARCH_COUNT_LIMIT,
                               search=search.matches(filters.q, db.engine.dialect.name),
                               window=listing.SHORT_SEARCH_WINDOW)
    return listing.page_of(items_query(user, filters), page, per_page, after=after, before=before)


def review_queue(user, filters: Filters, page: int):
    """Items 待验收 across the reviewer's counties, longest waiting first."""
    stmt = items_query(user, filters).where(RectificationItem.status == Status.SUBMITTED) \
        .order_by(RectificationItem.updated_at, RectificationItem.number)
    return db.paginate(stmt, page=page, per_page=50, error_out=False)


def extension_pending_clause() -> sa.ColumnElement[bool]:
    """Items with an extension request waiting. A decided request leaves JSON null (not SQL NULL) in
    the column on some writes, so both are 'none' — compared as text, the same on SQLite and PostgreSQL."""
    return sa.cast(RectificationItem.pending_extension, sa.Text) != "null"


def extension_queue(user, filters: Filters, page: int):
    """Items with an extension request waiting for a decision, across the reviewer's counties, oldest
    deadline first (the most urgent decision first)."""
    stmt = items_query(user, filters).where(date_rules.is_open_sql(RectificationItem.status), extension_pending_clause()) \
        .order_by(EFFECTIVE_DEADLINE, RectificationItem.number)
    return db.paginate(stmt, page=page, per_page=50, error_out=False)


def filter_choices(user, county_id: int = 0) -> dict:
    """Campaigns, counties and units the user may filter by (only what lies in scope). Counties are
    a searching picker's first options (org.service.county_options: ≤ 20, never the whole province);
    none for county roles. Units are for the county coordinator: a unit responder sees only its own
    unit's items anyway."""
    counties = None if user.role in access.COUNTY_ROLES else org_service.county_options(user, chosen_id=county_id)
    # One EXISTS probe per campaign (on the campaign's index), not every item's campaign id in scope.
    has_items = sa.exists().where(RectificationItem.campaign_id == Campaign.id,
                                  access.item_clause(user, RectificationItem)).correlate(Campaign)
    campaigns = list(db.session.execute(sa.select(Campaign).where(has_items)
                                        .order_by(Campaign.year.desc(), Campaign.id)).scalars())
    return {"campaigns": campaigns, "counties": counties,
            "units": units_for(user) if user.role == Role.COUNTY_COORDINATOR else []}


def units_for(user, county_id: int | None = None) -> list[ResponsibleUnit]:
    """Active responsible units of a county (the coordinator's own by default)."""
    county_id = county_id or user.region_id
    if county_id is None:
        return []
    return list(db.session.execute(sa.select(ResponsibleUnit).where(
        ResponsibleUnit.county_id == county_id, ResponsibleUnit.active.is_(True))
        .order_by(ResponsibleUnit.sort_order, ResponsibleUnit.name)).scalars())


# ---------------------------------------------------------------- evidence

@dataclass
class Upload:
    """One uploaded file: the client's name (cleaned for display and storage on arrival, see
    :func:`inspect_app.media.processing.clean_filename`) and its bytes."""

    filename: str
    data: bytes

    def __post_init__(self) -> None:
        self.filename = processing.clean_filename(self.filename)


@dataclass
class _Checked:
    upload: Upload
    image: processing.ProcessedImage | None = None
    doc: tuple[str, str] | None = None


def check_uploads(uploads: list[Upload]) -> list[_Checked]:
    """Verify every file before anything is stored: one refused file refuses the whole post."""
    checked = []
    for upload in uploads:
        try:
            kind = processing.evidence_kind(upload.data)
            if kind == "image":
                checked.append(_Checked(upload, image=processing.process_image(upload.data)))
            else:
                checked.append(_Checked(upload, doc=processing.verify_document(upload.data, upload.filename)))
        except processing.RejectedUpload as error:
            if error.status == 503:  # busy: the same file will do in a moment
                raise DomainError(f"{error.message}。整改进展未保存，请稍后再提交", status=503,
                                  field="files") from None
            raise DomainError(f"文件“{upload.filename}”未能上传：{error.message}。整改进展未保存，请更换文件后重试",
                              field="files") from None
    return checked


def _store_evidence(checked: list[_Checked], post: ProgressPost, user, written: set[str]) -> list[Attachment]:
    """Write the verified files to storage and add their Attachment rows (the caller commits, or on
    failure discards the files recorded in `written`)."""
    try:
        return _write_evidence(checked, post, user, written)
    except processing.RejectedUpload as error:  # the disk is full (507)
        raise DomainError(f"{error.message}。整改进展未保存", status=error.status, field="files") from None


def _write_evidence(checked: list[_Checked], post: ProgressPost, user, written: set[str]) -> list[Attachment]:
    rows = []
    for item in checked:
        common = dict(county_id=post.county_id, progress_id=post.id, filename=item.upload.filename,
                      size=len(item.upload.data), uploader=user, stage=PhotoStage.AFTER)
        if item.image is not None:
            written |= media_service.store_photo_files(item.image, item.upload.data)
            row = media_service.photo_attachment(item.image, client_uuid=new_uuid(), **common)
        else:
            mime, ext = item.doc
            sha, key, new = media_service.store_document_file(item.upload.data, ext)
            written |= new
            row = Attachment(uuid=new_uuid(), kind=AttachmentKind.DOCUMENT, stage=PhotoStage.AFTER,
                             sha256=sha, mime=mime, file_key=key, county_id=post.county_id,
                             progress_id=post.id, filename=item.upload.filename,
                             size_bytes=len(item.upload.data), uploaded_by_id=user.id)
        db.session.add(row)
        rows.append(row)
    return rows


# ---------------------------------------------------------------- applying actions

@dataclass
class ActionInput:
    """What a form submitted for one action (already parsed)."""

    version: int | None = None
    text: str | None = None
    reason: str | None = None
    opinion: str | None = None
    new_date: dt.date | None = None
    unit_id: int | None = None
    person: str | None = None
    assignee_id: int | None = None
    milestone_id: int | None = None
    working_days: int | None = None        # an extension asked in working days
    uploads: list[Upload] = field(default_factory=list)
    uuid: str | None = None      # the client's UUID of a progress post: a retry posts it once


def _milestone_for(item: RectificationItem, milestone_id: int | None) -> Milestone:
    if not milestone_id:
        raise DomainError("请选择要验收的阶段目标", field="milestone_id")
    milestone = db.session.get(Milestone, milestone_id)
    if milestone is None or milestone.item_id != item.id:
        raise DomainError("阶段目标不存在", field="milestone_id")
    if milestone.accepted_at is not None:
        raise DomainError("该阶段目标已验收", status=409, field="milestone_id")
    return milestone


def _snapshot(item: RectificationItem) -> dict:
    return {"status": item.status, "unit_id": item.unit_id, "responsible_person": item.responsible_person,
            "assignee_id": item.assignee_id,
            "planned_date": item.planned_date, "extended_deadline": item.extended_deadline,
            "return_count": item.return_count, "version": item.version}


def unit_accounts(unit_id: int | None, county_id: int | None) -> list[User]:
    """The active accounts of a responsible unit of that county (the 责任人 choices), by name."""
    if not unit_id or not county_id:
        return []
    return list(db.session.execute(sa.select(User).join(ResponsibleUnit, ResponsibleUnit.id == User.unit_id).where(
        User.unit_id == unit_id, ResponsibleUnit.county_id == county_id, User.active.is_(True))
        .order_by(User.display_name, User.id)).scalars())


def _assignment(item: RectificationItem, data: ActionInput) -> ActionInput:
    """Check the chosen unit (this county's, active) and account (an active account of that unit); the
    account's name becomes the 责任人 printed on the ledger. 422 otherwise."""
    if data.unit_id and db.session.execute(sa.select(ResponsibleUnit.id).where(
            ResponsibleUnit.id == data.unit_id, ResponsibleUnit.county_id == item.county_id,
            ResponsibleUnit.active.is_(True))).first() is None:
        raise DomainError("请选择本县的责任单位", field="unit_id")
    if not data.assignee_id:
        return data
    account = next((u for u in unit_accounts(data.unit_id, item.county_id) if u.id == data.assignee_id), None)
    if account is None:
        raise DomainError("所选责任人不是该责任单位的账号，请重新选择", field="assignee_id")
    return ActionInput(**{**data.__dict__, "person": account.display_name})


def apply_action(item_id: int, user, action: Action | str, data: ActionInput, now=None,
                 dispatch: bool = True) -> ItemHistory:
    """Apply one lifecycle action for `user`, with history, audit, notifications and evidence, atomically.

    Raises DomainError: 404 outside scope, 403 role/unit, 409 stale or wrong state, 422 invalid input
    (with the offending `field`). Nothing is saved
    on any error: files are checked before the item is touched. After the commit the notices go to
    the second channels (unless `dispatch` is False: a bulk action sends once at its end).

    A progress post carrying the client's UUID (`data.uuid`) is created once: a retry, also one
    racing the first request, answers with the first post's history row as if it had made it —
    before any version or state check, since the first post already moved the item on.
    """
    action = Action(action)
    try:
        if action is Action.POST_PROGRESS and data.uuid:
            history, _created = create_once(lambda: _posted(item_id, user, data.uuid),
                                            lambda: _apply(item_id, user, action, data, now),
                                            clashes=(StaleDataError,))
        else:
            history = _apply(item_id, user, action, data, now)
    except StaleDataError:
        raise DomainError(lifecycle.STALE_MESSAGE, status=409) from None
    if dispatch:
        channels.dispatch()
    return history


def _posted(item_id: int, user, client_uuid: str) -> ItemHistory | None:
    """The history row of the progress post already made under this UUID, or None; 409 when the UUID
    belongs to another item's post."""
    post = db.session.execute(sa.select(ProgressPost).where(ProgressPost.uuid == client_uuid)).scalar_one_or_none()
    if post is None:
        return None
    if post.item_id != item_id:
        raise DomainError(MSG_UUID_TAKEN, status=409)
    load_item(item_id, user)
    histories = db.session.execute(sa.select(ItemHistory).where(
        ItemHistory.item_id == item_id, ItemHistory.action == Action.POST_PROGRESS.value)
        .order_by(ItemHistory.id.desc())).scalars()
    return next((h for h in histories if (h.data or {}).get("progress_id") == post.id), None)


def _apply(item_id: int, user, action: Action, data: ActionInput, now=None) -> ItemHistory:
    """apply_action's transaction; a StaleDataError (the version counter) is left to the caller."""
    now = now or utcnow()
    written: set[str] = set()
    # Without the version the form was drawn from nobody can tell whether the user saw the latest
    # state. The lifecycle is asked with a version no item has, so scope (404) and role (403) still
    # come first; its stale refusal then becomes "incomplete form" (422), like any missing field.
    expected_version = data.version if data.version is not None else NO_VERSION
    try:
        checked = []
        if action is Action.POST_PROGRESS:
            load_item(item_id, user)  # 404 first; then the slow image work, before the row is locked
            checked = check_uploads(data.uploads)
        item = load_item(item_id, user, for_update=True)
        if action is Action.POST_PROGRESS and data.uuid and _posted(item_id, user, data.uuid) is not None:
            raise Duplicate()  # the twin request held the row lock and posted first (PostgreSQL)
        if action is Action.ASSIGN:
            data = _assignment(item, data)
        milestone = _milestone_for(item, data.milestone_id) if action is Action.ACCEPT_MILESTONE else None
        before = _snapshot(item)
        try:
            step = lifecycle.apply(
                item, action, actor_for(user, item), now=now, expected_version=expected_version,
                reason=data.reason, opinion=data.opinion, text=data.text, new_date=data.new_date,
                unit_id=data.unit_id, person=data.person, assignee_id=data.assignee_id,
                working_days=data.working_days,
                milestone=f"{milestone.due_date.isoformat()} {milestone.expected_result}" if milestone else None)
        except DomainError as error:
            if expected_version == NO_VERSION and error.message == lifecycle.STALE_MESSAGE:
                raise DomainError(MISSING_VERSION_MESSAGE, field="version") from None
            raise
        history = ItemHistory(item_id=item.id, action=step.action.value, from_status=step.from_status,
                              to_status=step.to_status, actor_id=user.id, actor_role=user.role, at=step.at,
                              note=step.note, data=dict(step.data))
        db.session.add(history)
        if action is Action.POST_PROGRESS:
            item.latest_progress = step.note
            post = ProgressPost(uuid=data.uuid or new_uuid(), item_id=item.id, county_id=item.county_id,
                                author_id=user.id, text=step.note, created_at=now)
            db.session.add(post)
            db.session.flush()
            files = _store_evidence(checked, post, user, written)
            history.data = {**history.data, "progress_id": post.id, "files": len(files)}
        elif action is Action.ACCEPT:
            item.acceptance_opinion = step.note
        elif action is Action.REOPEN:
            item.acceptance_opinion = ""
        elif action is Action.ASSIGN:
            if item.responsible_person is None:
                item.responsible_person = ""  # the column is NOT NULL; "no person named" is empty text
            unit = db.session.get(ResponsibleUnit, item.unit_id)
            history.note = unit.name + (f"，责任人：{item.responsible_person}" if item.responsible_person else "")
        if milestone is not None:
            milestone.accepted_at, milestone.accepted_by_id, milestone.opinion = now, user.id, step.note
            history.data = {**history.data, "milestone_id": milestone.id}
        if action is not Action.COMMENT:
            record(f"item.{action.value}", obj=item, label=item.number, before=before, after=_snapshot(item),
                   summary=f"{action.label}：{step.note[:200]}", user=user)
        notifications.after_action(item, step, user.id)
        db.session.commit()
    except BaseException:
        db.session.rollback()
        media_service.discard_files(written)
        raise
    _restore_files(checked)
    return history


def _restore_files(checked: list[_Checked]) -> None:
    """After the commit: write the evidence files again where missing (a no-op when present). A file
    this post found already stored may have been removed meanwhile by a deletion that saw no row
    referring to it yet; now that the row is committed, no deletion will take it again."""
    for one in checked:
        if one.image is not None:
            media_service.store_photo_files(one.image, one.upload.data)
        else:
            media_service.store_document_file(one.upload.data, one.doc[1])


def may_set_milestones(item: RectificationItem, user) -> bool:
    """Whether this user is the county side of this item (unit responders: its unit, which
    `can_see_item` already requires)."""
    return user.role in lifecycle.COUNTY_SIDE and access.can_see_item(user, item)


def can_add_milestone(item: RectificationItem, user) -> bool:
    """Whether the add-milestone form applies: a 长期坚持 item, still open, and the county side."""
    return (item.rectification_type == "long_term" and item.status in lifecycle.OPEN_STATUSES
            and may_set_milestones(item, user))


def add_milestone(item_id: int, user, due_date: dt.date | None, expected: str) -> Milestone:
    """A 长期坚持 item's checkpoint (date + expected result), added by the county side while open."""
    item = load_item(item_id, user)
    if not may_set_milestones(item, user):
        raise DomainError("您无权为该事项设置阶段目标", status=403)
    if item.rectification_type != "long_term":
        raise DomainError("只有“长期坚持”类事项才能设置阶段目标", status=409)
    if item.status not in lifecycle.OPEN_STATUSES:
        raise DomainError(f"当前状态为“{item.status.label}”，不能设置阶段目标", status=409)
    if due_date is None:
        raise DomainError("请填写阶段目标的日期", field="due_date")
    if not (expected or "").strip():
        raise DomainError("请填写预期成效", field="expected_result")
    milestone = Milestone(item_id=item.id, due_date=due_date, expected_result=expected.strip())
    db.session.add(milestone)
    db.session.add(ItemHistory(item_id=item.id, action="milestone_add", from_status=item.status,
                               to_status=item.status, actor_id=user.id, actor_role=user.role,
                               note=f"{due_date.isoformat()} {expected.strip()}", data={"due_date": due_date.isoformat()}))
    record("item.milestone_add", obj=item, label=item.number, after={"due_date": due_date, "expected": expected.strip()},
           summary="新增阶段目标", user=user)
    db.session.commit()
    return milestone


@dataclass
class BulkResult:
    done: list[RectificationItem] = field(default_factory=list)
    failed: list[tuple[int, str]] = field(default_factory=list)

    def summary(self, verb: str) -> str:
        text = f"已{verb} {len(self.done)} 项"
        if self.failed:
            text += f"，{len(self.failed)} 项未能{verb}：" + "；".join(m for _, m in self.failed[:3])
        return text


def bulk_apply(item_ids: list[int], user, action: Action, data: ActionInput,
               versions: dict[int, int | None]) -> BulkResult:
    """The same action on many items, each checked, recorded and committed on its own.

    `versions` maps each item id to the version its row showed: an item changed since the list was
    drawn (or sent without a version) is reported, never acted on. Items the user may not see are
    reported as not found.
    """
    result = BulkResult()
    for item_id in dict.fromkeys(item_ids):
        item = db.session.get(RectificationItem, item_id)
        if item is None or not access.can_see_item(user, item):
            result.failed.append((item_id, lifecycle.NOT_FOUND_MESSAGE))
            continue
        number = item.number
        try:
            apply_action(item_id, user, action, ActionInput(**{**data.__dict__, "version": versions.get(item_id)}),
                         dispatch=False)
        except DomainError as error:
            result.failed.append((item_id, f"{number} {error.message}"))
        else:
            result.done.append(item)
    channels.dispatch()
    return result


# ---------------------------------------------------------------- reading an item

def timeline(item: RectificationItem) -> list[ItemHistory]:
    """Every step of the item, newest first, with its actor loaded."""
    return list(db.session.execute(sa.select(ItemHistory).where(ItemHistory.item_id == item.id)
                                   .options(joinedload(ItemHistory.actor))
                                   .order_by(ItemHistory.at.desc(), ItemHistory.id.desc())).scalars())


def progress_posts(item: RectificationItem) -> list[tuple[ProgressPost, list[Attachment]]]:
    """Progress posts, newest first, each with its evidence files."""
    posts = list(db.session.execute(sa.select(ProgressPost).where(ProgressPost.item_id == item.id)
                                    .options(joinedload(ProgressPost.author))
                                    .order_by(ProgressPost.created_at.desc(), ProgressPost.id.desc())).scalars())
    files: dict[int, list[Attachment]] = {p.id: [] for p in posts}
    if posts:
        for att in db.session.execute(sa.select(Attachment).where(Attachment.progress_id.in_(files))
                                      .order_by(Attachment.id)).scalars():
            files[att.progress_id].append(att)
    return [(p, files[p.id]) for p in posts]


def before_photos(item: RectificationItem) -> list[Attachment]:
    """The finding's photos (整改前)."""
    return list(db.session.execute(sa.select(Attachment).where(
        Attachment.finding_id == item.finding_id, Attachment.kind == AttachmentKind.PHOTO)
        .order_by(Attachment.id)).scalars())


def after_photos(posts: list[tuple[ProgressPost, list[Attachment]]]) -> list[Attachment]:
    """Photos posted with progress (整改后), oldest first, from the posts already loaded."""
    return sorted((f for _post, files in posts for f in files if f.kind == AttachmentKind.PHOTO),
                  key=lambda f: f.id)


def milestones(item: RectificationItem) -> list[Milestone]:
    """The item's checkpoints by due date."""
    return list(db.session.execute(sa.select(Milestone).where(Milestone.item_id == item.id)
                                   .order_by(Milestone.due_date, Milestone.id)).scalars())


def attachment_of_item(item: RectificationItem, attachment_id: int, user) -> Attachment:
    """An evidence file or finding photo of this item that the user may see, else 404."""
    att = db.session.get(Attachment, attachment_id)
    if att is None or not access.can_see_attachment(user, att):
        raise DomainError(MSG_FILE_NOT_FOUND, status=404)
    belongs = att.finding_id == item.finding_id if att.finding_id is not None else (
        att.progress_id is not None and db.session.get(ProgressPost, att.progress_id).item_id == item.id)
    if not belongs:
        raise DomainError(MSG_FILE_NOT_FOUND, status=404)
    return att


def evidence_download_name(item: RectificationItem, att: Attachment) -> DownloadName:
    """411329-2022-001_整改方案_2022-08-01.pdf (问题编号, the uploaded name, the Beijing upload date),
    fallback evidence-411329-2022-001-a57-2022-08-01.pdf."""
    stem, dot, ext = (att.filename or "").rpartition(".")
    if not dot:
        stem, ext = att.filename or "", ""
    return download_name(stem or "佐证材料", "evidence", to_china(att.uploaded_at).date(),
                         ext or att.mime.rsplit("/", 1)[-1], scope=item.number, scope_code=item.number,
                         detail_ascii=f"a{att.id}")


def read_file(key: str) -> bytes:
    """A stored file's bytes (evidence documents are served through the item's access check)."""
    return media_service.storage().get(key)


# ---------------------------------------------------------------- the ledger

def ledger_rows(user, filters: Filters, now=None) -> list[dict]:
    """One row per item in scope and filter, keyed by the ledger's column names (domain.md §6)."""
    now = now or utcnow()
    today = date_rules.today(now)
    items = list(db.session.execute(items_query(user, filters, now)
                                    .order_by(RectificationItem.county_id, RectificationItem.number)).unique().scalars())
    counts = evidence_counts([i.id for i in items])
    rows = []
    for n, item in enumerate(items, 1):
        dates = date_rules.item_dates(item, today)
        rows.append({
            "序号": n, "问题编号": item.number, "县(市)": item.county.name, "核查点位": item.site.name if item.site else "",
            "问题描述": item.description, "问题类别": item.category, "严重程度": item.severity.label,
            "整改类型": item.rectification_type.label, "整改措施": item.measures,
            "责任单位": item.unit.name if item.unit else "", "责任人": item.responsible_person,
            "完成时限": dates.deadline, "整改进展(最新)": item.latest_progress,
            "整改状态": item.status.label, "是否超期": "是" if dates.overdue else "否",
            "验收意见": item.acceptance_opinion, "退回次数": item.return_count,
            "销号日期": item.closed_at, "佐证材料数": evidence_count_label(*counts.get(item.id, (0, 0, 0))),
        })
    return rows


def evidence_counts(item_ids: list[int]) -> dict[int, tuple[int, int, int]]:
    """Per item id: (evidence files, of which photos, photos carrying a capture time or GPS).
    Items without evidence are absent.  Read by the ledger's 佐证材料数 column."""
    if not item_ids:
        return {}
    located = sa.or_(Attachment.taken_at.is_not(None), Attachment.gps_lat.is_not(None))
    is_photo = Attachment.kind == AttachmentKind.PHOTO
    rows = db.session.execute(
        sa.select(ProgressPost.item_id, sa.func.count(Attachment.id),
                  sa.func.sum(sa.case((is_photo, 1), else_=0)),
                  sa.func.sum(sa.case((sa.and_(is_photo, located), 1), else_=0)))
        .join(Attachment, Attachment.progress_id == ProgressPost.id)
        .where(ProgressPost.item_id.in_(item_ids)).group_by(ProgressPost.item_id)).all()
    return {item_id: (int(n), int(photos or 0), int(located_n or 0)) for item_id, n, photos, located_n in rows}


def ledger_scope(user, filters: Filters) -> tuple[str, str]:
    """(name, ASCII code) of what the ledger covers: the filtered county, else the user's county or
    city (their GB/T 2260 code), the team's counties ("team") or the province ("province")."""
    if filters.county and access.can_see_county(user, filters.county):
        region = db.session.get(Region, filters.county)
        return region.name, region.code
    name = access.scope_name(user)
    if user.role in access.COUNTY_ROLES or user.role == Role.CITY_VIEWER:
        return name, user.region.code if user.region is not None else "region"
    return name, "team" if user.role in access.TEAM_ROLES else "province"


def ledger_title(user, filters: Filters) -> str:
    """What the ledger covers, for its print header and summary: 新野县整改台账, with the campaign in
    brackets when one is chosen (新野县整改台账（2022年核查）)."""
    scope, _code = ledger_scope(user, filters)
    campaign = db.session.get(Campaign, filters.campaign) if filters.campaign else None
    return f"{scope}整改台账（{campaign.name}）" if campaign else f"{scope}整改台账"


def ledger_download_name(user, filters: Filters, today: dt.date) -> DownloadName:
    """新野县_2022年核查_整改台账_2022-07-25.xlsx, fallback ledger-411329-2022-07-25.xlsx."""
    scope, code = ledger_scope(user, filters)
    campaign = db.session.get(Campaign, filters.campaign) if filters.campaign else None
    return download_name("整改台账", "ledger", today, "xlsx", scope=scope, scope_code=code,
                         campaign=campaign.name if campaign else "")


# ---------------------------------------------------------------- evidence packages (整改材料归档)

def _package_file(att: Attachment, kind: str, uploaders: dict[int, str]) -> PackageFile:
    store = media_service.storage()
    if att.kind == AttachmentKind.PHOTO:
        # The display JPEG: the original keeps the camera's EXIF and is never handed out; the index
        # carries the time taken and the position instead.
        key, ext = att.display_key, "jpg"
    else:
        key, ext = att.file_key, (att.file_key.rsplit(".", 1)[-1] if "." in att.file_key else "bin")
    _taken, place = att.capture_labels
    return PackageFile(filename=att.filename or "", ext=ext, kind=kind, uploader=uploaders.get(att.uploaded_by_id, ""),
                       uploaded_at=att.uploaded_at, open=lambda key=key: store.open(key), taken_at=att.taken_at,
                       gps=place.removeprefix("位置 ") if att.gps_lat is not None and att.gps_lon is not None else "",
                       size=att.size_bytes or 0)


def evidence_package_items(user, items: list[RectificationItem]) -> list[PackageItem]:
    """What an evidence package holds for these items (already in the user's scope): per item its
    finding's photos (整改前照片) and the photos (整改后照片) and documents (佐证文件) of its progress
    posts, each file only when the user may see it (access.can_see_attachment)."""
    if not items:
        return []
    by_finding = {i.finding_id: i for i in items}
    posts = dict(db.session.execute(sa.select(ProgressPost.id, ProgressPost.item_id)
                                    .where(ProgressPost.item_id.in_([i.id for i in items]))).all())
    conditions = [sa.and_(Attachment.finding_id.in_(list(by_finding)), Attachment.kind == AttachmentKind.PHOTO)]
    if posts:
        conditions.append(Attachment.progress_id.in_(list(posts)))
    attachments = [a for a in db.session.execute(sa.select(Attachment).where(sa.or_(*conditions))
                                                 .order_by(Attachment.uploaded_at, Attachment.id)).scalars()
                   if access.can_see_attachment(user, a)]
    uploaders = dict(db.session.execute(sa.select(User.id, User.display_name).where(
        User.id.in_({a.uploaded_by_id for a in attachments}))).all()) if attachments else {}
    files: dict[int, list[PackageFile]] = {i.id: [] for i in items}
    for att in attachments:
        if att.progress_id is not None:
            kind = "整改后照片" if att.kind == AttachmentKind.PHOTO else "佐证文件"
            files[posts[att.progress_id]].append(_package_file(att, kind, uploaders))
        else:
            files[by_finding[att.finding_id].id].append(_package_file(att, "整改前照片", uploaders))
    for item_files in files.values():  # before photos first, then the evidence in upload order
        item_files.sort(key=lambda f: f.kind != "整改前照片")
    return [PackageItem(number=i.number, description=i.description, unit=i.unit.name if i.unit else "",
                        status=i.status.label, files=files[i.id]) for i in items]


def county_package_items(user, county_id: int, filters: Filters) -> tuple[Region, list[PackageItem]]:
    """The county's items in the user's scope (and the list filters, e.g. the campaign) with their
    evidence; 404 for a county outside the user's scope (a county user sees only their own, a team
    its counties, the province all)."""
    region = db.session.get(Region, county_id)
    if region is None or not access.can_see_county(user, county_id):
        raise DomainError(MSG_COUNTY_NOT_FOUND, status=404)
    filters.county = county_id
    items = list(db.session.execute(items_query(user, filters).order_by(RectificationItem.number)).unique().scalars())
    return region, evidence_package_items(user, items)


def package_county(user, filters: Filters) -> int | None:
    """The county whose evidence package the items page offers: the filtered county, else a county
    user's own; None when the page spans several counties (pick one first)."""
    if filters.county and access.can_see_county(user, filters.county):
        return filters.county
    return user.region_id if user.role in access.COUNTY_ROLES else None


def county_package_name(region: Region, filters: Filters, today: dt.date) -> DownloadName:
    """新野县_2022年核查_整改材料_2022-07-25.zip, fallback evidence-411329-2022-07-25.zip."""
    campaign = db.session.get(Campaign, filters.campaign) if filters.campaign else None
    return download_name("整改材料", "evidence", today, "zip", scope=region.name, scope_code=region.code,
                         campaign=campaign.name if campaign else "")


def item_package_name(item: RectificationItem, today: dt.date) -> DownloadName:
    """411329-2022-001_整改材料_2022-07-25.zip, fallback evidence-411329-2022-001-2022-07-25.zip."""
    return download_name("整改材料", "evidence", today, "zip", scope=item.number, scope_code=item.number)


def write_package(out, package_items: list[PackageItem], title: str, now: dt.datetime) -> dict[str, int]:
    """Write the ZIP of `package_items` to the binary file object `out` (see
    documents.evidence_package.write_evidence_package); usable from a request or a background job."""
    return write_evidence_package(out, package_items, title=title, generated_at=now)
