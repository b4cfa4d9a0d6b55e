"""The import forms after an error (issue 9 point 8): an htmx (boosted) submit keeps the chosen
file in place and says so; a full-page submit names the file to choose again."""
import io

from tests.checklists.factories import make_version
from tests.conftest import HX


def post(client, url, headers=None, **fields):
    """A multipart POST of `fields` (a file is a (stream, name) pair)."""
    return client.post(url, data=fields, headers=headers or {}, content_type="multipart/form-data")


def test_checklist_import_error_names_the_file(client, login_as):
    make_version(publish=True)
    login_as("province")
    fields = dict(template_id="0", name="", label="2023版")
    full = post(client, "/checklists/import", file=(io.BytesIO(b"not xlsx"), "核查表2023.xlsx"), **fields)
    html = full.get_data(as_text=True)
    assert full.status_code == 422 and "请重新选择：核查表2023.xlsx" in html and 'value="2023版"' in html
    boosted = post(client, "/checklists/import", headers={**HX, "HX-Boosted": "true"},
                   file=(io.BytesIO(b"not xlsx"), "核查表2023.xlsx"), **fields)
    html = boosted.get_data(as_text=True)
    assert boosted.status_code == 422 and "已选择的文件仍保留：核查表2023.xlsx" in html
    assert 'hx-preserve="true"' in html and 'enctype="multipart/form-data" novalidate hx-boost="false"' not in html
