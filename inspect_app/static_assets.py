"""Static files: fingerprinted URLs with a year-long immutable cache, compressed responses, and the
service worker's precache list kept in step with both.

Every `url_for('static', filename=…)` gets `?v=<first 12 hex digits of the file's SHA-256>` (a URL
default, so templates need no helper). A request whose `v` is the file's current digest is answered
`Cache-Control: public, max-age=31536000, immutable`: the browser never asks again, and a changed
file has a new URL. A request without `v` (the manifest's icons, Workbox's own imports) or with a
stale one is revalidated (`no-cache`, with its ETag) as before.

Responses of text types (HTML pages and fragments, JSON, CSS, JS, SVG, the manifest) are compressed
by Flask-Compress with brotli when the client accepts it, else gzip, and carry `Vary: Accept-Encoding`.
Pages keep `no-store` (set in create_app): they show private data.
"""
from __future__ import annotations

import hashlib
import json
import os
import re

from flask import Flask, current_app, request, url_for
from flask_compress import Compress

YEAR_SECONDS = 365 * 24 * 3600
IMMUTABLE = f"public, max-age={YEAR_SECONDS}, immutable"
DIGEST_LENGTH = 12

compress = Compress()
_digests: dict[str, tuple[float, str]] = {}


def digest(filename: str) -> str | None:
    """The first DIGEST_LENGTH hex digits of the SHA-256 of static/<filename>, or None when there is no
    such file. Cached per file and recomputed when its modification time changes (a deploy)."""
    path = os.path.join(current_app.static_folder, filename)
    try:
        mtime = os.stat(path).st_mtime
    except (OSError, ValueError):
        return None
    cached = _digests.get(path)
    if cached and cached[0] == mtime:
        return cached[1]
    with open(path, "rb") as handle:
        value = hashlib.file_digest(handle, "sha256").hexdigest()[:DIGEST_LENGTH]
    _digests[path] = (mtime, value)
    return value


def static_url(filename: str) -> str:
    """The fingerprinted URL of a static file ("/static/js/app.js?v=3f9c…")."""
    return url_for("static", filename=filename)


def _add_version(endpoint: str, values: dict) -> None:
    if endpoint == "static" and "v" not in values and values.get("filename"):
        version = digest(values["filename"])
        if version:
            values["v"] = version


def _cache_static(response):
    if request.endpoint == "static" and response.status_code == 200:
        filename = (request.view_args or {}).get("filename", "")
        if request.args.get("v") and request.args.get("v") == digest(filename):
            response.headers["Cache-Control"] = IMMUTABLE
        else:
            response.headers["Cache-Control"] = "no-cache"
    return response


_SHELL_LIST = re.compile(r"var SHELL_URLS = (\[.*?\]);", re.S)
_SHELL_NAME = re.compile(r'var SHELL = "([^"]+)";')


def service_worker_source() -> str:
    """static/js/sw.js with its precache list (SHELL_URLS, the file's own list of static paths) turned
    into the fingerprinted URLs the pages load, and its shell cache named after their digests, so a
    deploy installs a new worker that fetches exactly the changed files and drops the old cache."""
    with open(os.path.join(current_app.static_folder, "js", "sw.js"), encoding="utf-8") as handle:
        source = handle.read()
    paths = json.loads(_SHELL_LIST.search(source).group(1))
    urls = [static_url(path.removeprefix("/static/")) for path in paths]
    version = hashlib.sha256("\n".join(urls).encode()).hexdigest()[:DIGEST_LENGTH]
    source = _SHELL_LIST.sub(lambda _m: "var SHELL_URLS = " + json.dumps(urls, indent=2) + ";", source, count=1)
    return _SHELL_NAME.sub(lambda m: f'var SHELL = "{m.group(1)}-{version}";', source, count=1)


def init_app(app: Flask) -> None:
    """Register the URL default, the static cache rule and compression."""
    app.config.setdefault("COMPRESS_ALGORITHM", ["br", "gzip"])
    app.config.setdefault("COMPRESS_MIMETYPES", [
        "text/html", "text/css", "text/javascript", "application/javascript", "application/json",
        "image/svg+xml", "application/manifest+json", "text/csv", "text/plain"])
    app.url_defaults(_add_version)
    app.after_request(_cache_static)
    compress.init_app(app)
