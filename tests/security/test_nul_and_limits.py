"""NUL bytes, over-long texts and the order of permission and validation (issue 11, points 3, 4, 17).

On PostgreSQL a NUL anywhere answered 500 (even the sign-in form, before sign-in), a 65-character
责任人 raised StringDataRightTruncation, and a 5,000,000-character comment was stored. Run with
TEST_DATABASE_URL to check on PostgreSQL; on SQLite the same answers are expected.
"""
import pytest
import sqlalchemy as sa
from werkzeug.routing import Rule

from inspect_app import access
from inspect_app.extensions import db
from inspect_app.rectification.lifecycle import Status
from inspect_app.rectification.models import ItemHistory, RectificationItem
from inspect_app.request_guard import DATA_MESSAGE
from inspect_app.text import NUL_MESSAGE
from tests.conftest import HX
from tests.rectification.factories import make_item, wjw


def _comments() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(ItemHistory).where(ItemHistory.action == "comment"))


def test_nul_in_the_sign_in_form_before_sign_in(client, world):
    for data in ({"username": "prov\x00ince", "password": "x"}, {"username": "province", "password": "a\x00b"}):
        response = client.post("/login", data=data)
        assert response.status_code == 422
        assert NUL_MESSAGE in response.get_data(as_text=True)


@pytest.mark.parametrize("url", ["/org/counties?q=新\x00野", "/problem-lists/?q=%00", "/admin/users/?q=a%00",
                                 "/campaigns/?q=%00", "/checklists/?q=%00", "/login?next=/%00",
                                 "/items/?q=%00", "/dashboard/?campaign=%00", "/org/counties?%00=1"])
def test_nul_in_a_query_string_is_400_in_chinese(client, login_as, world, url):
    login_as("province")
    response = client.get(url)
    assert response.status_code == 400
    assert NUL_MESSAGE in response.get_data(as_text=True)
    response = client.get(url, headers=HX)          # htmx: a toast instead of a page
    assert response.status_code == 400 and "NUL" in response.headers["HX-Trigger"].encode().decode("unicode_escape")


def test_nul_in_a_query_string_before_sign_in(client, world):
    response = client.get("/login?next=%00")
    assert response.status_code == 400 and NUL_MESSAGE in response.get_data(as_text=True)


def test_nul_in_a_form_field_name_is_400(client, login_as, world):
    item = make_item(world)
    login_as("xinye")
    response = client.post(f"/items/{item.id}/actions/comment", data={"te\x00xt": "好", "version": item.version})
    assert response.status_code == 400 and _comments() == 0


def test_nul_in_a_comment_is_refused_and_the_text_kept(client, login_as, world):
    item = make_item(world)
    login_as("xinye")
    response = client.post(f"/items/{item.id}/actions/comment", headers=HX,
                           data={"text": "请尽快\x00整改", "version": item.version})
    body = response.get_data(as_text=True)
    assert response.status_code == 422 and NUL_MESSAGE in body
    assert "请尽快" in body and "整改" in body and _comments() == 0


def test_a_65_character_responsible_person_is_422(client, login_as, world):
    item = make_item(world)
    login_as("xinye")
    person = "张" * 65
    response = client.post(f"/items/{item.id}/actions/assign", headers=HX,
                           data={"unit_id": wjw(world).id, "person": person, "version": item.version})
    body = response.get_data(as_text=True)
    assert response.status_code == 422 and "责任人最多 64 个字" in body and person in body
    db.session.expire_all()
    stored = db.session.get(RectificationItem, item.id)
    assert stored.responsible_person == "" and stored.unit_id is None
    person = "张" * 64
    response = client.post(f"/items/{item.id}/actions/assign", headers=HX,
                           data={"unit_id": wjw(world).id, "person": person, "version": item.version})
    assert response.status_code == 200
    db.session.expire_all()
    assert db.session.get(RectificationItem, item.id).responsible_person == person


def test_a_5_000_000_character_comment_is_422_and_nothing_stored(client, login_as, world):
    item = make_item(world)
    login_as("xinye")
    response = client.post(f"/items/{item.id}/actions/comment", headers=HX,
                           data={"text": "评" * 5_000_000, "version": item.version})
    assert response.status_code == 422 and "评论不超过 2000 字" in response.get_data(as_text=True)
    assert _comments() == 0
    page = client.get(f"/items/{item.id}")
    assert page.status_code == 200 and len(page.data) < 200_000


def test_a_milestone_over_its_limit_is_422(client, login_as, world):
    from inspect_app.visits.models import RectificationType
    item = make_item(world, rectification_type=RectificationType.LONG_TERM)
    login_as("xinye")
    response = client.post(f"/items/{item.id}/milestones", headers=HX,
                           data={"due_date": "2022-12-31", "expected_result": "成" * 501})
    assert response.status_code == 422 and "预期成效不超过 500 字" in response.get_data(as_text=True)
    response = client.post(f"/items/{item.id}/milestones", headers=HX,
                           data={"due_date": "2022-13-45", "expected_result": "全部接入"})
    assert response.status_code == 422 and "日期无效" in response.get_data(as_text=True)


def test_the_database_net_answers_400_not_500():
    """A DataError that slipped past every form (raised by hand here) is a 400 in Chinese."""
    from sqlalchemy.exc import DataError

    from inspect_app import create_app
    from tests.conftest import Config

    app = create_app(Config)

    @app.get("/data-error")
    @access.rule(access.PUBLIC)
    def _boom():
        raise DataError("INSERT", {}, Exception("value too long for type character varying(64)"))

    with app.app_context():
        response = app.test_client().get("/data-error")
    assert response.status_code == 400 and DATA_MESSAGE in response.get_data(as_text=True)


# ---------------------------------------------------------------- permission before validation

JUNK = {"text": "\x00" + "长" * 100_000, "reason": "\x00", "opinion": "\x00", "name": "\x00" * 3,
        "person": "张" * 65, "new_date": "不是日期", "unit_id": "abc", "version": "x", "description": "",
        "code": "", "label": "", "issued_on": "?", "due_date": "?", "expected_result": "长" * 600}


# POSTs that only read: starting the 整改台账 export as a background job (issue 12) is the POST form of
# an export every viewer may make, so a read-only account is answered, not refused.
READING_POSTS = {access.Permission.LEDGER_EXPORT, access.Permission.REPORT_EXPORT}   # exports as jobs


def _post_rules(app) -> list[Rule]:
    return [r for r in app.url_map.iter_rules() if "POST" in r.methods
            and isinstance(access.rule_of(app.view_functions[r.endpoint]), access.Permission)
            and access.rule_of(app.view_functions[r.endpoint]) not in READING_POSTS]


def _url(rule: Rule, world, item_id) -> str:
    values = {}
    for arg in rule.arguments:
        converter = rule._converters[arg]
        if arg == "code":
            values[arg] = world.xinye.code
        elif arg == "name":
            values[arg] = "comment"
        elif arg == "entity":
            values[arg] = "units"
        elif arg == "direction":
            values[arg] = "up"
        elif type(converter).__name__ == "IntegerConverter":
            values[arg] = item_id
        else:
            values[arg] = "x"
    return rule.build(values, append_unknown=False)[1]


@pytest.mark.parametrize("username", ["viewer", "nanyang"])
def test_a_viewer_posting_invalid_input_gets_403_not_422(app, client, login_as, world, username):
    """Every permission-guarded POST route, with invalid input, from a read-only account."""
    item = make_item(world)
    login_as(username)
    seen = {}
    for rule in _post_rules(app):
        url = _url(rule, world, item.id)
        response = client.post(url, data=JUNK, headers=HX)
        seen[rule.rule] = response.status_code
    wrong = {rule: status for rule, status in seen.items() if status not in (403, 404)}
    assert not wrong, wrong
    assert len(seen) >= 30 and list(seen.values()).count(403) >= 25


def test_another_units_responder_gets_403_before_validation(client, login_as, world):
    """A unit responder posting bad input to another unit's item: 403, not 422."""
    from tests.rectification.factories import other_unit
    item = make_item(world, unit=other_unit(world), status=Status.IN_PROGRESS)
    login_as("xinye-wjw")
    response = client.post(f"/items/{item.id}/actions/post_progress", headers=HX,
                           data={"text": "长" * 100_000, "version": "x"})
    assert response.status_code in (403, 404)


def test_submit_reasons_follow_the_text_rule(client, login_as, world):
    """The visit's submit reasons are not a WTForms form: the service applies the same rule."""
    from inspect_app.visits.models import SiteVisit, VisitStatus
    from tests.visits import factories as f
    version = f.make_version(n_items=4)
    visit = f.make_visit(f.office_site(world.xinye), world.users["inspector8"])
    items = f.items_of(version)
    for one in items:
        one.photo_required = False
    db.session.commit()
    f.answer_items(visit, items[1:])
    login_as("inspector8")
    field = f"reason-unanswered-{items[0].id}"
    response = client.post(f"/visits/{visit.id}/submit", data={field: "未开展\x00此项"})
    body = response.get_data(as_text=True)
    assert response.status_code == 422 and NUL_MESSAGE in body and "未开展" in body
    assert client.post(f"/visits/{visit.id}/submit", data={field: "未开展\x0b此项\u202e"}).status_code == 303
    db.session.expire_all()
    saved = db.session.get(SiteVisit, visit.id)
    assert saved.status == VisitStatus.SUBMITTED and saved.submit_reasons[0]["reason"] == "未开展此项"


def test_bulk_forms_are_validated(client, login_as, world):
    """The bulk assign and bulk accept forms were never validated: a 65-character 责任人 and a NUL
    opinion reached the database. Now 422, the text and the ticks kept, nothing changed."""
    a = make_item(world)
    login_as("xinye")
    person = "张" * 65
    res = client.post("/items/assign", headers=HX, data={"item_ids": [a.id], "unit_id": wjw(world).id,
                                                         "person": person})
    assert res.status_code == 422 and "责任人最多 64 个字" in res.get_data(as_text=True)
    assert person in res.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(RectificationItem, a.id).unit_id is None
    b = make_item(world, status=Status.SUBMITTED, unit=wjw(world))
    login_as("leader8")
    res = client.post("/items/review/accept", headers=HX, data={"item_ids": [b.id], "opinion": "同意\x00销号"})
    html = res.get_data(as_text=True)
    assert res.status_code == 422 and NUL_MESSAGE in html and "销号" in html
    db.session.expire_all()
    assert db.session.get(RectificationItem, b.id).status is Status.SUBMITTED


def test_nul_in_a_header_is_400(client, world):
    response = client.get("/login", headers={"HX-Current-URL": "http://localhost/\x00"})
    assert response.status_code == 400 and NUL_MESSAGE in response.get_data(as_text=True)
