"""Helpers for the optimistic-locking tests of every editable record (inspect_app/locking.py).

`conflict_boxes` reads what the shared conflict view shows; `race` posts in parallel threads released
together by a Barrier, each with its own test client, app context and database session (real parallel
requests on one database: PostgreSQL with TEST_DATABASE_URL, else the suite's SQLite file).
"""
import re
import threading
from datetime import datetime, timezone
from html import unescape

import sqlalchemy as sa

from inspect_app.audit.models import AuditEvent
from inspect_app.extensions import db
from inspect_app.locking import STALE_MESSAGE
from tests.conftest import HX


def audit_count() -> int:
    return db.session.execute(sa.select(sa.func.count(AuditEvent.id))).scalar_one()


def conflict_boxes(html: str) -> dict[str, str]:
    """{field name: saved text} of the "当前已保存" boxes the conflict view drew."""
    return {name: unescape(text) for name, text in re.findall(
        r'data-conflict-saved="([^"]+)">.*?<p class="conflict-text">(.*?)</p>', html, re.S)}


def assert_stale_view(response, saved: dict[str, str], own: list[str]) -> str:
    """A 409 with the stale message, a saved-text box per field of `saved`, and the user's `own` texts
    still in the form's inputs. Returns the HTML."""
    html = response.get_data(as_text=True)
    assert response.status_code == 409, html[:2000]
    assert STALE_MESSAGE in html
    boxes = conflict_boxes(html)
    for name, text in saved.items():
        assert any(key.endswith(name) and value == text for key, value in boxes.items()), (name, boxes)
    for text in own:
        assert re.search(r"(<textarea[^>]*>\s*|value=\")" + re.escape(text), html), text
    return html


def client_for(app, user):
    """A test client signed in as `user` through the session."""
    client = app.test_client()
    with client.session_transaction() as sess:
        sess["_user_id"] = user.get_id()
        sess["_fresh"] = True
        sess["seen"] = datetime.now(timezone.utc).timestamp()
    return client


def race(app, posts) -> list[tuple[int, str]]:
    """Run the (client, url, data) posts in parallel threads started together; (status, body) each."""
    barrier = threading.Barrier(len(posts))
    results = [None] * len(posts)

    def run(i, client, url, data):
        with app.app_context():  # this thread's own context, hence its own database session
            headers = {**HX, "X-CSRFToken": client.csrf_token()}
            barrier.wait()
            try:
                response = client.post(url, data=data, headers=headers)
                results[i] = (response.status_code, response.get_data(as_text=True))
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=(i, *p)) for i, p in enumerate(posts)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return results
