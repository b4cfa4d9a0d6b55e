"""Evidence packages (issue 14, seen 2): a ZIP per county and per item of evidence files and photos,
a folder per 问题编号, an index workbook for 整改材料归档, access by scope, an audit row per download."""
import io
import uuid
import zipfile

import openpyxl
import sqlalchemy as sa
from PIL import Image

from inspect_app.audit.models import AuditEvent
from inspect_app.documents.evidence_package import INDEX_COLUMNS, INDEX_NAME
from inspect_app.extensions import db
from inspect_app.media import processing, storage
from inspect_app.media.models import Attachment, AttachmentKind, PhotoStage
from inspect_app.rectification.lifecycle import Status
from tests.conftest import HX
from tests.media import images
from tests.rectification.factories import make_item, other_unit, wjw

GPS = {1: "N", 2: (30.0, 37.0, 39.54), 3: "E", 4: (119.0, 44.0, 19.572)}


def located_photo() -> bytes:
    return images.jpeg(640, 480, exif=images.make_exif(taken="2024:05:07 09:33:04", offset="+08:00", gps=GPS))


def post_evidence(client, item, *named):
    response = client.post(f"/items/{item.id}/actions/post_progress", headers=HX, content_type="multipart/form-data",
                           data={"version": str(item.version), "text": "已整改",
                                 "files": [(io.BytesIO(data), name) for name, data in named]})
    assert response.status_code == 200, response.get_data(as_text=True)


def before_photo(app, world, item):
    processed = processing.process_image(images.noisy_jpeg())
    keys = storage.store_processed(storage.FileStorage(app.config["UPLOAD_FOLDER"]), processed)
    db.session.add(Attachment(uuid=str(uuid.uuid4()), kind=AttachmentKind.PHOTO, stage=PhotoStage.BEFORE,
                              county_id=item.county_id, finding_id=item.finding_id, sha256=processed.sha256,
                              mime="image/jpeg", display_key=keys["display"], thumb_key=keys["thumb"],
                              filename="核查现场.jpg", uploaded_by_id=world.users["inspector8"].id))
    db.session.commit()


def unzip(response):
    assert response.status_code == 200, response.status_code
    assert response.mimetype == "application/zip" and response.headers["Cache-Control"] == "private, no-store"
    return zipfile.ZipFile(io.BytesIO(response.data))


def index_rows(archive):
    ws = openpyxl.load_workbook(io.BytesIO(archive.read(INDEX_NAME))).active
    return [dict(zip(INDEX_COLUMNS, r)) for r in ws.iter_rows(min_row=3, values_only=True)]


def test_county_package_has_folders_files_and_index(client, world, login_as, app):
    item = make_item(world, status=Status.IN_PROGRESS, unit=wjw(world))
    empty = make_item(world, status=Status.IN_PROGRESS, unit=wjw(world))
    make_item(world, world.tongbai)
    before_photo(app, world, item)
    login_as("xinye-wjw")
    post_evidence(client, item, ("现场.jpg", located_photo()), ("现场.jpg", images.camera_jpeg()),
                  ("整改方案.pdf", images.pdf()))
    login_as("xinye")
    archive = unzip(client.get(f"/items/evidence/county/{world.xinye.id}.zip"))
    assert archive.testzip() is None
    folder = item.number
    assert sorted(n for n in archive.namelist() if n.startswith(folder)) == sorted([
        f"{folder}/整改前照片_核查现场.jpg", f"{folder}/整改后照片_现场.jpg", f"{folder}/整改后照片_现场（2）.jpg",
        f"{folder}/佐证文件_整改方案.pdf"])
    assert all(info.flag_bits & 0x800 for info in archive.infolist())
    assert archive.read(f"{folder}/佐证文件_整改方案.pdf") == images.pdf()
    shown = Image.open(io.BytesIO(archive.read(f"{folder}/整改后照片_现场.jpg")))
    assert shown.format == "JPEG" and not shown.getexif()          # the display copy: no camera EXIF handed out
    rows = index_rows(archive)
    assert {r["问题编号"] for r in rows} == {item.number, empty.number}         # 桐柏县 is not in 新野县's package
    located = next(r for r in rows if r["文件"] == f"{folder}/整改后照片_现场.jpg")
    assert located["拍摄时间"].strftime("%Y-%m-%d %H:%M") == "2024-05-07 09:33"
    assert located["GPS"] == "30.62765°N 119.73877°E" and located["类型"] == "整改后照片"
    assert located["责任单位"] == "新野县卫健委" and located["状态"] == "整改中" and located["上传人"]
    assert next(r for r in rows if r["问题编号"] == empty.number)["文件"] == "（无佐证材料）"
    event = db.session.execute(sa.select(AuditEvent).where(AuditEvent.action == "export.evidence_package")).scalar_one()
    assert event.county_id == world.xinye.id and event.object_id == "411329" and event.summary == "下载整改材料包（2个问题，4个文件）"
    assert event.username == "xinye"


def test_item_package_and_scope(client, world, login_as, app):
    item = make_item(world, status=Status.IN_PROGRESS, unit=wjw(world))
    login_as("xinye-wjw")
    post_evidence(client, item, ("整改方案.pdf", images.pdf()))
    archive = unzip(client.get(f"/items/{item.id}/evidence.zip"))
    assert archive.namelist() == [f"{item.number}/佐证文件_整改方案.pdf", INDEX_NAME]
    login_as("tongbai")
    assert client.get(f"/items/{item.id}/evidence.zip").status_code == 404
    assert client.get(f"/items/evidence/county/{world.xinye.id}.zip").status_code == 404
    for username in ("leader8", "nanyang", "province"):       # the team, the city, the province
        login_as(username)
        assert f"{item.number}/佐证文件_整改方案.pdf" in unzip(client.get(f"/items/evidence/county/{world.xinye.id}.zip")).namelist()
    login_as("leader8")
    assert client.get(f"/items/evidence/county/{world.dancheng.id}.zip").status_code == 404   # not the team's county
    login_as("admin")
    assert client.get(f"/items/evidence/county/{world.xinye.id}.zip").status_code == 403
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent)
                             .where(AuditEvent.action == "export.evidence_package")) == 4


def test_unit_responder_package_holds_only_their_units_items(client, world, login_as):
    mine = make_item(world, status=Status.IN_PROGRESS, unit=wjw(world))
    theirs = make_item(world, status=Status.IN_PROGRESS, unit=other_unit(world))
    login_as("xinye-wjw")
    numbers = {r["问题编号"] for r in index_rows(unzip(client.get(f"/items/evidence/county/{world.xinye.id}.zip")))}
    assert mine.number in numbers and theirs.number not in numbers


def test_campaign_filter_and_links(client, world, login_as):
    item = make_item(world, status=Status.IN_PROGRESS, unit=wjw(world))
    login_as("xinye")
    html = client.get("/items/").get_data(as_text=True)
    assert f"/items/evidence/county/{world.xinye.id}.zip" in html
    assert f"/items/{item.id}/evidence.zip" in client.get(f"/items/{item.id}").get_data(as_text=True)
    rows = index_rows(unzip(client.get(f"/items/evidence/county/{world.xinye.id}.zip?campaign={item.campaign_id + 999}")))
    assert rows == []
    login_as("province")
    assert "/items/evidence/county/" not in client.get("/items/").get_data(as_text=True)   # pick a county first
    assert f"/items/evidence/county/{world.xinye.id}.zip" in client.get(f"/items/?county={world.xinye.id}").get_data(as_text=True)


def test_a_missing_stored_file_does_not_break_the_package(client, world, login_as, app):
    item = make_item(world, status=Status.IN_PROGRESS, unit=wjw(world))
    login_as("xinye-wjw")
    post_evidence(client, item, ("整改方案.pdf", images.pdf()))
    doc = db.session.execute(sa.select(Attachment)).scalar_one()
    storage.FileStorage(app.config["UPLOAD_FOLDER"]).delete(doc.file_key)
    archive = unzip(client.get(f"/items/{item.id}/evidence.zip"))
    assert archive.namelist() == [INDEX_NAME]
    assert index_rows(archive)[0]["文件"].endswith("（文件缺失）")
