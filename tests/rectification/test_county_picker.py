"""The items filter's county picker searches (htmx active search, ≤ 20 options) instead of listing
every county of the province, and offers only counties in the user's scope."""
import re

from inspect_app.extensions import db
from inspect_app.org.models import RegionLevel
from tests.conftest import HX
from tests.factories import make_region

OPTION = re.compile(r'<input type="radio" name="county" value="(\d+)"')


def options(client, q, **args):
    response = client.get("/items/county-options", query_string={"picker": "items-county", "county_q": q, **args},
                          headers=HX)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert html.lstrip().startswith('<div id="items-county-options"')
    return [int(v) for v in OPTION.findall(html) if v != "0"], html


def test_picker_offers_only_counties_in_scope(client, login_as, world):
    login_as("nanyang")                                   # a city viewer: 南阳's counties only
    found, _html = options(client, "县")
    assert set(found) == {world.xinye.id, world.tongbai.id}
    assert options(client, "郸城")[0] == []              # 周口's county, outside the scope
    assert options(client, "411625")[0] == []
    assert options(client, "4113")[0] == [world.xinye.id, world.tongbai.id]   # by code prefix
    _found, html = options(client, "", county=world.dancheng.id)
    assert f'value="{world.dancheng.id}"' not in html     # a chosen county outside the scope is ignored
    login_as("province")
    assert options(client, "郸城")[0] == [world.dancheng.id]


def test_picker_sends_at_most_twenty_options_and_keeps_the_chosen_one(client, login_as, world):
    extra = [make_region(f"4116{n:02d}", f"测试{n:02d}县", RegionLevel.COUNTY, world.zhoukou) for n in range(40, 70)]
    db.session.commit()
    login_as("province")
    found, html = options(client, "测试")
    assert len(found) == 20 and "仅列出前 20 个" in html
    found, html = options(client, "测试", county=extra[-1].id)
    assert extra[-1].id in found and re.search(rf'value="{extra[-1].id}" checked', html)
    page = client.get("/items/").get_data(as_text=True)
    assert OPTION.findall(page) == ["0"] and "请在上方输入名称或代码查找" in page   # nothing typed: no list
    assert 'hx-get="/items/county-options?picker=items-county"' in page
    assert client.get("/items/county-options?picker=other", headers=HX).status_code == 404


def test_picker_is_not_shown_to_county_roles_and_needs_sign_in(client, login_as, world):
    assert client.get("/items/county-options?picker=items-county", headers=HX).status_code == 401
    login_as("xinye")
    assert "county-picker" not in client.get("/items/").get_data(as_text=True)
    assert options(client, "")[0] == [world.xinye.id]     # the route still answers only their county
