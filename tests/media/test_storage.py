import hashlib
import os

import pytest

from inspect_app.media import storage as storage_module
from inspect_app.media.processing import process_image
from inspect_app.media.storage import (
    FileStorage,
    InvalidKey,
    Storage,
    document_key,
    image_keys,
    store_processed,
)

from . import images

SHA = hashlib.sha256(b"example").hexdigest()


def all_files(root) -> list[str]:
    return sorted(
        os.path.relpath(os.path.join(directory, name), root)
        for directory, _, names in os.walk(root)
        for name in names
    )


@pytest.fixture
def store(tmp_path) -> FileStorage:
    return FileStorage(tmp_path / "media")


@pytest.fixture(scope="module")
def processed():
    return process_image(images.jpeg(2000, 1500, exif=images.make_exif(orientation=6)))


def test_file_storage_satisfies_the_protocol(store):
    assert isinstance(store, Storage)


def test_put_get_open_exists_delete(store):
    key = f"{SHA[:2]}/{SHA[2:4]}/{SHA}.display.jpg"
    assert not store.exists(key)
    store.put(key, b"hello")
    assert store.exists(key)
    assert store.get(key) == b"hello"
    with store.open(key) as handle:
        assert handle.read() == b"hello"
    assert store.path(key) == store.root / key
    assert store.path(key).read_bytes() == b"hello"
    store.delete(key)
    assert not store.exists(key)
    store.delete(key)  # missing is fine
    with pytest.raises(FileNotFoundError):
        store.get(key)
    with pytest.raises(FileNotFoundError):
        store.open(key)


def test_put_of_an_existing_key_is_a_no_op(store):
    store.put("ab/cd/x.jpg", b"first")
    mtime = store.path("ab/cd/x.jpg").stat().st_mtime_ns
    store.put("ab/cd/x.jpg", b"second")
    assert store.get("ab/cd/x.jpg") == b"first"
    assert store.path("ab/cd/x.jpg").stat().st_mtime_ns == mtime
    assert all_files(store.root) == ["ab/cd/x.jpg"]


def test_put_leaves_no_temp_file_when_replace_fails(store, monkeypatch):
    def failing_replace(src, dst):
        raise OSError("disk on fire")

    monkeypatch.setattr(storage_module.os, "replace", failing_replace)
    with pytest.raises(OSError, match="disk on fire"):
        store.put("ab/cd/y.jpg", b"data" * 1000)
    assert all_files(store.root) == []


def test_put_leaves_no_temp_file_when_fsync_fails(store, monkeypatch):
    def failing_fsync(fd):
        raise OSError("no space left")

    monkeypatch.setattr(storage_module.os, "fsync", failing_fsync)
    with pytest.raises(OSError, match="no space left"):
        store.put("ab/cd/z.jpg", b"data")
    assert all_files(store.root) == []


def test_successful_put_leaves_only_the_file(store):
    for index in range(5):
        store.put(f"ab/cd/{index}.jpg", bytes([index]) * 100)
    assert all_files(store.root) == [f"ab/cd/{index}.jpg" for index in range(5)]


@pytest.mark.parametrize(
    "key",
    [
        "../escape.jpg",
        "ab/../../escape.jpg",
        "ab/../cd.jpg",
        "/etc/passwd",
        "./ab.jpg",
        "ab//cd.jpg",
        "ab/cd/",
        "",
        "ab\\cd.jpg",
        ".tmp-abc",
        "ab/.hidden",
        "ab/cd.jpg\x00",
        "ab/名字.jpg",
    ],
)
def test_bad_keys_are_refused(store, key):
    for call in (
        lambda: store.put(key, b"x"),
        lambda: store.get(key),
        lambda: store.open(key),
        lambda: store.exists(key),
        lambda: store.delete(key),
        lambda: store.path(key),
    ):
        with pytest.raises(InvalidKey):
            call()
    assert not (store.root.parent / "escape.jpg").exists()


def test_symlink_out_of_the_root_is_refused(store, tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    (store.root / "ab").symlink_to(outside)
    with pytest.raises(InvalidKey):
        store.put("ab/evil.jpg", b"x")
    assert list(outside.iterdir()) == []


def test_image_and_document_keys():
    keys = image_keys(SHA)
    assert keys == {
        "display": f"{SHA[:2]}/{SHA[2:4]}/{SHA}.display.jpg",
        "thumb": f"{SHA[:2]}/{SHA[2:4]}/{SHA}.thumb.jpg",
        "original": f"{SHA[:2]}/{SHA[2:4]}/{SHA}.original",
    }
    assert document_key(SHA, "pdf") == f"{SHA[:2]}/{SHA[2:4]}/{SHA}.pdf"
    for bad in ("../x", SHA.upper(), SHA[:-1], ""):
        with pytest.raises(InvalidKey):
            image_keys(bad)
    for bad_ext in (".pdf", "p/df", "", "PDF"):
        with pytest.raises(InvalidKey):
            document_key(SHA, bad_ext)


def test_store_processed_writes_display_and_thumb_only(store, processed):
    keys = store_processed(store, processed)  # no original given: the two derived files only
    assert keys == {name: key for name, key in image_keys(processed.sha256).items() if name != "original"}
    assert store.get(keys["display"]) == processed.display
    assert store.get(keys["thumb"]) == processed.thumb
    assert sorted(all_files(store.root)) == sorted(keys.values())
    # The same photo again is stored once.
    assert store_processed(store, processed) == keys
    assert sorted(all_files(store.root)) == sorted(keys.values())


class FailsOnSecondPut(FileStorage):
    def __init__(self, root):
        super().__init__(root)
        self.puts = 0

    def put(self, key, data):
        self.puts += 1
        if self.puts == 2:
            raise OSError("network blip")
        super().put(key, data)


def test_store_processed_removes_the_first_file_if_the_second_fails(tmp_path, processed):
    store = FailsOnSecondPut(tmp_path / "media")
    with pytest.raises(OSError, match="network blip"):
        store_processed(store, processed)
    assert all_files(store.root) == []


def test_store_processed_failure_keeps_files_stored_earlier(tmp_path, processed):
    store = FailsOnSecondPut(tmp_path / "media")
    keys = image_keys(processed.sha256)
    # An earlier upload of the same photo left the display image (the thumb was lost).
    FileStorage(store.root).put(keys["display"], processed.display)
    store.put("aa/bb/other.jpg", b"unrelated")  # first put
    with pytest.raises(OSError):
        store_processed(store, processed)  # its thumb put is the second put
    assert store.get(keys["display"]) == processed.display
    assert not store.exists(keys["thumb"])


def test_walk_tells_stored_names_from_temporary_and_unknown_files(store):
    keys = image_keys(SHA)
    store.put(keys["display"], b"d")
    store.put(document_key(SHA, "pdf"), b"%PDF")
    (store.root / SHA[:2] / SHA[2:4] / ".tmp-abc").write_bytes(b"half")
    (store.root / "00" / "00").mkdir(parents=True)
    (store.root / "00" / "00" / f"{SHA}.display.jpg").write_bytes(b"wrong folder for this hash")
    kinds = {f.key: f.kind for f in store.walk()}
    assert kinds == {keys["display"]: "stored", document_key(SHA, "pdf"): "stored",
                     f"{SHA[:2]}/{SHA[2:4]}/.tmp-abc": "temporary", f"00/00/{SHA}.display.jpg": "unknown"}
    assert storage_module.sha256_of_key(keys["thumb"]) == SHA and storage_module.sha256_of_key("00/00/x.jpg") is None
    store.remove_temporary(f"{SHA[:2]}/{SHA[2:4]}/.tmp-abc")
    with pytest.raises(InvalidKey):
        store.remove_temporary(keys["display"])       # only the remains of unfinished writes
    assert {f.kind for f in store.walk()} == {"stored", "unknown"}
