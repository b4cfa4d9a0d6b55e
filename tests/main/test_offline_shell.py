"""The service worker's route (/sw.js, public, scope = the whole site), the web manifest and the
fresh CSRF token the offline queue asks for before sending."""
import json

from tests.conftest import HX


def test_service_worker_is_served_from_the_root_without_sign_in(client):
    response = client.get("/sw.js")
    assert response.status_code == 200
    assert response.mimetype == "text/javascript"
    assert response.headers["Service-Worker-Allowed"] == "/"
    assert response.headers["Cache-Control"] == "no-cache"
    body = response.get_data(as_text=True)
    # Workbox from our own origin, never its CDN.
    assert 'importScripts("/static/vendor/workbox/workbox-sw.js")' in body
    assert "storage.googleapis.com" not in body and 'modulePathPrefix: "/static/vendor/workbox/"' in body


def test_shell_files_the_worker_keeps_exist(client):
    body = client.get("/sw.js").get_data(as_text=True)
    shell = json.loads(body.split("var SHELL_URLS = ")[1].split(";")[0])
    paths = [url.split("?v=")[0] for url in shell]        # fingerprinted (static_assets)
    assert "/static/js/offline.js" in paths and "/static/vendor/idb.umd.js" in paths
    for url in shell:
        response = client.get(url)
        assert response.status_code == 200, url
        response.close()


def test_manifest_names_the_app_and_its_icons(client):
    response = client.get("/static/manifest.webmanifest")
    manifest = json.loads(response.get_data(as_text=True))
    assert manifest["name"] == "医共体核查整改" and manifest["scope"] == "/"
    for icon in manifest["icons"]:
        assert client.get(icon["src"]).status_code == 200


def test_csrf_token_for_a_signed_in_session(client, login_as):
    login_as("inspector8")
    token = client.get("/csrf-token").get_json()["token"]
    assert token
    # The token is good for a state change in this session.
    response = client.post("/visits/sites/999999/start", data={"csrf_token": token})
    assert response.status_code == 404          # past the CSRF check; the site does not exist


def test_csrf_token_needs_sign_in(client):
    assert client.get("/csrf-token", headers=HX).status_code == 401     # the queue waits for sign-in
    assert client.get("/csrf-token").status_code == 302
