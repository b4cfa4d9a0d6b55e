"""STORAGE_BACKEND=s3 end to end through the routes, on the local S3 server (moto): a photo and an
evidence-free finding upload land in the bucket (nothing on the local disk), are served only through
the access-checked routes, and the sweep lists and removes the bucket's orphans."""
import hashlib
import io
import os
from datetime import timedelta

from inspect_app.extensions import db, utcnow
from inspect_app.media import service, sweep
from inspect_app.media.models import Attachment
from inspect_app.media.storage import image_keys
from tests.media import images
from tests.s3server import s3_client
from tests.visits import factories as f


def bucket_keys(app) -> set[str]:
    client = s3_client(app.config["S3_ENDPOINT_URL"])
    listed = client.list_objects_v2(Bucket=app.config["S3_BUCKET"])
    return {item["Key"] for item in listed.get("Contents", ())}


def local_files(app) -> list[str]:
    return [n for _, _, names in os.walk(app.config["UPLOAD_FOLDER"]) for n in names]


def test_upload_view_and_sweep_on_the_bucket(s3_app, client, login_as, setup, world):
    app = s3_app
    _visit, finding, _item = setup
    login_as("inspector8")
    form = {"uuid": f.new_uuid(), "photo": (io.BytesIO(images.camera_jpeg()), "photo.jpg")}
    response = client.post(f"/media/findings/{finding.id}/photos", data=form, content_type="multipart/form-data")
    assert response.status_code == 200, response.get_data(as_text=True)
    photo = db.session.get(Attachment, response.get_json()["id"])
    assert bucket_keys(app) == {photo.display_key, photo.thumb_key, photo.original_key}
    assert local_files(app) == []

    stored = service.storage()
    for variant, key in (("display", photo.display_key), ("thumb", photo.thumb_key)):
        shown = client.get(f"/media/{photo.id}/{variant}")
        assert shown.status_code == 200 and shown.mimetype == "image/jpeg"
        assert shown.get_data() == stored.get(key) and shown.get_data()[:3] == b"\xff\xd8\xff"
        assert shown.headers["Cache-Control"] == "private, no-cache"
        again = client.get(f"/media/{photo.id}/{variant}", headers={"If-None-Match": f'"{photo.sha256}"'})
        assert again.status_code == 304 and again.get_data() == b""

    # Another county's user is told nothing exists; so is anyone after the object is gone.
    login_as("tongbai")
    assert client.get(f"/media/{photo.id}/display").status_code == 404
    login_as("inspector8")

    # An orphan (a crash between the PUT and the commit) and the remains of another tool's write.
    orphan = image_keys(hashlib.sha256(b"crashed upload").hexdigest())["display"]
    stored.put(orphan, b"orphan")
    s3_client(app.config["S3_ENDPOINT_URL"]).put_object(Bucket=app.config["S3_BUCKET"], Key="ab/cd/.tmp-x", Body=b"h")
    dry = sweep.sweep()
    assert {o.key for o in dry.orphans} == {orphan, "ab/cd/.tmp-x"} and dry.removed == []
    assert dry.orphan_bytes == len(b"orphan") + 1
    # Within the grace period nothing goes; a day later the orphans go and the photo stays.
    assert sweep.sweep(delete=True).removed == []
    later = sweep.sweep(delete=True, now=utcnow() + timedelta(days=2))
    assert {o.key for o in later.removed} == {orphan, "ab/cd/.tmp-x"}
    assert bucket_keys(app) == {photo.display_key, photo.thumb_key, photo.original_key}
    assert client.get(f"/media/{photo.id}/thumb").status_code == 200

    stored.delete(photo.display_key)
    assert client.get(f"/media/{photo.id}/display").status_code == 404


def test_health_check_probes_the_bucket(s3_app, client):
    body = client.get("/healthz").get_json()
    assert body["uploads"] == "ok"
    s3_app.config["S3_BUCKET"] = "bucket-that-does-not-exist"
    s3_app.extensions.pop("s3_storage", None)
    response = client.get("/healthz")
    assert response.status_code == 503 and response.get_json()["uploads"] == "not_writable"
