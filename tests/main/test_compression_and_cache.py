"""Compressed responses (brotli or gzip, as the client accepts), fingerprinted static URLs with a
year-long immutable cache, pages that stay no-store, and the service worker's precache list."""
import gzip
import json
import re

import brotli

from inspect_app import static_assets


# A CSRF token (Flask-WTF: payload.timestamp.signature) is signed with the current second, so two
# requests that straddle a second carry different tokens (seen on a loaded machine).
CSRF_TOKEN = re.compile(rb"[\w-]{20,}\.[\w-]{4,8}\.[\w-]{20,}")


def _tokenless(page: bytes) -> bytes:
    """The page with its CSRF tokens blanked."""
    return CSRF_TOKEN.sub(b"<csrf>", page)


def _shell(client) -> list[str]:
    body = client.get("/sw.js").get_data(as_text=True)
    return json.loads(body.split("var SHELL_URLS = ")[1].split(";")[0])


def test_pages_are_compressed_as_the_client_accepts_and_stay_private(client, login_as, world):
    login_as("province")
    plain = client.get("/items/")
    assert plain.status_code == 200 and "Content-Encoding" not in plain.headers
    br = client.get("/items/", headers={"Accept-Encoding": "gzip, deflate, br"})
    assert br.headers["Content-Encoding"] == "br"
    assert _tokenless(brotli.decompress(br.data)) == _tokenless(plain.data)
    gz = client.get("/items/", headers={"Accept-Encoding": "gzip"})
    assert gz.headers["Content-Encoding"] == "gzip" and _tokenless(gzip.decompress(gz.data)) == _tokenless(plain.data)
    for response in (br, gz):
        vary = {v.strip().lower() for v in response.headers["Vary"].split(",")}
        assert {"accept-encoding", "hx-request"} <= vary
        assert response.headers["Cache-Control"] == "no-store"
        assert len(response.data) < len(plain.data) / 2


def test_static_urls_are_fingerprinted_and_immutable(client, app):
    page = client.get("/login").get_data(as_text=True)
    css = re.search(r'href="(/static/css/app\.css\?v=([0-9a-f]+))"', page)
    assert css, "the stylesheet link carries its digest"
    with app.test_request_context():
        assert css.group(2) == static_assets.digest("css/app.css")
    response = client.get(css.group(1), headers={"Accept-Encoding": "br"})
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert response.headers["Content-Encoding"] == "br" and "accept-encoding" in response.headers["Vary"].lower()
    response.close()
    stale = client.get("/static/css/app.css?v=000000000000")
    assert stale.headers["Cache-Control"] == "no-cache"      # an old URL is revalidated, never pinned
    stale.close()
    bare = client.get("/static/css/app.css")
    assert bare.headers["Cache-Control"] == "no-cache"
    bare.close()


def test_service_worker_precaches_the_urls_the_pages_load(client, login_as, world):
    shell = _shell(client)
    assert all("?v=" in url for url in shell)
    login_as("inspector8")
    for path in ("/", "/visits/"):
        page = client.get(path).get_data(as_text=True)
        loaded = set(re.findall(r'(?:src|href)="(/static/(?:js|css|vendor)/[^"]+)"', page))
        assert loaded and loaded <= set(shell), loaded - set(shell)
    body = client.get("/sw.js").get_data(as_text=True)
    assert re.search(r'var SHELL = "inspect-shell-v1-[0-9a-f]{12}";', body)
