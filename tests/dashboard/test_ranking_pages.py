"""显示全部县 pages the county ranking instead of sending every county of the province at once."""
import re

from inspect_app.dashboard import routes
from tests.rectification.factories import make_item


def test_show_all_pages_the_ranking(client, login_as, world, monkeypatch):
    for county in (world.xinye, world.tongbai, world.dancheng):
        make_item(world, county)
    monkeypatch.setattr(routes, "RANKING_LIMIT", 1)
    monkeypatch.setattr(routes, "RANKING_PAGE", 2)
    login_as("province")
    names = ("新野县", "桐柏县", "郸城县")
    first = client.get("/dashboard/?all=1&campaign=all").get_data(as_text=True)
    ranking = first.split('id="ranking-pager"')[0]
    assert "第 1 / 2 页，共 3 个" in first
    second = client.get("/dashboard/?all=1&rank_page=2&campaign=all").get_data(as_text=True)
    assert "第 2 / 2 页，共 3 个" in second
    ranks = re.findall(r'<td class="num">(\d)</td>\s*<td><a href="/dashboard/county/', ranking)
    ranks += re.findall(r'<td class="num">(\d)</td>\s*<td><a href="/dashboard/county/', second.split('id="ranking-pager"')[0])
    assert sorted(ranks) == ["1", "2", "3"]            # each county once, across the two pages
    assert all(name in first + second for name in names)
