"""No silent overwrites of a draft finding's wording in the problem list (issue 9, point 7).

Two leaders edit the same wording: the second save, drawn from the older version, answers 409, writes
nothing, shows the saved wording beside the user's own (which stays in the form, now at the saved
version) and saves once the user has merged by hand.
"""
import re

import sqlalchemy as sa

from inspect_app.audit.models import AuditEvent
from inspect_app.extensions import db
from inspect_app.locking import MISSING_MESSAGE, STALE_MESSAGE
from inspect_app.problem_lists.service import MERGE_STALE_MESSAGE
from inspect_app.visits.models import Finding
from tests.conftest import HX
from tests.locking import client_for, race
from tests.problem_lists.factories import edit_data, list_url, merge_versions


def wording(finding, description, **extra):
    """A full inline-edit post of `finding` with this description (other fields as saved)."""
    values = {"description": description, "category": "管理共同体", "severity": "serious",
              "rectification_type": "immediate", "deadline": "", "suggested_measures": "明确人员编制，集中办公"}
    return edit_data(finding, {**values, **extra})


def audit_count() -> int:
    return db.session.execute(sa.select(sa.func.count(AuditEvent.id))).scalar_one()


def saved(finding_id) -> Finding:
    db.session.expire_all()
    return db.session.get(Finding, finding_id)


def test_stale_save_is_refused_and_shows_both_texts(client, login_as, xinye_list):
    _camp, (b01, *_rest) = xinye_list
    login_as("leader8")
    url = f"/problem-lists/findings/{b01.id}"
    headers = {**HX, "HX-Target": f"finding-{b01.id}"}
    first = client.post(url, headers=headers, data=wording(b01, "一办六部未实体化运行，6 个部室仅 2 个有专人"))
    assert first.status_code == 200 and saved(b01.id).version == 2
    events = audit_count()

    stale = client.post(url, headers=headers, data=wording(b01, "一办六部人员未到岗，办公室无专职人员", version=1))
    html = stale.get_data(as_text=True)
    assert stale.status_code == 409, html
    assert STALE_MESSAGE in html and "leader8 于" in html      # who saved last, from the audit trail
    assert "一办六部未实体化运行，6 个部室仅 2 个有专人" in html   # the saved text, beside …
    assert re.search(r"<textarea[^>]*>\s*一办六部人员未到岗，办公室无专职人员</textarea>", html)  # … the user's own
    assert f'name="f{b01.id}-version" type="hidden" value="2"' in html  # the next save is judged against 2
    assert html.count("data-conflict-saved=") == 1        # only the description differs
    row = saved(b01.id)
    assert row.description == "一办六部未实体化运行，6 个部室仅 2 个有专人" and row.version == 2
    assert audit_count() == events                         # a refused save writes nothing

    merged = client.post(url, headers=headers, data=wording(b01, "一办六部未实体化运行，6 个部室仅 2 个有专人，办公室无专职人员",
                                                            version=2))
    assert merged.status_code == 200
    row = saved(b01.id)
    assert row.description.endswith("办公室无专职人员") and row.version == 3
    assert audit_count() == events + 1


def test_fresh_save_bumps_the_version_and_an_unchanged_save_does_not(client, login_as, xinye_list):
    _camp, (b01, *_rest) = xinye_list
    login_as("leader8")
    url = f"/problem-lists/findings/{b01.id}"
    assert client.post(url, headers=HX, data=wording(b01, "一办六部未实体化运行，人员未到岗")).status_code == 200
    assert saved(b01.id).version == 1                      # nothing changed: nothing written
    assert client.post(url, headers=HX, data=wording(b01, "一办六部未实体化运行")).status_code == 200
    assert saved(b01.id).version == 2


def test_save_without_version_is_refused(client, login_as, xinye_list):
    _camp, (b01, *_rest) = xinye_list
    login_as("leader8")
    response = client.post(f"/problem-lists/findings/{b01.id}", headers=HX, data=wording(b01, "新的表述", version=""))
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and MISSING_MESSAGE in html and "新的表述" in html
    assert f'name="f{b01.id}-version" type="hidden" value="1"' in html
    assert saved(b01.id).description == "一办六部未实体化运行，人员未到岗"


def test_edit_form_carries_the_version(client, login_as, xinye_list):
    _camp, (b01, *_rest) = xinye_list
    login_as("leader8")
    html = client.get(f"/problem-lists/findings/{b01.id}/edit", headers=HX).get_data(as_text=True)
    assert f'name="f{b01.id}-version" type="hidden" value="1"' in html


def test_parallel_wording_saves_exactly_one_wins(app, world, xinye_list):
    """Two leaders press 保存 on the same version at the same moment: one 200, one 409, never 500."""
    _camp, (b01, *_rest) = xinye_list
    url = f"/problem-lists/findings/{b01.id}"
    posts = [(client_for(app, world.users[name]), url, wording(b01, f"{name} 的表述", version=1))
             for name in ("leader8", "province")]
    results = race(app, posts)
    assert sorted(code for code, _ in results) == [200, 409], [code for code, _ in results]
    winner = next(name for name, (code, _) in zip(("leader8", "province"), results) if code == 200)
    loser_html = next(html for code, html in results if code == 409)
    assert STALE_MESSAGE in loser_html and f"{winner} 的表述" in loser_html
    row = saved(b01.id)
    assert row.description == f"{winner} 的表述" and row.version == 2


def test_merge_over_an_edited_finding_is_refused(client, login_as, xinye_list):
    """The merge step was drawn before b02's wording changed: merging would bury that edit."""
    camp, (b01, b02, *_rest) = xinye_list
    login_as("leader8")
    step_versions = merge_versions(b01, b02)
    assert client.post(f"/problem-lists/findings/{b02.id}", headers=HX, data=edit_data(b02, {
        "description": "财务未实行统一管理，账户仍各自开设", "category": "管理共同体", "severity": "general",
        "rectification_type": "deadline", "deadline": "2022-08-31", "suggested_measures": ""})).status_code == 200
    events = audit_count()
    response = client.post(list_url(camp, suffix="/merge"), headers={**HX, "HX-Target": "merge-step"}, data={
        "finding_ids": [b01.id, b02.id], "keep_id": b01.id, "description": "我写的合并后描述", **step_versions})
    html = response.get_data(as_text=True)
    assert response.status_code == 409 and MERGE_STALE_MESSAGE in html and "leader8 于" in html
    assert "账户仍各自开设" in html and "我写的合并后描述</textarea>" in html   # their edit shown, my text kept
    assert f'name="version-{b02.id}" value="2"' in html                       # the next try is judged against it
    db.session.expire_all()
    assert db.session.get(Finding, b02.id).status.value == "draft" and audit_count() == events
    again = client.post(list_url(camp, suffix="/merge"), headers={**HX, "HX-Target": "merge-step"}, data={
        "finding_ids": [b01.id, b02.id], "keep_id": b01.id, "description": "我写的合并后描述",
        **merge_versions(b01, b02)})
    assert again.status_code == 200 and saved(b01.id).description == "我写的合并后描述"


def test_merge_without_versions_is_refused(client, login_as, xinye_list):
    camp, (b01, b02, *_rest) = xinye_list
    login_as("leader8")
    response = client.post(list_url(camp, suffix="/merge"), headers={**HX, "HX-Target": "merge-step"}, data={
        "finding_ids": [b01.id, b02.id], "keep_id": b01.id, "description": "合并"})
    assert response.status_code == 422 and MISSING_MESSAGE in response.get_data(as_text=True)
    assert saved(b02.id).status.value == "draft"
