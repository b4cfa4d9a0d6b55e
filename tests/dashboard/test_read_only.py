"""A dashboard read never writes: no INSERT, UPDATE, DELETE or SELECT … FOR UPDATE/SHARE is sent and
nothing is committed, whatever the clock says — including the requests either side of midnight in
Beijing, which used to move the summary rows to the new day with a row lock and a write."""
import re

import pytest
import sqlalchemy as sa

from inspect_app.dashboard import service
from inspect_app.extensions import db
from tests.conftest import HX
from tests.dashboard.factories import LAST_SECOND, known_items, utc

MIDNIGHT = utc(2022, 8, 10, 16, 0, 0)          # 2022-08-11 00:00:00 Beijing, one second after LAST_SECOND
WRITES = re.compile(r"^\s*(INSERT|UPDATE|DELETE|MERGE|UPSERT|REPLACE|CREATE|DROP|ALTER|TRUNCATE)\b"
                    r"|\bFOR\s+(UPDATE|SHARE|NO\s+KEY\s+UPDATE|KEY\s+SHARE)\b", re.IGNORECASE)
URLS = ["/dashboard/", "/dashboard/city/411300", "/dashboard/county/411329",
        "/dashboard/county/411329/items?bucket=overdue", "/api/v1/closure?group_by=county",
        "/api/v1/closure?group_by=unit"]


class Recorder:
    """Every statement the engine sends and every commit it makes, while installed."""

    def __init__(self, engine):
        self.engine, self.statements, self.commits = engine, [], 0

    def _statement(self, conn, cursor, statement, parameters, context, executemany):
        self.statements.append(statement)

    def _commit(self, conn):
        self.commits += 1

    def __enter__(self):
        sa.event.listen(self.engine, "before_cursor_execute", self._statement)
        sa.event.listen(self.engine, "commit", self._commit)
        return self

    def __exit__(self, *exc):
        sa.event.remove(self.engine, "before_cursor_execute", self._statement)
        sa.event.remove(self.engine, "commit", self._commit)

    @property
    def writes(self) -> list[str]:
        return [s for s in self.statements if WRITES.search(s)]


def _get(client, url):
    db.session.expire_all()
    with Recorder(db.engine) as recorder:
        response = client.get(url, headers=HX if url.startswith("/dashboard") else {})   # the fragment: no CSRF token
    assert response.status_code == 200, url
    assert recorder.statements, "the recorder saw nothing: it would not see a write either"
    return response, recorder


def test_the_recorder_sees_a_write_and_a_commit(app, world):
    """The listener is not blind: the same recorder catches an UPDATE and its commit."""
    with Recorder(db.engine) as recorder:
        user = world.users["viewer"]
        user.display_name = user.display_name + "·"
        db.session.commit()
    assert recorder.writes and recorder.commits == 1


@pytest.mark.parametrize("url", URLS)
def test_a_dashboard_get_writes_and_commits_nothing_either_side_of_midnight(client, login_as, world,
                                                                            monkeypatch, url):
    known_items(world)
    login_as("province")
    client.get("/")                      # whatever the sign-in's first request records, it is not the dashboard's
    figures = []
    for instant in (LAST_SECOND, MIDNIGHT, LAST_SECOND):
        monkeypatch.setattr(service, "now", lambda instant=instant: instant)
        response, recorder = _get(client, url)
        assert recorder.writes == [] and recorder.commits == 0, (instant, recorder.writes)
        figures.append(response.get_data(as_text=True))
    if url.startswith("/dashboard/county/411329/items") or url == "/dashboard/":
        assert figures[0] != figures[1]          # item 3 (due 2022-08-10) turned overdue at midnight
    assert figures[0] == figures[2]              # and going back shows the first day again: nothing moved


def test_midnight_turns_the_due_item_overdue_in_the_figures(app, world):
    known_items(world)
    viewer = world.users["viewer"]
    before = service.headline(viewer, service.Filters(today=service.date_rules.beijing_date(LAST_SECOND)))
    after = service.headline(viewer, service.Filters(today=service.date_rules.beijing_date(MIDNIGHT)))
    assert after.overdue == before.overdue + 1
