"""The `cluster` fixture: two gunicorn instances sharing the test database and the local S3 server,
behind nginx (tests/deploy/cluster.py). Skipped where nginx or gunicorn is missing, a failure on CI
(CI=true) or with REQUIRE_BROWSER=1."""
import os

import pytest

from tests.conftest import Config
from tests.deploy import cluster as layout
from tests.s3server import S3_CREDENTIALS


@pytest.fixture
def cluster(app, world, s3_server, s3_bucket, tmp_path):
    missing = [name for name, found in (("nginx", layout.find_nginx()), ("gunicorn", layout.find_gunicorn()))
               if not found]
    if missing:
        message = f"the several-instances test needs {', '.join(missing)} (apt-get install nginx)"
        if os.environ.get("CI") or os.environ.get("REQUIRE_BROWSER"):
            pytest.fail(message)
        pytest.skip(message)
    env = {"APP_ENV": "production", "SECRET_KEY": "several-instances-test-" + "k" * 32,
           "SESSION_COOKIE_SECURE": "0", "HSTS_SECONDS": "0",
           "DATABASE_URL": Config.SQLALCHEMY_DATABASE_URI,
           "STORAGE_BACKEND": "s3", "S3_ENDPOINT_URL": s3_server, "S3_BUCKET": s3_bucket, **S3_CREDENTIALS}
    running = layout.start(tmp_path / "cluster", env)
    yield running
    running.stop()
