"""A local S3-protocol server for the object-storage tests: moto in server mode on a free loopback
port, started once per test session (moto[server] is a pinned dev dependency, so on CI its absence
is a failure, never a skip).

Fixtures: `s3_server` (endpoint URL), `s3_bucket` (a fresh, empty bucket per test, removed after)
and `s3_app` (the test app storing photos and documents in that bucket).
"""
import os
import socket
import uuid

import pytest

S3_CREDENTIALS = {"S3_ACCESS_KEY_ID": "testing", "S3_SECRET_ACCESS_KEY": "testing", "S3_REGION": "us-east-1"}


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now (the OS picks it)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def s3_client(endpoint: str):
    """A boto3 client for the local server."""
    import boto3
    return boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1",
                        aws_access_key_id="testing", aws_secret_access_key="testing")


@pytest.fixture(scope="session")
def s3_server():
    """Start moto's S3 server on a free loopback port; yields its endpoint URL."""
    try:
        from moto.server import ThreadedMotoServer
    except ImportError as error:
        if os.environ.get("CI") or os.environ.get("REQUIRE_S3"):
            pytest.fail(f"moto[server] is a pinned dev dependency but cannot be imported: {error}")
        pytest.skip(f"moto[server] is not installed: {error}")
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


@pytest.fixture
def s3_bucket(s3_server):
    """A new empty bucket (its name); every object and the bucket are removed afterwards."""
    client = s3_client(s3_server)
    name = f"inspect-{uuid.uuid4().hex[:12]}"
    client.create_bucket(Bucket=name)
    yield name
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=name):
        for item in page.get("Contents", ()):
            client.delete_object(Bucket=name, Key=item["Key"])
    client.delete_bucket(Bucket=name)


@pytest.fixture
def s3_app(app, s3_server, s3_bucket):
    """The test app with STORAGE_BACKEND=s3 on the test's bucket (config restored afterwards)."""
    settings = {"STORAGE_BACKEND": "s3", "S3_ENDPOINT_URL": s3_server, "S3_BUCKET": s3_bucket,
                "S3_PREFIX": "", **S3_CREDENTIALS}
    saved = {name: app.config.get(name) for name in settings}
    app.config.update(settings)
    app.extensions.pop("s3_storage", None)
    yield app
    app.config.update(saved)
    app.extensions.pop("s3_storage", None)
