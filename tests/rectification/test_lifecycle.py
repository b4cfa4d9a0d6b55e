"""The rectification lifecycle, tested without Flask or a database.

The permission matrix is checked against literal tables written here from domain.md §5 and the brief,
never by re-reading `TRANSITIONS`: a test that mirrors the implementation cannot fail.
"""

from __future__ import annotations

import ast
import copy
import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from inspect_app.rectification.lifecycle import (
    AGING_LABELS,
    DEFAULT_DEADLINE_DAYS,
    RECTIFICATION_TYPES,
    STALE_MESSAGE,
    TRANSITIONS,
    Action,
    Actor,
    HistoryRecord,
    Status,
    allowed_actions,
    apply,
    default_deadline,
    pending_extension_date,
)
from inspect_app.errors import DomainError
from inspect_app.rectification import date_rules
from inspect_app.rectification.date_rules import effective_deadline
from inspect_app.roles import Role


# The lifecycle reads its deadline rules from date_rules; these put one item and one instant through them.
def _dates(item, now):
    return date_rules.item_dates(item, date_rules.today(now))


def days_remaining(item, now):
    return date_rules.days_left(effective_deadline(item), date_rules.today(now))


def is_overdue(item, now):
    return _dates(item, now).overdue


def urgency(item, now):
    return _dates(item, now).urgency


def aging_bucket(item, now):
    return _dates(item, now).bucket

UTC = dt.timezone.utc
D = dt.date


def utc(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=UTC)


NOW = utc(2022, 7, 13, 2, 0)  # 10:00 Beijing, 13 July 2022: the feedback meeting in 新野县
DEADLINE = D(2022, 7, 25)
LAST_SECOND = utc(2022, 7, 25, 15, 59, 59)  # 2022-07-25 23:59:59 Beijing
FIRST_LATE_SECOND = utc(2022, 7, 25, 16, 0, 0)  # 2022-07-26 00:00:00 Beijing
CLOSED_AT = utc(2022, 7, 20, 8, 0)
UNIT = 7
OTHER_UNIT = 8


@dataclass
class Item:
    """A stand-in for the RectificationItem model: just the attributes the lifecycle uses."""

    status: Status = Status.PENDING
    unit_id: int | None = None
    responsible_person: str | None = None
    assignee_id: int | None = None
    deadline: dt.date = DEADLINE
    extended_deadline: dt.date | None = None
    rectification_type: str = "deadline"
    measures: str | None = ""
    planned_date: dt.date | None = None
    return_count: int = 0
    reopen_count: int = 0
    pending_extension: dict[str, Any] | None = None
    version: int = 1
    closed_at: dt.datetime | None = None


def pending(new_date: str = "2022-08-31") -> dict[str, Any]:
    return {"new_date": new_date, "reason": "资产划转需县政府常务会研究", "requested_by": 5,
            "requested_at": NOW.isoformat()}


def actor(role: Role, unit_id: int | None = None, in_scope: bool = True, user_id: int = 42) -> Actor:
    return Actor(user_id=user_id, role=role, unit_id=unit_id, in_scope=in_scope)


COORDINATOR = actor(Role.COUNTY_COORDINATOR, user_id=11)
RESPONDER = actor(Role.UNIT_RESPONDER, unit_id=UNIT, user_id=12)
LEADER = actor(Role.TEAM_LEADER, user_id=13)
PROVINCE = actor(Role.PROVINCE_ADMIN, user_id=14)
INSPECTOR = actor(Role.INSPECTOR, user_id=15)


# --------------------------------------------------------------------------------------------------
# The expectation, as literal tables (✓ allowed, · refused)
# --------------------------------------------------------------------------------------------------

STATUS_TABLE = """
                      待整改  整改中  待验收  已销号
ASSIGN                  ✓      ✓      ·      ·
WRITE_MEASURES          ✓      ✓      ·      ·
POST_PROGRESS           ✓      ✓      ·      ·
SUBMIT                  ·      ✓      ·      ·
ACCEPT                  ·      ·      ✓      ·
RETURN                  ·      ·      ✓      ·
REOPEN                  ·      ·      ·      ✓
REQUEST_EXTENSION       ✓      ✓      ·      ·
APPROVE_EXTENSION       ✓      ✓      ✓      ·
REFUSE_EXTENSION        ✓      ✓      ✓      ·
ACCEPT_MILESTONE        ·      ✓      ✓      ·
COMMENT                 ✓      ✓      ✓      ✓
RECHECK                 ·      ·      ·      ✓
"""

# SYS 系统管理员, AUD 审计管理员, PA 省级管理员, PV 省级查看, CV 市级查看, TL 核查组组长, INS 核查员,
# CC 县级联络员, UR 责任单位经办人 (UR only on items of their own unit).
ROLE_TABLE = """
                    SYS  SEC  AUD  PA   PV   CV   TL   INS  CC   UR
ASSIGN               ·    ·    ·    ·    ·    ·    ·    ·    ✓    ·
WRITE_MEASURES       ·    ·    ·    ·    ·    ·    ·    ·    ✓    ✓
POST_PROGRESS        ·    ·    ·    ·    ·    ·    ·    ·    ✓    ✓
SUBMIT               ·    ·    ·    ·    ·    ·    ·    ·    ✓    ✓
ACCEPT               ·    ·    ·    ✓    ·    ·    ✓    ·    ·    ·
RETURN               ·    ·    ·    ✓    ·    ·    ✓    ·    ·    ·
REOPEN               ·    ·    ·    ✓    ·    ·    ✓    ·    ·    ·
REQUEST_EXTENSION    ·    ·    ·    ·    ·    ·    ·    ·    ✓    ✓
APPROVE_EXTENSION    ·    ·    ·    ✓    ·    ·    ✓    ·    ·    ·
REFUSE_EXTENSION     ·    ·    ·    ✓    ·    ·    ✓    ·    ·    ·
ACCEPT_MILESTONE     ·    ·    ·    ✓    ·    ·    ✓    ·    ·    ·
COMMENT              ·    ·    ·    ✓    ·    ·    ✓    ✓    ✓    ✓
RECHECK              ·    ·    ·    ✓    ·    ·    ✓    ✓    ·    ·
"""

# Actions whose button is drawn on the re-check screen (rechecks/), not on the item page: listed by
# allowed_actions(screen="recheck") only.
RECHECK_SCREEN_ACTIONS = {Action.RECHECK}

ROLE_COLUMNS = {
    "SYS": Role.SYSTEM_ADMIN, "SEC": Role.SECURITY_ADMIN, "AUD": Role.AUDIT_ADMIN, "PA": Role.PROVINCE_ADMIN,
    "PV": Role.PROVINCE_VIEWER, "CV": Role.CITY_VIEWER, "TL": Role.TEAM_LEADER,
    "INS": Role.INSPECTOR, "CC": Role.COUNTY_COORDINATOR, "UR": Role.UNIT_RESPONDER,
}
STATUS_COLUMNS = {s.value: s for s in Status}

# Where each action leads; None: the status stays as it was.
RESULT = {
    Action.ASSIGN: None,
    Action.WRITE_MEASURES: Status.IN_PROGRESS,
    Action.POST_PROGRESS: Status.IN_PROGRESS,
    Action.SUBMIT: Status.SUBMITTED,
    Action.ACCEPT: Status.CLOSED,
    Action.RETURN: Status.IN_PROGRESS,
    Action.REOPEN: Status.IN_PROGRESS,
    Action.REQUEST_EXTENSION: None,
    Action.APPROVE_EXTENSION: None,
    Action.REFUSE_EXTENSION: None,
    Action.ACCEPT_MILESTONE: None,
    Action.COMMENT: None,
    Action.RECHECK: Status.IN_PROGRESS,
}


def parse_table(table: str, columns: dict[str, Any]) -> dict[Action, set[Any]]:
    header, *lines = table.strip().splitlines()
    assert header.split() == list(columns)
    rows = {}
    for line in lines:
        name, *marks = line.split()
        assert len(marks) == len(columns) and set(marks) <= {"✓", "·"}, line
        rows[Action[name]] = {columns[col] for col, mark in zip(columns, marks) if mark == "✓"}
    assert set(rows) == set(Action)
    return rows


ALLOWED_FROM = parse_table(STATUS_TABLE, STATUS_COLUMNS)
ALLOWED_ROLES = parse_table(ROLE_TABLE, ROLE_COLUMNS)


def expected_outcome(status: Status, action: Action, who: Actor, item_unit: int | None) -> int | str:
    """404 out of scope, 403 wrong role or unit, 409 wrong status, else 'ok' (on a ready item)."""
    if not who.in_scope:
        return 404
    if who.role not in ALLOWED_ROLES[action]:
        return 403
    if who.role is Role.UNIT_RESPONDER and (who.unit_id is None or who.unit_id != item_unit):
        return 403
    if status not in ALLOWED_FROM[action]:
        return 409
    return "ok"


def _actors() -> list[Any]:
    params = []
    for role in Role:
        unit = UNIT if role is Role.UNIT_RESPONDER else None
        params.append(pytest.param(actor(role, unit), id=role.value))
        params.append(pytest.param(actor(role, unit, in_scope=False), id=f"{role.value}-out_of_scope"))
    params.append(pytest.param(actor(Role.UNIT_RESPONDER, OTHER_UNIT), id="unit_responder-other_unit"))
    params.append(pytest.param(actor(Role.UNIT_RESPONDER, OTHER_UNIT, in_scope=False),
                               id="unit_responder-other_unit-out_of_scope"))
    params.append(pytest.param(actor(Role.UNIT_RESPONDER, None), id="unit_responder-no_unit"))
    return params


ACTORS = _actors()


def ready_item(status: Status, action: Action) -> Item:
    """An item whose input-free preconditions hold for `action`, so only role, unit and status decide."""
    return Item(
        status=status,
        unit_id=UNIT,
        responsible_person="张科长",
        rectification_type="long_term",
        measures="制定医共体财务统一核算办法，设立总会计师",
        planned_date=D(2022, 7, 20),
        pending_extension=pending() if action in (Action.APPROVE_EXTENSION, Action.REFUSE_EXTENSION) else None,
        closed_at=CLOSED_AT if status is Status.CLOSED else None,
    )


def valid_inputs(action: Action, item: Item) -> dict[str, Any]:
    """Inputs a well-filled form would send for `action` on `item`."""
    deadline = item.extended_deadline or item.deadline
    return {
        Action.ASSIGN: {"unit_id": UNIT, "person": "张科长"},
        Action.WRITE_MEASURES: {"text": "制定医共体财务统一核算办法", "new_date": deadline},
        Action.POST_PROGRESS: {"text": "已完成成员单位资产清查"},
        Action.SUBMIT: {"text": "已完成整改，申请销号"},
        Action.ACCEPT: {"opinion": "整改到位，同意销号"},
        Action.RETURN: {"reason": "佐证材料不全，缺少县政府批复文件"},
        Action.REOPEN: {"reason": "回头看发现仅书面整改"},
        Action.REQUEST_EXTENSION: {"reason": "需县政府常务会研究", "new_date": deadline + dt.timedelta(days=30)},
        Action.APPROVE_EXTENSION: {"opinion": "同意延期"},
        Action.REFUSE_EXTENSION: {"reason": "延期理由不充分"},
        Action.ACCEPT_MILESTONE: {"opinion": "阶段目标已完成", "milestone": "第一阶段：完成资产清查"},
        Action.COMMENT: {"text": "请尽快上传佐证材料"},
        Action.RECHECK: {"result": "书面整改", "reason": "现场未见远程心电设备，仅有文件"},
    }[action]


def refuse(item: Item, action: Action, who: Actor, now: dt.datetime = NOW, **inputs: Any) -> DomainError:
    """Apply, expecting a refusal that leaves the item exactly as it was."""
    before = copy.deepcopy(item)
    with pytest.raises(DomainError) as caught:
        apply(item, action, who, now=now, **inputs)
    assert item == before
    return caught.value


# --------------------------------------------------------------------------------------------------
# The matrix: every status × action × actor
# --------------------------------------------------------------------------------------------------


def test_tables_cover_every_role_and_status():
    assert set(ROLE_COLUMNS.values()) == set(Role)
    assert set(STATUS_COLUMNS.values()) == set(Status)
    assert set(TRANSITIONS) == set(Action)


@pytest.mark.parametrize("who", ACTORS)
@pytest.mark.parametrize("action", list(Action), ids=lambda a: a.value)
@pytest.mark.parametrize("status", list(Status), ids=lambda s: s.name)
def test_permission_matrix(status, action, who):
    item = ready_item(status, action)
    expected = expected_outcome(status, action, who, item.unit_id)

    listed = action in allowed_actions(item, who, NOW)
    assert listed == (expected == "ok" and action not in RECHECK_SCREEN_ACTIONS)
    on_recheck_screen = action in allowed_actions(item, who, NOW, screen="recheck")
    assert on_recheck_screen == (expected == "ok" and action in RECHECK_SCREEN_ACTIONS)

    if expected == "ok":
        record = apply(item, action, who, now=NOW, **valid_inputs(action, item))
        assert record.from_status is status
        assert record.to_status is (RESULT[action] or status)
        assert item.status is record.to_status
        return
    error = refuse(item, action, who, **valid_inputs(action, item))
    assert error.status == expected
    if expected == 404:
        assert "不存在" in error.message
    elif who.role not in ALLOWED_ROLES[action]:
        assert error.message == f"您无权对该事项执行“{action.label}”"
    elif expected == 403:
        assert "单位" in error.message and action.label in error.message
    else:
        assert error.message == f"当前状态为“{status.label}”，不能{action.label}"


def test_closed_item_cannot_be_submitted_message():
    item = ready_item(Status.CLOSED, Action.SUBMIT)
    error = refuse(item, Action.SUBMIT, COORDINATOR)
    assert (error.status, error.message) == (409, "当前状态为“已销号”，不能申请销号")


def test_inspector_cannot_accept_message():
    item = ready_item(Status.SUBMITTED, Action.ACCEPT)
    error = refuse(item, Action.ACCEPT, INSPECTOR, opinion="同意")
    assert (error.status, error.message) == (403, "您无权对该事项执行“验收通过”")


# --------------------------------------------------------------------------------------------------
# allowed_actions agrees with apply on every combination of item state
# --------------------------------------------------------------------------------------------------

OVERDUE_NOW = utc(2022, 7, 30, 2, 0)


def item_variations(status: Status):
    for unit_id in (UNIT, None):
        for measures in ("制定财务统一核算办法", ""):  # blank variants: test_submit_needs_measures
            for rtype in RECTIFICATION_TYPES:
                for pend in (None, pending()):
                    for extended in (None, D(2022, 8, 15)):
                        yield Item(status=status, unit_id=unit_id, measures=measures, rectification_type=rtype,
                                   pending_extension=pend, extended_deadline=extended,
                                   planned_date=D(2022, 7, 20),
                                   closed_at=CLOSED_AT if status is Status.CLOSED else None)


@pytest.mark.parametrize("action", list(Action), ids=lambda a: a.value)
def test_allowed_actions_iff_apply_succeeds(action):
    successes = 0
    for status in Status:
        for param in ACTORS:
            who = param.values[0]
            for now in (NOW, OVERDUE_NOW):
                for item in item_variations(status):
                    snapshot = copy.deepcopy(item)
                    screen = "recheck" if action in RECHECK_SCREEN_ACTIONS else "item"
                    listed = action in allowed_actions(item, who, now, screen=screen)
                    assert item == snapshot, "allowed_actions must not change the item"
                    try:
                        apply(item, action, who, now=now, **valid_inputs(action, item))
                    except DomainError as error:
                        assert not listed, (status, who, item, error.message)
                        assert error.status != 422, "valid inputs were refused as invalid"
                        assert item == snapshot
                    else:
                        assert listed, (status, who, snapshot)
                        successes += 1
    assert successes > 0


def test_allowed_actions_for_a_typical_day():
    item = Item(status=Status.IN_PROGRESS, unit_id=UNIT, measures="措施", planned_date=D(2022, 7, 20))
    assert allowed_actions(item, RESPONDER, NOW) == [
        Action.WRITE_MEASURES, Action.POST_PROGRESS, Action.SUBMIT, Action.REQUEST_EXTENSION, Action.COMMENT,
    ]
    assert allowed_actions(item, COORDINATOR, NOW) == [
        Action.ASSIGN, Action.WRITE_MEASURES, Action.POST_PROGRESS, Action.SUBMIT, Action.REQUEST_EXTENSION,
        Action.COMMENT,
    ]
    assert allowed_actions(item, LEADER, NOW) == [Action.COMMENT]
    assert allowed_actions(item, actor(Role.PROVINCE_VIEWER), NOW) == []
    assert allowed_actions(item, actor(Role.COUNTY_COORDINATOR, in_scope=False), NOW) == []


def test_allowed_actions_defaults_to_the_current_time():
    far = dt.date.today() + dt.timedelta(days=100)
    item = Item(status=Status.IN_PROGRESS, unit_id=UNIT, deadline=far)
    assert Action.REQUEST_EXTENSION in allowed_actions(item, COORDINATOR)
    item.deadline = dt.date.today() - dt.timedelta(days=2)
    assert Action.REQUEST_EXTENSION not in allowed_actions(item, COORDINATOR)


# --------------------------------------------------------------------------------------------------
# Preconditions that need no input (409)
# --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("action", [Action.WRITE_MEASURES, Action.POST_PROGRESS])
def test_work_on_an_unassigned_item_is_refused(action):
    item = Item(status=Status.PENDING, unit_id=None)
    error = refuse(item, action, COORDINATOR, **valid_inputs(action, item))
    assert (error.status, error.message) == (409, "该事项尚未指派责任单位，请先指派")


def test_unit_responder_cannot_touch_an_unassigned_item():
    item = Item(status=Status.PENDING, unit_id=None)
    assert refuse(item, Action.COMMENT, RESPONDER, text="有问题").status == 403
    assert allowed_actions(item, RESPONDER, NOW) == []


@pytest.mark.parametrize("measures", ["", None, "  \n "])
def test_submit_needs_measures(measures):
    item = Item(status=Status.IN_PROGRESS, unit_id=UNIT, measures=measures)
    error = refuse(item, Action.SUBMIT, RESPONDER)
    assert (error.status, error.message) == (409, "请先填写整改措施，再申请销号")


@pytest.mark.parametrize("rtype", ["immediate", "deadline"])
def test_milestones_only_for_long_term_items(rtype):
    item = Item(status=Status.IN_PROGRESS, unit_id=UNIT, rectification_type=rtype)
    error = refuse(item, Action.ACCEPT_MILESTONE, LEADER, opinion="好", milestone="一")
    assert (error.status, error.message) == (409, "只有“长期坚持”类事项才能进行阶段验收")


@pytest.mark.parametrize("action", [Action.APPROVE_EXTENSION, Action.REFUSE_EXTENSION])
def test_deciding_an_extension_needs_one_pending(action):
    item = Item(status=Status.IN_PROGRESS, unit_id=UNIT)
    error = refuse(item, action, LEADER, reason="不同意")
    assert (error.status, error.message) == (409, "该事项没有待审批的延期申请")


# --------------------------------------------------------------------------------------------------
# Each transition's effect
# --------------------------------------------------------------------------------------------------


def test_assign_sets_unit_and_person_and_keeps_status():
    item = Item(status=Status.PENDING)
    record = apply(item, Action.ASSIGN, COORDINATOR, now=NOW, unit_id=UNIT, person=" 张科长 ")
    assert (item.unit_id, item.responsible_person, item.status, item.version) == (UNIT, "张科长", Status.PENDING, 2)
    assert record == HistoryRecord(
        action=Action.ASSIGN, from_status=Status.PENDING, to_status=Status.PENDING, actor_user_id=11,
        actor_role=Role.COUNTY_COORDINATOR, at=NOW, note="张科长",
        data={"unit_id": UNIT, "previous_unit_id": None, "person": "张科长",
              "assignee_id": None, "previous_assignee_id": None},
    )


def test_assign_to_an_account_keeps_the_account_and_the_previous_one():
    item = Item(status=Status.IN_PROGRESS, unit_id=UNIT, responsible_person="李四", assignee_id=40)
    record = apply(item, Action.ASSIGN, COORDINATOR, now=NOW, unit_id=UNIT, person="王五", assignee_id=41)
    assert (item.assignee_id, item.responsible_person) == (41, "王五")
    assert (record.data["assignee_id"], record.data["previous_assignee_id"]) == (41, 40)
    apply(item, Action.ASSIGN, COORDINATOR, now=NOW, unit_id=UNIT, person="赵六")
    assert (item.assignee_id, item.responsible_person) == (None, "赵六")


def test_who_is_told_about_each_transition():
    """The notices are part of the table: literal expectations, one per action that tells anyone."""
    from inspect_app.rectification.lifecycle import ASSIGNEE, COORDINATORS, REVIEWERS, UNIT
    county = {UNIT, ASSIGNEE, COORDINATORS}
    expected = {
        Action.ASSIGN: ("assigned", {UNIT, ASSIGNEE}),
        Action.SUBMIT: ("submitted", {REVIEWERS}),
        Action.ACCEPT: ("accepted", county),
        Action.RETURN: ("returned", county),
        Action.REOPEN: ("reopened", county),
        Action.RECHECK: ("reopened", county),
        Action.REQUEST_EXTENSION: ("extension", {REVIEWERS}),
        Action.APPROVE_EXTENSION: ("extension_decided", county),
        Action.REFUSE_EXTENSION: ("extension_decided", county),
    }
    told = {a: (t.notice.kind, set(t.notice.audience)) for a, t in TRANSITIONS.items() if t.notice}
    assert told == expected
    notice = TRANSITIONS[Action.REQUEST_EXTENSION].notice
    assert notice.message("411329-2022-001（远程心电）", {"new_date": "2022-08-31"}) \
        == "整改事项 411329-2022-001（远程心电） 申请延期至 2022-08-31，等待您审批"


def test_reassign_moves_the_item_away_from_the_old_unit():
    item = Item(status=Status.IN_PROGRESS, unit_id=UNIT)
    record = apply(item, Action.ASSIGN, COORDINATOR, now=NOW, unit_id=OTHER_UNIT)
    assert (item.unit_id, item.responsible_person) == (OTHER_UNIT, None)
    assert record.data["previous_unit_id"] == UNIT
    assert refuse(item, Action.POST_PROGRESS, RESPONDER, text="进展").status == 403


def test_write_measures_starts_the_work():
    item = Item(status=Status.PENDING, unit_id=UNIT)
    record = apply(item, Action.WRITE_MEASURES, RESPONDER, now=NOW, text="  设立总会计师  ",
                   new_date=D(2022, 7, 20))
    assert (item.status, item.measures, item.planned_date, item.version) == (
        Status.IN_PROGRESS, "设立总会计师", D(2022, 7, 20), 2)
    assert (record.from_status, record.to_status, record.note, record.actor_user_id) == (
        Status.PENDING, Status.IN_PROGRESS, "设立总会计师", 12)
    assert record.data == {"planned_date": "2022-07-20", "previous_planned_date": None}


def test_planned_date_may_equal_but_not_pass_the_effective_deadline():
    item = Item(status=Status.IN_PROGRESS, unit_id=UNIT)
    error = refuse(item, Action.WRITE_MEASURES, RESPONDER, text="措施", new_date=D(2022, 7, 26))
    assert (error.status, error.field) == (422, "new_date")
    assert "2022年7月25日" in error.message
    apply(item, Action.WRITE_MEASURES, RESPONDER, now=NOW, text="措施", new_date=DEADLINE)
    item.extended_deadline = D(2022, 8, 31)
    apply(item, Action.WRITE_MEASURES, RESPONDER, now=NOW, text="措施", new_date=D(2022, 8, 31))
    assert item.planned_date == D(2022, 8, 31)


def test_post_progress_from_pending():
    item = Item(status=Status.PENDING, unit_id=UNIT)
    record = apply(item, Action.POST_PROGRESS, RESPONDER, now=NOW, text="已完成资产清查")
    assert (item.status, item.version, record.note, record.to_status) == (
        Status.IN_PROGRESS, 2, "已完成资产清查", Status.IN_PROGRESS)


def test_submit():
    item = Item(status=Status.IN_PROGRESS, unit_id=UNIT, measures="措施")
    record = apply(item, Action.SUBMIT, COORDINATOR, now=NOW)
    assert (item.status, item.version, record.from_status, record.to_status, record.note) == (
        Status.SUBMITTED, 2, Status.IN_PROGRESS, Status.SUBMITTED, "")


@pytest.mark.parametrize("rtype", list(RECTIFICATION_TYPES))
def test_accept_closes_every_type(rtype):
    item = Item(status=Status.SUBMITTED, unit_id=UNIT, measures="措施", rectification_type=rtype)
    record = apply(item, Action.ACCEPT, PROVINCE, now=NOW, opinion="整改到位，同意销号")
    assert (item.status, item.closed_at, item.version) == (Status.CLOSED, NOW, 2)
    assert (record.note, record.actor_role, record.at) == ("整改到位，同意销号", Role.PROVINCE_ADMIN, NOW)
    assert not is_overdue(item, OVERDUE_NOW)


def test_accept_drops_a_pending_extension_nobody_could_decide_afterwards():
    item = Item(status=Status.SUBMITTED, unit_id=UNIT, measures="措施", pending_extension=pending())
    record = apply(item, Action.ACCEPT, LEADER, now=NOW, opinion="同意")
    assert item.pending_extension is None
    assert record.data == {"dropped_extension_date": "2022-08-31"}


def test_return_counts_and_the_cycle_can_repeat():
    item = Item(status=Status.SUBMITTED, unit_id=UNIT, measures="措施")
    record = apply(item, Action.RETURN, LEADER, now=NOW, reason="佐证材料不全")
    assert (item.status, item.return_count, item.version) == (Status.IN_PROGRESS, 1, 2)
    assert (record.note, record.data) == ("佐证材料不全", {"return_count": 1})
    apply(item, Action.SUBMIT, RESPONDER, now=NOW)
    apply(item, Action.RETURN, PROVINCE, now=NOW, reason="仍不全")
    assert (item.return_count, item.version) == (2, 4)


def test_reopen_clears_closure_and_counts():
    item = Item(status=Status.CLOSED, unit_id=UNIT, measures="措施", closed_at=CLOSED_AT)
    record = apply(item, Action.REOPEN, LEADER, now=NOW, reason="回头看发现虚假整改")
    assert (item.status, item.closed_at, item.reopen_count, item.version) == (Status.IN_PROGRESS, None, 1, 2)
    assert item.extended_deadline is None
    assert record.data == {"reopen_count": 1, "previous_closed_at": CLOSED_AT.isoformat()}


def test_recheck_reopens_with_the_result_and_note_in_history():
    item = Item(status=Status.CLOSED, unit_id=UNIT, closed_at=CLOSED_AT, reopen_count=1)
    record = apply(item, Action.RECHECK, INSPECTOR, now=NOW, result="书面整改", reason="只有文件，现场未落实")
    assert (item.status, item.closed_at, item.reopen_count, item.version) == (Status.IN_PROGRESS, None, 2, 2)
    assert record.note == "抽查复核：书面整改。只有文件，现场未落实"
    assert record.data == {"result": "书面整改", "reopen_count": 2, "previous_closed_at": CLOSED_AT.isoformat()}
    assert TRANSITIONS[Action.RECHECK].notice.message("411329-2022-001（远程心电）", record.data) \
        == "整改事项 411329-2022-001（远程心电） 抽查复核结果为“书面整改”，已重新打开，请继续整改"


def test_reopen_after_the_deadline_can_set_a_new_one():
    item = Item(status=Status.CLOSED, unit_id=UNIT, closed_at=CLOSED_AT)
    late = utc(2022, 9, 1, 2, 0)
    error = refuse(item, Action.REOPEN, LEADER, now=late, reason="复核", new_date=D(2022, 8, 31))
    assert (error.status, error.field) == (422, "new_date")
    error = refuse(item, Action.REOPEN, LEADER, now=NOW, reason="复核", new_date=DEADLINE)
    assert error.status == 422
    record = apply(item, Action.REOPEN, LEADER, now=late, reason="复核", new_date=D(2022, 9, 30))
    assert (item.deadline, item.extended_deadline) == (DEADLINE, D(2022, 9, 30))
    assert not is_overdue(item, late)
    assert record.data["new_deadline"] == "2022-09-30"


def test_accept_milestone_keeps_status_and_records_the_milestone():
    item = Item(status=Status.IN_PROGRESS, unit_id=UNIT, rectification_type="long_term")
    record = apply(item, Action.ACCEPT_MILESTONE, LEADER, now=NOW, opinion="阶段目标完成",
                   milestone="2022年第三季度：家庭医生签约率达标")
    assert (item.status, item.version, item.closed_at) == (Status.IN_PROGRESS, 2, None)
    assert (record.from_status, record.to_status, record.note) == (Status.IN_PROGRESS, Status.IN_PROGRESS,
                                                                   "阶段目标完成")
    assert record.data == {"milestone": "2022年第三季度：家庭医生签约率达标"}


def test_comment_records_history_but_leaves_the_item_and_version_alone():
    item = Item(status=Status.CLOSED, unit_id=UNIT, closed_at=CLOSED_AT)
    before = copy.deepcopy(item)
    record = apply(item, Action.COMMENT, INSPECTOR, now=NOW, text="现场未见制度上墙", expected_version=0)
    assert item == before
    assert (record.action, record.from_status, record.to_status, record.note, record.actor_user_id) == (
        Action.COMMENT, Status.CLOSED, Status.CLOSED, "现场未见制度上墙", 15)


def test_a_whole_journey():
    item = Item()
    steps = [
        (Action.ASSIGN, COORDINATOR, {"unit_id": UNIT, "person": "张科长"}, Status.PENDING),
        (Action.WRITE_MEASURES, RESPONDER, {"text": "措施", "new_date": D(2022, 7, 20)}, Status.IN_PROGRESS),
        (Action.POST_PROGRESS, RESPONDER, {"text": "进展"}, Status.IN_PROGRESS),
        (Action.SUBMIT, RESPONDER, {}, Status.SUBMITTED),
        (Action.RETURN, LEADER, {"reason": "不全"}, Status.IN_PROGRESS),
        (Action.SUBMIT, COORDINATOR, {}, Status.SUBMITTED),
        (Action.ACCEPT, LEADER, {"opinion": "同意销号"}, Status.CLOSED),
        (Action.REOPEN, PROVINCE, {"reason": "抽查复核发现反弹"}, Status.IN_PROGRESS),
    ]
    for number, (action, who, inputs, status) in enumerate(steps, start=1):
        record = apply(item, action, who, now=NOW, expected_version=item.version, **inputs)
        assert (item.status, record.to_status, item.version) == (status, status, number + 1)
    assert (item.return_count, item.reopen_count, item.closed_at) == (1, 1, None)


# --------------------------------------------------------------------------------------------------
# Required inputs (422)
# --------------------------------------------------------------------------------------------------

INPUT_ERRORS = [
    (Action.ASSIGN, Status.PENDING, {"unit_id": None}, "unit_id", "请选择责任单位"),
    (Action.ASSIGN, Status.PENDING, {"unit_id": 0}, "unit_id", "责任单位无效"),
    (Action.ASSIGN, Status.PENDING, {"unit_id": "7"}, "unit_id", "责任单位无效"),
    (Action.WRITE_MEASURES, Status.PENDING, {"text": "  "}, "text", "请填写整改措施"),
    (Action.WRITE_MEASURES, Status.PENDING, {"new_date": None}, "new_date", "请填写计划完成时间"),
    (Action.WRITE_MEASURES, Status.PENDING, {"new_date": "2022-07-20"}, "new_date", "日期格式不正确"),
    (Action.WRITE_MEASURES, Status.PENDING, {"new_date": dt.datetime(2022, 7, 20)}, "new_date", "日期格式不正确"),
    (Action.POST_PROGRESS, Status.IN_PROGRESS, {"text": None}, "text", "请填写整改进展"),
    (Action.ACCEPT, Status.SUBMITTED, {"opinion": ""}, "opinion", "请填写验收意见"),
    (Action.RETURN, Status.SUBMITTED, {"reason": None}, "reason", "请填写退回原因"),
    (Action.RETURN, Status.SUBMITTED, {"reason": " \t"}, "reason", "请填写退回原因"),
    (Action.REOPEN, Status.CLOSED, {"reason": None}, "reason", "请填写重新打开原因"),
    (Action.REQUEST_EXTENSION, Status.IN_PROGRESS, {"reason": None}, "reason", "请填写延期原因"),
    (Action.REQUEST_EXTENSION, Status.IN_PROGRESS, {"new_date": None}, "new_date", "请填写申请延期至的日期"),
    (Action.REFUSE_EXTENSION, Status.IN_PROGRESS, {"reason": ""}, "reason", "请填写不同意延期的理由"),
    (Action.ACCEPT_MILESTONE, Status.IN_PROGRESS, {"opinion": None}, "opinion", "请填写验收意见"),
    (Action.ACCEPT_MILESTONE, Status.IN_PROGRESS, {"milestone": None}, "milestone", "请注明验收的阶段目标"),
    (Action.COMMENT, Status.PENDING, {"text": ""}, "text", "请填写评论内容"),
]


@pytest.mark.parametrize("action,status,override,field_name,message", INPUT_ERRORS,
                         ids=[f"{a.value}-{f}-{i}" for i, (a, _, _, f, _) in enumerate(INPUT_ERRORS)])
def test_missing_or_invalid_input(action, status, override, field_name, message):
    item = ready_item(status, action)
    who = COORDINATOR if Role.COUNTY_COORDINATOR in ALLOWED_ROLES[action] else LEADER
    inputs = {**valid_inputs(action, item), **override}
    error = refuse(item, action, who, **inputs)
    assert (error.status, error.field, error.message) == (422, field_name, message)


@pytest.mark.parametrize("action", list(Action), ids=lambda a: a.value)
def test_each_declared_requirement_is_enforced(action):
    """Leaving out any input the table says an action requires is a 422 on that field."""
    status = next(s for s in Status if s in ALLOWED_FROM[action])
    who = actor(next(iter(ALLOWED_ROLES[action] - {Role.UNIT_RESPONDER})))
    for name in TRANSITIONS[action].requires:
        item = ready_item(status, action)
        error = refuse(item, action, who, **{**valid_inputs(action, item), name: None})
        assert (error.status, error.field) == (422, name)


def test_scope_is_checked_before_inputs_and_role_before_status():
    item = ready_item(Status.CLOSED, Action.RETURN)
    assert refuse(item, Action.RETURN, actor(Role.INSPECTOR, in_scope=False)).status == 404
    assert refuse(item, Action.RETURN, INSPECTOR).status == 403
    assert refuse(item, Action.RETURN, LEADER).status == 409


# --------------------------------------------------------------------------------------------------
# Stale versions
# --------------------------------------------------------------------------------------------------

CHANGING_ACTIONS = [a for a in Action if a is not Action.COMMENT]


@pytest.mark.parametrize("action", CHANGING_ACTIONS, ids=lambda a: a.value)
def test_stale_version_is_refused(action):
    status = next(s for s in Status if s in ALLOWED_FROM[action])
    who = actor(next(iter(ALLOWED_ROLES[action] - {Role.UNIT_RESPONDER})))
    item = ready_item(status, action)
    item.version = 5
    error = refuse(item, action, who, expected_version=4, **valid_inputs(action, item))
    assert (error.status, error.message) == (409, "该事项已被他人修改，您的操作尚未执行")
    assert STALE_MESSAGE == error.message
    apply(item, action, who, now=NOW, expected_version=5, **valid_inputs(action, item))
    assert item.version == 6


def test_stale_form_beats_the_status_message():
    """Someone else accepted the item meanwhile: say so, rather than blame the status."""
    item = Item(status=Status.CLOSED, unit_id=UNIT, measures="措施", version=3, closed_at=CLOSED_AT)
    error = refuse(item, Action.SUBMIT, RESPONDER, expected_version=2)
    assert error.message == STALE_MESSAGE


# --------------------------------------------------------------------------------------------------
# Extensions
# --------------------------------------------------------------------------------------------------


def test_request_extension_records_a_json_friendly_request_and_keeps_the_deadline():
    item = Item(status=Status.IN_PROGRESS, unit_id=UNIT)
    record = apply(item, Action.REQUEST_EXTENSION, RESPONDER, now=NOW, reason="需常务会研究",
                   new_date=D(2022, 8, 31))
    assert item.pending_extension == {"new_date": "2022-08-31", "reason": "需常务会研究", "requested_by": 12,
                                      "requested_at": NOW.isoformat()}
    assert pending_extension_date(item) == D(2022, 8, 31)
    assert (item.deadline, item.extended_deadline, item.status, item.version) == (
        DEADLINE, None, Status.IN_PROGRESS, 2)
    assert record.data == {"new_date": "2022-08-31", "current_deadline": "2022-07-25"}


def test_extension_can_be_asked_until_the_last_second_of_the_deadline_day():
    item = Item(status=Status.IN_PROGRESS, unit_id=UNIT)
    assert Action.REQUEST_EXTENSION in allowed_actions(item, RESPONDER, LAST_SECOND)
    apply(item, Action.REQUEST_EXTENSION, RESPONDER, now=LAST_SECOND, reason="原因", new_date=D(2022, 8, 31))
    assert pending_extension_date(item) == D(2022, 8, 31)


def test_extension_cannot_be_asked_after_the_deadline():
    item = Item(status=Status.IN_PROGRESS, unit_id=UNIT)
    assert Action.REQUEST_EXTENSION not in allowed_actions(item, RESPONDER, FIRST_LATE_SECOND)
    error = refuse(item, Action.REQUEST_EXTENSION, RESPONDER, now=FIRST_LATE_SECOND, reason="原因",
                   new_date=D(2022, 8, 31))
    assert (error.status, error.message) == (409, "已超过完成时限（2022年7月25日），不能再申请延期")


def test_extension_cannot_be_asked_twice():
    item = Item(status=Status.IN_PROGRESS, unit_id=UNIT, pending_extension=pending())
    error = refuse(item, Action.REQUEST_EXTENSION, COORDINATOR, reason="再申请", new_date=D(2022, 9, 30))
    assert (error.status, error.message) == (409, "已有一项延期申请正在审批，请等待审批结果")


def test_extension_date_must_be_later_than_the_current_deadline():
    item = Item(status=Status.IN_PROGRESS, unit_id=UNIT)
    error = refuse(item, Action.REQUEST_EXTENSION, RESPONDER, reason="原因", new_date=DEADLINE)
    assert (error.status, error.field) == (422, "new_date")
    assert "2022年7月25日" in error.message
    apply(item, Action.REQUEST_EXTENSION, RESPONDER, now=NOW, reason="原因", new_date=D(2022, 7, 26))


def test_approve_sets_the_extended_deadline_and_keeps_the_original():
    item = Item(status=Status.SUBMITTED, unit_id=UNIT, measures="措施", pending_extension=pending())
    record = apply(item, Action.APPROVE_EXTENSION, LEADER, now=NOW)
    assert (item.deadline, item.extended_deadline, item.pending_extension) == (DEADLINE, D(2022, 8, 31), None)
    assert (item.status, item.version, record.note) == (Status.SUBMITTED, 2, "")
    assert record.data == {"new_deadline": "2022-08-31", "previous_deadline": "2022-07-25"}
    assert effective_deadline(item) == D(2022, 8, 31)
    assert not is_overdue(item, FIRST_LATE_SECOND)


def test_a_second_extension_counts_from_the_extended_deadline():
    item = Item(status=Status.IN_PROGRESS, unit_id=UNIT, extended_deadline=D(2022, 8, 31))
    after_original = utc(2022, 8, 10, 2, 0)
    error = refuse(item, Action.REQUEST_EXTENSION, RESPONDER, now=after_original, reason="再延",
                   new_date=D(2022, 8, 31))
    assert error.status == 422
    apply(item, Action.REQUEST_EXTENSION, RESPONDER, now=after_original, reason="再延", new_date=D(2022, 9, 15))
    apply(item, Action.APPROVE_EXTENSION, PROVINCE, now=after_original, opinion="最后一次")
    assert (item.deadline, item.extended_deadline) == (DEADLINE, D(2022, 9, 15))


def test_refuse_clears_the_request_and_changes_no_date():
    item = Item(status=Status.IN_PROGRESS, unit_id=UNIT, pending_extension=pending())
    record = apply(item, Action.REFUSE_EXTENSION, PROVINCE, now=NOW, reason="理由不充分")
    assert (item.pending_extension, item.extended_deadline, item.deadline, item.version) == (None, None, DEADLINE, 2)
    assert (record.note, record.data) == ("理由不充分", {"refused_date": "2022-08-31"})
    assert Action.REQUEST_EXTENSION in allowed_actions(item, RESPONDER, NOW)


def test_pending_extension_may_be_an_object_holding_a_date():
    @dataclass
    class Request:
        new_date: dt.date

    item = Item(status=Status.IN_PROGRESS, unit_id=UNIT, pending_extension=Request(D(2022, 8, 20)))
    assert pending_extension_date(item) == D(2022, 8, 20)
    apply(item, Action.APPROVE_EXTENSION, LEADER, now=NOW)
    assert item.extended_deadline == D(2022, 8, 20)


# --------------------------------------------------------------------------------------------------
# Atomicity
# --------------------------------------------------------------------------------------------------

FAILURES = [
    (Status.IN_PROGRESS, Action.WRITE_MEASURES, RESPONDER, {"text": "措施", "new_date": D(2022, 8, 1)}),
    (Status.IN_PROGRESS, Action.REQUEST_EXTENSION, RESPONDER, {"reason": "原因", "new_date": D(2022, 7, 1)}),
    (Status.SUBMITTED, Action.RETURN, LEADER, {"reason": ""}),
    (Status.CLOSED, Action.REOPEN, LEADER, {"reason": "复核", "new_date": D(2022, 7, 1)}),
    (Status.SUBMITTED, Action.ACCEPT, LEADER, {"opinion": None}),
    (Status.SUBMITTED, Action.ACCEPT, LEADER, {"opinion": "同意", "expected_version": 0}),
    (Status.IN_PROGRESS, Action.ASSIGN, COORDINATOR, {"unit_id": -1}),
    (Status.PENDING, Action.SUBMIT, COORDINATOR, {}),
]


@pytest.mark.parametrize("status,action,who,inputs", FAILURES, ids=[f[1].value for f in FAILURES])
def test_a_refused_action_changes_nothing(status, action, who, inputs):
    item = Item(status=status, unit_id=UNIT, measures="措施", planned_date=D(2022, 7, 20),
                pending_extension=pending("2022-08-10"), return_count=2, reopen_count=1, version=9,
                closed_at=CLOSED_AT if status is Status.CLOSED else None)
    refuse(item, action, who, **inputs)  # asserts the item is unchanged


def test_naive_now_is_a_programming_error():
    item = Item(status=Status.IN_PROGRESS, unit_id=UNIT)
    with pytest.raises(ValueError):
        apply(item, Action.POST_PROGRESS, RESPONDER, now=dt.datetime(2022, 7, 13, 10), text="进展")
    assert item.version == 1


# --------------------------------------------------------------------------------------------------
# Deadlines, urgency, ledger buckets
# --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("now,left", [
    (NOW, 12),
    (utc(2022, 7, 24, 15, 59, 59), 1),  # 2022-07-24 23:59:59 Beijing
    (utc(2022, 7, 24, 16, 0, 0), 0),    # 2022-07-25 00:00:00 Beijing, though still the 24th in UTC
    (LAST_SECOND, 0),
    (FIRST_LATE_SECOND, -1),            # 2022-07-26 00:00:00 Beijing, still the 25th in UTC
    (utc(2022, 8, 4, 16, 0), -11),
])
def test_days_remaining_counts_beijing_days(now, left):
    assert days_remaining(Item(status=Status.IN_PROGRESS), now) == left


def test_overdue_exactly_at_beijing_midnight():
    item = Item(status=Status.IN_PROGRESS, deadline=D(2022, 7, 25))
    assert not is_overdue(item, utc(2022, 7, 25, 15, 59, 59))
    assert is_overdue(item, utc(2022, 7, 25, 16, 0, 0))
    assert urgency(item, utc(2022, 7, 25, 15, 59, 59)) == "blue"
    assert urgency(item, utc(2022, 7, 25, 16, 0, 0)) == "red"
    assert aging_bucket(item, utc(2022, 7, 25, 15, 59, 59)) == "le10"
    assert aging_bucket(item, utc(2022, 7, 25, 16, 0, 0)) == "overdue"


def test_the_same_instant_in_another_timezone_gives_the_same_answer():
    item = Item(status=Status.IN_PROGRESS)
    beijing = dt.timezone(dt.timedelta(hours=8))
    assert is_overdue(item, dt.datetime(2022, 7, 26, 0, 0, tzinfo=beijing))
    assert not is_overdue(item, dt.datetime(2022, 7, 25, 23, 59, 59, tzinfo=beijing))


@pytest.mark.parametrize("status", [Status.PENDING, Status.IN_PROGRESS, Status.SUBMITTED])
def test_open_items_past_the_deadline_are_overdue(status):
    assert is_overdue(Item(status=status), OVERDUE_NOW)


def test_closed_items_are_never_overdue_nor_coloured():
    item = Item(status=Status.CLOSED, closed_at=CLOSED_AT, planned_date=D(2022, 7, 1))
    late = utc(2023, 1, 1)
    assert not is_overdue(item, late)
    assert urgency(item, late) is None
    assert aging_bucket(item, late) == "closed"


def test_extended_deadline_drives_every_helper():
    item = Item(status=Status.IN_PROGRESS, extended_deadline=D(2022, 8, 31))
    assert effective_deadline(item) == D(2022, 8, 31)
    assert days_remaining(item, OVERDUE_NOW) == 32
    assert not is_overdue(item, OVERDUE_NOW)
    assert aging_bucket(item, OVERDUE_NOW) == "gt20"


@pytest.mark.parametrize("status,planned,now,colour", [
    (Status.IN_PROGRESS, None, NOW, None),                          # 12 days left
    (Status.IN_PROGRESS, None, utc(2022, 7, 17, 16, 0), "blue"),    # 2022-07-18 Beijing: 7 days left
    (Status.IN_PROGRESS, None, utc(2022, 7, 17, 15, 59, 59), None), # 2022-07-17 Beijing: 8 days left
    (Status.SUBMITTED, None, LAST_SECOND, "blue"),
    (Status.IN_PROGRESS, D(2022, 7, 12), NOW, "yellow"),            # behind its own plan
    (Status.PENDING, D(2022, 7, 12), NOW, "yellow"),
    (Status.IN_PROGRESS, D(2022, 7, 13), NOW, None),                # the planned day itself is not late
    (Status.IN_PROGRESS, D(2022, 7, 20), utc(2022, 7, 20, 15, 59, 59), "blue"),
    (Status.IN_PROGRESS, D(2022, 7, 20), utc(2022, 7, 20, 16, 0), "yellow"),
    (Status.SUBMITTED, D(2022, 7, 12), NOW, None),                  # submitted: no longer behind
    (Status.IN_PROGRESS, D(2022, 7, 12), FIRST_LATE_SECOND, "red"), # overdue beats behind
    (Status.SUBMITTED, None, FIRST_LATE_SECOND, "red"),
])
def test_urgency(status, planned, now, colour):
    assert urgency(Item(status=status, planned_date=planned), now) == colour


@pytest.mark.parametrize("deadline,bucket", [
    (D(2022, 7, 12), "overdue"),  # NOW is 2022-07-13 in Beijing
    (D(2022, 7, 13), "le10"),
    (D(2022, 7, 23), "le10"),     # 10 days left
    (D(2022, 7, 24), "le20"),     # 11
    (D(2022, 8, 2), "le20"),      # 20
    (D(2022, 8, 3), "gt20"),      # 21
])
def test_aging_buckets(deadline, bucket):
    assert aging_bucket(Item(status=Status.IN_PROGRESS, deadline=deadline), NOW) == bucket


def test_aging_labels_match_the_ledger_filters():
    assert dict(AGING_LABELS) == {"closed": "已销号", "overdue": "已超期", "le10": "剩余≤10天",
                                  "le20": "剩余≤20天", "gt20": "剩余>20天"}


@pytest.mark.parametrize("rtype,expected", [
    ("immediate", D(2022, 7, 20)),    # 5 working days (Wed 13 July → Wed 20 July)
    ("deadline", D(2022, 8, 24)),     # 30 working days: six weeks without a holiday
    ("long_term", D(2023, 1, 9)),     # 180 calendar days
])
def test_default_deadline(rtype, expected):
    assert default_deadline(rtype, D(2022, 7, 13)) == expected


def test_default_deadline_takes_a_campaigns_periods():
    periods = {"immediate": 3, "deadline": 10, "long_term": 90}
    assert default_deadline("immediate", D(2025, 9, 30), periods) == D(2025, 10, 11)   # 调休 Saturday
    assert default_deadline("deadline", D(2022, 7, 13), periods) == D(2022, 7, 27)
    assert default_deadline("long_term", D(2022, 7, 13), periods) == D(2022, 10, 11)


def test_default_deadline_rejects_an_unknown_type():
    with pytest.raises(ValueError):
        default_deadline("forever", D(2022, 7, 13))
    assert set(DEFAULT_DEADLINE_DAYS) == set(RECTIFICATION_TYPES)
    assert DEFAULT_DEADLINE_DAYS["immediate"] < DEFAULT_DEADLINE_DAYS["deadline"] < DEFAULT_DEADLINE_DAYS["long_term"]


# --------------------------------------------------------------------------------------------------
# Vocabulary and purity
# --------------------------------------------------------------------------------------------------


def test_status_labels_and_names():
    assert [s.label for s in Status] == ["待整改", "整改中", "待验收", "已销号"]
    assert Status["SUBMITTED"] is Status.SUBMITTED  # the database stores the name


def test_action_labels():
    assert {a.name: a.label for a in Action} == {
        "ASSIGN": "指派责任单位", "WRITE_MEASURES": "填写整改措施", "POST_PROGRESS": "报送整改进展",
        "SUBMIT": "申请销号", "ACCEPT": "验收通过", "RETURN": "退回", "REOPEN": "重新打开",
        "REQUEST_EXTENSION": "申请延期", "APPROVE_EXTENSION": "同意延期", "REFUSE_EXTENSION": "不同意延期",
        "ACCEPT_MILESTONE": "阶段验收", "COMMENT": "评论", "RECHECK": "复核未通过重新打开",
    }
    assert Action("submit") is Action.SUBMIT


def test_role_codes_and_labels():
    assert {r.value: r.label for r in Role} == {
        "system_admin": "系统管理员", "security_admin": "安全管理员", "audit_admin": "审计管理员", "province_admin": "省级管理员",
        "province_viewer": "省级查看", "city_viewer": "市级查看", "team_leader": "核查组组长",
        "inspector": "核查员", "county_coordinator": "县级联络员", "unit_responder": "责任单位经办人",
    }


def test_action_may_be_given_by_its_code():
    item = Item(status=Status.IN_PROGRESS, unit_id=UNIT)
    record = apply(item, "post_progress", RESPONDER, now=NOW, text="进展")
    assert record.action is Action.POST_PROGRESS


@pytest.mark.parametrize("module", ["inspect_app/rectification/lifecycle.py", "inspect_app/roles.py"])
def test_modules_are_pure(module):
    """Only the standard library, inspect_app.roles, the statuses, the date rules (date_rules: the
    deadline rules and the official working-day calendar, which build SQL expressions but never run
    a query) and the one domain error (inspect_app.errors, itself plain Python): no Flask, no
    session, no database."""
    root = Path(__file__).resolve().parents[2]
    tree = ast.parse((root / module).read_text(encoding="utf-8"))
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            imported.add(node.module if node.module.startswith("inspect_app") else node.module.split(".")[0])
    allowed = {"__future__", "datetime", "dataclasses", "enum", "types", "typing", "zoneinfo", "inspect_app.roles",
               "inspect_app.rectification.date_rules", "inspect_app.rectification.status", "inspect_app.errors"}
    assert imported <= allowed


def test_extension_asked_in_working_days_counts_like_the_deadlines_at_issue():
    """5 working days after a deadline of 2025-09-30 is 2025-10-14 (国庆 off, 11 October worked)."""
    item = Item(status=Status.IN_PROGRESS, unit_id=UNIT, deadline=D(2025, 9, 30))
    record = apply(item, Action.REQUEST_EXTENSION, RESPONDER, now=dt.datetime(2025, 9, 20, 2, tzinfo=dt.timezone.utc),
                   reason="节后才能完成", working_days=5)
    assert pending_extension_date(item) == D(2025, 10, 14)
    assert record.data["working_days"] == 5 and record.data["new_date"] == "2025-10-14"


@pytest.mark.parametrize("days", [0, -3, 251])
def test_extension_working_days_out_of_range_is_refused(days):
    item = Item(status=Status.IN_PROGRESS, unit_id=UNIT, deadline=D(2025, 9, 30))
    with pytest.raises(DomainError) as refused:
        apply(item, Action.REQUEST_EXTENSION, RESPONDER, now=dt.datetime(2025, 9, 20, 2, tzinfo=dt.timezone.utc),
              reason="节后", working_days=days)
    assert refused.value.field == "working_days" and item.pending_extension is None
