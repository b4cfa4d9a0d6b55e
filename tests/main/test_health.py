"""GET /healthz: JSON, no sign-in, 503 when the database is unreachable."""
import sqlalchemy as sa

from inspect_app.extensions import db


def test_healthz_ok_without_login(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.get_json()  # issue 11: the upload store's state and free space are reported too
    assert (body["status"], body["db"], body["uploads"]) == ("ok", "ok", "ok") and body["uploads_free_mb"] > 0


def test_healthz_reports_database_error(client, monkeypatch):
    def broken(*_args, **_kwargs):
        raise sa.exc.OperationalError("SELECT 1", {}, Exception("connection refused"))
    monkeypatch.setattr(db.session, "execute", broken)
    response = client.get("/healthz")
    assert response.status_code == 503
    body = response.get_json()
    assert (body["status"], body["db"], body["uploads"]) == ("error", "error", "ok")


def test_security_headers_on_every_response(client):
    for url in ("/login", "/healthz", "/static/css/app.css", "/no-such-page"):
        response = client.get(url)
        csp = response.headers["Content-Security-Policy"]
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp
        assert "frame-ancestors 'none'" in csp
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Referrer-Policy"] == "same-origin"
        assert "HX-Request" in response.headers["Vary"]


def test_error_pages_are_chinese_without_traceback(app, client, login_as):
    login_as("xinye")
    response = client.get("/org/counties/411625")
    assert response.status_code == 404
    text = response.get_data(as_text=True)
    assert "页面不存在" in text and "Traceback" not in text


def test_500_page_hides_the_stack_trace(app):
    from inspect_app import access, create_app
    from tests.conftest import Config

    fresh = create_app(Config)

    @fresh.get("/__boom")
    @access.rule(access.PUBLIC)
    def boom():
        raise RuntimeError("secret internals")

    fresh.config["PROPAGATE_EXCEPTIONS"] = False  # behave as in production
    response = fresh.test_client().get("/__boom")
    assert response.status_code == 500
    text = response.get_data(as_text=True)
    assert "系统错误" in text and "secret internals" not in text


def test_home_shows_scope_counts(client, login_as):
    login_as("tongbai")
    text = client.get("/").get_data(as_text=True)
    assert "桐柏县联络" not in text  # display names in tests are usernames
    assert "县级联络员" in text and "桐柏县" in text
