"""The audit view: filters, Beijing dates, and who may read it."""
import html
import re
from datetime import datetime, timedelta, timezone

import sqlalchemy as sa

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


def _seqs(page: str) -> list[str]:
    return re.findall(r'<td data-label="用户">[^<]*?(pager-\d+)', page)


def test_audit_pages_by_chain_position_without_counting(client, login_as, world):
    for n in range(70):
        db.session.add(AuditEvent(action="user.update", username=f"pager-{n}", object_type="User",
                                  at=datetime(2024, 1, 1, tzinfo=timezone.utc) + timedelta(minutes=n // 3)))
    db.session.commit()
    login_as("auditor")
    statements = []
    remember = lambda _c, _cur, statement, *_a: statements.append(statement.lower())  # noqa: E731
    sa.event.listen(db.engine, "before_cursor_execute", remember)
    try:
        seen, url, pages = [], "/admin/audit?user=pager", []
        while url:
            page = client.get(url, headers={**HX, "HX-Target": "audit-table"}).get_data(as_text=True)
            pages.append(page)
            seen += _seqs(page)
            link = re.search(r'id="audit-older" href="([^"]+)"', page)
            url = html.unescape(link.group(1)) if link else None
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", remember)
    assert seen == [f"pager-{n}" for n in reversed(range(70))]          # newest first, each once
    assert len(pages) == 3 and not any("count(" in s and "audit_events" in s for s in statements)
    newer = html.unescape(re.search(r'id="audit-newer" href="([^"]+)"', pages[-1]).group(1))
    back = client.get(newer, headers={**HX, "HX-Target": "audit-table"}).get_data(as_text=True)
    assert _seqs(back) == seen[30:60]
