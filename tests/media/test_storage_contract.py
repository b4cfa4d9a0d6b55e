"""The Storage protocol's contract, run on every backend: FileStorage on a temp directory and
S3Storage on a bucket of the local S3 server (moto, tests/s3server.py)."""
import hashlib
from datetime import datetime, timedelta, timezone

import pytest
from botocore.exceptions import ClientError

from inspect_app.media.processing import MSG_DISK_FULL, RejectedUpload, process_image
from inspect_app.media.s3 import S3Storage
from inspect_app.media.storage import FileStorage, InvalidKey, Storage, document_key, image_keys, store_processed
from tests.media import images
from tests.s3server import s3_client

SHA = hashlib.sha256(b"example").hexdigest()


def raw_put(store, key: str, data: bytes) -> None:
    """Write an object behind the backend's back (what a crash or another tool leaves)."""
    if isinstance(store, FileStorage):
        path = store.root / key
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    else:
        store.client.put_object(Bucket=store.bucket, Key=store.prefix + key, Body=data)


def keys_of(store) -> list[str]:
    return [f.key for f in store.walk()]


@pytest.fixture(params=["file", "s3", "s3-prefixed"])
def store(request, tmp_path):
    if request.param == "file":
        return FileStorage(tmp_path / "media")
    endpoint = request.getfixturevalue("s3_server")
    bucket = request.getfixturevalue("s3_bucket")
    return S3Storage(s3_client(endpoint), bucket, prefix="county/" if request.param == "s3-prefixed" else "")


@pytest.fixture(scope="module")
def processed():
    return process_image(images.jpeg(1200, 900))


def test_satisfies_the_protocol(store):
    assert isinstance(store, Storage)


def test_put_get_open_exists_delete(store):
    key = image_keys(SHA)["display"]
    assert not store.exists(key)
    store.put(key, b"hello")
    assert store.exists(key)
    assert store.get(key) == b"hello"
    with store.open(key) as handle:
        assert handle.read() == b"hello"
    store.delete(key)
    assert not store.exists(key)
    store.delete(key)  # missing is fine
    with pytest.raises(FileNotFoundError):
        store.get(key)
    with pytest.raises(FileNotFoundError):
        store.open(key)


def test_put_of_an_existing_key_is_a_no_op(store):
    store.put("ab/cd/x.jpg", b"first")
    store.put("ab/cd/x.jpg", b"second")
    assert store.get("ab/cd/x.jpg") == b"first"
    assert keys_of(store) == ["ab/cd/x.jpg"]



def test_put_file_streams_a_file_in_once(store, tmp_path):
    """A large export (a background job's result) goes in from a path, not from memory."""
    source = tmp_path / "ledger.xlsx"
    source.write_bytes(b"x" * (3 * 1024 * 1024 + 7))
    store.put_file("ab/cd/ledger.xlsx", source)
    assert store.get("ab/cd/ledger.xlsx") == source.read_bytes()
    store.put_file("ab/cd/ledger.xlsx", tmp_path / "missing")      # an existing key: nothing is read
    assert source.exists()

@pytest.mark.parametrize("key", ["../escape.jpg", "ab/../cd.jpg", "/etc/passwd", "./ab.jpg", "ab//cd.jpg",
                                 "ab/cd/", "", "ab\\cd.jpg", ".tmp-abc", "ab/.hidden", "ab/cd.jpg\x00",
                                 "ab/名字.jpg", None])
def test_bad_keys_are_refused(store, key):
    for call in (lambda: store.put(key, b"x"), lambda: store.get(key), lambda: store.open(key),
                 lambda: store.exists(key), lambda: store.delete(key)):
        with pytest.raises(InvalidKey):
            call()
    assert keys_of(store) == []


def test_store_processed_writes_display_and_thumb_once(store, processed):
    keys = store_processed(store, processed)
    assert store.get(keys["display"]) == processed.display and store.get(keys["thumb"]) == processed.thumb
    assert store_processed(store, processed) == keys
    assert sorted(keys_of(store)) == sorted(keys.values())


def test_store_processed_removes_what_it_wrote_when_a_put_fails(store, processed):
    class FailsOnSecondPut:
        def __init__(self, inner):
            self.inner, self.puts = inner, 0

        def __getattr__(self, name):
            return getattr(self.inner, name)

        def put(self, key, data):
            self.puts += 1
            if self.puts == 2:
                raise OSError("network blip")
            self.inner.put(key, data)

    with pytest.raises(OSError, match="network blip"):
        store_processed(FailsOnSecondPut(store), processed)
    assert keys_of(store) == []


def test_walk_lists_keys_in_order_with_sizes_times_and_kinds(store):
    before = datetime.now(timezone.utc) - timedelta(minutes=5)
    keys = image_keys(SHA)
    store.put(keys["thumb"], b"t" * 7)
    store.put(keys["display"], b"d" * 11)
    store.put(document_key(SHA, "pdf"), b"%PDF-1.7")
    raw_put(store, f"{SHA[:2]}/{SHA[2:4]}/.tmp-abc", b"half")
    raw_put(store, "notes/README.txt", b"keep me")
    listed = list(store.walk())
    assert [f.key for f in listed] == sorted(f.key for f in listed)
    found = {f.key: (f.size, f.kind) for f in listed}
    assert found == {keys["display"]: (11, "stored"), keys["thumb"]: (7, "stored"),
                     document_key(SHA, "pdf"): (8, "stored"), f"{SHA[:2]}/{SHA[2:4]}/.tmp-abc": (4, "temporary"),
                     "notes/README.txt": (7, "unknown")}
    for stored in listed:
        assert stored.modified.tzinfo is not None
        assert before <= stored.modified <= datetime.now(timezone.utc) + timedelta(minutes=5)
    store.remove_temporary(f"{SHA[:2]}/{SHA[2:4]}/.tmp-abc")
    with pytest.raises(InvalidKey):
        store.remove_temporary(keys["display"])  # only the remains of unfinished writes
    assert {f.kind for f in store.walk()} == {"stored", "unknown"}


def test_walk_of_a_prefixed_bucket_sees_only_its_prefix(s3_server, s3_bucket):
    client = s3_client(s3_server)
    client.put_object(Bucket=s3_bucket, Key="other-app/ab/cd/x.jpg", Body=b"not ours")
    store = S3Storage(client, s3_bucket, prefix="inspect")
    store.put("ab/cd/x.jpg", b"ours")
    assert keys_of(store) == ["ab/cd/x.jpg"] and store.get("ab/cd/x.jpg") == b"ours"
    assert client.get_object(Bucket=s3_bucket, Key="inspect/ab/cd/x.jpg")["Body"].read() == b"ours"


@pytest.mark.parametrize("code, status", [("XMinioStorageFull", 507), ("QuotaExceeded", 403),
                                          ("InsufficientStorage", 507), ("SomethingNew", 507)])
def test_a_full_bucket_is_told_plainly(s3_server, s3_bucket, code, status):
    """A store that refuses for want of space answers 507 with the Chinese message, like a full disk;
    the server's refusal is produced by a client that answers the PUT as such a server would."""
    real = s3_client(s3_server)

    class FullServer:
        def __getattr__(self, name):
            return getattr(real, name)

        def put_object(self, **kwargs):
            raise ClientError({"Error": {"Code": code, "Message": "full"},
                               "ResponseMetadata": {"HTTPStatusCode": status}}, "PutObject")

    with pytest.raises(RejectedUpload) as refused:
        S3Storage(FullServer(), s3_bucket).put("ab/cd/x.jpg", b"data")
    assert refused.value.status == 507 and str(refused.value.args[0]) == MSG_DISK_FULL


def test_other_bucket_errors_are_not_mistaken_for_a_full_store(s3_server):
    store = S3Storage(s3_client(s3_server), "no-such-bucket")
    with pytest.raises(ClientError):
        store.put("ab/cd/x.jpg", b"data")
