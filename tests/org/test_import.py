"""XLSX import of regions, 医共体 and sites (all-or-nothing, idempotent) and the division codes."""
import io

import pytest
import sqlalchemy as sa
from openpyxl import Workbook, load_workbook

from inspect_app.audit.models import AuditEvent
from inspect_app.extensions import db
from inspect_app.org.divisions import import_divisions, is_development_zone
from inspect_app.org.importer import SHEETS, import_workbook, template_workbook
from inspect_app.org.models import MedicalCommunity, Region, RegionLevel, Site, Township


def workbook(**sheets) -> bytes:
    book = Workbook()
    book.remove(book.active)
    for title, rows in sheets.items():
        sheet = book.create_sheet(title)
        sheet.append(SHEETS[title])
        for row in rows:
            sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


GOOD = dict(
    行政区划=[["411328", "唐河县", "县", "411300"]],
    医共体=[["411328", "唐河县人民医院医共体", "唐河县人民医院"]],
    核查点位=[["411328", "唐河县远程影像诊断中心", "远程影像诊断中心", "唐河县人民医院医共体", "滨河路"],
              ["411329", "新野县溧河铺镇卫生院", "乡镇卫生院/社区卫生服务中心", "", ""]],
)


def counts():
    return tuple(db.session.scalar(sa.select(sa.func.count()).select_from(m)) for m in (Region, MedicalCommunity, Site))


def test_good_file_imports_and_second_import_changes_nothing(world):
    before = counts()
    report = import_workbook(workbook(**GOOD))
    assert report.errors == []
    assert report.created == {"行政区划": 1, "医共体": 1, "核查点位": 2}
    assert counts() == (before[0] + 1, before[1] + 1, before[2] + 2)
    site = db.session.execute(sa.select(Site).where(Site.name == "唐河县远程影像诊断中心")).scalar_one()
    assert site.county.code == "411328" and site.community.name == "唐河县人民医院医共体" and site.address == "滨河路"
    audit_rows = db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent))
    again = import_workbook(workbook(**GOOD))
    assert again.errors == [] and again.changed == 0
    assert again.unchanged == {"行政区划": 1, "医共体": 1, "核查点位": 2}
    assert counts() == (before[0] + 1, before[1] + 1, before[2] + 2)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent)) == audit_rows


def test_bad_rows_are_reported_row_by_row_and_nothing_is_imported(world):
    before = counts()
    report = import_workbook(workbook(
        医共体=[["411328", "某医共体", "某医院"], ["999999", "无效县医共体", "医院"]],
        核查点位=[["411329", "好点位", "远程心电诊断中心", "", ""],
                  ["411329", "", "远程心电诊断中心", "", ""],
                  ["411329", "坏类型点位", "卫生室", "", ""],
                  ["411329", "好点位", "远程心电诊断中心", "", ""],
                  ["411329", "无医共体点位", "远程心电诊断中心", "不存在的医共体", ""]],
    ))
    assert report.errors == [
        "第 2 行（医共体）「县区划代码」：“411328”不是已有的县级区划代码",
        "第 3 行（医共体）「县区划代码」：“999999”不是已有的县级区划代码",
        "第 3 行（核查点位）「点位名称」：不能为空",
        "第 4 行（核查点位）「点位类型」：无法识别“卫生室”，应为已有的点位类型名称",
        "第 5 行（核查点位）「点位名称」：“好点位”在本表中重复",
        "第 6 行（核查点位）「所属医共体」：本县没有名为“不存在的医共体”的医共体",
    ]
    assert counts() == before


def test_missing_columns_and_non_xlsx_files(world):
    book = Workbook()
    book.active.title = "核查点位"
    book.active.append(["县区划代码", "点位名称"])
    buffer = io.BytesIO()
    book.save(buffer)
    assert import_workbook(buffer.getvalue()).errors == ["工作表「核查点位」缺少列：点位类型、所属医共体、地址"]
    assert import_workbook(b"not a spreadsheet").errors == ["文件不是有效的 Excel（.xlsx）文件"]
    empty = Workbook()
    buffer = io.BytesIO()
    empty.save(buffer)
    assert "没有可导入的工作表" in import_workbook(buffer.getvalue()).errors[0]


def test_template_has_the_three_sheets():
    book = load_workbook(io.BytesIO(template_workbook()))
    assert book.sheetnames == list(SHEETS)
    assert [c.value for c in book["核查点位"][1]] == SHEETS["核查点位"]


def test_import_screen_reports_errors_and_success(client, world, login_as):
    login_as("province")
    bad = client.post("/org/import", data={"file": (io.BytesIO(workbook(医共体=[["1", "", ""]])), "坏.xlsx")},
                      content_type="multipart/form-data")
    assert bad.status_code == 422 and "未导入" in bad.get_data(as_text=True)
    good = client.post("/org/import", data={"file": (io.BytesIO(workbook(**GOOD)), "组织.xlsx")},
                       content_type="multipart/form-data")
    assert good.status_code == 200 and "导入完成" in good.get_data(as_text=True)
    wrong_type = client.post("/org/import", data={"file": (io.BytesIO(b"x"), "组织.csv")},
                             content_type="multipart/form-data")
    assert wrong_type.status_code == 422 and "只能导入 .xlsx" in wrong_type.get_data(as_text=True)


def test_division_codes_from_the_npm_package(app):
    counts = import_divisions(app.config["DIVISIONS_DIR"], "41")
    henan = db.session.execute(sa.select(Region).where(Region.code == "410000")).scalar_one()
    assert henan.name == "河南省" and henan.level == RegionLevel.PROVINCE
    xinye = db.session.execute(sa.select(Region).where(Region.code == "411329")).scalar_one()
    assert xinye.name == "新野县" and xinye.parent.code == "411300" and xinye.parent.name == "南阳市"
    assert db.session.execute(sa.select(Region).where(Region.code == "411371")).first() is None  # 开发区
    townships = db.session.execute(sa.select(Township).where(Township.county_id == xinye.id)
                                   .order_by(Township.code)).scalars().all()
    assert townships[0].name == "汉城街道"
    assert townships[0].health_centre_name == "新野县汉城街道社区卫生服务中心"
    assert any(t.health_centre_name == "新野县王庄镇卫生院" for t in townships)
    nanyang_counties = db.session.scalar(sa.select(sa.func.count()).select_from(Region)
                                         .where(Region.parent_id == xinye.parent_id))
    assert nanyang_counties == 13  # 2 districts + 10 counties + 邓州市
    again = import_divisions(app.config["DIVISIONS_DIR"], "41")
    assert again.inserted == 0 and again.updated == 0 and again.unchanged == counts.inserted
    assert import_divisions(app.config["DIVISIONS_DIR"], "41", include_dev_zones=True).inserted >= 2


def test_development_zone_rule():
    assert is_development_zone("411371") and not is_development_zone("411329") and not is_development_zone("411381")


@pytest.mark.parametrize("province, city, name", [("44", "441900", "东莞市"), ("44", "442000", "中山市"),
                                                   ("46", "460400", "儋州市")])
def test_a_city_without_counties_gets_a_county_twin_under_it(app, province, city, name):
    """The statistical list repeats 东莞/中山/儋州's city code as their one county-level row: before, the
    row became its own parent (CircularDependencyError on flush). Now the county hangs under the city."""
    counts = import_divisions(app.config["DIVISIONS_DIR"], province)
    parent = db.session.execute(sa.select(Region).where(Region.code == city)).scalar_one()
    assert parent.level == RegionLevel.CITY and parent.name == name
    twin = db.session.execute(sa.select(Region).where(Region.parent_id == parent.id)).scalar_one()
    assert twin.level == RegionLevel.COUNTY and twin.name == name and twin.code == city[:4] + "99"
    assert twin.parent_id != twin.id
    streets = db.session.scalar(sa.select(sa.func.count()).select_from(Township).where(Township.county_id == twin.id))
    assert streets > 10
    again = import_divisions(app.config["DIVISIONS_DIR"], province)
    assert again.inserted == 0 and again.updated == 0 and again.unchanged == counts.inserted
