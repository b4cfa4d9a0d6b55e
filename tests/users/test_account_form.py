"""The account form (issue 10 point 11): no default role, every message Chinese, and the region
found by active search on the division tree instead of a typed code."""
import re

import pytest
import sqlalchemy as sa

from inspect_app.auth.models import User
from inspect_app.extensions import db
from tests.conftest import HX
from tests.users.test_routes import new_user


def errors(html: str) -> list[str]:
    return re.findall(r'<p class="error">([^<]*)</p>', html)


def selected_role(html: str) -> str | None:
    select = re.search(r'<select[^>]*name="role".*?</select>', html, re.S).group(0)
    chosen = re.findall(r'<option[^>]*selected[^>]*value="([^"]*)"|<option[^>]*value="([^"]*)"[^>]*selected', select)
    return next(("".join(pair) for pair in chosen), None)


def test_new_account_form_has_no_default_role(client, world, login_as):
    login_as("admin")
    html = client.get("/admin/users/new").get_data(as_text=True)
    select = re.search(r'<select[^>]*name="role".*?</select>', html, re.S).group(0)
    assert re.search(r'<option[^>]*value=""[^>]*>请选择角色</option>', select)
    assert selected_role(html) in (None, "")          # the prompt, never 系统管理员
    assert "required" in select.split(">")[0]


@pytest.mark.parametrize("role, message", [("", "请选择角色"), ("superuser", "请选择角色"),
                                           ("system_admin", "您无权授予该角色，请重新选择")])
def test_role_missing_or_not_grantable_says_so_in_chinese(client, world, login_as, role, message):
    login_as("province")
    res = client.post("/admin/users/new", data=new_user(role=role))
    html = res.get_data(as_text=True)
    assert res.status_code == 422 and message in errors(html)
    assert "Not a valid choice" not in html and 'value="医保局经办人"' in html
    assert db.session.execute(sa.select(User).where(User.username == "xinye-ybj")).first() is None


def test_every_message_of_the_form_is_chinese(client, world, login_as):
    login_as("province")
    bad = [new_user(role="", username="", display_name="", password="weak"),
           new_user(display_name="名" * 65, organisation="处" * 129, unit_id="abc", region_code="41",
                    region_search="区" * 65),
           new_user(role="nonsense", unit_id="abc")]
    seen = []
    for data in bad:
        res = client.post("/admin/users/new", data=data)
        assert res.status_code == 422
        seen += errors(res.get_data(as_text=True))
    assert {"请选择角色", "请填写用户名", "请填写姓名", "姓名最多 64 个字", "单位/处室最多 128 个字",
            "请从搜索结果中选择所属区划", "搜索内容最多 64 个字"} <= set(seen)
    assert seen and all(not re.search(r"[A-Za-z]{3,}", message) for message in seen), seen


def test_region_search_by_name_lists_the_division_with_its_path(client, world, login_as):
    login_as("province")
    res = client.get("/admin/users/regions?region_search=新野", headers=HX)
    html = res.get_data(as_text=True)
    assert res.status_code == 200 and html.lstrip().startswith("{#") is False
    assert 'data-region-code="411329"' in html and 'data-region-label="河南省 南阳市 新野县 411329"' in html
    assert "桐柏县" not in html


def test_region_search_by_code_and_by_code_prefix(client, world, login_as):
    login_as("province")
    exact = client.get("/admin/users/regions?region_search=411329", headers=HX).get_data(as_text=True)
    assert re.findall(r'data-region-code="(\d+)"', exact) == ["411329"]
    prefix = re.findall(r'data-region-code="(\d+)"',
                        client.get("/admin/users/regions?region_search=4113", headers=HX).get_data(as_text=True))
    assert prefix[0] == "411300" and "411329" in prefix and "411330" in prefix   # the city first


def test_region_search_follows_the_chosen_role(client, world, login_as):
    login_as("province")

    def codes(query):
        html = client.get(f"/admin/users/regions?{query}", headers=HX).get_data(as_text=True)
        return re.findall(r'data-region-code="(\d+)"', html)

    assert codes("region_search=4113&role=city_viewer") == ["411300"]
    assert "411300" not in codes("region_search=4113&role=county_coordinator")
    assert "411329" in codes("region_search=4113&role=unit_responder")


def test_region_search_empty_or_unknown(client, world, login_as):
    login_as("province")
    assert "region-option" not in client.get("/admin/users/regions?region_search=", headers=HX).get_data(as_text=True)
    none = client.get("/admin/users/regions?region_search=不存在的县", headers=HX).get_data(as_text=True)
    assert "没有找到“不存在的县”" in none


def test_region_search_is_for_account_admins_only(client, world, login_as):
    login_as("xinye")
    assert client.get("/admin/users/regions?region_search=新野", headers=HX).status_code == 403


@pytest.mark.parametrize("code, search", [("411329", "河南省 南阳市 新野县 411329"),   # picked from the list
                                          ("", "新野")])    # no JavaScript: the only match is taken
def test_the_region_saved_is_the_picked_or_only_match(client, world, login_as, code, search):
    login_as("province")
    res = client.post("/admin/users/new", data=new_user(region_code=code, region_search=search))
    assert res.status_code == 302
    user = db.session.execute(sa.select(User).where(User.username == "xinye-ybj")).scalar_one()
    assert user.region_id == world.xinye.id


def test_a_search_that_finds_several_asks_to_choose_and_keeps_the_text(client, world, login_as):
    login_as("province")
    res = client.post("/admin/users/new", data=new_user(role="county_coordinator", region_code="",
                                                        region_search="4113", unit_id="0"))
    html = res.get_data(as_text=True)
    assert res.status_code == 422 and "县级联络员需要选择所属县级区划" in html and 'value="4113"' in html


def test_edit_form_shows_the_accounts_region_label(client, world, login_as):
    login_as("admin")
    html = client.get(f"/admin/users/{world.users['xinye'].id}").get_data(as_text=True)
    assert 'value="河南省 南阳市 新野县 411329"' in html
    assert re.search(r'<input[^>]*name="region_code"[^>]*value="411329"|<input[^>]*value="411329"[^>]*name="region_code"', html)
    assert selected_role(html) == "county_coordinator"
