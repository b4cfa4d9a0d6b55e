"""Fixtures in the style of flaskr: `app`, `client`, `login_as`, plus a real small `world`.

The suite runs on SQLite (a temporary file, so a live server thread can share it) by default and
on PostgreSQL when TEST_DATABASE_URL is set. Tables are created once per run and emptied after
every test, so each test starts from a clean database.
"""
import os
import tempfile
from datetime import datetime, timezone

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient
from flask_wtf.csrf import generate_csrf

from config import TestConfig
from inspect_app import create_app
from inspect_app.audit import security
from inspect_app.extensions import db
from tests.browser.support import browser, landscape, live_server, portrait  # noqa: F401 (fixtures)
from tests.factories import PASSWORD, make_world
from tests.s3server import s3_app, s3_bucket, s3_server  # noqa: F401 (fixtures)

_TMP = tempfile.mkdtemp(prefix="inspect-tests-")


class Config(TestConfig):
    SQLALCHEMY_DATABASE_URI = TestConfig.SQLALCHEMY_DATABASE_URI if os.environ.get("TEST_DATABASE_URL") \
        else "sqlite:///" + os.path.join(_TMP, "test.sqlite")
    UPLOAD_FOLDER = os.path.join(_TMP, "uploads")
    JOB_BROKER_URL = "sqlite:///" + os.path.join(_TMP, "jobs-queue.sqlite3")
    JOB_RESULTS_FOLDER = os.path.join(_TMP, "exports")


def pytest_report_header(config):
    return f"database: {Config.SQLALCHEMY_DATABASE_URI}"


def pytest_configure(config):
    if os.environ.get("REQUIRE_POSTGRES") and os.environ.get("TEST_DATABASE_URL") \
            and not Config.SQLALCHEMY_DATABASE_URI.startswith("postgresql"):
        raise pytest.UsageError("REQUIRE_POSTGRES is set but TEST_DATABASE_URL is not PostgreSQL")


class CSRFClient(FlaskClient):
    """A test client that sends the CSRF token in the header, as the htmx pages do."""

    def open(self, *args, **kwargs):
        # The fixtures keep an app context pushed (so tests can use db.session directly); requests
        # then share its `g`. Clear it so no per-request state (e.g. Flask-Login's cached user)
        # leaks from one request, or one client, into the next.
        from flask import g
        for key in list(vars(g)):
            delattr(g, key)
        method = kwargs.get("method", "GET").upper()
        if method not in ("GET", "HEAD", "OPTIONS") and kwargs.pop("csrf", True):
            headers = dict(kwargs.pop("headers", None) or {})
            headers.setdefault("X-CSRFToken", self.csrf_token())
            kwargs["headers"] = headers
        return super().open(*args, **kwargs)

    def csrf_token(self) -> str:
        from flask import g, session
        with self.application.test_request_context():
            with self.session_transaction() as sess:
                # Flask-WTF caches the raw token on `g`, which the surrounding app context shares
                # between clients: start from this client's own session every time.
                g.pop("csrf_token", None)
                session.update(sess)
                token = generate_csrf()
                sess.update(session)
        return token


@pytest.fixture(scope="session")
def _app():
    app = create_app(Config)
    app.test_client_class = CSRFClient
    with app.app_context():
        db.drop_all()
        db.create_all()
    yield app
    with app.app_context():
        db.session.remove()
        db.drop_all()
        db.engine.dispose()


def _empty_tables():
    tables = list(reversed(db.metadata.sorted_tables))
    if db.engine.dialect.name == "postgresql":
        names = ", ".join(f'"{t.name}"' for t in tables)
        for attempt in range(3):
            try:
                db.session.execute(sa.text("SET LOCAL lock_timeout = '5s'"))
                db.session.execute(sa.text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
                break
            except sa.exc.OperationalError:
                # A browser test's page may still have a request in flight on the live server (a
                # poll, a queued resend) holding row locks that TRUNCATE waits on or deadlocks
                # with. The test is over: end those connections (the pool's pre-ping replaces
                # them) and empty the tables again.
                db.session.rollback()
                if attempt == 2:
                    raise
                db.session.execute(sa.text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid()"))
                db.session.commit()
    else:
        # The audit table refuses DELETE unless the chain head says an archive is running.
        db.session.execute(sa.text("UPDATE audit_chain_head SET archiving = 1"))
        db.session.execute(sa.text("DELETE FROM audit_events"))
        for table in tables:
            db.session.execute(table.delete())
    db.session.commit()
    security.denials.clear()        # per-process thinning of security events starts afresh
    security.photo_views.clear()


@pytest.fixture
def app(_app):
    with _app.app_context():
        yield _app
        db.session.rollback()
        _empty_tables()
        db.session.remove()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def world(app):
    return make_world()


@pytest.fixture
def login_as(client, world):
    """Sign a demo-role account in through the session (the sign-in form has its own tests)."""
    def login(username):
        user = world.users[username]
        with client.session_transaction() as sess:
            sess["_user_id"] = user.get_id()
            sess["_fresh"] = True
            sess["seen"] = datetime.now(timezone.utc).timestamp()
        return user
    return login


@pytest.fixture
def password():
    return PASSWORD


HX = {"HX-Request": "true"}
