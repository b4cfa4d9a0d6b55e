"""Checklist service: versions from dicts, XLSX round trip, frozen published versions, copies,
items per site kind, the default template."""
import io
from datetime import date

import openpyxl
import pytest
import sqlalchemy as sa
from sqlalchemy import event

from inspect_app.audit.models import AuditEvent
from inspect_app.checklists import service
from inspect_app.checklists.models import (CheckMethod, ChecklistItem, ChecklistVersion, ChecklistTemplate,
                                           VersionStatus)
from inspect_app.errors import DomainError
from inspect_app.extensions import db
from inspect_app.org.models import SiteKind
from tests.checklists.factories import make_version, small_template


def kind(code) -> SiteKind:
    return db.session.execute(sa.select(SiteKind).where(SiteKind.code == code)).scalar_one()


def audit_actions() -> list[str]:
    return list(db.session.execute(sa.select(AuditEvent.action).order_by(AuditEvent.id)).scalars())


class QueryCounter:
    """Counts SQL statements sent to the database while active."""

    def __init__(self):
        self.count = 0

    def __call__(self, *args, **kwargs):
        self.count += 1

    def __enter__(self):
        event.listen(db.engine, "before_cursor_execute", self)
        return self

    def __exit__(self, *exc):
        event.remove(db.engine, "before_cursor_execute", self)


def test_create_version_from_dict_maps_kinds_and_methods(world):
    version = make_version()
    assert version.status == VersionStatus.DRAFT
    items = service.version_items(version.id)
    assert [i.code for i in items] == ["A01", "A02", "A03", "B01", "B02", "B03"]
    assert items[0].method == CheckMethod.DOCUMENTS
    assert [k.code for k in items[0].site_kinds] == ["office", "center_ecg"]
    assert "checklist_version.create" in audit_actions()


def test_create_version_refuses_unknown_site_kind_and_writes_nothing(world):
    data = small_template()
    data["sections"][0]["items"][0]["site_kinds"] = ["no_such_kind"]
    with pytest.raises(DomainError) as info:
        service.create_version_from_dict("测试核查表", "2022版", data, world.users["province"])
    assert "未知的点位类型" in info.value.message
    assert db.session.execute(sa.select(sa.func.count(ChecklistVersion.id))).scalar() == 0
    assert db.session.execute(sa.select(sa.func.count(ChecklistTemplate.id))).scalar() == 0


def test_duplicate_label_is_refused(world):
    make_version()
    with pytest.raises(DomainError) as info:
        make_version()
    assert info.value.field == "label" and "已有版本" in info.value.message


def test_xlsx_round_trip_creates_an_equal_draft(world):
    original = make_version(publish=True)
    data = service.export_xlsx(original)
    template = db.session.get(ChecklistTemplate, original.template_id)
    draft, errors = service.import_xlsx(data, template, "2023版", world.users["province"])
    assert errors == []
    assert draft.status == VersionStatus.DRAFT and draft.template_id == original.template_id
    a, b = service.version_to_dict(original), service.version_to_dict(draft)
    assert a["sections"] == b["sections"] and b["version_label"] == "2023版"


def _bad_workbook(original) -> bytes:
    wb = openpyxl.load_workbook(io.BytesIO(service.export_xlsx(original)))
    ws = wb["核查表"]
    headers = [c.value for c in ws[1]]
    ws.cell(row=3, column=headers.index("核查方法") + 1, value="看资料")
    ws.cell(row=5, column=headers.index("适用点位类型") + 1, value="火星基地")
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def test_bad_xlsx_reports_rows_in_chinese_and_imports_nothing(world):
    original = make_version(publish=True)
    versions_before = db.session.execute(sa.select(sa.func.count(ChecklistVersion.id))).scalar()
    items_before = db.session.execute(sa.select(sa.func.count(ChecklistItem.id))).scalar()
    draft, errors = service.import_xlsx(_bad_workbook(original), None, "2023版", world.users["province"])
    assert draft is None
    assert any(e.startswith("第 3 行") and "看资料" in e for e in errors)
    assert any(e.startswith("第 5 行") and "火星基地" in e for e in errors)
    assert db.session.execute(sa.select(sa.func.count(ChecklistVersion.id))).scalar() == versions_before
    assert db.session.execute(sa.select(sa.func.count(ChecklistItem.id))).scalar() == items_before


def test_not_an_xlsx_is_refused(world):
    draft, errors = service.import_xlsx(b"not a workbook", None, "2023版", world.users["province"])
    assert draft is None and errors and "xlsx" in errors[0].lower()


def _values(item, **changes):
    values = {"section_id": item.section_id, "code": item.code, "content": item.content, "method": "onsite",
              "site_kind_ids": [k.id for k in item.site_kinds], "photo_required": True, "weight": 3.0,
              "veto": False, "guidance": ""}
    values.update(changes)
    return values


def test_published_version_refuses_every_edit_with_409(world):
    version = make_version(publish=True)
    item = service.version_items(version.id)[0]
    user = world.users["province"]
    for attempt in (lambda: service.update_item(item, _values(item, content="改动"), user, item.version),
                    lambda: service.add_item(version, _values(item, code="A99"), user),
                    lambda: service.delete_item(item, user, item.version),
                    lambda: service.publish(version, user, version.version)):
        with pytest.raises(DomainError) as info:
            attempt()
        assert info.value.status == 409 and "已发布" in info.value.message
    db.session.expire_all()
    assert db.session.get(ChecklistItem, item.id).content == "责任共同体核查内容第1条"
    assert len(service.version_items(version.id)) == 6


def test_draft_edits_are_audited(world):
    version = make_version()
    item = service.version_items(version.id)[0]
    user = world.users["province"]
    service.update_item(item, _values(item, content="新的核查内容", site_kind_ids=[kind("township_center").id]), user,
                        item.version)
    assert item.content == "新的核查内容" and [k.code for k in item.site_kinds] == ["township_center"]
    added = service.add_item(version, _values(item, code="A04"), user)
    assert added.position == 3
    service.delete_item(added, user, added.version)
    assert audit_actions()[-3:] == ["checklist_item.update", "checklist_item.create", "checklist_item.delete"]


def test_item_code_clash_and_empty_site_kinds_are_refused(world):
    version = make_version()
    first, second = service.version_items(version.id)[:2]
    with pytest.raises(DomainError) as info:
        service.update_item(second, _values(second, code=first.code), world.users["province"], 1)
    assert info.value.field == "code"
    with pytest.raises(DomainError) as info:
        service.update_item(second, _values(second, site_kind_ids=[]), world.users["province"], 1)
    assert info.value.field == "site_kind_ids"


def test_copy_as_draft_is_independent_of_the_published_version(world):
    published = make_version(publish=True)
    before = service.version_to_dict(published)
    copy = service.copy_as_draft(published, "2023版", world.users["province"])
    assert copy.status == VersionStatus.DRAFT and copy.id != published.id
    copied = service.version_items(copy.id)
    assert {i.id for i in copied}.isdisjoint({i.id for i in service.version_items(published.id)})
    service.update_item(copied[0], _values(copied[0], content="2023年新标准"), world.users["province"], 1)
    service.delete_item(copied[1], world.users["province"], 1)
    service.publish(copy, world.users["province"], copy.version)
    db.session.expire_all()
    assert service.version_to_dict(db.session.get(ChecklistVersion, published.id)) == before
    assert "checklist_version.copy" in audit_actions()


def test_items_for_site_kind_returns_applicable_items_in_order(world):
    version = make_version(n_items=3)
    ecg = service.items_for_site_kind(version.id, kind("center_ecg").id)
    assert [i.code for i in ecg] == ["A01", "A02", "A03", "B01", "B02"]
    assert [i.section.code for i in ecg] == ["A", "A", "A", "B", "B"]
    clinic = service.items_for_site_kind(version.id, kind("village_clinic").id)
    assert [i.code for i in clinic] == ["B03"]
    assert service.items_for_site_kind(version.id, kind("gov_department").id) == []


def _queries_for(version_id, kind_id) -> int:
    db.session.expire_all()
    with QueryCounter() as counter:
        items = service.items_for_site_kind(version_id, kind_id)
        titles = [i.section.title for i in items]
    assert titles
    return counter.count


def test_items_for_site_kind_query_count_does_not_grow_with_items(world):
    small = make_version("小", n_items=2)
    large = make_version("大", n_items=30)
    ecg = kind("center_ecg").id
    assert _queries_for(small.id, ecg) == _queries_for(large.id, ecg) == 1


def test_ensure_default_checklist_is_idempotent(world):
    version = service.ensure_default_checklist()
    assert version.frozen and version.template.name == "紧密型县域医共体建设核查表（示例）"
    assert len(service.version_items(version.id)) == 65
    events = len(audit_actions())
    again = service.ensure_default_checklist()
    assert again.id == version.id and len(audit_actions()) == events
    assert db.session.execute(sa.select(sa.func.count(ChecklistVersion.id))).scalar() == 1


def test_export_filename_drops_the_example_suffix(world):
    version = service.ensure_default_checklist()
    name = service.export_filename(version, date(2022, 7, 25))
    assert name.display == "紧密型县域医共体建设核查表_2022版_2022-07-25.xlsx"
    assert name.ascii == f"checklist-v{version.id}-2022-07-25.xlsx"
