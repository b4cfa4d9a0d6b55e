"""Where a visit's photos were taken and where its site lies (issue 15): the photos of visits, a
site's position taken from its first submitted visit, and the facts the visit map draws.

The checks themselves are media.proofs (pure); this module only reads and, at a visit's submit,
writes the site's position.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import sqlalchemy as sa
from flask import current_app

from inspect_app.audit.service import record
from inspect_app.extensions import db
from inspect_app.media.models import Attachment, AttachmentKind
from inspect_app.media.proofs import DEFAULT_MAX_KM, PhotoFacts, distance_to_site_km, format_km, median_position
from inspect_app.org.models import Region, Site, SitePositionSource
from inspect_app.visits import map_svg
from inspect_app.visits.models import Answer, Finding, SiteVisit


def limit_km() -> float:
    """How far (km) a photo may lie from its site (PHOTO_SITE_MAX_KM, 1 km): red dots beyond."""
    return float(current_app.config.get("PHOTO_SITE_MAX_KM", DEFAULT_MAX_KM))


def facts(photo: Attachment, **extra) -> PhotoFacts:
    """The values media.proofs needs of one stored photo."""
    return PhotoFacts(id=photo.id, sha256=photo.sha256, phash=photo.phash, taken_at=photo.taken_at,
                      gps_lat=photo.gps_lat, gps_lon=photo.gps_lon, uploaded_at=photo.uploaded_at,
                      county_id=photo.county_id, **extra)


def visit_photos(visit_ids) -> dict[int, list[Attachment]]:
    """The photos taken in each of `visit_ids` (of its findings — also one merged into another
    finding since, by `source_finding_id` — and of its answers), in upload order. Two statements,
    bounded by the visits' own rows; the caller has checked access to the visits."""
    visit_ids = list(visit_ids)
    out: dict[int, list[Attachment]] = defaultdict(list)
    if not visit_ids:
        return out
    by_finding = (sa.select(Attachment, Finding.visit_id)
                  .join(Finding, Finding.id == sa.func.coalesce(Attachment.source_finding_id, Attachment.finding_id))
                  .where(Finding.visit_id.in_(visit_ids)))
    by_answer = (sa.select(Attachment, Answer.visit_id).join(Answer, Answer.id == Attachment.answer_id)
                 .where(Answer.visit_id.in_(visit_ids)))
    seen = set()
    for stmt in (by_finding, by_answer):
        for photo, visit_id in db.session.execute(stmt.where(Attachment.kind == AttachmentKind.PHOTO)
                                                  .order_by(Attachment.uploaded_at, Attachment.id)):
            if photo.id not in seen:
                seen.add(photo.id)
                out[visit_id].append(photo)
    return out


def site_position(site: Site) -> tuple[float, float] | None:
    """(latitude, longitude) of a site, or None when it has no position yet."""
    if site is None or site.latitude is None or site.longitude is None:
        return None
    return site.latitude, site.longitude


def place_site_from_visit(visit: SiteVisit, user) -> bool:
    """At a visit's submit: a site without a position takes the median GPS of this visit's photos
    (source 首次核查照片定位), audited; a site with one keeps it. The caller commits. Returns whether
    the site was placed."""
    site = visit.site
    if site_position(site) is not None:
        return False
    position = median_position([facts(p) for p in visit_photos([visit.id]).get(visit.id, [])])
    if position is None:
        return False
    site.latitude, site.longitude = round(position[0], 6), round(position[1], 6)
    site.position_source = SitePositionSource.FIRST_VISIT
    record("site.position", user=user, obj=site, label=site.name, before={"latitude": None, "longitude": None},
           after={"latitude": site.latitude, "longitude": site.longitude, "source": site.position_source,
                  "visit_id": visit.id})
    return True


def place_sites_from_first_visits() -> int:
    """Backfill: each site without a position takes it from its earliest submitted visit whose photos
    carry GPS (`flask media hashes` runs it after the hashes). Returns the number of sites placed."""
    placed = 0
    visits = db.session.execute(
        sa.select(SiteVisit).join(Site, Site.id == SiteVisit.site_id)
        .where(Site.latitude.is_(None), SiteVisit.submitted_at.is_not(None))
        .order_by(SiteVisit.site_id, SiteVisit.submitted_at, SiteVisit.id)).scalars().all()
    for visit in visits:
        if place_site_from_visit(visit, None):
            placed += 1
    db.session.commit()
    return placed


@dataclass
class PhotoPoint:
    """One photo in the map's table: its site, when and where it was taken, how far from the site."""

    photo: Attachment
    site: Site
    km: float | None
    flag: str          # "near", "far", "unknown" (site without a position) or "none" (no GPS)

    @property
    def distance_label(self) -> str:
        return format_km(self.km) if self.km is not None else "—"


@dataclass
class MapView:
    """What a map page shows: the SVG, the photos as a table (the map's text alternative), the sites
    without a position and how many photos carry no GPS."""

    svg: str
    points: list[PhotoPoint]
    unplaced_sites: list[Site]
    without_gps: int
    placed_sites: list[Site]     # in the map's numbering (1, 2, …)


def _point(photo: Attachment, site: Site, limit_km: float) -> PhotoPoint:
    if photo.gps_lat is None or photo.gps_lon is None:
        return PhotoPoint(photo, site, None, "none")
    km = distance_to_site_km(facts(photo), site_position(site))
    if km is None:
        return PhotoPoint(photo, site, None, "unknown")
    return PhotoPoint(photo, site, km, "far" if km > limit_km else "near")


def _map(county: Region, photos_by_site: list[tuple[Site, list[Attachment]]], current_site_ids: set[int],
         title: str, description: str, limit_km: float) -> MapView:
    sites = db.session.execute(sa.select(Site).where(Site.county_id == county.id, Site.active.is_(True))
                               .order_by(Site.kind_id, Site.name)).scalars().all()
    placed = [s for s in sites if site_position(s) is not None]
    points = [_point(p, site, limit_km) for site, photos in photos_by_site for p in photos]
    svg = map_svg.draw([map_svg.MapSite(s.name, s.latitude, s.longitude, s.id in current_site_ids) for s in placed],
                       [map_svg.MapPhoto(pt.photo.gps_lat, pt.photo.gps_lon, pt.flag,
                                         f"{pt.site.name} 照片 {pt.photo.id}，距点位 {pt.distance_label}")
                        for pt in points if pt.flag != "none"],
                       title=title, description=description, max_km=limit_km)
    return MapView(svg, points, [s for s in sites if site_position(s) is None],
                   sum(1 for pt in points if pt.flag == "none"), placed)


def visit_map(visit: SiteVisit, limit_km: float) -> MapView:
    """The map of one visit: the county's sites (the visited one filled) and this visit's photos."""
    photos = visit_photos([visit.id]).get(visit.id, [])
    county = visit.site.county
    title = f"{county.name}核查点位与{visit.site.name}核查照片位置图"
    description = (f"{visit.site.name}本次核查共 {len(photos)} 张照片，"
                   f"其中 {sum(1 for p in photos if p.gps_lat is not None)} 张带有拍摄位置；"
                   f"方块为{county.name}的核查点位，圆点为照片拍摄位置，红色圆点距点位超过 {format_km(limit_km)}。")
    return _map(county, [(visit.site, photos)], {visit.site_id}, title, description, limit_km)


def county_map(county: Region, campaign_id: int, limit_km: float) -> MapView:
    """The map of a county in one campaign: its sites, and the photos of every visit of the campaign
    there (a county has some 13–30 visited sites, each with tens of photos)."""
    visits = db.session.execute(sa.select(SiteVisit).where(SiteVisit.county_id == county.id,
                                                           SiteVisit.campaign_id == campaign_id)
                                .order_by(SiteVisit.started_at, SiteVisit.id)).scalars().all()
    photos = visit_photos([v.id for v in visits])
    total = sum(len(photos.get(v.id, [])) for v in visits)
    title = f"{county.name}核查点位与核查照片位置图"
    description = (f"{county.name}本次核查 {len(visits)} 个点位，共 {total} 张照片；方块为核查点位（实心为已核查），"
                   f"圆点为照片拍摄位置，红色圆点距所属点位超过 {format_km(limit_km)}。")
    return _map(county, [(v.site, photos.get(v.id, [])) for v in visits], {v.site_id for v in visits},
                title, description, limit_km)
