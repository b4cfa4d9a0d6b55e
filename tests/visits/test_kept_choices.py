"""A refused new finding keeps its queued photos and their count (issue 9 point 8): the photo input
and the "已选 N 张" line come back with their ids and hx-preserve, so htmx keeps the live ones."""
import re

import pytest

from tests.conftest import HX
from tests.visits import factories as f


@pytest.fixture
def visit(world):
    f.make_version(n_items=3)
    return f.make_visit(f.office_site(world.xinye), world.users["inspector8"])


def tag(html: str, marker: str) -> str:
    return re.search(rf"<[a-z]+[^>]*{marker}[^>]*>", html).group(0)


def test_refused_new_finding_keeps_the_photo_input_and_its_count(client, login_as, visit):
    login_as("inspector8")
    form = client.get(f"/visits/{visit.id}/findings/new", headers=HX).get_data(as_text=True)
    res = client.post(f"/visits/{visit.id}/findings", headers=HX, data={
        "uuid": f.new_uuid(), "description": "", "category": "责任共同体", "severity": "serious",
        "rectification_type": "deadline", "deadline": "2030-08-10"})
    html = res.get_data(as_text=True)
    assert res.status_code == 422 and "请填写问题描述" in html
    for marker in ("data-pending-photos", "data-pending-count"):
        before, after = tag(form, marker), tag(html, marker)
        assert 'hx-preserve="true"' in after
        assert re.search(r'id="([^"]+)"', before).group(1) == re.search(r'id="([^"]+)"', after).group(1)
