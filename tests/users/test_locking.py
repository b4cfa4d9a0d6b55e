"""No silent overwrites of accounts (issue 9, point 7): two administrators editing one account."""
from inspect_app.auth.models import User
from inspect_app.extensions import db
from inspect_app.locking import MISSING_MESSAGE
from tests.locking import assert_stale_view, audit_count, client_for, race


def account(user, **over):
    values = {"display_name": user.display_name, "organisation": "", "role": user.role.value,
              "region_code": "411330", "unit_id": "0", "active": "y"}
    return {**values, **over}


def saved(user_id) -> User:
    db.session.expire_all()
    return db.session.get(User, user_id)


def test_stale_account_edit_is_refused_and_keeps_the_users_text(client, world, login_as):
    target = world.users["tongbai"]
    login_as("admin")
    url = f"/admin/users/{target.id}"
    assert 'name="version" type="hidden" value="1"' in client.get(url).get_data(as_text=True)
    assert client.post(url, data=account(target, display_name="桐柏县联络员张三", version=1)).status_code == 302
    events = audit_count()
    stale = client.post(url, data=account(target, display_name="桐柏县联络员李四", organisation="桐柏县卫健委",
                                          version=1))
    html = assert_stale_view(stale, {"display_name": "桐柏县联络员张三", "organisation": "（空）"},
                             ["桐柏县联络员李四", "桐柏县卫健委"])
    assert 'name="version" type="hidden" value="2"' in html and "data-conflict-saved=\"role\"" not in html
    row = saved(target.id)
    assert (row.display_name, row.organisation, row.version) == ("桐柏县联络员张三", "", 2)
    assert audit_count() == events
    assert client.post(url, data=account(target, display_name="桐柏县联络员张三", organisation="桐柏县卫健委",
                                         version=2)).status_code == 302
    assert saved(target.id).version == 3 and audit_count() == events + 1


def test_account_edit_without_version_is_refused(client, world, login_as):
    target = world.users["tongbai"]
    login_as("admin")
    response = client.post(f"/admin/users/{target.id}", data=account(target, display_name="没有版本的改动"))
    assert response.status_code == 422 and MISSING_MESSAGE in response.get_data(as_text=True)
    assert saved(target.id).display_name == "tongbai"


def test_signing_in_does_not_make_an_open_form_stale(app, client, world, login_as, password):
    """Sign-in writes the account row (last login) without an edit form: the version stays."""
    target = world.users["tongbai"]
    app.test_client().post("/login", data={"username": "tongbai", "password": password})
    login_as("admin")
    response = client.post(f"/admin/users/{target.id}", data=account(target, display_name="新名字", version=1))
    assert response.status_code == 302 and saved(target.id).display_name == "新名字"


def test_parallel_account_edits_exactly_one_wins(app, world):
    target = world.users["tongbai"]
    url = f"/admin/users/{target.id}"
    results = race(app, [(client_for(app, world.users["admin"]), url, account(target, display_name=f"名字{n}", version=1))
                         for n in (1, 2)])
    assert sorted(code for code, _ in results) == [302, 409], [code for code, _ in results]
    row = saved(target.id)
    assert row.version == 2 and row.display_name in ("名字1", "名字2")
