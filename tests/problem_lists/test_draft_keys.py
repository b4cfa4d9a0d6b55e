"""Issue 9: the problem list's wording edit carries its draft key and the edit button names it."""
from tests.conftest import HX


def test_wording_edit_and_its_button_share_the_draft_key(client, login_as, xinye_list):
    camp, (b01, *_rest) = xinye_list
    login_as("leader8")
    page = client.get(f"/problem-lists/{camp.id}/411329").get_data(as_text=True)
    assert f'data-draft-opens="pl-finding-{b01.id}"' in page
    form = client.get(f"/problem-lists/findings/{b01.id}/edit", headers={**HX, "HX-Target": f"finding-{b01.id}"})
    body = form.get_data(as_text=True)
    assert f'data-draft-key="pl-finding-{b01.id}"' in body and "data-draft-cancel" in body
