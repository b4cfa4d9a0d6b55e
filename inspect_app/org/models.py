"""The organisation tree: regions (province → city → county), townships, 医共体, sites and units."""
import enum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from inspect_app.extensions import db
from inspect_app.locking import Versioned


class RegionLevel(str, enum.Enum):
    PROVINCE = "province"
    CITY = "city"
    COUNTY = "county"

    @property
    def label(self) -> str:
        return {"province": "省", "city": "市（州）", "county": "县（市、区）"}[self.value]


class Region(Versioned, db.Model):
    """An administrative division identified by its 6-digit GB/T 2260 code."""

    __tablename__ = "regions"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(6), unique=True)
    name: Mapped[str] = mapped_column(sa.String(64))
    level: Mapped[RegionLevel] = mapped_column(sa.Enum(RegionLevel, native_enum=False, length=16), index=True)
    parent_id: Mapped[int | None] = mapped_column(sa.ForeignKey("regions.id"), index=True)

    parent: Mapped["Region | None"] = relationship(remote_side=[id], back_populates="children")
    children: Mapped[list["Region"]] = relationship(back_populates="parent", order_by="Region.code")

    @property
    def county_id(self) -> int | None:
        """A county is its own county; access rules treat it like any county-bound row."""
        return self.id if self.level == RegionLevel.COUNTY else None

    @property
    def full_name(self) -> str:
        names = [self.name]
        node = self.parent
        while node is not None:
            names.append(node.name)
            node = node.parent
        return "".join(reversed(names))

    def __repr__(self) -> str:
        return f"<Region {self.code} {self.name}>"


class Township(db.Model):
    """A township or street (乡镇/街道), 9-digit statistical code; names township health centres."""

    __tablename__ = "townships"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(12), unique=True)
    name: Mapped[str] = mapped_column(sa.String(64))
    county_id: Mapped[int] = mapped_column(sa.ForeignKey("regions.id"), index=True)

    county: Mapped[Region] = relationship()

    @property
    def health_centre_name(self) -> str:
        """Streets have community health service centres, towns and townships have 卫生院."""
        suffix = "社区卫生服务中心" if self.name.endswith("街道") else "卫生院"
        return f"{self.county.name}{self.name}{suffix}"


class SiteKindGroup(str, enum.Enum):
    OFFICE = "office"
    CENTER = "center"
    INSTITUTION = "institution"
    GOVERNMENT = "government"

    @property
    def label(self) -> str:
        return {"office": "一办六部", "center": "六大远程中心", "institution": "医疗卫生机构",
                "government": "政府部门"}[self.value]


class SiteKind(Versioned, db.Model):
    """A kind of inspected place; data, because the names vary by province and county."""

    __tablename__ = "site_kinds"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(32), unique=True)
    name: Mapped[str] = mapped_column(sa.String(64))
    group: Mapped[SiteKindGroup] = mapped_column(sa.Enum(SiteKindGroup, native_enum=False, length=16))
    sort_order: Mapped[int] = mapped_column(default=0)


class MedicalCommunity(Versioned, db.Model):
    """A 医共体 of one county, led by its 牵头医院."""

    __tablename__ = "medical_communities"
    __table_args__ = (sa.UniqueConstraint("county_id", "name"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    county_id: Mapped[int] = mapped_column(sa.ForeignKey("regions.id"), index=True)
    name: Mapped[str] = mapped_column(sa.String(128))
    lead_hospital: Mapped[str] = mapped_column(sa.String(128))

    county: Mapped[Region] = relationship()


class SitePositionSource(str, enum.Enum):
    MANUAL = "manual"            # typed in by whoever keeps the county's sites
    FIRST_VISIT = "first_visit"  # the median GPS of the photos of the site's first submitted visit

    @property
    def label(self) -> str:
        return {"manual": "人工录入", "first_visit": "首次核查照片定位"}[self.value]


class Site(Versioned, db.Model):
    """A place an inspector visits (核查点位), in one county and optionally one 医共体."""

    __tablename__ = "sites"
    __table_args__ = (sa.UniqueConstraint("county_id", "name"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    county_id: Mapped[int] = mapped_column(sa.ForeignKey("regions.id"), index=True)
    community_id: Mapped[int | None] = mapped_column(sa.ForeignKey("medical_communities.id"), index=True)
    kind_id: Mapped[int] = mapped_column(sa.ForeignKey("site_kinds.id"), index=True)
    name: Mapped[str] = mapped_column(sa.String(128))
    address: Mapped[str] = mapped_column(sa.String(255), default="")
    active: Mapped[bool] = mapped_column(default=True)
    # Where the site is (WGS-84 decimal degrees, as phones write GPS EXIF), optional: photo checks
    # (media.proofs.far_from_site) and the visit map use it. Set by hand, or from the first submitted
    # visit's photos when none was set (visits.service.submit_visit); a manual position is never
    # overwritten by a visit.
    latitude: Mapped[float | None] = mapped_column(sa.Float)
    longitude: Mapped[float | None] = mapped_column(sa.Float)
    position_source: Mapped[SitePositionSource | None] = mapped_column(
        sa.Enum(SitePositionSource, native_enum=False, length=16))

    county: Mapped[Region] = relationship()
    community: Mapped[MedicalCommunity | None] = relationship()
    kind: Mapped[SiteKind] = relationship()


class UnitCategory(str, enum.Enum):
    GOVERNMENT = "government"
    COMMUNITY = "community"
    DEPARTMENT = "department"
    OTHER = "other"

    @property
    def label(self) -> str:
        return {"government": "政府部门", "community": "医共体", "department": "一办六部",
                "other": "其他"}[self.value]


class ResponsibleUnit(Versioned, db.Model):
    """A 责任单位 of one county that rectification items are assigned to."""

    __tablename__ = "responsible_units"
    __table_args__ = (sa.UniqueConstraint("county_id", "name"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    county_id: Mapped[int] = mapped_column(sa.ForeignKey("regions.id"), index=True)
    name: Mapped[str] = mapped_column(sa.String(128))
    category: Mapped[UnitCategory] = mapped_column(sa.Enum(UnitCategory, native_enum=False, length=16))
    sort_order: Mapped[int] = mapped_column(default=0)
    active: Mapped[bool] = mapped_column(default=True)

    county: Mapped[Region] = relationship()
