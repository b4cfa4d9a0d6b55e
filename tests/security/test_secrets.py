"""Secrets (issue 11, seen 7): outside production the key is random, made once in instance/, 0600.

Before, `Config.SECRET_KEY` fell back to the published "dev-secret-change-me", so anyone could sign
a session cookie for any account of a server started with `make run` or a bare `gunicorn wsgi:app`.
"""
import os
import stat

import pytest
from flask.sessions import SecureCookieSessionInterface

from config import DEV_SECRET_KEY, Config, ProductionConfig, TestConfig, instance_secret
from inspect_app import create_app


def test_instance_secret_is_created_once_with_mode_0600_and_reused(tmp_path):
    first = instance_secret(str(tmp_path))
    path = tmp_path / "secret_key"
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert len(first) >= 32 and first != DEV_SECRET_KEY
    assert instance_secret(str(tmp_path)) == first
    assert [p.name for p in tmp_path.iterdir()] == ["secret_key"]  # no temporary file left behind


def test_two_instance_directories_get_different_secrets(tmp_path):
    assert instance_secret(str(tmp_path / "a")) != instance_secret(str(tmp_path / "b"))


def test_an_empty_secret_file_is_refused_not_used(tmp_path):
    (tmp_path / "secret_key").write_text("")
    with pytest.raises(RuntimeError, match="secret_key"):
        instance_secret(str(tmp_path))


class _Dev(Config):
    SECRET_KEY = None
    SQLALCHEMY_DATABASE_URI = "sqlite://"


def test_development_app_uses_the_instance_secret_not_the_published_default():
    app = create_app(_Dev)
    key = app.config["SECRET_KEY"]
    assert key != DEV_SECRET_KEY
    assert key == instance_secret(app.instance_path)
    assert create_app(_Dev).config["SECRET_KEY"] == key   # the next start (or worker) reuses it


def test_environment_secret_still_wins():
    class Env(_Dev):
        SECRET_KEY = "from-the-environment-" + "x" * 20
    assert create_app(Env).config["SECRET_KEY"] == Env.SECRET_KEY


def test_config_reads_no_default_secret(monkeypatch):
    assert Config.SECRET_KEY in (None, os.environ.get("SECRET_KEY"))
    assert TestConfig.SECRET_KEY == "test-secret"


def test_production_refuses_the_published_key_even_when_set(monkeypatch):
    monkeypatch.setenv("SECRET_KEY", DEV_SECRET_KEY)

    class Prod(ProductionConfig):
        SECRET_KEY = DEV_SECRET_KEY
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app(Prod)


def test_a_cookie_forged_with_the_published_key_opens_nothing_on_a_development_server():
    from inspect_app.auth.models import User
    from inspect_app.extensions import db
    from inspect_app.roles import Role

    app = create_app(_Dev)
    with app.app_context():
        db.create_all()
        admin = User(username="admin", display_name="admin", role=Role.SYSTEM_ADMIN, password_hash="x",
                     session_version=1)
        db.session.add(admin)
        db.session.commit()
        user_id = admin.get_id()
        forger = type("Forger", (), {"secret_key": DEV_SECRET_KEY, "config": app.config})
        cookie = SecureCookieSessionInterface().get_signing_serializer(forger).dumps(
            {"_user_id": user_id, "_fresh": True})
        client = app.test_client()
        client.set_cookie(app.config["SESSION_COOKIE_NAME"], cookie)
        response = client.get("/admin/users")
        assert response.status_code == 302 and "/login" in response.headers["Location"]
        db.session.remove()
