"""The rectification (整改) lifecycle as one pure module: statuses, who may do what, deadlines.

No Flask, no SQLAlchemy, no queries. The caller loads the item, decides with `access.py` whether the
user may see the item's county (`Actor.in_scope`), calls `apply`, and persists the mutated item, the
returned `HistoryRecord` and the audit entry in one transaction. Templates draw buttons from
`allowed_actions`, so the server alone decides what is possible.

Statuses (domain.md §5): 待整改 → 整改中 → 待验收 → 已销号; 待验收 → 退回 → 整改中;
已销号 → 重新打开 → 整改中 (by a leader, or by the inspector whose sampled re-check — 回头看 / 抽查复核,
rechecks/ — found the fix not in place: RECHECK, drawn on the re-check screen, not on the item page).

Each row of the transition table also names its side effect, the notice it sends (`Notice`: kind,
audience, text); notifications.py resolves the audience to accounts, so who is told about what is
read off the same table as who may do what.

Checks run in a fixed order and each refusal is an inspect_app.errors.DomainError with one HTTP status:
404 the item is outside the user's scope (it must look non-existent), 403 the role or unit may not,
409 the item's version is stale or its state does not allow the action, 422 the input is missing or
invalid (`field` names it). All checks run before anything is changed, so a refused action leaves the item untouched.

Time: `now` is an aware datetime (UTC in practice). Every date rule — today in Beijing, the deadline
in force, overdue, working days — comes from date_rules.py, the one home of those rules.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from enum import Enum
from types import MappingProxyType
from typing import Any, Callable, Mapping, Protocol

from inspect_app.errors import DomainError
from inspect_app.rectification.date_rules import (add_working_days, beijing_date, effective_deadline, is_overdue,
                                                  working_days_estimated)
from inspect_app.rectification.status import Status
from inspect_app.roles import Role



# --------------------------------------------------------------------------------------------------
# Vocabulary
# --------------------------------------------------------------------------------------------------


class Action(str, Enum):
    """Something a user does to an item. The value is a stable code (URLs, history rows)."""

    ASSIGN = "assign"
    WRITE_MEASURES = "write_measures"
    POST_PROGRESS = "post_progress"
    SUBMIT = "submit"
    ACCEPT = "accept"
    RETURN = "return"
    REOPEN = "reopen"
    REQUEST_EXTENSION = "request_extension"
    APPROVE_EXTENSION = "approve_extension"
    REFUSE_EXTENSION = "refuse_extension"
    ACCEPT_MILESTONE = "accept_milestone"
    COMMENT = "comment"
    RECHECK = "recheck"

    @property
    def label(self) -> str:
        """The Chinese name of the action, as on its button."""
        return ACTION_LABELS[self]


ACTION_LABELS: Mapping[Action, str] = MappingProxyType(
    {
        Action.ASSIGN: "指派责任单位",
        Action.WRITE_MEASURES: "填写整改措施",
        Action.POST_PROGRESS: "报送整改进展",
        Action.SUBMIT: "申请销号",
        Action.ACCEPT: "验收通过",
        Action.RETURN: "退回",
        Action.REOPEN: "重新打开",
        Action.REQUEST_EXTENSION: "申请延期",
        Action.APPROVE_EXTENSION: "同意延期",
        Action.REFUSE_EXTENSION: "不同意延期",
        Action.ACCEPT_MILESTONE: "阶段验收",
        Action.COMMENT: "评论",
        Action.RECHECK: "复核未通过重新打开",
    }
)

RECTIFICATION_TYPES: Mapping[str, str] = MappingProxyType(
    {"immediate": "立行立改", "deadline": "限期整改", "long_term": "长期坚持"}
)

# The period from issuing (下发) to the default deadline, per rectification type: 立行立改 is fixed within
# a working week, 限期整改 is given about six weeks of working days, 长期坚持 is reviewed by milestones over
# half a year of calendar days. A campaign may set its own (Campaign.deadline_periods).
DEFAULT_DEADLINE_DAYS: Mapping[str, int] = MappingProxyType({"immediate": 5, "deadline": 30, "long_term": 180})
# Types whose period counts working days on the official calendar (date_rules.add_working_days).
WORKING_DAY_TYPES = frozenset({"immediate", "deadline"})

AGING_LABELS: Mapping[str, str] = MappingProxyType(
    {
        "closed": "已销号",
        "overdue": "已超期",
        "le10": "剩余≤10天",
        "le20": "剩余≤20天",
        "gt20": "剩余>20天",
    }
)

URGENCY_LABELS: Mapping[str, str] = MappingProxyType({"red": "已超期", "yellow": "进度滞后", "blue": "临近时限"})

STALE_MESSAGE = "该事项已被他人修改，您的操作尚未执行"
NOT_FOUND_MESSAGE = "事项不存在或您无权查看"


# --------------------------------------------------------------------------------------------------
# The item and the actor
# --------------------------------------------------------------------------------------------------


class RectificationItemLike(Protocol):
    """What the lifecycle reads and writes on an item (the SQLAlchemy model or a test dataclass)."""

    status: Status
    unit_id: int | None  # the responsible unit (责任单位), None until assigned
    responsible_person: str | None  # 责任人, set together with the unit
    assignee_id: int | None  # the 责任人's account, when the person has one
    deadline: dt.date  # the original 完成时限; never changed, stays on record
    extended_deadline: dt.date | None  # set by an approved extension (or a reopen with a new date)
    rectification_type: str  # a key of RECTIFICATION_TYPES
    measures: str | None  # 整改措施
    planned_date: dt.date | None  # the unit's own planned completion date
    return_count: int
    reopen_count: int
    pending_extension: Mapping[str, Any] | None  # see `pending_extension_date`
    version: int  # optimistic-locking counter, +1 on every change
    closed_at: dt.datetime | None


@dataclass(frozen=True)
class Actor:
    """The user acting, as far as the lifecycle needs to know.

    `in_scope` is decided by access.py: whether this user may see the item's county at all (and, for a
    unit responder, typically the unit's items). The lifecycle never queries anything itself.
    """

    user_id: int
    role: Role
    unit_id: int | None
    in_scope: bool


@dataclass(frozen=True)
class HistoryRecord:
    """One step of an item's history, for the caller to persist with the item in one transaction.

    `note` is the human text of the step (reason, opinion, progress, comment); `data` holds the
    action's structured details and is JSON-serialisable (dates as ISO strings).
    """

    action: Action
    from_status: Status
    to_status: Status
    actor_user_id: int
    actor_role: Role
    at: dt.datetime
    note: str
    data: Mapping[str, Any] = field(default_factory=dict)


# --------------------------------------------------------------------------------------------------
# Deadlines (pure helpers, also used by the ledger and the dashboards)
# --------------------------------------------------------------------------------------------------


def format_date(day: dt.date) -> str:
    """A date as officials read it in prose: 2022年7月25日."""
    return f"{day.year}年{day.month}月{day.day}日"


def default_deadline(rectification_type: str, issued_on: dt.date,
                     periods: Mapping[str, int] | None = None) -> dt.date:
    """The deadline proposed when a problem list is issued on `issued_on`, by rectification type:
    立行立改 and 限期整改 that many working days after the issue day (China's official calendar with
    its 调休, date_rules.add_working_days), 长期坚持 that many calendar days after it.

    `periods` maps a type to its count (a campaign's own, Campaign.deadline_periods); missing types
    take DEFAULT_DEADLINE_DAYS. ValueError for an unknown type."""
    if rectification_type not in DEFAULT_DEADLINE_DAYS:
        raise ValueError(f"unknown rectification type: {rectification_type!r}")
    days = (periods or {}).get(rectification_type) or DEFAULT_DEADLINE_DAYS[rectification_type]
    if rectification_type in WORKING_DAY_TYPES:
        return add_working_days(issued_on, days)
    return issued_on + dt.timedelta(days=days)


def counts_working_days(rectification_type: str) -> bool:
    """Whether the type's default period is counted in working days (so may be an estimate beyond
    the official calendar: date_rules.working_days_estimated)."""
    return rectification_type in WORKING_DAY_TYPES


def deadline_is_estimate(rectification_type: Any, issued_on: dt.date | None, deadline: dt.date | None) -> bool:
    """Whether a deadline of this type, counted from `issued_on`, reaches a year without an official
    holiday schedule, so its working days were estimated Monday-Friday (show date_rules.ESTIMATE_NOTE)."""
    value = getattr(rectification_type, "value", rectification_type)
    return bool(issued_on and deadline) and counts_working_days(value) \
        and working_days_estimated(issued_on, deadline)


def pending_extension_date(item: RectificationItemLike) -> dt.date | None:
    """The date asked for by the pending extension request, or None when none is pending.

    `apply` stores the request as a JSON-friendly dict ({"new_date": "2022-08-31", ...}); a mapping or
    object holding a `date` is accepted too.
    """
    pending = item.pending_extension
    if not pending:
        return None
    value = pending.get("new_date") if isinstance(pending, Mapping) else getattr(pending, "new_date", None)
    if isinstance(value, str):
        return dt.date.fromisoformat(value)
    if isinstance(value, dt.datetime):
        return value.date()
    return value


# --------------------------------------------------------------------------------------------------
# The transition table
# --------------------------------------------------------------------------------------------------

ALL_STATUSES = frozenset(Status)
OPEN_STATUSES = frozenset({Status.PENDING, Status.IN_PROGRESS})
NOT_CLOSED = ALL_STATUSES - {Status.CLOSED}

COUNTY_SIDE = frozenset({Role.COUNTY_COORDINATOR, Role.UNIT_RESPONDER})
ACCEPTORS = frozenset({Role.TEAM_LEADER, Role.PROVINCE_ADMIN})
# Viewers are read-only; the system and audit admins (三权分立) do not take part in the work.
COMMENTERS = frozenset(
    {Role.PROVINCE_ADMIN, Role.TEAM_LEADER, Role.INSPECTOR, Role.COUNTY_COORDINATOR, Role.UNIT_RESPONDER}
)

# A unit responder acts only on items assigned to their own unit, whatever the action. This is one
# rule for the whole table rather than a per-row flag, so a new row cannot forget it.
UNIT_BOUND_ROLES = frozenset({Role.UNIT_RESPONDER})


# Who is told about a transition (resolved to accounts by notifications.py, which may query):
UNIT = "unit"                   # the responders (经办人) of the item's responsible unit
ASSIGNEE = "assignee"           # the account named as 责任人, when there is one
COORDINATORS = "coordinators"   # the county coordinators of the item's county
REVIEWERS = "reviewers"         # the leaders of the teams covering the county, and the province admins
COUNTY_AUDIENCE = frozenset({UNIT, ASSIGNEE, COORDINATORS})

# The re-checkers (回头看 / 抽查复核): the inspectors and leader of the team a re-check round is assigned
# to, and the province admin. Which team's round it is decides the scope (`Actor.in_scope`).
RECHECKERS = frozenset({Role.INSPECTOR, Role.TEAM_LEADER, Role.PROVINCE_ADMIN})

# Where an action's button is drawn: "item" the item page (allowed_actions' default), "recheck" the
# re-check screen of a sampled item (rechecks/), where the result decides the action.
ITEM_SCREEN = "item"
RECHECK_SCREEN = "recheck"


@dataclass(frozen=True)
class Notice:
    """The notice a transition sends: its kind (a notifications.KIND_LABELS key), who gets it (never the
    actor) and the text. The text is formatted with `label` (the item's number and the start of its
    description) and the transition's history `data` (dates as ISO strings)."""

    kind: str
    audience: frozenset[str]
    text: str

    def message(self, label: str, data: Mapping[str, Any]) -> str:
        """The text for one item and one step."""
        return self.text.format(label=label, **data)


@dataclass(frozen=True)
class Transition:
    """One row of the table: where an action may start, where it leads, who may do it, what it needs.

    `target` None means the status is unchanged. `guards` are preconditions on the item that do not
    depend on user input (refused with 409); `requires` names the inputs that must be given (422).
    """

    action: Action
    sources: frozenset[Status]
    target: Status | None
    roles: frozenset[Role]
    requires: tuple[str, ...] = ()
    guards: tuple[str, ...] = ()
    changes_item: bool = True  # False: recorded in history only; the version is neither checked nor bumped
    notice: Notice | None = None  # the side effect: who is told, and what
    screen: str = ITEM_SCREEN  # where its button is drawn (allowed_actions' `screen`)


TRANSITIONS: Mapping[Action, Transition] = MappingProxyType(
    {
        t.action: t
        for t in (
            Transition(Action.ASSIGN, OPEN_STATUSES, None, frozenset({Role.COUNTY_COORDINATOR}),
                       requires=("unit_id",),
                       notice=Notice("assigned", frozenset({UNIT, ASSIGNEE}),
                                     "整改事项 {label} 已指派给{unit}{person}，请制定整改措施")),
            Transition(Action.WRITE_MEASURES, OPEN_STATUSES, Status.IN_PROGRESS, COUNTY_SIDE,
                       requires=("text", "new_date"), guards=("assigned",)),
            Transition(Action.POST_PROGRESS, OPEN_STATUSES, Status.IN_PROGRESS, COUNTY_SIDE,
                       requires=("text",), guards=("assigned",)),
            Transition(Action.SUBMIT, frozenset({Status.IN_PROGRESS}), Status.SUBMITTED, COUNTY_SIDE,
                       guards=("measures",),
                       notice=Notice("submitted", frozenset({REVIEWERS}), "整改事项 {label} 已申请销号，等待您验收")),
            Transition(Action.ACCEPT, frozenset({Status.SUBMITTED}), Status.CLOSED, ACCEPTORS,
                       requires=("opinion",),
                       notice=Notice("accepted", COUNTY_AUDIENCE, "整改事项 {label} 已验收通过，予以销号")),
            Transition(Action.RETURN, frozenset({Status.SUBMITTED}), Status.IN_PROGRESS, ACCEPTORS,
                       requires=("reason",),
                       notice=Notice("returned", COUNTY_AUDIENCE, "整改事项 {label} 被退回，请补充整改")),
            Transition(Action.REOPEN, frozenset({Status.CLOSED}), Status.IN_PROGRESS, ACCEPTORS,
                       requires=("reason",),
                       notice=Notice("reopened", COUNTY_AUDIENCE, "整改事项 {label} 已重新打开，请继续整改")),
            Transition(Action.REQUEST_EXTENSION, OPEN_STATUSES, None, COUNTY_SIDE,
                       requires=("reason", "new_date"), guards=("no_extension_pending", "not_overdue"),
                       notice=Notice("extension", frozenset({REVIEWERS}),
                                     "整改事项 {label} 申请延期至 {new_date}，等待您审批")),
            Transition(Action.APPROVE_EXTENSION, NOT_CLOSED, None, ACCEPTORS,
                       guards=("extension_pending",),
                       notice=Notice("extension_decided", COUNTY_AUDIENCE,
                                     "整改事项 {label} 的延期申请已同意，完成时限延至 {new_deadline}")),
            Transition(Action.REFUSE_EXTENSION, NOT_CLOSED, None, ACCEPTORS,
                       requires=("reason",), guards=("extension_pending",),
                       notice=Notice("extension_decided", COUNTY_AUDIENCE, "整改事项 {label} 的延期申请未获同意")),
            Transition(Action.ACCEPT_MILESTONE, frozenset({Status.IN_PROGRESS, Status.SUBMITTED}), None,
                       ACCEPTORS, requires=("opinion", "milestone"), guards=("long_term",)),
            Transition(Action.COMMENT, ALL_STATUSES, None, COMMENTERS,
                       requires=("text",), changes_item=False),
            # A sampled re-check found the closed item not fixed (部分到位 / 书面整改 / 虚假整改):
            # `result` is that finding's label, `reason` the re-checker's note (both kept in history).
            Transition(Action.RECHECK, frozenset({Status.CLOSED}), Status.IN_PROGRESS, RECHECKERS,
                       requires=("result", "reason"), screen=RECHECK_SCREEN,
                       notice=Notice("reopened", COUNTY_AUDIENCE,
                                     "整改事项 {label} 抽查复核结果为“{result}”，已重新打开，请继续整改")),
        )
    }
)


def _has_measures(item: RectificationItemLike) -> bool:
    return bool((item.measures or "").strip())


# Each guard: (holds?, message when it does not). All refusals are 409: the item's state forbids it.
_GUARDS: Mapping[str, tuple[Callable[[RectificationItemLike, dt.datetime], bool],
                            Callable[[RectificationItemLike], str]]] = MappingProxyType(
    {
        "assigned": (lambda item, now: item.unit_id is not None,
                     lambda item: "该事项尚未指派责任单位，请先指派"),
        "measures": (lambda item, now: _has_measures(item),
                     lambda item: "请先填写整改措施，再申请销号"),
        "long_term": (lambda item, now: item.rectification_type == "long_term",
                      lambda item: "只有“长期坚持”类事项才能进行阶段验收"),
        "extension_pending": (lambda item, now: pending_extension_date(item) is not None,
                              lambda item: "该事项没有待审批的延期申请"),
        "no_extension_pending": (lambda item, now: pending_extension_date(item) is None,
                                 lambda item: "已有一项延期申请正在审批，请等待审批结果"),
        "not_overdue": (lambda item, now: not is_overdue(item.status, effective_deadline(item), beijing_date(now)),
                        lambda item: f"已超过完成时限（{format_date(effective_deadline(item))}），不能再申请延期"),
    }
)


# --------------------------------------------------------------------------------------------------
# Checking and applying
# --------------------------------------------------------------------------------------------------


def permission_refusal(item: RectificationItemLike, actor: Actor, action: Action | str) -> DomainError | None:
    """Whether this actor may ever take this action on this item — scope (404), role and unit (403) —
    regardless of its state or the input; None when allowed. Routes ask this before validating a
    form, so a viewer posting bad input learns 403, not a validation message (issue 11, point 17)."""
    action = Action(action)
    if not actor.in_scope:
        return DomainError(NOT_FOUND_MESSAGE, status=404)
    if actor.role not in TRANSITIONS[action].roles:
        return DomainError(f"您无权对该事项执行“{action.label}”", status=403)
    if actor.role in UNIT_BOUND_ROLES and (actor.unit_id is None or actor.unit_id != item.unit_id):
        return DomainError(f"该事项未指派给您所在的单位，不能执行“{action.label}”", status=403)
    return None


def _refusal(item: RectificationItemLike, actor: Actor, transition: Transition, now: dt.datetime,
             expected_version: int | None) -> DomainError | None:
    """The first reason (404, 403, 409) this actor may not start this action now, or None."""
    action = transition.action
    refusal = permission_refusal(item, actor, action)
    if refusal is not None:
        return refusal
    # A stale form is the real reason when the state has moved on since the user loaded the page.
    if transition.changes_item and expected_version is not None and expected_version != item.version:
        return DomainError(STALE_MESSAGE, status=409)
    if item.status not in transition.sources:
        return DomainError(f"当前状态为“{item.status.label}”，不能{action.label}", status=409)
    for name in transition.guards:
        holds, message = _GUARDS[name]
        if not holds(item, now):
            return DomainError(message(item), status=409)
    return None


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def allowed_actions(item: RectificationItemLike, actor: Actor,
                    now: dt.datetime | None = None, screen: str = ITEM_SCREEN) -> list[Action]:
    """The actions this actor may start on this item now, in table order, among those drawn on
    `screen` (ITEM_SCREEN: the item page; RECHECK_SCREEN: the re-check screen); templates draw
    buttons from it.

    Checks scope, role, unit, status and the preconditions that need no user input. An action listed
    here succeeds in `apply` when given valid input.
    """
    now = now or _utcnow()
    return [action for action, t in TRANSITIONS.items()
            if t.screen == screen and _refusal(item, actor, t, now, None) is None]


def _text(value: Any, field_name: str, message: str) -> str:
    """A required text input, stripped; 422 when missing or blank."""
    if not isinstance(value, str) or not value.strip():
        raise DomainError(message, field=field_name)
    return value.strip()


def _optional_text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def _date(value: Any, field_name: str, message: str) -> dt.date:
    """A required date input; 422 when missing or not a date (a datetime is not a date here)."""
    if value is None or value == "":
        raise DomainError(message, field=field_name)
    if not isinstance(value, dt.date) or isinstance(value, dt.datetime):
        raise DomainError("日期格式不正确", field=field_name)
    return value


@dataclass
class _Effect:
    changes: dict[str, Any]
    note: str
    data: dict[str, Any]


def _effect(item: RectificationItemLike, action: Action, actor: Actor, now: dt.datetime,
            inputs: dict[str, Any]) -> _Effect:
    """Validate the inputs (422) and work out the changes to the item, without touching it."""
    deadline = effective_deadline(item)
    if action is Action.ASSIGN:
        unit_id = inputs["unit_id"]
        if unit_id is None or unit_id == "":
            raise DomainError("请选择责任单位", field="unit_id")
        if not isinstance(unit_id, int) or isinstance(unit_id, bool) or unit_id <= 0:
            raise DomainError("责任单位无效", field="unit_id")
        person = _optional_text(inputs["person"]) or None
        assignee_id = inputs["assignee_id"] or None
        return _Effect({"unit_id": unit_id, "responsible_person": person, "assignee_id": assignee_id}, person or "",
                       {"unit_id": unit_id, "previous_unit_id": item.unit_id, "person": person,
                        "assignee_id": assignee_id, "previous_assignee_id": item.assignee_id})
    if action is Action.WRITE_MEASURES:
        measures = _text(inputs["text"], "text", "请填写整改措施")
        planned = _date(inputs["new_date"], "new_date", "请填写计划完成时间")
        if planned > deadline:
            raise DomainError(f"计划完成时间不能晚于完成时限（{format_date(deadline)}）", field="new_date")
        return _Effect({"measures": measures, "planned_date": planned}, measures,
                       {"planned_date": planned.isoformat(),
                        "previous_planned_date": item.planned_date.isoformat() if item.planned_date else None})
    if action is Action.POST_PROGRESS:
        progress = _text(inputs["text"], "text", "请填写整改进展")
        return _Effect({}, progress, {})
    if action is Action.SUBMIT:
        return _Effect({}, _optional_text(inputs["text"]), {})
    if action is Action.ACCEPT:
        opinion = _text(inputs["opinion"], "opinion", "请填写验收意见")
        data: dict[str, Any] = {}
        dropped = pending_extension_date(item)
        if dropped is not None:  # nobody can decide it once closed, so it lapses with the closure
            data["dropped_extension_date"] = dropped.isoformat()
        return _Effect({"closed_at": now, "pending_extension": None}, opinion, data)
    if action is Action.RETURN:
        reason = _text(inputs["reason"], "reason", "请填写退回原因")
        return _Effect({"return_count": item.return_count + 1}, reason, {"return_count": item.return_count + 1})
    if action is Action.REOPEN:
        reason = _text(inputs["reason"], "reason", "请填写重新打开原因")
        changes: dict[str, Any] = {"reopen_count": item.reopen_count + 1, "closed_at": None}
        data = {"reopen_count": item.reopen_count + 1,
                "previous_closed_at": item.closed_at.isoformat() if item.closed_at else None}
        # A re-check usually comes after the deadline; without a new date the item would reopen
        # already overdue and could not even ask for an extension.
        if inputs["new_date"] not in (None, ""):
            new = _date(inputs["new_date"], "new_date", "请填写新的完成时限")
            if new <= deadline or new < beijing_date(now):
                raise DomainError(f"新的完成时限须晚于原完成时限（{format_date(deadline)}），且不早于今天",
                                  field="new_date")
            changes["extended_deadline"] = new
            data["new_deadline"] = new.isoformat()
        return _Effect(changes, reason, data)
    if action is Action.RECHECK:
        result = _text(inputs["result"], "result", "请选择复核结果")
        note = _text(inputs["reason"], "reason", "请填写复核情况说明")
        return _Effect({"reopen_count": item.reopen_count + 1, "closed_at": None}, f"抽查复核：{result}。{note}",
                       {"result": result, "reopen_count": item.reopen_count + 1,
                        "previous_closed_at": item.closed_at.isoformat() if item.closed_at else None})
    if action is Action.REQUEST_EXTENSION:
        reason = _text(inputs["reason"], "reason", "请填写延期原因")
        days = inputs.get("working_days")
        if inputs["new_date"] in (None, "") and days not in (None, ""):
            if not isinstance(days, int) or isinstance(days, bool) or not 1 <= days <= 250:
                raise DomainError("延长的工作日数应为 1 至 250 之间的整数", field="working_days")
            inputs = {**inputs, "new_date": add_working_days(deadline, days)}
        new = _date(inputs["new_date"], "new_date", "请填写申请延期至的日期")
        if new <= deadline:
            raise DomainError(f"申请延期至的日期须晚于当前完成时限（{format_date(deadline)}）", field="new_date")
        request = {"new_date": new.isoformat(), "reason": reason,
                   "requested_by": actor.user_id, "requested_at": now.isoformat()}
        # A new dict, never an in-place edit: JSON columns only notice reassignment.
        asked = {"working_days": days} if inputs["new_date"] == new and days not in (None, "") else {}
        return _Effect({"pending_extension": {**request, **asked}}, reason,
                       {"new_date": new.isoformat(), "current_deadline": deadline.isoformat(), **asked})
    if action is Action.APPROVE_EXTENSION:
        new = pending_extension_date(item)
        assert new is not None  # guarded by "extension_pending"
        return _Effect({"extended_deadline": new, "pending_extension": None}, _optional_text(inputs["opinion"]),
                       {"new_deadline": new.isoformat(), "previous_deadline": deadline.isoformat()})
    if action is Action.REFUSE_EXTENSION:
        reason = _text(inputs["reason"], "reason", "请填写不同意延期的理由")
        new = pending_extension_date(item)
        assert new is not None
        return _Effect({"pending_extension": None}, reason, {"refused_date": new.isoformat()})
    if action is Action.ACCEPT_MILESTONE:
        opinion = _text(inputs["opinion"], "opinion", "请填写验收意见")
        milestone = _text(inputs["milestone"], "milestone", "请注明验收的阶段目标")
        return _Effect({}, opinion, {"milestone": milestone})
    if action is Action.COMMENT:
        return _Effect({}, _text(inputs["text"], "text", "请填写评论内容"), {})
    raise AssertionError(f"no effect for {action!r}")  # pragma: no cover - every Action has a row


def apply(item: RectificationItemLike, action: Action | str, actor: Actor, *, now: dt.datetime,
          expected_version: int | None = None, reason: str | None = None, opinion: str | None = None,
          text: str | None = None, new_date: dt.date | None = None, unit_id: int | None = None,
          person: str | None = None, assignee_id: int | None = None,
          milestone: str | None = None, working_days: int | None = None,
          result: str | None = None) -> HistoryRecord:
    """Apply one action to the item and return the history record to persist with it.

    Enforces, in order: scope (404), role and unit (403), stale `expected_version` and status and
    preconditions (409), inputs (422); each refusal a DomainError. Only then is the item changed: status, counters, dates and
    `version` += 1 (a comment changes nothing on the item). On any error the item is untouched.

    Inputs by action: ASSIGN unit_id (+ person, + assignee_id: the person's account, checked by the
    caller to be one of the unit's); WRITE_MEASURES text = measures, new_date = planned
    completion date; POST_PROGRESS text; SUBMIT optional text; ACCEPT opinion; RETURN reason; REOPEN
    reason (+ new_date: a new deadline); REQUEST_EXTENSION reason, and new_date or working_days (that
    many working days after the deadline in force, counted like the deadlines at issue); APPROVE_EXTENSION optional
    opinion; REFUSE_EXTENSION reason; ACCEPT_MILESTONE opinion, milestone; COMMENT text; RECHECK
    result (the re-check result's label, e.g. 书面整改) and reason (the re-checker's note).
    """
    action = Action(action)
    if now.tzinfo is None or now.utcoffset() is None:   # every instant in the app is aware UTC
        raise ValueError("now must be an aware datetime (UTC)")
    transition = TRANSITIONS[action]
    refusal = _refusal(item, actor, transition, now, expected_version)
    if refusal is not None:
        raise refusal
    inputs = {"reason": reason, "opinion": opinion, "text": text, "new_date": new_date,
              "unit_id": unit_id, "person": person, "assignee_id": assignee_id, "milestone": milestone,
              "working_days": working_days, "result": result}
    effect = _effect(item, action, actor, now, inputs)

    from_status = item.status
    to_status = transition.target or from_status
    if transition.changes_item:
        for name, value in effect.changes.items():
            setattr(item, name, value)
        item.status = to_status
        item.version = item.version + 1
    return HistoryRecord(
        action=action,
        from_status=from_status,
        to_status=to_status,
        actor_user_id=actor.user_id,
        actor_role=actor.role,
        at=now,
        note=effect.note,
        data=effect.data,
    )
