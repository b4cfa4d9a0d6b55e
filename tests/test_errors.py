"""The one domain error's handler: the shape of the answer follows the request."""
import json

import pytest

from inspect_app import create_app
from inspect_app.errors import DomainError
from tests.conftest import Config


@pytest.fixture(scope="module")
def raising_client():
    """An app of its own with two routes that raise a DomainError nobody catches."""
    app = create_app(Config)

    def refuse(status):
        raise DomainError("该清单已下发，不能再修改", status=status, field="title")

    app.add_url_rule("/__refuse/<int:status>", "refuse", refuse)
    app.add_url_rule("/api/__refuse/<int:status>", "api_refuse", refuse)
    return app.test_client()


def test_a_page_request_gets_the_error_page_with_the_message_and_status(raising_client):
    response = raising_client.get("/__refuse/409")
    assert response.status_code == 409
    body = response.get_data(as_text=True)
    assert "该清单已下发，不能再修改" in body and "无法完成操作" in body


def test_an_htmx_request_gets_a_toast_with_the_status(raising_client):
    response = raising_client.get("/__refuse/422", headers={"HX-Request": "true"})
    assert response.status_code == 422
    toast = json.loads(response.headers["HX-Trigger"])["toast"][0]
    assert toast == {"level": "error", "message": "该清单已下发，不能再修改"}


def test_the_api_gets_json_naming_the_field(raising_client):
    response = raising_client.get("/api/__refuse/422")
    assert response.status_code == 422
    assert response.get_json() == {"error": "该清单已下发，不能再修改", "field": "title"}


@pytest.mark.parametrize("status", [403, 404])
def test_access_refusals_look_like_any_other_refusal(raising_client, status):
    response = raising_client.get(f"/__refuse/{status}")
    assert response.status_code == status
    assert "该清单已下发" not in response.get_data(as_text=True)   # a refusal never says what exists


def test_the_default_status_is_422():
    error = DomainError("标题不能为空", field="title")
    assert (error.status, error.field, str(error)) == (422, "title", "标题不能为空")
