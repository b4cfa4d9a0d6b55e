"""No silent overwrites of org rows (issue 9, point 7): sites, responsible units and 医共体 edited
inline, and rows an import changed while an edit form was open."""
import pytest
import sqlalchemy as sa

from inspect_app.extensions import db
from inspect_app.locking import MISSING_MESSAGE
from inspect_app.org.importer import import_workbook
from inspect_app.org.models import MedicalCommunity, ResponsibleUnit, Site
from tests.conftest import HX
from tests.locking import assert_stale_view, audit_count, client_for, race
from tests.org.test_import import workbook


def _site(world):
    site = world.site(world.xinye)
    return site, {"name": site.name, "kind_id": site.kind_id, "community_id": site.community_id or 0,
                  "address": "", "active": "y"}


def _unit(world):
    unit = db.session.execute(sa.select(ResponsibleUnit).where(ResponsibleUnit.county_id == world.xinye.id)
                              .order_by(ResponsibleUnit.id)).scalars().first()
    return unit, {"name": unit.name, "category": unit.category.value, "active": "y"}


def _community(world):
    community = db.session.execute(sa.select(MedicalCommunity).where(
        MedicalCommunity.county_id == world.xinye.id)).scalars().first()
    return community, {"name": community.name, "lead_hospital": community.lead_hospital}


ROWS = {"sites": (_site, "xinye", "address"), "units": (_unit, "xinye", "name"),
        "communities": (_community, "province", "lead_hospital")}


def saved(model, ident):
    db.session.expire_all()
    return db.session.get(model, ident)


@pytest.mark.parametrize("entity", ROWS)
def test_stale_row_edit_is_refused_and_keeps_the_users_text(client, login_as, world, entity):
    make, username, text_field = ROWS[entity]
    obj, values = make(world)
    model = type(obj)
    login_as(username)
    url = f"/org/{entity}/{obj.id}"
    assert 'name="version" type="hidden" value="1"' in client.get(url + "/edit", headers=HX).get_data(as_text=True)
    assert client.post(url, headers=HX, data={**values, text_field: "他人保存的内容", "version": 1}).status_code == 200
    events = audit_count()
    stale = client.post(url, headers=HX, data={**values, text_field: "我填写的内容", "version": 1})
    html = assert_stale_view(stale, {text_field: "他人保存的内容"}, ["我填写的内容"])
    assert html.lstrip().startswith(f'<tr id="{entity}-{obj.id}" class="editing"')
    assert 'name="version" type="hidden" value="2"' in html
    row = saved(model, obj.id)
    assert getattr(row, text_field) == "他人保存的内容" and row.version == 2 and audit_count() == events
    again = client.post(url, headers=HX, data={**values, text_field: "我合并后的内容", "version": 2})
    assert again.status_code == 200 and saved(model, obj.id).version == 3 and audit_count() == events + 1


def test_row_edit_without_version_is_refused(client, login_as, world):
    site, values = _site(world)
    login_as("xinye")
    response = client.post(f"/org/sites/{site.id}", headers=HX, data={**values, "address": "没有版本"})
    assert response.status_code == 422 and MISSING_MESSAGE in response.get_data(as_text=True)
    assert "没有版本" in response.get_data(as_text=True) and saved(Site, site.id).address == ""


def test_an_import_moves_the_version_so_an_open_form_cannot_undo_it(client, login_as, world):
    site, values = _site(world)
    report = import_workbook(workbook(核查点位=[["411329", site.name, site.kind.name, "", "导入的地址"]]))
    assert report.errors == [] and saved(Site, site.id).version == 2
    login_as("xinye")
    stale = client.post(f"/org/sites/{site.id}", headers=HX, data={**values, "address": "表单里的地址", "version": 1})
    assert_stale_view(stale, {"address": "导入的地址"}, ["表单里的地址"])
    assert saved(Site, site.id).address == "导入的地址"


def test_parallel_row_edits_exactly_one_wins(app, world):
    site, values = _site(world)
    url = f"/org/sites/{site.id}"
    results = race(app, [(client_for(app, world.users["xinye"]), url, {**values, "address": f"地址{n}", "version": 1})
                         for n in (1, 2)])
    assert sorted(code for code, _ in results) == [200, 409], [code for code, _ in results]
    row = saved(Site, site.id)
    assert row.version == 2 and row.address in ("地址1", "地址2")
