"""Configuration: production refuses the development secret; `gunicorn wsgi:app` serves the app."""
import os
import socket
import subprocess
import sys
import time
import urllib.request

import pytest

from config import Config, ProductionConfig, _normalise_url
from inspect_app import create_app


def test_production_refuses_the_default_secret(monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app(ProductionConfig)


def test_production_starts_with_a_real_secret(monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "a-long-random-production-secret")

    class Prod(ProductionConfig):
        SECRET_KEY = "a-long-random-production-secret"
    app = create_app(Prod)
    assert app.config["SESSION_COOKIE_SECURE"] is True and app.config["SESSION_COOKIE_HTTPONLY"] is True


def test_defaults_are_embedded_sqlite_and_local_uploads():
    assert Config.SQLALCHEMY_DATABASE_URI.startswith("sqlite:///") and "instance" in Config.SQLALCHEMY_DATABASE_URI
    assert Config.UPLOAD_FOLDER.endswith(os.path.join("instance", "uploads"))
    assert _normalise_url("postgres://u@h/db") == "postgresql+psycopg://u@h/db"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_gunicorn_serves_wsgi_app(tmp_path):
    port = _free_port()
    env = dict(os.environ, DATABASE_URL=f"sqlite:///{tmp_path / 'g.sqlite'}")
    gunicorn = os.path.join(os.path.dirname(sys.executable), "gunicorn")
    root = os.path.join(os.path.dirname(__file__), os.pardir)
    proc = subprocess.Popen([gunicorn, "--bind", f"127.0.0.1:{port}", "--workers", "1", "wsgi:app"], cwd=root,
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        body = None
        for _ in range(100):
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as response:
                    body = response.read().decode()
                break
            except OSError:
                time.sleep(0.1)
        assert body is not None, proc.stderr.read1().decode() if proc.poll() is not None else "no answer"
        assert '"status":"ok"' in body.replace(" ", "")
    finally:
        proc.terminate()
        proc.wait(timeout=10)
