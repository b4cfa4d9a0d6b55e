"""Issue 9: every typed-text form of an item carries its draft key (item-<id>-<action>, the
milestone form, the bulk acceptance opinion), and each action button names the key it opens."""
from inspect_app.rectification.lifecycle import Status
from inspect_app.visits.models import RectificationType
from tests.conftest import HX
from tests.rectification.factories import make_item, wjw


def test_action_forms_and_their_buttons_share_draft_keys(client, world, login_as):
    item = make_item(world, status=Status.IN_PROGRESS, unit=wjw(world), rectification_type=RectificationType.LONG_TERM)
    login_as("xinye-wjw")
    page = client.get(f"/items/{item.id}").get_data(as_text=True)
    for action in ("write_measures", "post_progress", "request_extension", "comment"):
        assert f'data-draft-opens="item-{item.id}-{action}"' in page
        form = client.get(f"/items/{item.id}/actions/{action}", headers=HX).get_data(as_text=True)
        assert f'data-draft-key="item-{item.id}-{action}"' in form and "data-draft-cancel" in form
    assert f'data-draft-key="item-{item.id}-milestone"' in page
    full = client.get(f"/items/{item.id}/actions/post_progress").get_data(as_text=True)
    assert f'data-draft-key="item-{item.id}-post_progress"' in full and f"{item.number} 报送整改进展" in full


def test_return_reason_and_bulk_opinion_have_draft_keys(client, world, login_as):
    item = make_item(world, status=Status.SUBMITTED, unit=wjw(world))
    login_as("leader8")
    form = client.get(f"/items/{item.id}/actions/return", headers=HX).get_data(as_text=True)
    assert f'data-draft-key="item-{item.id}-return"' in form and 'name="reason"' in form
    assert 'data-draft-key="review-bulk-accept"' in client.get("/items/review").get_data(as_text=True)
