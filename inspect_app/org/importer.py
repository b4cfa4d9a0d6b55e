"""Importing regions, 医共体 and sites from one XLSX workbook, all or nothing.

Sheets (any may be absent, at least one must be present):
- 行政区划: 区划代码 · 名称 · 级别(省/市/县) · 上级区划代码
- 医共体:   县区划代码 · 医共体名称 · 牵头医院
- 核查点位: 县区划代码 · 点位名称 · 点位类型 · 所属医共体 · 地址

Every row is validated before anything is written; one bad row means nothing is imported, and the
errors come back row by row in Chinese. Rows are matched by natural keys (code; county + name), so
importing the same file twice changes nothing.
"""
import io
import re
from dataclasses import dataclass, field

import sqlalchemy as sa
from openpyxl import Workbook, load_workbook

from inspect_app import locking
from inspect_app.audit.service import record
from inspect_app.documents.text import printable
from inspect_app.documents.xlsx_guard import MSG_NOT_XLSX, RejectedWorkbook, check_xlsx
from inspect_app.extensions import db
from inspect_app.org.models import MedicalCommunity, Region, RegionLevel, Site, SiteKind

SHEETS = {
    "行政区划": ["区划代码", "名称", "级别", "上级区划代码"],
    "医共体": ["县区划代码", "医共体名称", "牵头医院"],
    "核查点位": ["县区划代码", "点位名称", "点位类型", "所属医共体", "地址"],
}
# The columns' lengths (a longer cell failed on PostgreSQL with StringDataRightTruncation); 地址 has its own check.
CELL_LIMITS = {"名称": 64, "医共体名称": 128, "牵头医院": 128, "点位名称": 128}
LEVELS = {"省": RegionLevel.PROVINCE, "市": RegionLevel.CITY, "县": RegionLevel.COUNTY}
PARENT_LEVEL = {RegionLevel.CITY: RegionLevel.PROVINCE, RegionLevel.COUNTY: RegionLevel.CITY}


@dataclass
class ImportReport:
    errors: list[str] = field(default_factory=list)
    created: dict[str, int] = field(default_factory=lambda: {s: 0 for s in SHEETS})
    updated: dict[str, int] = field(default_factory=lambda: {s: 0 for s in SHEETS})
    unchanged: dict[str, int] = field(default_factory=lambda: {s: 0 for s in SHEETS})

    @property
    def changed(self) -> int:
        return sum(self.created.values()) + sum(self.updated.values())


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    # The text rule (single line: names and codes); cells can carry _x000B_-style escapes.
    return printable(str(value), multiline=False).strip()


def _rows(sheet, header: list[str], report: ImportReport):
    """Yield (row number, dict) for non-empty rows; report a wrong header once."""
    rows = sheet.iter_rows(values_only=True)
    first = [_cell(v) for v in next(rows, ())]
    missing = [h for h in header if h not in first]
    if missing:
        report.errors.append(f"工作表「{sheet.title}」缺少列：{'、'.join(missing)}")
        return
    index = {name: first.index(name) for name in header}
    for number, row in enumerate(rows, start=2):
        values = {name: _cell(row[i]) if i < len(row) else "" for name, i in index.items()}
        for name, limit in CELL_LIMITS.items():
            if len(values.get(name, "")) > limit:
                report.errors.append(f"第 {number} 行（{sheet.title}）「{name}」：不超过 {limit} 字")
        if any(values.values()):
            yield number, values


def template_workbook() -> bytes:
    """An empty workbook with the three sheets and an example row each."""
    book = Workbook()
    book.remove(book.active)
    examples = {"行政区划": ["411329", "新野县", "县", "411300"],
                "医共体": ["411329", "新野县人民医院医共体", "新野县人民医院"],
                "核查点位": ["411329", "新野县远程心电诊断中心", "远程心电诊断中心", "新野县人民医院医共体", ""]}
    for title, header in SHEETS.items():
        sheet = book.create_sheet(title)
        sheet.append(header)
        sheet.append(examples[title])
        sheet.freeze_panes = "A2"
        for column in "ABCDE":
            sheet.column_dimensions[column].width = 24
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def import_workbook(data: bytes, user=None) -> ImportReport:
    """Validate the whole workbook, then apply it in one transaction (or not at all)."""
    report = ImportReport()
    try:
        check_xlsx(data)
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except RejectedWorkbook as rejected:
        report.errors.append(rejected.message)
        return report
    except Exception:  # noqa: BLE001 - openpyxl fails on damaged parts with every kind of exception
        report.errors.append(MSG_NOT_XLSX)
        return report
    present = [name for name in SHEETS if name in book.sheetnames]
    if not present:
        report.errors.append(f"工作簿中没有可导入的工作表（应为：{'、'.join(SHEETS)}）")
        return report

    regions = {r.code: r for r in db.session.execute(sa.select(Region)).scalars()}
    kinds = db.session.execute(sa.select(SiteKind)).scalars().all()
    kind_by_name = {k.name: k for k in kinds} | {k.code: k for k in kinds}
    plan_regions, plan_communities, plan_sites = [], [], []
    levels = {code: r.level for code, r in regions.items()}

    def err(sheet, number, column, message):
        report.errors.append(f"第 {number} 行（{sheet}）「{column}」：{message}")

    if "行政区划" in present:
        seen = set()
        for number, row in _rows(book["行政区划"], SHEETS["行政区划"], report):
            code, name, level_text, parent = row["区划代码"], row["名称"], row["级别"], row["上级区划代码"]
            level = LEVELS.get(level_text.rstrip("级"))
            if not re.fullmatch(r"\d{6}", code):
                err("行政区划", number, "区划代码", f"“{code}”不是 6 位数字的区划代码")
                continue
            if code in seen:
                err("行政区划", number, "区划代码", f"“{code}”在本表中重复")
            seen.add(code)
            if not name:
                err("行政区划", number, "名称", "不能为空")
            if level is None:
                err("行政区划", number, "级别", f"无法识别“{level_text}”，应为 省、市 或 县")
                continue
            if level != RegionLevel.PROVINCE and levels.get(parent) != PARENT_LEVEL[level]:
                err("行政区划", number, "上级区划代码",
                    f"“{parent}”不是已有的{'省' if level == RegionLevel.CITY else '市'}级区划")
                continue
            levels[code] = level
            plan_regions.append((code, name, level, parent))

    def county_code_ok(sheet, number, code):
        if levels.get(code) != RegionLevel.COUNTY:
            err(sheet, number, "县区划代码", f"“{code}”不是已有的县级区划代码")
            return False
        return True

    communities_in_file = set()
    if "医共体" in present:
        for number, row in _rows(book["医共体"], SHEETS["医共体"], report):
            code, name, lead = row["县区划代码"], row["医共体名称"], row["牵头医院"]
            ok = county_code_ok("医共体", number, code)
            if not name:
                err("医共体", number, "医共体名称", "不能为空")
                ok = False
            elif (code, name) in communities_in_file:
                err("医共体", number, "医共体名称", f"“{name}”在本表中重复")
                ok = False
            if not lead:
                err("医共体", number, "牵头医院", "不能为空")
                ok = False
            if ok:
                communities_in_file.add((code, name))
                plan_communities.append((code, name, lead))

    existing_communities = {(c.county.code, c.name) for c in
                            db.session.execute(sa.select(MedicalCommunity)).scalars()}
    if "核查点位" in present:
        sites_in_file = set()
        for number, row in _rows(book["核查点位"], SHEETS["核查点位"], report):
            code, name, kind_text = row["县区划代码"], row["点位名称"], row["点位类型"]
            community = row["所属医共体"]
            ok = county_code_ok("核查点位", number, code)
            if not name:
                err("核查点位", number, "点位名称", "不能为空")
                ok = False
            elif (code, name) in sites_in_file:
                err("核查点位", number, "点位名称", f"“{name}”在本表中重复")
                ok = False
            kind = kind_by_name.get(kind_text)
            if kind is None:
                err("核查点位", number, "点位类型", f"无法识别“{kind_text}”，应为已有的点位类型名称")
                ok = False
            if community and (code, community) not in existing_communities | communities_in_file:
                err("核查点位", number, "所属医共体", f"本县没有名为“{community}”的医共体")
                ok = False
            if len(row["地址"]) > 255:
                err("核查点位", number, "地址", "不超过 255 字")
                ok = False
            if ok:
                sites_in_file.add((code, name))
                plan_sites.append((code, name, kind, community, row["地址"]))

    if report.errors:
        return report
    _apply(report, regions, plan_regions, plan_communities, plan_sites)
    if report.changed:
        record("org.import", object_type="Workbook", user=user,
               after={"created": report.created, "updated": report.updated},
               summary=f"Excel 导入组织架构：新增 {sum(report.created.values())}，更新 {sum(report.updated.values())}")
    db.session.commit()
    return report


def _apply(report, regions, plan_regions, plan_communities, plan_sites) -> None:
    """Write the validated plan; counts what was created, updated and left as it was."""
    for code, name, level, parent in plan_regions:
        region = regions.get(code)
        parent_region = regions.get(parent) if parent else None
        if region is None:
            regions[code] = Region(code=code, name=name, level=level, parent=parent_region)
            db.session.add(regions[code])
            report.created["行政区划"] += 1
        elif (region.name, region.level, region.parent) != (name, level, parent_region):
            region.name, region.level, region.parent = name, level, parent_region
            locking.bump(region)   # an edit form opened before the import must not undo it
            report.updated["行政区划"] += 1
        else:
            report.unchanged["行政区划"] += 1
    db.session.flush()

    communities = {(c.county.code, c.name): c for c in
                   db.session.execute(sa.select(MedicalCommunity)).scalars()}
    for code, name, lead in plan_communities:
        community = communities.get((code, name))
        if community is None:
            community = MedicalCommunity(county_id=regions[code].id, name=name, lead_hospital=lead)
            db.session.add(community)
            communities[(code, name)] = community
            report.created["医共体"] += 1
        elif community.lead_hospital != lead:
            community.lead_hospital = lead
            locking.bump(community)
            report.updated["医共体"] += 1
        else:
            report.unchanged["医共体"] += 1
    db.session.flush()

    sites = {(s.county.code, s.name): s for s in db.session.execute(sa.select(Site)).scalars()}
    for code, name, kind, community_name, address in plan_sites:
        community = communities.get((code, community_name)) if community_name else None
        values = {"kind_id": kind.id, "community_id": community.id if community else None,
                  "address": address}
        site = sites.get((code, name))
        if site is None:
            db.session.add(Site(county_id=regions[code].id, name=name, active=True, **values))
            report.created["核查点位"] += 1
        elif any(getattr(site, k) != v for k, v in values.items()):
            for key, value in values.items():
                setattr(site, key, value)
            locking.bump(site)
            report.updated["核查点位"] += 1
        else:
            report.unchanged["核查点位"] += 1
    db.session.flush()
