"""Account administration: create with a scope, role grants, unit options, password reset."""
import sqlalchemy as sa

from inspect_app.auth.models import User
from inspect_app.extensions import db
from inspect_app.org.models import ResponsibleUnit
from inspect_app.roles import Role
from tests.conftest import HX


def unit_id(name):
    return db.session.execute(sa.select(ResponsibleUnit.id).where(ResponsibleUnit.name == name)).scalar_one()


def new_user(**overrides):
    data = {"username": "xinye-ybj", "display_name": "医保局经办人", "organisation": "新野县医保局",
            "role": "unit_responder", "region_code": "411329", "unit_id": str(unit_id("新野县医保局")),
            "active": "y", "password": "Start2022x"}
    data.update(overrides)
    return data


def test_list_search_and_role_filter(client, world, login_as):
    login_as("province")
    page = client.get("/admin/users").get_data(as_text=True)
    assert "xinye-wjw" in page and "责任单位经办人" in page
    fragment = client.get("/admin/users?q=tong", headers={**HX, "HX-Target": "user-table"}).get_data(as_text=True)
    assert fragment.lstrip().startswith('<div id="user-table"') and "tongbai" in fragment and "xinye" not in fragment
    fragment = client.get("/admin/users?role=team_leader", headers=HX).get_data(as_text=True)
    assert "leader8" in fragment and "inspector8" not in fragment


def test_create_unit_responder(client, world, login_as):
    login_as("province")
    response = client.post("/admin/users/new", data=new_user())
    assert response.status_code == 302
    user = db.session.execute(sa.select(User).where(User.username == "xinye-ybj")).scalar_one()
    assert user.role == Role.UNIT_RESPONDER and user.region_id == world.xinye.id and user.unit.name == "新野县医保局"
    assert user.check_password("Start2022x")


def test_create_errors_keep_typed_values(client, world, login_as):
    login_as("province")
    response = client.post("/admin/users/new", data=new_user(region_code="411625", password="weak"))
    text = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "密码至少 8 位" in text and 'value="医保局经办人"' in text
    response = client.post("/admin/users/new", data=new_user(region_code="411625"))
    assert response.status_code == 422 and "请选择本县的责任单位" in response.get_data(as_text=True)
    response = client.post("/admin/users/new", data=new_user(role="city_viewer", region_code="411329", unit_id="0"))
    assert "市级查看需要选择所属市级区划" in response.get_data(as_text=True)   # a search picker now, not a typed code
    response = client.post("/admin/users/new", data=new_user(username="xinye"))
    assert "该用户名已被使用" in response.get_data(as_text=True)
    assert db.session.execute(sa.select(User).where(User.username == "xinye-ybj")).first() is None


def test_only_the_system_admin_grants_admin_roles(client, world, login_as):
    login_as("province")
    response = client.post("/admin/users/new", data=new_user(username="boss", role="system_admin", region_code="",
                                                             unit_id="0"))
    assert response.status_code == 422
    assert db.session.execute(sa.select(User).where(User.username == "boss")).first() is None
    assert client.get(f"/admin/users/{world.users['admin'].id}").status_code == 403
    login_as("admin")
    response = client.post("/admin/users/new", data=new_user(username="boss", role="province_admin", region_code="",
                                                             unit_id="0"))
    assert response.status_code == 302
    # Since issue 11 (三权分立) not even the system administrator creates admin-class accounts.
    response = client.post("/admin/users/new", data=new_user(username="boss2", role="audit_admin", region_code="",
                                                             unit_id="0"))
    assert response.status_code == 422
    assert db.session.execute(sa.select(User).where(User.username == "boss2")).first() is None


def test_unit_options_follow_the_typed_county(client, world, login_as):
    login_as("province")
    text = client.get("/admin/users/unit-options?region_code=411330", headers=HX).get_data(as_text=True)
    assert "桐柏县卫健委" in text and "新野县卫健委" not in text


def test_reset_password_ends_sessions(app, client, world, login_as, password):
    victim = app.test_client()
    victim.post("/login", data={"username": "xinye", "password": password})
    assert victim.get("/").status_code == 200
    login_as("admin")
    response = client.post(f"/admin/users/{world.users['xinye'].id}/password", data={"password": "NewPass2022"})
    assert response.status_code == 302
    assert victim.get("/").status_code == 302
    assert db.session.get(User, world.users["xinye"].id).check_password("NewPass2022")


def test_cannot_disable_oneself(client, world, login_as):
    login_as("admin")
    me = world.users["admin"]
    response = client.post(f"/admin/users/{me.id}", data={"display_name": "x", "role": "system_admin",
                                                         "region_code": "", "unit_id": "0"})
    # Since issue 11 no admin-class account acts on its own class: refused before the form is read.
    assert response.status_code == 403
    assert db.session.get(User, me.id).active is True
