"""Security events reach the audit trail (issue 11, point 6): denials, CSRF refusals, lockouts,
token use and every export or download, with user, object and address."""
import pytest
import sqlalchemy as sa

from config import TestConfig
from inspect_app import create_app
from inspect_app.audit import security
from inspect_app.audit.models import AuditEvent
from inspect_app.checklists import service as checklists
from inspect_app.checklists.models import ChecklistVersion
from inspect_app.extensions import db
from inspect_app.rectification.lifecycle import Status
from inspect_app.rectification.models import RectificationItem
from tests.conftest import HX, Config
from tests.media import images
from tests.problem_lists.factories import list_url, make_xinye_findings
from tests.rectification.factories import make_item, wjw
from tests.rectification.test_routes import files
from tests.security.support import bearer, events, issue_token


# ---------------------------------------------------------------- denials

def test_role_denial_403_is_audited_with_user_route_and_address(client, login_as, world):
    login_as("inspector8")
    assert client.get("/dashboard/reports").status_code == 403
    (event,) = events("access.denied")
    assert (event.user_id, event.username, event.ip) == (world.users["inspector8"].id, "inspector8", "127.0.0.1")
    assert event.summary == "无权限：dashboard.report_page" and event.after is None
    assert event.object_label == "GET /dashboard/reports"


def test_object_outside_scope_404_is_audited_with_the_object(client, login_as, world):
    item = make_item(world, status=Status.IN_PROGRESS, unit=wjw(world))
    login_as("tongbai")                       # another county's coordinator
    assert client.get(f"/items/{item.id}").status_code == 404
    (event,) = events("access.not_found")
    assert event.username == "tongbai" and event.object_id == str(item.id)
    assert event.summary.endswith("：rectification.detail") and event.ip == "127.0.0.1"


def test_missing_object_of_a_route_is_audited_but_an_unknown_url_is_not(client, login_as):
    login_as("province")
    assert client.get("/items/999999").status_code == 404
    assert client.get("/no-such-page/at/all").status_code == 404
    assert [e.object_label for e in events("access.not_found")] == ["GET /items/999999"]


def test_api_json_404_is_audited(client, login_as):
    login_as("tongbai")
    response = client.get("/api/v1/closure?county=411329")      # 新野县, not tongbai's county
    assert response.status_code == 404 and response.get_json()["error"] == "not_found"
    assert [e.summary for e in events("access.not_found")] == ["对象不存在或不在查看范围内：api.closure"]


def test_api_json_403_is_audited(client, login_as, world):
    login_as("inspector8")                                       # no DASHBOARD_VIEW
    response = client.get("/api/v1/closure")
    assert response.status_code == 403 and response.get_json()["error"] == "forbidden"
    (event,) = events("access.denied")
    assert event.username == "inspector8" and event.summary == "无权限：api.closure"


def test_denial_row_is_committed_on_its_own(client, login_as, world):
    login_as("inspector8")
    assert client.post("/admin/users/new", data={"username": "x"}).status_code == 403  # a POST refused by the role rule
    with db.engine.connect() as other:                           # seen from another connection: committed
        actions = other.execute(sa.select(AuditEvent.action)).scalars().all()
    assert "access.denied" in actions


def test_a_denial_storm_costs_one_row_a_minute(client, login_as, world, monkeypatch):
    login_as("inspector8")
    clock = [1_000_000]                                            # the minute number
    monkeypatch.setattr(security, "_window", lambda: clock[0])
    for _ in range(25):
        assert client.get("/dashboard/reports").status_code == 403
    assert len(events("access.denied")) == 1
    clock[0] += 1                                                  # the next minute
    assert client.get("/dashboard/reports").status_code == 403
    rows = events("access.denied")
    assert len(rows) == 2 and rows[1].after["repeats"] == 24       # the suppressed ones are counted
    login_as("xinye-wjw")                                          # another user is another key
    assert client.get("/dashboard/reports").status_code == 403
    assert len(events("access.denied")) == 3


# ---------------------------------------------------------------- CSRF, lockout

def test_csrf_refusal_is_audited(client, login_as, world):
    item = make_item(world, status=Status.IN_PROGRESS, unit=wjw(world))
    login_as("xinye-wjw")
    response = client.post(f"/items/{item.id}/actions/post_progress", data={"version": "1", "text": "进展"},
                           csrf=False)
    assert response.status_code == 400
    (event,) = events("csrf.refused")
    assert event.username == "xinye-wjw" and event.object_id == f"{item.id},post_progress"
    assert event.ip == "127.0.0.1" and "CSRF" in event.after["reason"]
    assert db.session.get(RectificationItem, item.id).latest_progress != "进展"


def test_lockout_is_audited(client, world, app):
    for _ in range(app.config["LOGIN_MAX_FAILURES"]):
        client.post("/login", data={"username": "xinye", "password": "wrong-password"})
    (event,) = events("login.locked")
    assert event.username == "xinye" and event.object_id == str(world.users["xinye"].id)
    assert event.ip == "127.0.0.1" and event.after["locked_until"]


# ---------------------------------------------------------------- downloads

def _evidence(client, world, login_as):
    """An item with an after-photo and a PDF posted by the unit: (item, photo id, document id)."""
    from inspect_app.media.models import Attachment
    item = make_item(world, status=Status.IN_PROGRESS, unit=wjw(world))
    login_as("xinye-wjw")
    response = client.post(f"/items/{item.id}/actions/post_progress", headers=HX,
                           content_type="multipart/form-data",
                           data={"version": "1", "text": "已完成",
                                 "files": files(("现场.jpg", images.camera_jpeg()), ("方案.pdf", images.pdf()))})
    assert response.status_code == 200
    photo, doc = db.session.execute(sa.select(Attachment).order_by(Attachment.id)).scalars().all()
    return item, photo.id, doc.id


def _ledger(client, world, login_as):
    make_item(world, status=Status.IN_PROGRESS, unit=wjw(world))
    login_as("xinye")
    return "/items/ledger.xlsx", "Ledger", ""


def _report(fmt):
    def build(client, world, login_as):
        login_as("province")
        return f"/dashboard/reports/download.{fmt}?kind=week&day=2022-07-13&campaign=all", "Report", ""
    return build


def _feedback(suffix):
    def build(client, world, login_as):
        camp, _ = make_xinye_findings(world)
        login_as("leader8")
        return list_url(camp, suffix=suffix), "ProblemList", f"{camp.id}/411329"
    return build


def _checklist(client, world, login_as):
    checklists.ensure_default_checklist()
    version = db.session.execute(sa.select(ChecklistVersion)).scalar_one()
    login_as("inspector8")
    return f"/checklists/versions/{version.id}/export.xlsx", "ChecklistVersion", str(version.id)


def _document(client, world, login_as):
    item, _photo, doc = _evidence(client, world, login_as)
    login_as("xinye")
    return f"/items/{item.id}/documents/{doc}", "Attachment", str(doc)


def _photo(variant):
    def build(client, world, login_as):
        _item, photo, _doc = _evidence(client, world, login_as)
        login_as("xinye")
        return f"/media/{photo}/{variant}", "Photo", str(photo)
    return build


DOWNLOADS = {
    "ledger": (_ledger, "export.ledger"),
    "weekly report docx": (_report("docx"), "export.report"),
    "report xlsx": (_report("xlsx"), "export.report"),
    "feedback docx": (_feedback("/feedback.docx"), "export.feedback"),
    "feedback xlsx": (_feedback("/list.xlsx"), "export.feedback"),
    "checklist xlsx": (_checklist, "export.checklist"),
    "evidence document": (_document, "download.evidence"),
    "photo thumb": (_photo("thumb"), "download.photo"),
    "photo display": (_photo("display"), "download.photo"),
}


@pytest.mark.parametrize("kind", list(DOWNLOADS))
def test_each_download_is_audited(client, login_as, world, kind):
    build, action = DOWNLOADS[kind]
    url, object_type, object_id = build(client, world, login_as)
    before = len(events(action))
    response = client.get(url)
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    rows = events(action)
    assert len(rows) == before + 1
    event = rows[-1]
    assert event.username in ("xinye", "province", "leader8", "inspector8") and event.ip == "127.0.0.1"
    assert event.object_type == object_type
    if object_id is not None:
        assert event.object_id == object_id


def test_photo_views_are_audited_once_per_user_photo_and_day(client, login_as, world):
    _item, photo, _doc = _evidence(client, world, login_as)
    login_as("xinye")
    for _ in range(3):
        assert client.get(f"/media/{photo}/thumb").status_code == 200
        assert client.get(f"/media/{photo}/display").status_code == 200
    login_as("xinye-wjw")
    assert client.get(f"/media/{photo}/thumb").status_code == 200
    assert [e.username for e in events("download.photo")] == ["xinye", "xinye-wjw"]


def test_a_failing_audit_never_breaks_a_download(client, login_as, world, monkeypatch, caplog):
    url, _type, _id = _checklist(client, world, login_as)

    def broken(*_args, **_kwargs):
        raise RuntimeError("audit store unavailable")
    monkeypatch.setattr(security, "record", broken)
    # Alembic's logging.config.fileConfig (run by migration tests in this process) disables loggers
    # that exist by then; a deployed app never runs it, so re-enable ours for this assertion.
    monkeypatch.setattr(security.log, "disabled", False)
    response = client.get(url)
    assert response.status_code == 200 and response.data[:2] == b"PK"
    assert "security audit event export.checklist not written" in caplog.text
    assert events("export.checklist") == []


# ---------------------------------------------------------------- token use, addresses

def test_each_token_call_is_audited_with_owner_token_and_address(client, world):
    token, secret = issue_token(world)
    for _ in range(2):
        assert client.get("/api/v1/closure?group_by=city", headers=bearer(secret)).status_code == 200
    rows = events("api_token.use")
    assert len(rows) == 2
    assert {(e.username, e.object_type, e.object_id, e.ip) for e in rows} == \
        {("viewer", "ApiToken", str(token.id), "127.0.0.1")}
    assert rows[0].after == {"query": "group_by=city"} and rows[0].summary == "API 调用：/api/v1/closure"


def test_forwarded_address_is_believed_only_from_a_configured_proxy(client, login_as, world):
    login_as("inspector8")
    forged = {"X-Forwarded-For": "203.0.113.9"}
    client.get("/dashboard/reports", headers=forged, environ_base={"REMOTE_ADDR": "10.0.0.5"})
    assert events("access.denied")[-1].ip == "10.0.0.5"          # no proxy configured: header ignored

    class BehindOneProxy(Config):
        TRUSTED_PROXIES = 1
    proxied = create_app(BehindOneProxy)
    proxied.test_client_class = type(client)
    with proxied.app_context():
        other = proxied.test_client()
        with other.session_transaction() as sess:
            with client.session_transaction() as mine:
                sess.update(mine)
        other.get("/dashboard/", headers={"X-Forwarded-For": "198.51.100.7, 203.0.113.9"},
                  environ_base={"REMOTE_ADDR": "10.0.0.5"})
    # One trusted hop: the address the proxy saw (the last one), not what the client wrote first.
    assert events("access.denied")[-1].ip == "203.0.113.9"
    assert TestConfig.TRUSTED_PROXIES == 0


def test_audit_screen_names_security_events_in_chinese(client, login_as, world):
    login_as("inspector8")
    client.get("/dashboard/reports")
    login_as("auditor")
    html = client.get("/admin/audit?action=access", headers=HX).get_data(as_text=True)
    assert "拒绝访问（无权限）" in html and "access.denied" in html and "页面" in html
    page = client.get("/admin/audit").get_data(as_text=True)
    assert '<option value="csrf.refused">请求来源校验失败</option>' in page
