"""The leader's 屡查屡犯 panel over HTTP: confirm, unlink, search and link by hand; who may (404 for
another campaign's leader and another county's finding, 403 for the county side); the badge on the
problem list."""
import sqlalchemy as sa

from inspect_app.extensions import db
from inspect_app.repeats.models import LinkOrigin, LinkState, RepeatLink
from tests.conftest import HX
from tests.repeats.factories import issue, record

OFFICE = "新野县医共体管理办公室"


def link_of(finding) -> RepeatLink:
    db.session.expire_all()
    return db.session.execute(sa.select(RepeatLink).where(RepeatLink.finding_id == finding.id)).scalar_one()


def two_rounds(world, rounds):
    old = record(rounds, world, rounds.first, OFFICE, "B01", "一办六部人员未到岗")
    new = record(rounds, world, rounds.second, OFFICE, "B01", "一办六部人员又被抽回")
    return old, new


def test_problem_list_shows_the_badge_and_the_leader_opens_the_panel(client, login_as, world, rounds):
    old, new = two_rounds(world, rounds)
    login_as("leader8")
    page = client.get(f"/problem-lists/{rounds.second.id}/411329").get_data(as_text=True)
    assert "屡查屡犯 · 2022年" in page and "自动关联，待确认" in page and f'id="repeat-{new.id}"' in page
    earlier_page = client.get(f"/problem-lists/{rounds.first.id}/411329").get_data(as_text=True)
    assert "屡查屡犯 ·" not in earlier_page
    panel = client.get(f"/repeats/findings/{new.id}", headers=HX)
    text = panel.get_data(as_text=True)
    assert panel.status_code == 200 and text.lstrip().startswith(f'<section id="repeat-{new.id}"')
    assert old.description in text and "待确认" in text and "2022年紧密型县域医共体建设核查" in text
    full = client.get(f"/repeats/findings/{new.id}").get_data(as_text=True)
    assert "<html" in full and old.description in full
    collapsed = client.get(f"/repeats/findings/{new.id}?collapsed=1", headers=HX).get_data(as_text=True)
    assert collapsed.lstrip().startswith(f'<div id="repeat-{new.id}"') and "屡查屡犯 · 2022年" in collapsed


def test_confirm_then_unlink_over_htmx(client, login_as, world, rounds):
    _old, new = two_rounds(world, rounds)
    login_as("leader8")
    link = link_of(new)
    res = client.post(f"/repeats/links/{link.id}/confirm", headers=HX)
    assert res.status_code == 200 and "已确认" in res.get_data(as_text=True)
    assert link_of(new).state is LinkState.CONFIRMED
    res = client.post(f"/repeats/links/{link.id}/unlink", headers=HX)
    assert res.status_code == 200 and "已取消关联" in res.get_data(as_text=True)
    assert link_of(new).state is LinkState.UNLINKED
    page = client.get(f"/problem-lists/{rounds.second.id}/411329").get_data(as_text=True)
    assert "屡查屡犯 · 2022年" not in page
    res = client.post(f"/repeats/links/{link.id}/confirm")                  # no htmx: back to the list
    assert res.status_code == 302 and res.headers["Location"].endswith(f"/problem-lists/{rounds.second.id}/411329")


def test_search_and_link_by_hand_within_the_county(client, login_as, world, rounds):
    free_old = record(rounds, world, rounds.first, "新野县远程心电诊断中心", None, "远程心电未覆盖乡镇卫生院")
    tongbai_old = record(rounds, world, rounds.first, "桐柏县医共体管理办公室", None, "远程心电未覆盖（桐柏县）")
    new = record(rounds, world, rounds.second, "新野县远程心电诊断中心", None, "心电诊断报告仍未回传")
    login_as("leader8")
    found = client.get(f"/repeats/findings/{new.id}/candidates?q=远程心电", headers=HX).get_data(as_text=True)
    assert free_old.description in found and tongbai_old.description not in found
    assert "心电诊断报告仍未回传" not in found                                 # not itself, not this round
    assert client.post(f"/repeats/findings/{new.id}/link", data={"earlier_id": tongbai_old.id},
                       headers=HX).status_code == 404                            # another county's
    res = client.post(f"/repeats/findings/{new.id}/link", data={"earlier_id": free_old.id}, headers=HX)
    assert res.status_code == 200 and "手动关联" in res.get_data(as_text=True)
    link = link_of(new)
    assert (link.earlier_finding_id, link.origin, link.state) == (free_old.id, LinkOrigin.MANUAL, LinkState.CONFIRMED)
    later = record(rounds, world, rounds.other, "新野县远程心电诊断中心", None, "专项督查：心电仍未回传")
    login_as("leader8")
    res = client.post(f"/repeats/findings/{new.id}/link", data={"earlier_id": later.id}, headers=HX)
    assert res.status_code == 422                                               # a later campaign's


def test_who_may_decide(client, login_as, world, rounds):
    _old, new = two_rounds(world, rounds)
    link = link_of(new)
    login_as("province")
    assert client.get(f"/repeats/findings/{new.id}", headers=HX).status_code == 200
    login_as("leader9")                           # leads another campaign's team in 新野县
    assert client.get(f"/repeats/findings/{new.id}", headers=HX).status_code == 404
    assert client.post(f"/repeats/links/{link.id}/unlink", headers=HX).status_code == 404
    assert client.get(f"/repeats/findings/{new.id}/candidates?q=一办", headers=HX).status_code == 404
    for username in ("xinye", "tongbai", "inspector8", "viewer", "nanyang"):
        login_as(username)
        assert client.post(f"/repeats/links/{link.id}/unlink", headers=HX).status_code == 403, username
    assert link_of(new).state is LinkState.SUGGESTED
    login_as("leader8")
    assert client.get("/repeats/findings/999999", headers=HX).status_code == 404


def test_the_county_sees_the_badge_but_not_the_panel(client, login_as, world, rounds):
    _old, new = two_rounds(world, rounds)
    issue(world, rounds.second, world.xinye)
    login_as("xinye")
    page = client.get(f"/problem-lists/{rounds.second.id}/411329").get_data(as_text=True)
    assert "屡查屡犯 · 2022年" in page and "关联往年问题" not in page and "查看关联" not in page
    assert "自动关联，待确认" not in page
    assert client.get(f"/repeats/findings/{new.id}", headers=HX).status_code == 403
