"""Issue 9: a checklist draft's inline item edit carries its draft key and the edit link names it."""
from tests.checklists.factories import make_version
from tests.checklists.test_routes import at_row, first_item


def test_item_edit_and_its_link_share_the_draft_key(client, login_as):
    version = make_version()
    item = first_item(version)
    login_as("province")
    assert f'data-draft-opens="checklist-item-{item.id}"' in client.get(f"/checklists/versions/{version.id}") \
        .get_data(as_text=True)
    body = client.get(f"/checklists/items/{item.id}/edit", headers=at_row(item)).get_data(as_text=True)
    assert f'data-draft-key="checklist-item-{item.id}"' in body and "data-draft-cancel" in body
