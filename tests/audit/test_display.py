"""The audit trail as people read it (issue 14, seen 8): Chinese actions and object types, only the
fields that changed, names instead of ids, the campaign of a 下发, and the filtered XLSX export."""
import io
import re
from datetime import datetime, timezone
from pathlib import Path

import sqlalchemy as sa
from openpyxl import load_workbook

import inspect_app
from inspect_app.audit.export import COLUMNS
from inspect_app.audit.models import ACTION_LABELS, OBJECT_TYPE_LABELS, AuditEvent
from inspect_app.audit.service import record
from inspect_app.extensions import db
from inspect_app.rectification.lifecycle import Action
from tests.conftest import HX
from tests.rectification.factories import make_item, problem_list, wjw
from tests.rectification.test_routes import post_action

PACKAGE = Path(inspect_app.__file__).parent
CALL = re.compile(r'\b(?:record|download|audit_use|_commit_event)\(\s*"([a-z_]+\.[a-z_.]+)"')


def test_every_action_code_the_app_records_has_a_chinese_name():
    codes = {code for path in PACKAGE.rglob("*.py") for code in CALL.findall(path.read_text(encoding="utf-8"))}
    codes |= {f"{key}.{verb}" for key in ("sites", "units", "communities") for verb in ("create", "update")}
    codes |= {f"item.{action.value}" for action in Action if action is not Action.COMMENT}
    codes |= {"access.denied", "access.not_found", "csrf.refused"}
    assert len(codes) > 50
    missing = sorted(c for c in codes if c not in ACTION_LABELS)
    assert missing == []
    assert all(re.search(r"[\u4e00-\u9fff]", label) for label in ACTION_LABELS.values())


def test_object_types_the_models_record_read_in_chinese():
    for name in ("User", "Site", "RectificationItem", "ProblemList", "Finding", "SiteVisit", "Campaign", "Team",
                 "ChecklistItem", "Photo", "AuditLog", "LoginThrottle"):
        assert re.search(r"[\u4e00-\u9fff]", OBJECT_TYPE_LABELS[name]), name


def test_assign_row_shows_the_changed_fields_by_name_only(client, world, login_as):
    item = make_item(world)
    login_as("xinye")
    assert post_action(client, item, "assign", {"unit_id": str(wjw(world).id), "person": "张主任"}).status_code == 200
    login_as("auditor")
    text = client.get("/admin/audit?action=item.assign", headers={**HX, "HX-Target": "audit-table"}).get_data(as_text=True)
    assert "指派责任单位" in text and "整改事项" in text
    assert "责任单位</span>：<s>（空）</s> → 新野县卫健委" in text
    assert "责任人</span>：<s>（空）</s> → 张主任" in text
    for internal in ("unit_id", "version", "return_count", "退回次数", "assignee_id", "RectificationItem"):
        assert internal not in text, internal


def test_ids_become_names_and_unchanged_fields_are_left_out(client, world, login_as):
    user = world.users["xinye"]
    record("user.update", obj=user, label=user.display_name, user=world.users["admin"],
           before={"region_id": world.xinye.id, "display_name": "同名", "active": True, "unit_id": None},
           after={"region_id": world.tongbai.id, "display_name": "同名", "active": False, "unit_id": None},
           summary="修改账户")
    db.session.commit()
    login_as("auditor")
    text = client.get("/admin/audit?action=user.update").get_data(as_text=True)
    assert "修改账户" in text and "账户 " in text
    assert "地区</span>：<s>新野县</s> → 桐柏县" in text
    assert "启用</span>：<s>是</s> → 否" in text
    assert "region_id" not in text and f"：{world.xinye.id}" not in text
    assert "姓名</span>" not in text and "责任单位</span>" not in text   # unchanged: not listed


def test_a_issue_row_names_the_campaign_and_the_list(client, world, login_as):
    plist = problem_list(world, world.xinye)
    record("problem_list.issue", obj=plist, label=plist.title, user=world.users["leader8"],
           after={"status": "已下发", "items": 3, "sequence": 1}, summary=f"下发{plist.title}，共 3 个问题")
    item = make_item(world, commit=False)
    record("item.issue", obj=item, label=item.number, user=world.users["leader8"],
           after={"status": "待整改", "deadline": item.deadline}, summary=f"下发整改事项 {item.number}")
    db.session.commit()
    login_as("auditor")
    text = client.get("/admin/audit?action=下发", headers=HX).get_data(as_text=True)
    assert "下发问题清单" in text and "下发整改事项" in text
    assert text.count("核查任务：2022年紧密型县域医共体建设核查；清单：新野县反馈问题清单") == 2
    assert "第八核查组组长" in text or "leader8" in text


def test_export_follows_the_filters_and_is_audited(client, world, login_as):
    for username, action, summary in (("xinye", "login.success", "甲"), ("tongbai", "login.failure", "乙"),
                                      ("xinye", "sites.create", "丙")):
        db.session.add(AuditEvent(action=action, username=username, object_type="User", summary=summary,
                                  at=datetime(2022, 7, 10, 3, tzinfo=timezone.utc)))
    db.session.commit()
    login_as("auditor")
    res = client.get("/admin/audit/export.xlsx?action=login&user=xinye&start=2022-07-10&end=2022-07-10")
    assert res.status_code == 200 and res.mimetype.endswith("spreadsheetml.sheet")
    assert "filename*=UTF-8''" in res.headers["Content-Disposition"]
    sheet = load_workbook(io.BytesIO(res.data)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == COLUMNS
    assert [(r[2], r[3], r[7]) for r in rows[1:]] == [("登录成功", "login.success", "甲")]
    assert rows[1][0] == "2022-07-10 11:00:00"                     # Beijing time
    audit = db.session.execute(sa.select(AuditEvent).where(AuditEvent.action == "export.audit")).scalar_one()
    assert audit.username == "auditor" and "导出审计日志 1 条" in audit.summary
    assert "操作：login" in audit.summary and "用户：xinye" in audit.summary
    page = client.get("/admin/audit").get_data(as_text=True)
    assert "导出审计日志" in page and 'href="/admin/audit/export.xlsx' in page


def test_only_the_auditor_exports_the_trail(client, world, login_as):
    for username in ("admin", "secadmin" if "secadmin" in world.users else "province", "xinye"):
        login_as(username)
        assert client.get("/admin/audit/export.xlsx").status_code in (403, 404)
