"""Photo checks that inform the acceptor (issue 15, "photos that prove themselves"). Pure: values in,
flags out, no Flask and no database; rectification.photo_checks gathers the values.

A flag never blocks anything. Four are raised for an "after" (整改后, evidence) photo:

- ``same_as_before``: it is a "before" (整改前) photo of the same item again — same SHA-256, or a
  perceptual hash within ``NEAR_DISTANCE`` bits;
- ``reused``: it was already used, earlier, as evidence for another item or by another county;
- ``far_from_site``: its GPS lies more than the configured distance (PHOTO_SITE_MAX_KM, 1 km) from
  the site's recorded position;
- ``taken_before_finding``: its EXIF time taken is before the finding was recorded.

Perceptual hashes (ImageHash 4.3.2): pHash (DCT of a 32×32 greyscale, 64 bits) and dHash (gradient of
a 9×8 greyscale, 64 bits), both of the upright sRGB thumbnail (320 px), kept as 16 hex digits.
``NEAR_DISTANCE`` was calibrated on real camera photos (tests/media/test_proofs.py, tests/data):
a copy resized to a third and recompressed at quality 55 lies within 0–2 bits of its original, one
also cropped by 3 % on every side within 2–12 bits; two different photos lay 24 bits apart or more,
and the two frames of one 3DS stereo photo of the same scene 32 and 34 bits. Two limits: the two
frames of a Fujifilm 3D camera photo (lenses 75 mm apart, same instant, same framing) lie 10 bits
apart and count as one picture; a crop of 5 % per side or more may escape (up to 16 bits). A copy with the same bytes is always caught by SHA-256.

Where candidates are looked for (rectification.photo_checks): the same bytes (SHA-256) or the same
pHash (distance 0: a resized or recompressed copy usually keeps it) anywhere, by index; near copies
(distance 1–``NEAR_DISTANCE``) among the photos of the same county only. A prefix bucket of the pHash
was measured and dropped: of 60 copies within 18 bits, 42 changed within the first 16 bits.
"""
from __future__ import annotations

import math
import statistics
from dataclasses import dataclass
from datetime import datetime

import imagehash
from PIL import Image

#: Hamming distance (bits of 64) at or below which two pHashes are the same picture.
NEAR_DISTANCE = 12
#: Default distance (km) beyond which a photo is "far from the site" (config PHOTO_SITE_MAX_KM).
DEFAULT_MAX_KM = 1.0
EARTH_RADIUS_KM = 6371.0088   # mean radius (IUGG)
HASH_SIZE = 8                 # 8×8 = 64 bits


def image_hashes(image: Image.Image) -> tuple[str, str]:
    """``(phash, dhash)`` of an image as two strings of 16 lowercase hex digits."""
    return str(imagehash.phash(image, hash_size=HASH_SIZE)), str(imagehash.dhash(image, hash_size=HASH_SIZE))


def hamming(a: str, b: str) -> int:
    """Bits that differ between two hex hashes of the same length."""
    return bin(int(a, 16) ^ int(b, 16)).count("1")


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in km between two WGS-84 points in decimal degrees (haversine formula)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(a)))


@dataclass(frozen=True)
class PhotoFacts:
    """What the checks need of one photo. `item_id` is the rectification item it is evidence for
    (None for a before photo or an inspection photo); `label` names its owner for a message
    (e.g. the other item's 问题编号 and county)."""

    id: int
    sha256: str
    phash: str | None = None
    taken_at: datetime | None = None
    gps_lat: float | None = None
    gps_lon: float | None = None
    uploaded_at: datetime | None = None
    county_id: int | None = None
    item_id: int | None = None
    label: str = ""

    @property
    def has_position(self) -> bool:
        return self.gps_lat is not None and self.gps_lon is not None


@dataclass(frozen=True)
class ProofFlag:
    """One thing the acceptor should look at: `code` (one of ``FLAG_TITLES``), the photo it is about,
    and a Chinese sentence saying what was found."""

    code: str
    photo_id: int
    message: str

    @property
    def title(self) -> str:
        return FLAG_TITLES[self.code]


FLAG_TITLES = {
    "same_as_before": "整改后照片与整改前照片相同",
    "reused": "照片已用于其他事项",
    "far_from_site": "拍摄位置远离核查点位",
    "taken_before_finding": "拍摄时间早于问题发现",
}


def same_picture(a: PhotoFacts, b: PhotoFacts, threshold: int = NEAR_DISTANCE) -> int | None:
    """The pHash distance when `a` and `b` are the same picture (0 for the same bytes), else None."""
    if a.sha256 and a.sha256 == b.sha256:
        return 0
    if a.phash and b.phash:
        distance = hamming(a.phash, b.phash)
        if distance <= threshold:
            return distance
    return None


def _how(distance: int) -> str:
    return "文件完全相同" if distance == 0 else f"图像指纹相差 {distance}/64 位"


def same_as_before(after: list[PhotoFacts], before: list[PhotoFacts],
                   threshold: int = NEAR_DISTANCE) -> list[ProofFlag]:
    """A flag for each after photo that is one of the item's before photos again."""
    flags = []
    for photo in after:
        for index, original in enumerate(before, 1):
            distance = same_picture(photo, original, threshold)
            if distance is not None:
                flags.append(ProofFlag("same_as_before", photo.id,
                                       f"与整改前照片 {index} 是同一张图（{_how(distance)}）"))
                break
    return flags


def _earlier(other: PhotoFacts, photo: PhotoFacts) -> bool:
    if other.uploaded_at is None or photo.uploaded_at is None or other.uploaded_at == photo.uploaded_at:
        return other.id < photo.id
    return other.uploaded_at < photo.uploaded_at


def reused(after: list[PhotoFacts], others: list[PhotoFacts], threshold: int = NEAR_DISTANCE) -> list[ProofFlag]:
    """A flag for each after photo that was used earlier as evidence for another item (any county), or
    uploaded earlier in another county at all. `others` are the candidates found by the caller (same
    SHA-256 or pHash anywhere, near pHash in the same county); the photo itself and other photos of its
    own item are skipped."""
    flags = []
    for photo in after:
        for other in others:
            if other.id == photo.id or not _earlier(other, photo):
                continue
            other_item = other.item_id is not None and other.item_id != photo.item_id
            other_county = other.county_id is not None and other.county_id != photo.county_id
            if not (other_item or other_county):
                continue
            distance = same_picture(photo, other, threshold)
            if distance is not None:
                where = other.label or ("其他县(市)的照片" if other_county else "其他事项")
                flags.append(ProofFlag("reused", photo.id, f"已作为{where}使用过（{_how(distance)}）"))
                break
    return flags


def distance_to_site_km(photo: PhotoFacts, site_position: tuple[float, float] | None) -> float | None:
    """Km from the photo's GPS to the site, or None when either is unknown."""
    if site_position is None or not photo.has_position:
        return None
    return haversine_km(photo.gps_lat, photo.gps_lon, *site_position)


def far_from_site(photos: list[PhotoFacts], site_position: tuple[float, float] | None,
                  max_km: float = DEFAULT_MAX_KM) -> list[ProofFlag]:
    """A flag for each photo whose GPS lies more than `max_km` from `site_position` (lat, lon)."""
    flags = []
    for photo in photos:
        km = distance_to_site_km(photo, site_position)
        if km is not None and km > max_km:
            flags.append(ProofFlag("far_from_site", photo.id, f"拍摄位置距核查点位 {format_km(km)}（超过 {max_km:g} 公里）"))
    return flags


def taken_before_finding(after: list[PhotoFacts], finding_recorded_at: datetime | None) -> list[ProofFlag]:
    """A flag for each after photo whose EXIF time taken is before the finding was recorded (UTC)."""
    if finding_recorded_at is None:
        return []
    return [ProofFlag("taken_before_finding", p.id, "拍摄时间早于问题发现时间")
            for p in after if p.taken_at is not None and p.taken_at < finding_recorded_at]


def format_km(km: float) -> str:
    """A distance as people say it: 850 米, 3.2 公里, 120 公里."""
    if km < 1:
        return f"{round(km * 1000):d} 米"
    return f"{km:.1f} 公里" if km < 10 else f"{km:.0f} 公里"


def median_position(photos: list[PhotoFacts]) -> tuple[float, float] | None:
    """The median latitude and longitude of the photos that carry GPS (robust to one stray photo),
    or None when none does."""
    located = [p for p in photos if p.has_position]
    if not located:
        return None
    return statistics.median(p.gps_lat for p in located), statistics.median(p.gps_lon for p in located)


#: The flags as the ledger's narrow 照片核验提示 column names them.
LEDGER_LABELS = {"same_as_before": "前后照片相同", "reused": "照片重复使用", "far_from_site": "远离点位",
                 "taken_before_finding": "拍摄早于发现"}


def ledger_text(flags: list[ProofFlag]) -> str:
    """The 照片核验提示 cell: one line per kind of flag with how many photos, e.g. "前后照片相同1张";
    "" when nothing was found."""
    counts: dict[str, set[int]] = {}
    for flag in flags:
        counts.setdefault(flag.code, set()).add(flag.photo_id)
    return "\n".join(f"{label}{len(counts[code])}张" for code, label in LEDGER_LABELS.items() if code in counts)
