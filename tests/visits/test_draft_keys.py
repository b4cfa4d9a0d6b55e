"""Issue 9: the visit screen's typed-text forms carry their draft key (static/js/drafts.js keeps
them under it), and the buttons that open them name the same key so a waiting draft can be reopened."""
from tests.conftest import HX
from tests.visits import factories as f


def test_visit_screen_forms_and_openers_share_their_draft_keys(client, world, login_as):
    version = f.make_version(n_items=2)
    item = f.items_of(version)[0]
    visit = f.make_visit(f.office_site(world.xinye), world.users["inspector8"])
    f.answer_items(visit, [item], result=f.AnswerResult.NONCONFORMING)
    finding = f.make_finding(visit, item)
    login_as("inspector8")
    page = client.get(f"/visits/{visit.id}").get_data(as_text=True)
    assert f'data-draft-key="answer-{visit.id}-{item.id}"' in page
    assert f'data-draft-opens="finding-new-{visit.id}-free"' in page
    assert f'data-draft-opens="finding-new-{visit.id}-{item.id}"' in page
    assert f'data-draft-opens="finding-edit-{finding.id}"' in page

    new_free = client.get(f"/visits/{visit.id}/findings/new", headers=HX).get_data(as_text=True)
    assert f'data-draft-key="finding-new-{visit.id}-free"' in new_free and "记录问题（其他问题）" in new_free
    new_item = client.get(f"/visits/{visit.id}/findings/new?item={item.id}", headers=HX).get_data(as_text=True)
    assert f'data-draft-key="finding-new-{visit.id}-{item.id}"' in new_item and "data-draft-cancel" not in new_item
    edit = client.get(f"/visits/findings/{finding.id}/edit", headers=HX).get_data(as_text=True)
    assert f'data-draft-key="finding-edit-{finding.id}"' in edit and "data-draft-cancel" in edit


def test_a_read_only_visit_keeps_no_drafts(client, world, login_as):
    f.make_version(n_items=2)
    visit = f.make_visit(f.office_site(world.xinye), world.users["inspector8"], status=f.VisitStatus.SUBMITTED)
    login_as("inspector8")
    assert "data-draft-key" not in client.get(f"/visits/{visit.id}").get_data(as_text=True)
