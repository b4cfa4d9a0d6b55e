"""The home page's tasks: each role sees what waits for it, counted in its scope, and each count is
the number of rows its link shows."""
import datetime as dt
import re

import pytest

from inspect_app.rectification.lifecycle import Status
from tests.rectification import factories as items
from tests.visits import factories as visits


def task_counts(page: str) -> dict[str, int]:
    return {key: int(count) for key, count in
            re.findall(r'id="task-(\w+)">\s*<span class="task-count">(\d+)</span>', page)}


def rows_behind(client, page: str, key: str) -> int:
    url = re.search(rf'href="([^"]+)" id="task-{key}"', page).group(1).replace("&amp;", "&")
    listing = client.get(url).get_data(as_text=True)
    return len(re.findall(r'<tr id="item-row-\d+"', listing))


@pytest.fixture
def work(world):
    """Items in every state the tasks count, in 新野县 (and one in 桐柏县)."""
    today = dt.datetime.now(dt.timezone(dt.timedelta(hours=8))).date()
    items.make_item(world)                                                     # pending, unassigned
    items.make_item(world, world.tongbai)                                      # pending, unassigned (桐柏)
    items.make_item(world, status=Status.IN_PROGRESS)
    items.make_item(world, status=Status.SUBMITTED)
    items.make_item(world, status=Status.IN_PROGRESS, deadline=today - dt.timedelta(days=3))   # overdue
    items.make_item(world, status=Status.IN_PROGRESS,
                    pending_extension={"date": (today + dt.timedelta(days=60)).isoformat(), "reason": "设备未到货"})
    version = visits.make_version(n_items=3)
    visits.make_visit(visits.office_site(world.xinye), world.users["inspector8"])
    visits.make_finding(visits.make_visit(visits.office_site(world.tongbai), world.users["inspector8"]))
    return version


def test_each_role_sees_its_tasks_with_counts(client, login_as, world, work):
    login_as("xinye")
    page = client.get("/").get_data(as_text=True)
    counts = task_counts(page)
    assert counts == {"assign": 1, "overdue": 1}                  # 桐柏县's unassigned item is not theirs
    assert rows_behind(client, page, "assign") == 1

    login_as("xinye-wjw")
    counts = task_counts(client.get("/").get_data(as_text=True))
    assert counts["act"] == 3 and counts["overdue"] == 1          # its unit's pending / in-progress items

    login_as("leader8")
    page = client.get("/").get_data(as_text=True)
    counts = task_counts(page)
    assert counts["visit"] == 2 and counts["issue"] == 1
    assert counts["accept"] == 1 and counts["extension"] == 1 and counts["overdue"] == 1
    assert rows_behind(client, page, "extension") == 1 and rows_behind(client, page, "overdue") == 1

    login_as("viewer")
    assert task_counts(client.get("/").get_data(as_text=True)) == {"overdue": 1}


def test_my_visits_lists_older_campaigns_with_unfinished_visits(client, login_as, world):
    from inspect_app.campaigns.models import Campaign, Team
    from inspect_app.extensions import db
    from inspect_app.visits.models import VisitStatus

    version = visits.make_version(n_items=3)
    older = db.session.get(Campaign, 1)
    unfinished = visits.make_visit(visits.office_site(world.xinye), world.users["inspector8"], campaign=older)
    newer = Campaign(name="2023年紧密型县域医共体建设回头看", year=2023, start_date=dt.date(2023, 7, 1),
                     end_date=dt.date(2023, 7, 5), checklist_version_id=version.id)
    db.session.add(newer)
    db.session.flush()
    team = Team(campaign_id=newer.id, name="第八核查组（2023）", leader_id=world.users["leader8"].id)
    team.members = [world.users["leader8"], world.users["inspector8"]]
    team.counties = [world.xinye]
    db.session.add(team)
    db.session.commit()

    login_as("inspector8")
    page = client.get("/visits/").get_data(as_text=True)
    assert "2023年紧密型县域医共体建设回头看" in page and older.name in page and "往期未完成" in page
    county_page = client.get(f"/visits/counties/{world.xinye.code}?campaign={older.id}").get_data(as_text=True)
    assert f"/visits/{unfinished.id}" in county_page and older.name in county_page
    latest_page = client.get(f"/visits/counties/{world.xinye.code}").get_data(as_text=True)
    assert newer.name in latest_page and f"/visits/{unfinished.id}" not in latest_page

    # Once the older visit is submitted, the older campaign leaves the list.
    unfinished.status = VisitStatus.SUBMITTED
    db.session.commit()
    assert "往期未完成" not in client.get("/visits/").get_data(as_text=True)
