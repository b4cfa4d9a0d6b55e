"""Stored photos and documents. Files live in content-addressed storage; rows say who may see them."""
import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from inspect_app.documents.dates import cn_datetime
from inspect_app.extensions import UTCDateTime, db, utcnow


class AttachmentKind(str, enum.Enum):
    PHOTO = "photo"
    DOCUMENT = "document"


class PhotoStage(str, enum.Enum):
    BEFORE = "before"    # 整改前: taken by inspectors with a finding
    AFTER = "after"      # 整改后: evidence posted by the responsible unit
    OTHER = "other"

    @property
    def label(self) -> str:
        return {"before": "整改前", "after": "整改后", "other": "其他"}[self.value]


class Attachment(db.Model):
    """A photo (display + thumbnail derived, and the file as received kept as `original_key`) or an
    evidence document.

    Exactly one owner is set: a finding, an answer, a self-inspection answer, a progress post or a re-check sample.
    `county_id` is copied from
    the owner so that access checks need no joins.
    """

    __tablename__ = "attachments"
    id: Mapped[int] = mapped_column(primary_key=True)
    uuid: Mapped[str] = mapped_column(sa.String(36), unique=True)
    kind: Mapped[AttachmentKind] = mapped_column(sa.Enum(AttachmentKind, native_enum=False, length=16))
    stage: Mapped[PhotoStage] = mapped_column(sa.Enum(PhotoStage, native_enum=False, length=16),
                                              default=PhotoStage.OTHER)
    county_id: Mapped[int] = mapped_column(sa.ForeignKey("regions.id"), index=True)
    finding_id: Mapped[int | None] = mapped_column(sa.ForeignKey("findings.id"), index=True)
    # The finding the photo was taken for. A merge moves finding_id to the kept finding; this stays, so
    # undoing the merge knows which photos to give back.
    source_finding_id: Mapped[int | None] = mapped_column(sa.ForeignKey("findings.id"), index=True)
    answer_id: Mapped[int | None] = mapped_column(sa.ForeignKey("answers.id"), index=True)
    progress_id: Mapped[int | None] = mapped_column(sa.ForeignKey("progress_posts.id"), index=True)
    # A photo taken on site by a re-check (回头看 / 抽查复核) of a sampled item (rechecks/).
    recheck_sample_id: Mapped[int | None] = mapped_column(sa.ForeignKey("recheck_samples.id"), index=True)
    # A county's own photo of a self-inspection answer (自查, inspect_app/self_inspections).
    self_answer_id: Mapped[int | None] = mapped_column(sa.ForeignKey("self_answers.id"), index=True)
    sha256: Mapped[str] = mapped_column(sa.String(64), index=True)
    mime: Mapped[str] = mapped_column(sa.String(128))
    filename: Mapped[str] = mapped_column(sa.String(255), default="")
    size_bytes: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    width: Mapped[int | None]
    height: Mapped[int | None]
    taken_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    gps_lat: Mapped[float | None] = mapped_column(sa.Float)
    gps_lon: Mapped[float | None] = mapped_column(sa.Float)
    display_key: Mapped[str] = mapped_column(sa.String(255), default="")
    thumb_key: Mapped[str] = mapped_column(sa.String(255), default="")
    file_key: Mapped[str] = mapped_column(sa.String(255), default="")
    # The photo as received (after the browser's downscale), content-addressed by `sha256`, so the
    # stored hash can be checked again (`flask backup verify`). Never served: it carries the EXIF
    # (GPS, device). "" for photos uploaded before originals were kept.
    original_key: Mapped[str] = mapped_column(sa.String(255), default="", server_default="")
    uploaded_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Perceptual hashes of the upright sRGB thumbnail (media.proofs): 64-bit pHash and dHash as
    # 16 lowercase hex digits. pHash is indexed: a resized or recompressed copy usually keeps the same
    # pHash, found anywhere by this index (near copies are looked for within a county). None for
    # documents, and for photos stored before the hashes were kept until `flask media hashes` runs.
    phash: Mapped[str | None] = mapped_column(sa.String(16), index=True)
    dhash: Mapped[str | None] = mapped_column(sa.String(16))

    uploaded_by = relationship("User", foreign_keys=[uploaded_by_id])

    @property
    def capture_labels(self) -> tuple[str, str]:
        """What the screens show of a photo's evidence value, read from its EXIF at upload: the time
        taken in Beijing time ("拍摄时间 2024-05-07 09:33", else "无拍摄时间") and the GPS position in
        decimal degrees to 5 places, about a metre ("位置 30.62765°N 119.73877°E", else "无位置信息")."""
        taken = f"拍摄时间 {cn_datetime(self.taken_at)}" if self.taken_at else "无拍摄时间"
        if self.gps_lat is None or self.gps_lon is None:
            return taken, "无位置信息"
        lat = f"{abs(self.gps_lat):.5f}°{'N' if self.gps_lat >= 0 else 'S'}"
        lon = f"{abs(self.gps_lon):.5f}°{'E' if self.gps_lon >= 0 else 'W'}"
        return taken, f"位置 {lat} {lon}"
