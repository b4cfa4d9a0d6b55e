"""Real parallel requests for the concurrency tests.

Each request runs in its own thread with its own test client and its own app context — hence its
own database session and connection — against the live test database (a SQLite file, or
PostgreSQL with TEST_DATABASE_URL). A Barrier releases them together, so they really collide.
"""
import sys
import threading
from dataclasses import dataclass
from datetime import datetime, timezone


def client_for(app, user):
    """A test client signed in as `user` through its session (the sign-in form has its own tests)."""
    client = app.test_client()
    with client.session_transaction() as sess:
        sess["_user_id"] = user.get_id()
        sess["_fresh"] = True
        sess["seen"] = datetime.now(timezone.utc).timestamp()
    return client


@dataclass
class Response:
    """What a racing request got back: enough to compare the responses with each other."""

    status: int
    body: str
    location: str | None
    trigger: str | None

    @property
    def signature(self) -> tuple:
        return (self.status, self.body, self.location, self.trigger)


def race(app, posts, timeout: float = 120) -> list[Response]:
    """POST every (client, url, data, headers) at the same moment; the responses in the same order.

    `data` may be a callable returning the form data, for bodies that can be read only once (files).
    """
    barrier = threading.Barrier(len(posts))
    results: list[Response | BaseException | None] = [None] * len(posts)

    # Tokens first, one after the other: a client shared by several requests (one tablet sending
    # twice) must not have its session's CSRF secret written by two threads at once.
    tokens = [client.csrf_token() for client, *_ in posts]

    def run(i, client, url, data, headers):
        try:
            with app.app_context():  # this thread's own context, hence its own database session
                headers = {**(headers or {}), "X-CSRFToken": tokens[i]}
                form = data() if callable(data) else data
                barrier.wait()
                response = client.post(url, data=form, headers=headers)
                results[i] = Response(response.status_code, response.get_data(as_text=True),
                                      response.headers.get("Location"), response.headers.get("HX-Trigger"))
        except BaseException as error:  # noqa: BLE001 - reported by the caller's assertion
            results[i] = error
            barrier.abort()

    threads = [threading.Thread(target=run, args=(i, *post)) for i, post in enumerate(posts)]
    # Switch threads every few microseconds instead of every 5 ms, so that the requests interleave
    # between their look-up and their insert rather than run one after the other.
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-5)
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=timeout)
    finally:
        sys.setswitchinterval(interval)
    failed = [r for r in results if not isinstance(r, Response)]
    assert not failed, failed
    return results
