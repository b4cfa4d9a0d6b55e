"""Every jobs test starts from an empty queue and leaves no worker thread behind."""
import pytest

from inspect_app.jobs import queue


@pytest.fixture(autouse=True)
def empty_queue(app):
    queue.flush(app)
    yield
    queue.stop_worker_thread(app)
    queue.flush(app)
