"""附件：问题照片 in the feedback document (issue 14): each item's own photos, two to a row, captioned
with 问题编号, site, time taken and position, shrunk for print; the draft title word-broken."""
import io
import uuid
from pathlib import Path

from docx import Document
from PIL import Image

from inspect_app.extensions import db
from inspect_app.media.models import Attachment, PhotoStage
from inspect_app.media.service import ingest_photo, storage
from tests.media import images
from tests.problem_lists.factories import list_url

DATA = Path(__file__).resolve().parents[1] / "data"


def _photo(finding, user, data: bytes, name: str):
    photo, _ = ingest_photo(data, finding, user, str(uuid.uuid4()), PhotoStage.BEFORE, filename=name)
    db.session.commit()
    return photo


def _annex(data: bytes):
    """(paragraph texts after 附件, pixel sizes of the embedded images, table cell texts)."""
    document = Document(io.BytesIO(data))
    texts = [p.text for p in document.paragraphs]
    start = texts.index("附件")
    cells = [cell.text.strip() for table in document.tables for row in table.rows for cell in row.cells]
    sizes = []
    for rel in document.part.rels.values():
        if "image" in rel.reltype:
            with Image.open(io.BytesIO(rel.target_part.blob)) as image:
                sizes.append(image.size)
    return texts[start:], sizes, cells


def test_issued_list_ends_with_the_items_photos(client, login_as, world, xinye_list):
    camp, (b01, b02, free, c01) = xinye_list
    inspector = world.users["inspector8"]
    _photo(b02, inspector, images.camera_jpeg(), "IMG_0001.JPG")           # EXIF time and GPS
    _photo(b02, inspector, (DATA / "transparent.png").read_bytes(), "screen.png")   # neither
    _photo(c01, inspector, (DATA / "xmp_test.jpg").read_bytes(), "canon.jpg")
    for stand_in in db.session.query(Attachment).filter_by(finding_id=b01.id):   # their stored files lost
        storage().delete(stand_in.display_key)
    login_as("leader8")
    client.post(list_url(camp, suffix="/issue"), data={"issued_on": "2022-07-25"})
    login_as("xinye")
    response = client.get(list_url(camp, suffix="/feedback.docx"))
    assert response.status_code == 200
    annex, sizes, cells = _annex(response.data)
    assert annex[:4] == ["附件", "", "问题照片", ""]
    headings = [t for t in annex if t.startswith("411329-")]
    # b01's two stand-in photos have no stored file: left out, the document is still made.
    assert headings == [f"411329-2022-002　{b02.site.name}", f"411329-2022-004　{c01.site.name}"]
    assert len(sizes) == 3 and all(max(size) <= 1200 for size in sizes)
    captions = [c for c in cells if c.startswith("问题编号 411329-2022-")]
    assert len(captions) == 3
    assert "拍摄时间 2022-07-10 09:30" in captions[0] and "位置 31.24181°N 121.47007°E" in captions[0]
    assert captions[1].splitlines() == ["问题编号 411329-2022-002", b02.site.name, "无拍摄时间"]   # no position
    assert captions[0].startswith(f"问题编号 411329-2022-002\n{b02.site.name}\n")
    assert len(response.data) < 1_500_000


def test_draft_export_has_the_annex_and_a_word_broken_title(client, login_as, world, xinye_list):
    camp, (b01, b02, free, c01) = xinye_list
    _photo(free, world.users["inspector8"], images.camera_jpeg(), "IMG_0002.JPG")
    for stand_in in db.session.query(Attachment).filter_by(finding_id=b01.id):   # their stored files lost
        storage().delete(stand_in.display_key)
    login_as("leader8")
    response = client.get(list_url(camp, suffix="/feedback.docx"))
    document = Document(io.BytesIO(response.data))
    assert document.paragraphs[0].text == "关于新野县紧密型县域医共体建设\n核查发现问题的反馈清单（讨论稿）"
    assert document.core_properties.title.endswith("反馈清单（讨论稿）")
    annex, sizes, _ = _annex(response.data)
    assert f"411329-2022-003　{free.site.name}" in annex and len(sizes) == 1
    assert "附件：问题照片" in [p.text for p in document.paragraphs]
