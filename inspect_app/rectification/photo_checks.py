"""照片核验提示: the photo checks of media.proofs applied to rectification items (issue 15).

For a batch of items (one item's page, or one batch of the ledger) this gathers, in a few statements
bounded by the batch, what the pure checks need: each item's after photos (its progress posts'),
its before photos (its finding's), the finding's recording time, the site's position, and the
candidates a photo may have been used as before — the same SHA-256 or the same pHash anywhere (both
indexed), and the evidence photos of the same county and campaign for near pHashes. Never a scan of
every photo.
Reads only; the flags inform the acceptor and block nothing.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

import sqlalchemy as sa
from flask import current_app

from inspect_app.extensions import db
from inspect_app.media import proofs
from inspect_app.media.models import Attachment, AttachmentKind
from inspect_app.media.proofs import PhotoFacts, ProofFlag
from inspect_app.org.models import Region, Site
from inspect_app.rectification.models import ProgressPost, RectificationItem
from inspect_app.visits.models import Finding

CHUNK = 500   # ids per IN list: no statement grows with the batch beyond this


@dataclass
class ItemProofs:
    """The flags of one item, in check order, and the same by photo id (for the photo captions)."""

    flags: list[ProofFlag] = field(default_factory=list)

    @property
    def by_photo(self) -> dict[int, list[ProofFlag]]:
        out: dict[int, list[ProofFlag]] = defaultdict(list)
        for flag in self.flags:
            out[flag.photo_id].append(flag)
        return out

    @property
    def ledger_text(self) -> str:
        return proofs.ledger_text(self.flags)


def max_km() -> float:
    """How far (km) a photo may lie from its site before it is flagged (PHOTO_SITE_MAX_KM, 1 km)."""
    return float(current_app.config.get("PHOTO_SITE_MAX_KM", proofs.DEFAULT_MAX_KM))


def _chunks(values):
    values = list(values)
    for start in range(0, len(values), CHUNK):
        yield values[start:start + CHUNK]


_FACT_COLUMNS = (Attachment.id, Attachment.sha256, Attachment.phash, Attachment.taken_at, Attachment.gps_lat,
                 Attachment.gps_lon, Attachment.uploaded_at, Attachment.county_id)


def _facts(row, item_id=None, label="") -> PhotoFacts:
    return PhotoFacts(id=row.id, sha256=row.sha256, phash=row.phash, taken_at=row.taken_at, gps_lat=row.gps_lat,
                      gps_lon=row.gps_lon, uploaded_at=row.uploaded_at, county_id=row.county_id,
                      item_id=item_id, label=label)


def _candidate_stmt():
    """Photos with the item (and its number and county) they are evidence for, if any."""
    return (sa.select(*_FACT_COLUMNS, ProgressPost.item_id, RectificationItem.number, RectificationItem.campaign_id,
                      Region.name.label("county"))
            .outerjoin(ProgressPost, ProgressPost.id == Attachment.progress_id)
            .outerjoin(RectificationItem, RectificationItem.id == ProgressPost.item_id)
            .join(Region, Region.id == Attachment.county_id)
            .where(Attachment.kind == AttachmentKind.PHOTO))


def _candidate_facts(row) -> PhotoFacts:
    label = f"{row.county}事项 {row.number} 的整改佐证" if row.number else f"{row.county}的核查照片"
    return _facts(row, item_id=row.item_id, label=label)


def check_items(items: list[RectificationItem]) -> dict[int, ItemProofs]:
    """The photo flags of each item (an entry for every item, empty when nothing was found).

    `items` are RectificationItems or plain rows with the same `id`, `finding_id`, `site_id`,
    `county_id` and `campaign_id` (the ledger reads plain columns)."""
    out = {item.id: ItemProofs() for item in items}
    if not items:
        return out
    after: dict[int, list[PhotoFacts]] = defaultdict(list)
    for ids in _chunks(out):
        for row in db.session.execute(sa.select(*_FACT_COLUMNS, ProgressPost.item_id)
                                      .join(ProgressPost, ProgressPost.id == Attachment.progress_id)
                                      .where(ProgressPost.item_id.in_(ids), Attachment.kind == AttachmentKind.PHOTO)
                                      .order_by(Attachment.uploaded_at, Attachment.id)):
            after[row.item_id].append(_facts(row, item_id=row.item_id))
    if not after:
        return out
    with_after = [item for item in items if item.id in after]
    finding_ids = {item.finding_id for item in with_after}
    before: dict[int, list[PhotoFacts]] = defaultdict(list)
    recorded_at = {}
    for ids in _chunks(finding_ids):
        for row in db.session.execute(sa.select(*_FACT_COLUMNS, Attachment.finding_id)
                                      .where(Attachment.finding_id.in_(ids), Attachment.kind == AttachmentKind.PHOTO)
                                      .order_by(Attachment.uploaded_at, Attachment.id)):
            before[row.finding_id].append(_facts(row))
        recorded_at.update(db.session.execute(sa.select(Finding.id, Finding.created_at).where(Finding.id.in_(ids))).all())
    positions = {}
    for ids in _chunks({item.site_id for item in with_after}):
        positions.update({row.id: (row.latitude, row.longitude) for row in db.session.execute(
            sa.select(Site.id, Site.latitude, Site.longitude).where(Site.id.in_(ids), Site.latitude.is_not(None),
                                                                    Site.longitude.is_not(None)))})
    candidates = _Candidates([p for photos in after.values() for p in photos], {item.county_id for item in with_after},
                             {item.campaign_id for item in with_after})
    limit = max_km()
    for item in with_after:
        photos = after[item.id]
        out[item.id].flags = (proofs.same_as_before(photos, before.get(item.finding_id, []))
                              + proofs.reused(photos, candidates.for_item(item, photos))
                              + proofs.far_from_site(photos, positions.get(item.site_id), limit)
                              + proofs.taken_before_finding(photos, recorded_at.get(item.finding_id)))
    return out


class _Candidates:
    """Photos the after photos of a batch may repeat: the same bytes or the same pHash anywhere in the
    province (indexed look-ups), and the evidence photos of the items of the same counties and campaigns
    (near copies: a county's campaign has some 10–50 items with a few photos each). Kept by SHA-256,
    by pHash and by (county, campaign), so each item is compared with its own few only."""

    def __init__(self, photos: list[PhotoFacts], county_ids: set[int], campaign_ids: set[int]) -> None:
        self.by_sha: dict[str, list[PhotoFacts]] = defaultdict(list)
        self.by_phash: dict[str, list[PhotoFacts]] = defaultdict(list)
        self.by_pair: dict[tuple[int, int], list[PhotoFacts]] = defaultdict(list)
        seen: set[int] = set()
        queries = [Attachment.sha256.in_(chunk) for chunk in _chunks({p.sha256 for p in photos})]
        queries += [Attachment.phash.in_(chunk) for chunk in _chunks({p.phash for p in photos if p.phash})]
        queries += [sa.and_(RectificationItem.county_id.in_(chunk), RectificationItem.campaign_id.in_(campaign_ids),
                            Attachment.phash.is_not(None)) for chunk in _chunks(county_ids)]
        for where in queries:
            for row in db.session.execute(_candidate_stmt().where(where)):
                if row.id in seen:
                    continue
                seen.add(row.id)
                facts = _candidate_facts(row)
                self.by_sha[row.sha256].append(facts)
                if row.phash:
                    self.by_phash[row.phash].append(facts)
                if row.item_id is not None:
                    self.by_pair[(row.county_id, row.campaign_id)].append(facts)

    def for_item(self, item: RectificationItem, photos: list[PhotoFacts]) -> list[PhotoFacts]:
        """The candidates one item's after photos are compared with."""
        found = {c.id: c for c in self.by_pair.get((item.county_id, item.campaign_id), [])}
        for photo in photos:
            found.update({c.id: c for c in self.by_sha.get(photo.sha256, [])})
            found.update({c.id: c for c in self.by_phash.get(photo.phash, [])} if photo.phash else {})
        return list(found.values())


def check_item(item: RectificationItem) -> ItemProofs:
    """The photo flags of one item (its page, beside the accept button)."""
    return check_items([item])[item.id]
