"""County list, county panels, inline editing and their audit trail."""
import sqlalchemy as sa

from inspect_app.audit.models import AuditEvent
from inspect_app.extensions import db
from inspect_app.org.models import ResponsibleUnit, Site, SiteKind
from tests.conftest import HX


def test_county_list_full_page_and_active_search_fragment(client, world, login_as):
    login_as("province")
    page = client.get("/org/counties").get_data(as_text=True)
    assert "<html" in page and "新野县" in page and "郸城县" in page
    response = client.get("/org/counties?q=新野", headers={**HX, "HX-Target": "county-table"})
    fragment = response.get_data(as_text=True)
    assert "<html" not in fragment and fragment.lstrip().startswith('<div id="county-table"')
    assert "新野县" in fragment and "郸城县" not in fragment
    assert "HX-Request" in response.headers["Vary"]


def test_boosted_navigation_gets_the_full_page(client, world, login_as):
    login_as("province")
    text = client.get("/org/counties", headers={**HX, "HX-Boosted": "true"}).get_data(as_text=True)
    assert "<html" in text


def test_search_by_code_and_city_filter(client, world, login_as):
    login_as("province")
    text = client.get("/org/counties?q=411625", headers=HX).get_data(as_text=True)
    assert "郸城县" in text and "新野县" not in text
    text = client.get("/org/counties?city=411300", headers=HX).get_data(as_text=True)
    assert "新野县" in text and "桐柏县" in text and "郸城县" not in text


def test_county_list_pages(client, world, login_as):
    login_as("province")
    from tests.factories import make_county
    for i in range(25):
        make_county(f"4116{50 + i:02d}", f"测试县{i:02d}", world.zhoukou, sites=())
    db.session.commit()
    first = client.get("/org/counties", headers=HX).get_data(as_text=True)
    assert "第 1 / 2 页" in first and "下一页" in first
    second = client.get("/org/counties?page=2", headers=HX).get_data(as_text=True)
    assert "第 2 / 2 页" in second


def test_county_page_lists_sites_and_panels_swap(client, world, login_as):
    login_as("xinye")
    page = client.get("/org/counties/411329").get_data(as_text=True)
    assert "新野县远程心电诊断中心" in page and "新增核查点位" in page
    panel = client.get("/org/counties/411329/units", headers={**HX, "HX-Target": "panel"}).get_data(as_text=True)
    assert panel.lstrip().startswith('<section id="panel"') and "新野县卫健委" in panel
    rows = client.get("/org/counties/411329/sites?q=心电", headers={**HX, "HX-Target": "sites-rows"})
    text = rows.get_data(as_text=True)
    assert text.lstrip().startswith('<div id="sites-rows"') and "心电" in text and "管理办公室" not in text


def test_viewers_get_no_edit_controls(client, world, login_as):
    login_as("nanyang")
    page = client.get("/org/counties/411329").get_data(as_text=True)
    assert "新增核查点位" not in page and "编辑" not in page


def _kind(code):
    return db.session.execute(sa.select(SiteKind).where(SiteKind.code == code)).scalar_one()


def test_create_site_records_audit(client, world, login_as):
    login_as("xinye")
    response = client.post("/org/counties/411329/sites", headers={**HX, "HX-Target": "panel"}, data={
        "name": "新野县王庄镇卫生院", "kind_id": _kind("township_center").id, "community_id": 0, "address": "王庄镇"})
    assert response.status_code == 200 and "新野县王庄镇卫生院" in response.get_data(as_text=True)
    assert "toast" in response.headers["HX-Trigger"]
    site = db.session.execute(sa.select(Site).where(Site.name == "新野县王庄镇卫生院")).scalar_one()
    assert site.county_id == world.xinye.id
    event = db.session.execute(sa.select(AuditEvent).where(AuditEvent.action == "sites.create")).scalar_one()
    assert event.username == "xinye" and event.after["name"] == "新野县王庄镇卫生院" and event.county_id == world.xinye.id


def test_invalid_create_keeps_typed_text_and_saves_nothing(client, world, login_as):
    login_as("xinye")
    before = db.session.scalar(sa.select(sa.func.count()).select_from(Site))
    response = client.post("/org/counties/411329/sites", headers={**HX, "HX-Target": "panel"}, data={
        "name": "", "kind_id": 0, "community_id": 0, "address": "我输入的地址"})
    text = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "请填写点位名称" in text and "请选择点位类型" in text and "我输入的地址" in text
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Site)) == before


def test_duplicate_site_name_is_refused_in_chinese(client, world, login_as):
    login_as("xinye")
    existing = world.site(world.xinye)
    response = client.post("/org/counties/411329/sites", headers=HX, data={
        "name": existing.name, "kind_id": existing.kind_id, "community_id": 0})
    assert response.status_code == 422
    assert f"新野县已有同名的核查点位“{existing.name}”" in response.get_data(as_text=True)


def test_site_from_another_county_community_is_refused(client, world, login_as):
    login_as("province")
    from inspect_app.org.models import MedicalCommunity
    other = db.session.execute(sa.select(MedicalCommunity).where(
        MedicalCommunity.county_id == world.dancheng.id)).scalar_one()
    response = client.post("/org/counties/411329/sites", headers=HX, data={
        "name": "跨县点位", "kind_id": _kind("office").id, "community_id": other.id})
    assert response.status_code == 422


def test_inline_edit_round_trip(client, world, login_as):
    login_as("xinye")
    site = world.site(world.xinye)
    form = client.get(f"/org/sites/{site.id}/edit", headers=HX).get_data(as_text=True)
    assert form.lstrip().startswith(f'<tr id="sites-{site.id}"') and 'name="name"' in form
    response = client.post(f"/org/sites/{site.id}", headers=HX, data={
        "name": "新野县医共体办公室（改）", "kind_id": site.kind_id, "community_id": 0, "address": "书院路1号",
        "active": "y", "version": site.version})
    text = response.get_data(as_text=True)
    assert response.status_code == 200 and text.lstrip().startswith(f'<tr id="sites-{site.id}"')
    assert "新野县医共体办公室（改）" in text and "书院路1号" in text and "<input" not in text
    event = db.session.execute(sa.select(AuditEvent).where(AuditEvent.action == "sites.update")).scalar_one()
    assert event.before["address"] == "" and event.after["address"] == "书院路1号"
    assert "name" in event.after and event.before["name"] != event.after["name"]


def test_inline_edit_error_keeps_typed_text(client, world, login_as):
    login_as("xinye")
    site = world.site(world.xinye)
    response = client.post(f"/org/sites/{site.id}", headers=HX, data={
        "name": "", "kind_id": site.kind_id, "community_id": 0, "address": "保留我"})
    assert response.status_code == 422
    text = response.get_data(as_text=True)
    assert "请填写点位名称" in text and "保留我" in text
    assert db.session.get(Site, site.id).address == ""


def test_unchanged_save_writes_no_audit(client, world, login_as):
    login_as("xinye")
    site = world.site(world.xinye)
    client.post(f"/org/sites/{site.id}", headers=HX, data={
        "name": site.name, "kind_id": site.kind_id, "community_id": site.community_id, "address": "", "active": "y"})
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent)
                             .where(AuditEvent.action == "sites.update")) == 0


def test_coordinator_adds_a_responsible_unit(client, world, login_as):
    login_as("xinye")
    response = client.post("/org/counties/411329/units", headers=HX, data={"name": "新野县教育局", "category": "government"})
    assert response.status_code == 200
    assert db.session.execute(sa.select(ResponsibleUnit).where(ResponsibleUnit.name == "新野县教育局")).scalar_one()


def test_province_admin_adds_a_site_kind(client, world, login_as):
    login_as("province")
    response = client.post("/org/site-kinds", data={"code": "elderly_care", "name": "医养结合机构", "group": "institution"})
    assert response.status_code == 302
    assert "医养结合机构" in client.get("/org/site-kinds").get_data(as_text=True)
    response = client.post("/org/site-kinds", data={"code": "elderly_care", "name": "重复", "group": "institution"})
    assert response.status_code == 422 and "该代码已存在" in response.get_data(as_text=True)
    login_as("xinye")
    assert client.post("/org/site-kinds", data={"code": "x", "name": "y", "group": "institution"}).status_code == 403
