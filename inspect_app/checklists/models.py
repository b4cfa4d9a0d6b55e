"""Checklists (核查表): templates with versions; a published version is frozen."""
import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from inspect_app.extensions import UTCDateTime, db, utcnow
from inspect_app.locking import Versioned

checklist_item_site_kinds = sa.Table(
    "checklist_item_site_kinds", db.metadata,
    sa.Column("item_id", sa.ForeignKey("checklist_items.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("site_kind_id", sa.ForeignKey("site_kinds.id"), primary_key=True, index=True),
)


class VersionStatus(str, enum.Enum):
    DRAFT = "draft"
    PUBLISHED = "published"

    @property
    def label(self) -> str:
        return {"draft": "草稿", "published": "已发布"}[self.value]


class CheckMethod(str, enum.Enum):
    DOCUMENTS = "documents"
    ONSITE = "onsite"
    INTERVIEW = "interview"

    @property
    def label(self) -> str:
        return {"documents": "查资料", "onsite": "看现场", "interview": "访谈"}[self.value]


class ChecklistTemplate(db.Model):
    """A named checklist, e.g. 紧密型县域医共体建设核查表, of which each year has a version."""

    __tablename__ = "checklist_templates"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(128), unique=True)
    description: Mapped[str] = mapped_column(sa.Text, default="")

    versions: Mapped[list["ChecklistVersion"]] = relationship(back_populates="template",
                                                              order_by="ChecklistVersion.id")


class ChecklistVersion(Versioned, db.Model):
    """One version of a template. Draft → published; published versions never change, and visits
    keep the version they were answered against."""

    __tablename__ = "checklist_versions"
    __table_args__ = (sa.UniqueConstraint("template_id", "label"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    template_id: Mapped[int] = mapped_column(sa.ForeignKey("checklist_templates.id"), index=True)
    label: Mapped[str] = mapped_column(sa.String(64))
    status: Mapped[VersionStatus] = mapped_column(sa.Enum(VersionStatus, native_enum=False, length=16),
                                                  default=VersionStatus.DRAFT)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    published_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))

    template: Mapped[ChecklistTemplate] = relationship(back_populates="versions")
    sections: Mapped[list["ChecklistSection"]] = relationship(
        back_populates="version", order_by="ChecklistSection.position", cascade="all, delete-orphan")

    @property
    def frozen(self) -> bool:
        return self.status == VersionStatus.PUBLISHED


class ChecklistSection(db.Model):
    __tablename__ = "checklist_sections"
    __table_args__ = (sa.UniqueConstraint("version_id", "code"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(sa.ForeignKey("checklist_versions.id", ondelete="CASCADE"), index=True)
    code: Mapped[str] = mapped_column(sa.String(16))
    title: Mapped[str] = mapped_column(sa.String(128))
    position: Mapped[int] = mapped_column(default=0)

    version: Mapped[ChecklistVersion] = relationship(back_populates="sections")
    items: Mapped[list["ChecklistItem"]] = relationship(
        back_populates="section", order_by="ChecklistItem.position", cascade="all, delete-orphan")


class ChecklistItem(Versioned, db.Model):
    """One thing to verify: content, method, the site kinds it applies to, photo/veto/weight."""

    __tablename__ = "checklist_items"
    __table_args__ = (sa.UniqueConstraint("version_id", "code"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(sa.ForeignKey("checklist_versions.id", ondelete="CASCADE"), index=True)
    section_id: Mapped[int] = mapped_column(sa.ForeignKey("checklist_sections.id", ondelete="CASCADE"), index=True)
    code: Mapped[str] = mapped_column(sa.String(32))
    content: Mapped[str] = mapped_column(sa.Text)
    method: Mapped[CheckMethod] = mapped_column(sa.Enum(CheckMethod, native_enum=False, length=16))
    guidance: Mapped[str] = mapped_column(sa.Text, default="")
    photo_required: Mapped[bool] = mapped_column(default=False)
    weight: Mapped[float | None] = mapped_column(sa.Float)
    veto: Mapped[bool] = mapped_column(default=False)
    position: Mapped[int] = mapped_column(default=0)

    section: Mapped[ChecklistSection] = relationship(back_populates="items")
    site_kinds = relationship("SiteKind", secondary=checklist_item_site_kinds, order_by="SiteKind.sort_order")
