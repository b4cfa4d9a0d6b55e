"""The audit view: filters, Beijing dates, and who may read it."""
from datetime import datetime, timezone

from inspect_app.audit.models import AuditEvent
from inspect_app.extensions import db
from tests.conftest import HX


def add(action, username, at, summary=""):
    db.session.add(AuditEvent(action=action, username=username, at=at, object_type="User", summary=summary))


def test_filters_by_user_action_and_beijing_day(client, world, login_as):
    add("login.success", "xinye", datetime(2022, 7, 10, 15, 59, tzinfo=timezone.utc), "七月十日晚")   # 23:59 Beijing
    add("login.success", "xinye", datetime(2022, 7, 10, 16, 1, tzinfo=timezone.utc), "七月十一日凌晨")  # 00:01 next day
    add("sites.create", "tongbai", datetime(2022, 7, 10, 3, 0, tzinfo=timezone.utc), "新增点位")
    db.session.commit()
    login_as("auditor")
    page = client.get("/admin/audit").get_data(as_text=True)
    assert "七月十日晚" in page and "新增点位" in page
    day = client.get("/admin/audit?start=2022-07-10&end=2022-07-10", headers={**HX, "HX-Target": "audit-table"})
    text = day.get_data(as_text=True)
    assert text.lstrip().startswith('<div id="audit-table"')
    assert "七月十日晚" in text and "新增点位" in text and "七月十一日凌晨" not in text
    assert "2022-07-10 23:59" in text
    text = client.get("/admin/audit?user=tong&action=sites", headers=HX).get_data(as_text=True)
    assert "新增点位" in text and "七月十日晚" not in text


def test_every_org_change_reaches_the_audit_view(client, world, login_as):
    login_as("xinye")
    site = world.site(world.xinye)
    client.post(f"/org/sites/{site.id}", headers=HX, data={"name": "改过的名字", "kind_id": site.kind_id,
                                                           "community_id": 0, "address": "", "active": "y",
                                                           "version": site.version})
    login_as("auditor")   # only the audit administrator reads the trail (三权分立, issue 11)
    text = client.get("/admin/audit?action=sites.update").get_data(as_text=True)
    assert "改过的名字" in text and "xinye" in text
