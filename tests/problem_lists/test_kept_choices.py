"""A refused merge keeps the ticked findings ticked (issue 9 point 8)."""
import re

from inspect_app.extensions import db
from inspect_app.visits.models import Finding, FindingStatus
from tests.conftest import HX
from tests.problem_lists.factories import list_url


def ticked(html: str) -> set[int]:
    return {int(m.group(1)) for m in re.finditer(r'name="finding_ids" value="(\d+)"[^>]*\schecked', html)}


def test_merge_with_one_finding_ticked_keeps_the_tick(client, login_as, xinye_list):
    camp, (b01, b02, free, c01) = xinye_list
    login_as("leader8")
    res = client.get(list_url(camp, suffix=f"/merge?finding_ids={b02.id}"), headers={**HX, "HX-Target": "merge-step"})
    html = res.get_data(as_text=True)
    assert res.status_code == 422 and "请至少选择两个问题进行合并" in html
    assert res.headers["HX-Retarget"] == "#problem-list" and ticked(html) == {b02.id}


def test_merge_refused_by_the_list_keeps_every_tick(client, login_as, xinye_list):
    """Someone merged one of them meanwhile: the list says why, and the user's ticks stay."""
    camp, (b01, b02, free, c01) = xinye_list
    login_as("leader8")
    other = db.session.get(Finding, c01.id)
    other.status, other.merged_into_id = FindingStatus.MERGED, free.id
    db.session.commit()
    res = client.post(list_url(camp, suffix="/merge"), headers={**HX, "HX-Target": "merge-step"},
                      data={"finding_ids": [b01.id, b02.id, c01.id], "keep_id": b01.id, "description": "合并"})
    html = res.get_data(as_text=True)
    assert res.status_code in (409, 422) and ticked(html) == {b01.id, b02.id}   # c01 is no longer listed
    assert db.session.get(Finding, b02.id).status is FindingStatus.DRAFT


def test_the_list_drawn_afresh_has_nothing_ticked(client, login_as, xinye_list):
    camp, _findings = xinye_list
    login_as("leader8")
    assert ticked(client.get(list_url(camp)).get_data(as_text=True)) == set()
