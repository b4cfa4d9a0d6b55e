"""The 整改台账 export: the columns of domain.md §6, the user's scope and filters, real dates, a summary."""
import datetime as dt
import io
from urllib.parse import unquote

from openpyxl import load_workbook

from inspect_app.documents.workbook import LEDGER_COLUMNS
from inspect_app.rectification.lifecycle import Status
from tests.rectification.factories import make_item, wjw


def workbook(response):
    assert response.status_code == 200
    assert response.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return load_workbook(io.BytesIO(response.data))


def filename(response):
    return unquote(response.headers["Content-Disposition"].split("filename*=UTF-8''")[1])


def test_county_ledger_has_columns_rows_dates_and_summary(client, world, login_as):
    today = dt.datetime.now(dt.timezone(dt.timedelta(hours=8))).date()
    late = make_item(world, status=Status.IN_PROGRESS, unit=wjw(world), person="张三",
                     deadline=today - dt.timedelta(days=3), measures="逐项整改")
    done = make_item(world, status=Status.CLOSED, unit=wjw(world))
    make_item(world, world.tongbai, description="桐柏县的问题")
    login_as("xinye")
    res = client.get("/items/ledger.xlsx")
    assert filename(res) == f"新野县_整改台账_{today.isoformat()}.xlsx"
    assert f'filename="ledger-411329-{today.isoformat()}.xlsx"' in res.headers["Content-Disposition"]
    wb = workbook(res)
    ws = wb["整改台账"]
    assert [c.value for c in ws[1]] == list(LEDGER_COLUMNS)
    assert ws.freeze_panes == "A2"
    rows = {r[1]: dict(zip(LEDGER_COLUMNS, r)) for r in ws.iter_rows(min_row=2, values_only=True)}
    assert set(rows) == {late.number, done.number}
    row = rows[late.number]
    assert row["县(市)"] == "新野县" and row["责任单位"] == "新野县卫健委" and row["责任人"] == "张三"
    assert row["是否超期"] == "是" and row["整改状态"] == "整改中" and row["整改措施"] == "逐项整改"
    assert isinstance(row["完成时限"], dt.datetime) and row["完成时限"].date() == late.deadline
    assert rows[done.number]["销号日期"] is not None
    overdue_row = next(r for r in ws.iter_rows(min_row=2) if r[1].value == late.number)
    assert overdue_row[0].fill.fgColor.rgb.endswith("FFC7CE")
    summary = {r[0]: r[1] for r in wb["汇总"].iter_rows(values_only=True) if r and r[0]}
    assert summary["问题总数"] == 2 and summary["已销号"] == 1 and summary["已超期"] == 1


def test_ledger_honours_filters_and_city_scope(client, world, login_as):
    a = make_item(world)
    b = make_item(world, world.tongbai)
    c = make_item(world, world.dancheng)
    login_as("nanyang")
    res = client.get("/items/ledger.xlsx")
    assert filename(res).startswith("南阳市_整改台账_")
    numbers = {r[1] for r in workbook(res)["整改台账"].iter_rows(min_row=2, values_only=True)}
    assert numbers == {a.number, b.number}
    res = client.get(f"/items/ledger.xlsx?county={world.tongbai.id}")
    assert filename(res).startswith("桐柏县_整改台账_")
    assert {r[1] for r in workbook(res)["整改台账"].iter_rows(min_row=2, values_only=True)} == {b.number}
    login_as("province")
    res = client.get("/items/ledger.xlsx?bucket=open")
    assert filename(res).startswith("全省_整改台账_")
    assert {r[1] for r in workbook(res)["整改台账"].iter_rows(min_row=2, values_only=True)} == {a.number, b.number, c.number}


def test_ledger_of_another_county_is_empty_not_leaked(client, world, login_as):
    make_item(world, world.tongbai)
    login_as("xinye")
    res = client.get(f"/items/ledger.xlsx?county={world.tongbai.id}")
    assert list(workbook(res)["整改台账"].iter_rows(min_row=2, values_only=True)) == []


def test_ledger_forbidden_for_system_admin(client, world, login_as):
    login_as("admin")
    assert client.get("/items/ledger.xlsx").status_code == 403


def test_evidence_count_says_how_many_photos_carry_time_or_place(client, world, login_as):
    """佐证材料数 (issue 14, seen 9): the files, and how many photos carry a capture time or GPS."""
    from tests.conftest import HX
    from tests.media import images
    from tests.rectification.test_evidence_package import located_photo

    item = make_item(world, status=Status.IN_PROGRESS, unit=wjw(world))
    bare = make_item(world, status=Status.IN_PROGRESS, unit=wjw(world))
    login_as("xinye-wjw")
    files = [(io.BytesIO(located_photo()), "定位.jpg"), (io.BytesIO(images.noisy_jpeg()), "无信息.jpg"),
             (io.BytesIO(images.pdf()), "方案.pdf")]
    response = client.post(f"/items/{item.id}/actions/post_progress", headers=HX, content_type="multipart/form-data",
                           data={"version": "1", "text": "已整改", "files": files})
    assert response.status_code == 200
    login_as("xinye")
    rows = {r[1]: dict(zip(LEDGER_COLUMNS, r)) for r in
            workbook(client.get("/items/ledger.xlsx"))["整改台账"].iter_rows(min_row=2, values_only=True)}
    assert rows[item.number]["佐证材料数"] == "3（照片2张，1张含拍摄时间/位置）"
    assert rows[bare.number]["佐证材料数"] == 0


def test_ledger_title_names_the_campaign_apart_from_the_county(client, world, login_as):
    from inspect_app.campaigns.models import Campaign
    from inspect_app.extensions import db

    item = make_item(world)
    name = db.session.get(Campaign, item.campaign_id).name
    login_as("xinye")
    wb = workbook(client.get(f"/items/ledger.xlsx?campaign={item.campaign_id}"))
    assert wb["汇总"]["A1"].value == f"新野县整改台账（{name}）"
    assert wb["整改台账"].oddHeader.center.text == f"新野县整改台账（{name}）"
    assert wb["整改台账"].oddFooter.center.text == "第 &P 页 共 &N 页"
