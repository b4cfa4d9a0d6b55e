"""Seen 17, part (issue 11): HSTS in production, no server version disclosed, photos cached
`private, no-cache` with an ETag (304 on If-None-Match) so a shared tablet asks again each time."""
import io
import threading
import urllib.request

from werkzeug.serving import make_server

from config import Config, ProductionConfig
from tests.media import images
from tests.visits import factories as f


def test_hsts_in_production_only(client, app):
    assert ProductionConfig.HSTS_SECONDS >= 31536000 and Config.HSTS_SECONDS == 0
    assert "Strict-Transport-Security" not in client.get("/login").headers
    app.config["HSTS_SECONDS"] = ProductionConfig.HSTS_SECONDS
    try:
        header = client.get("/login").headers["Strict-Transport-Security"]
    finally:
        app.config["HSTS_SECONDS"] = 0
    assert header == "max-age=31536000; includeSubDomains"


def test_the_development_server_does_not_name_its_versions(app):
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{server.server_port}/login", timeout=10) as response:
            server_header = response.headers.get_all("Server")
    finally:
        server.shutdown()
        thread.join()
    assert server_header == ["inspect"]


def test_photos_are_private_no_cache_with_etag_and_304(client, login_as, world):
    version = f.make_version(n_items=4)
    visit = f.make_visit(f.office_site(world.xinye), world.users["inspector8"])
    finding = f.make_finding(visit)
    f.items_of(version)
    login_as("inspector8")
    photo = client.post(f"/media/findings/{finding.id}/photos", content_type="multipart/form-data",
                        data={"uuid": f.new_uuid(), "photo": (io.BytesIO(images.jpeg()), "a.jpg")}).get_json()
    for variant in ("thumb", "display"):
        response = client.get(f"/media/{photo['id']}/{variant}")
        assert response.headers["Cache-Control"] == "private, no-cache"
        etag = response.headers["ETag"]
        again = client.get(f"/media/{photo['id']}/{variant}", headers={"If-None-Match": etag})
        assert again.status_code == 304 and again.data == b""
