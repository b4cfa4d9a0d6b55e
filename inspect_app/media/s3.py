"""The :class:`~inspect_app.media.storage.Storage` protocol on an S3-compatible bucket.

Selected with ``STORAGE_BACKEND=s3`` (see config.py and the README's "Production layout"), so that
several app instances on several machines share one photo store.  It speaks the plain S3 protocol
through boto3, which MinIO, Aliyun OSS, Tencent COS and Huawei OBS all accept with an endpoint URL.

Keys are validated exactly as :class:`~inspect_app.media.storage.FileStorage` validates them, so no
caller can reach an object outside the app's own names; ``S3_PREFIX`` (optional) puts every key
under one folder of a shared bucket.  A PUT is atomic in S3 (readers see the old object or the whole
new one), so this backend never leaves ``.tmp-…`` remains; the sweep still lists and removes any
that another tool left.
"""
from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import BinaryIO

import boto3
from boto3.exceptions import S3UploadFailedError
from botocore.config import Config as BotoConfig
from botocore.exceptions import ClientError

from .processing import MSG_DISK_FULL, RejectedUpload
from .storage import InvalidKey, StoredFile, _KEY_PATTERN, is_stored_name

# Error codes S3-compatible servers give for a full store or an exhausted quota: the user is told
# plainly (507), as with a full local disk (issue 11, seen 11). MinIO: XMinioStorageFull; Aliyun OSS
# and others: QuotaExceeded / InsufficientStorage; HTTP 507 whatever the code.
# Folders of the bucket that hold other stores (background jobs' result files, inspect_app/jobs): not
# photos or evidence, so the photo sweep never lists them.
JOB_RESULTS_FOLDER = "job-results/"
RESERVED_FOLDERS = (JOB_RESULTS_FOLDER,)

_FULL_CODES = frozenset({"XMinioStorageFull", "StorageFull", "QuotaExceeded", "InsufficientStorage",
                         "XMinioAdminBucketQuotaExceeded"})
_MISSING_CODES = frozenset({"404", "NoSuchKey", "NotFound"})


def _code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


def _status(error: ClientError) -> int:
    return int(error.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0) or 0)


class S3Storage:
    """:class:`Storage` on one S3 bucket (optionally under a key prefix).

    ``client`` is a boto3 S3 client; :meth:`from_config` builds one from the app's settings.
    Network and permission errors propagate as botocore exceptions (the request fails with 500 and
    the upload's database transaction is rolled back); a missing key raises ``FileNotFoundError``.
    """

    def __init__(self, client, bucket: str, prefix: str = "") -> None:
        """Use ``bucket`` through ``client``; ``prefix`` ("" or e.g. "inspect/") precedes every key."""
        if prefix and not prefix.endswith("/"):
            prefix += "/"
        self.client = client
        self.bucket = bucket
        self.prefix = prefix

    @classmethod
    def from_config(cls, config) -> "S3Storage":
        """Build from a Flask config mapping: S3_BUCKET (required), S3_ENDPOINT_URL, S3_REGION,
        S3_ACCESS_KEY_ID / S3_SECRET_ACCESS_KEY (else boto3's own chain: AWS_ACCESS_KEY_ID …),
        S3_PREFIX, S3_ADDRESSING_STYLE ("path" for MinIO, "virtual" for OSS/COS/OBS, "auto")."""
        if not config.get("S3_BUCKET"):
            raise RuntimeError("STORAGE_BACKEND=s3 needs S3_BUCKET")
        client = boto3.session.Session().client(
            "s3",
            endpoint_url=config.get("S3_ENDPOINT_URL") or None,
            region_name=config.get("S3_REGION") or None,
            aws_access_key_id=config.get("S3_ACCESS_KEY_ID") or None,
            aws_secret_access_key=config.get("S3_SECRET_ACCESS_KEY") or None,
            config=BotoConfig(s3={"addressing_style": config.get("S3_ADDRESSING_STYLE") or "auto"},
                              retries={"max_attempts": 3, "mode": "standard"},
                              connect_timeout=5, read_timeout=30),
        )
        return cls(client, config["S3_BUCKET"], config.get("S3_PREFIX") or "")

    def _name(self, key: str) -> str:
        if not isinstance(key, str) or not _KEY_PATTERN.fullmatch(key):
            raise InvalidKey(f"invalid storage key: {key!r}")
        return self.prefix + key

    def put(self, key: str, data: bytes) -> None:
        """Store ``data`` under ``key`` (one atomic PUT); do nothing if the key exists.

        A full store or exhausted quota raises :class:`RejectedUpload` with status 507."""
        name = self._name(key)
        if self.exists(key):
            return
        try:
            self.client.put_object(Bucket=self.bucket, Key=name, Body=data)
        except ClientError as error:
            if _code(error) in _FULL_CODES or _status(error) == 507:
                raise RejectedUpload(MSG_DISK_FULL, status=507) from error
            raise

    def put_file(self, key: str, source) -> None:
        """Store the file at path ``source`` under ``key`` without reading it into memory (boto3's
        managed, multipart upload for a large export); do nothing if the key exists. A full store
        or exhausted quota raises :class:`RejectedUpload` with status 507."""
        name = self._name(key)
        if self.exists(key):
            return
        try:
            self.client.upload_file(str(source), self.bucket, name)
        except (ClientError, S3UploadFailedError) as error:
            cause = error.__cause__ if isinstance(error, S3UploadFailedError) else error
            if isinstance(cause, ClientError) and (_code(cause) in _FULL_CODES or _status(cause) == 507):
                raise RejectedUpload(MSG_DISK_FULL, status=507) from error
            raise

    def within(self, folder: str) -> "S3Storage":
        """The same bucket and client under ``folder`` (e.g. "job-results/"), a store of its own: the
        photo sweep (this store's :meth:`walk`) never lists what lies there."""
        return S3Storage(self.client, self.bucket, self.prefix + folder)

    def get(self, key: str) -> bytes:
        """Return the bytes stored under ``key``; ``FileNotFoundError`` if missing."""
        with self.open(key) as body:
            return body.read()

    def open(self, key: str) -> BinaryIO:
        """A readable stream of ``key``'s bytes (botocore's StreamingBody); the caller closes it."""
        name = self._name(key)
        try:
            return self.client.get_object(Bucket=self.bucket, Key=name)["Body"]
        except ClientError as error:
            if _code(error) in _MISSING_CODES:
                raise FileNotFoundError(key) from error
            raise

    def exists(self, key: str) -> bool:
        """Tell whether ``key`` is stored (a HEAD request)."""
        name = self._name(key)
        try:
            self.client.head_object(Bucket=self.bucket, Key=name)
        except ClientError as error:
            if _code(error) in _MISSING_CODES or _status(error) == 404:
                return False
            raise
        return True

    def delete(self, key: str) -> None:
        """Remove ``key``; a missing key is fine (S3's DELETE is idempotent)."""
        self.client.delete_object(Bucket=self.bucket, Key=self._name(key))

    def walk(self) -> Iterator[StoredFile]:
        """Every object under the prefix, in key order, with size and last change (for the sweep).

        Listed a page (≤ 1000 objects) at a time, so memory stays flat however many objects."""
        pages = self.client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=self.prefix)
        for page in pages:
            for item in page.get("Contents", ()):
                key = item["Key"][len(self.prefix):]
                if key.endswith("/") or key.startswith(RESERVED_FOLDERS):
                    continue  # a "folder" placeholder some consoles create
                name = key.rsplit("/", 1)[-1]
                kind = "stored" if is_stored_name(key) else "temporary" if name.startswith(".tmp-") else "unknown"
                yield StoredFile(key, int(item["Size"]), item["LastModified"], kind)

    def remove_temporary(self, key: str) -> None:
        """Remove a ``.tmp-…`` object the walk reported (left by a tool, never by this backend)."""
        name = key.rsplit("/", 1)[-1] if isinstance(key, str) else ""
        if not name.startswith(".tmp-") or ".." in key.split("/") or key.startswith("/"):
            raise InvalidKey(f"not a temporary file: {key!r}")
        self.client.delete_object(Bucket=self.bucket, Key=self.prefix + key)

    def check_writable(self) -> bool:
        """Whether a small object can be written and removed again (for /healthz)."""
        probe = f"{self.prefix}.tmp-healthz-{uuid.uuid4().hex}"  # one per probe: instances probe at once
        try:
            self.client.put_object(Bucket=self.bucket, Key=probe, Body=b"ok")
            self.client.delete_object(Bucket=self.bucket, Key=probe)
        except Exception:
            return False
        return True
