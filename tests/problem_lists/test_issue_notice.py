"""下发 tells the county: one notice per issued list to each county coordinator, linking to the county's items."""
import sqlalchemy as sa

from inspect_app.extensions import db
from inspect_app.rectification.models import Notification, ProblemList
from inspect_app.roles import Role
from tests.factories import make_user
from tests.problem_lists.factories import list_url


def test_issue_tells_the_countys_coordinators_once(client, login_as, xinye_list, world):
    camp, _findings = xinye_list
    second = make_user("xinye-2", Role.COUNTY_COORDINATOR, world.xinye)
    make_user("xinye-old", Role.COUNTY_COORDINATOR, world.xinye, active=False)
    db.session.commit()
    login_as("leader8")
    assert client.post(list_url(camp, suffix="/issue"), data={"issued_on": "2022-07-13"}).status_code == 302
    plist = db.session.execute(sa.select(ProblemList)).scalar_one()
    notes = db.session.execute(sa.select(Notification).order_by(Notification.user_id)).scalars().all()
    assert [n.user_id for n in notes] == [world.users["xinye"].id, second.id]   # not tongbai, not the inactive one
    assert {n.kind for n in notes} == {"issued"} and {n.item_id for n in notes} == {None}
    assert notes[0].message == f"第八核查组已下发新野县反馈问题清单（{camp.name}），共 4 个问题，请指派责任单位"
    # A second 下发 is refused and tells no one again.
    client.post(list_url(camp, suffix="/issue"), data={"issued_on": "2022-07-13"})
    assert db.session.execute(sa.select(sa.func.count(Notification.id))).scalar_one() == 2
    # The coordinator sees it in the bell and the list, linking to the county's items of that campaign.
    login_as("xinye")
    assert 'id="bell-count">1<' in client.get("/items/notifications/bell").get_data(as_text=True)
    html = client.get("/items/notifications").get_data(as_text=True)
    assert f'href="/items/?campaign={camp.id}&amp;county={world.xinye.id}"' in html
    assert plist.county_id == world.xinye.id


def test_a_failing_notice_never_undoes_the_issue(client, login_as, xinye_list, world, monkeypatch):
    from inspect_app.rectification import notifications
    camp, _findings = xinye_list

    def broken(*args, **kwargs):
        raise RuntimeError("database went away")
    monkeypatch.setattr(notifications, "coordinators_of_counties", broken)
    login_as("leader8")
    assert client.post(list_url(camp, suffix="/issue"), data={"issued_on": "2022-07-13"}).status_code == 302
    assert db.session.execute(sa.select(ProblemList.status)).scalar_one().value == "issued"
    assert db.session.execute(sa.select(sa.func.count(Notification.id))).scalar_one() == 0
