"""The org import form after an error (issue 9 point 8): kept in place by htmx, or named to choose again."""
import io

from tests.checklists.test_import_keeps_file import post
from tests.conftest import HX


def test_org_import_error_names_the_file(client, world, login_as):
    login_as("province")
    full = post(client, "/org/import", file=(io.BytesIO(b"x"), "组织架构.xlsx"))
    html = full.get_data(as_text=True)
    assert full.status_code == 422 and "请重新选择：组织架构.xlsx" in html
    kept = post(client, "/org/import", headers={**HX, "HX-Boosted": "true"}, file=(io.BytesIO(b"x"), "组织架构.xlsx"))
    assert "已选择的文件仍保留：组织架构.xlsx" in kept.get_data(as_text=True)
    assert 'id="org-file"' in kept.get_data(as_text=True)
