"""The visit map (issue 15): a server-drawn SVG of a county's sites and a visit's photo positions, and
the site position taken from the first submitted visit's photos."""
import io
import math
import uuid

import pytest
import sqlalchemy as sa
from defusedxml import ElementTree as SafeET

from inspect_app.audit.models import AuditEvent
from inspect_app.extensions import db
from inspect_app.media import service as media_service
from inspect_app.media.models import PhotoStage
from inspect_app.org.models import Site, SitePositionSource
from inspect_app.visits import map_svg, service
from inspect_app.visits.models import Finding, RectificationType, Severity
from tests.media import images
from tests.media.test_proofs import camera_photo
from tests.visits import factories as f

NS = {"svg": map_svg.SVG_NS}


def parse(svg_text: str):
    return SafeET.fromstring(svg_text)


def svg_of(html: str) -> str:
    start = html.rindex("<svg", 0, html.index('id="visit-map"'))
    return html[start:html.index("</svg>", start) + len("</svg>")]


def expected_xy(lat, lon, points):
    """The projection re-derived by hand: middle of the extent, km east = Δlon·cos(lat0)·πR/180,
    one scale for both axes fitting x 56–744 and y 124–524 (800×600 less the legend band of 96 px
    above, the scale bar's 48 px below and margins), north up."""
    lats, lons = [p[0] for p in points], [p[1] for p in points]
    lat0, lon0 = (min(lats) + max(lats)) / 2, (min(lons) + max(lons)) / 2
    km_per_deg = math.pi * 6371.0088 / 180
    span_x = max((max(lons) - min(lons)) * math.cos(math.radians(lat0)) * km_per_deg, 1.0)
    span_y = max((max(lats) - min(lats)) * km_per_deg, 1.0)
    scale = min((744 - 56) / span_x, (524 - 124) / span_y)
    return (400 + (lon - lon0) * math.cos(math.radians(lat0)) * km_per_deg * scale,
            324 - (lat - lat0) * km_per_deg * scale)


def test_svg_parses_and_puts_points_at_their_scaled_positions():
    sites = [map_svg.MapSite("新野县人民医院", 32.52, 112.36, current=True), map_svg.MapSite("沙堰镇卫生院", 32.62, 112.48)]
    photos = [map_svg.MapPhoto(32.5203, 112.3601, "near"), map_svg.MapPhoto(32.45, 112.30, "far")]
    points = [(s.lat, s.lon) for s in sites] + [(p.lat, p.lon) for p in photos]
    root = parse(map_svg.draw(sites, photos, title="新野县核查照片位置图", description="说明", max_km=1.0))
    assert root.tag == f"{{{map_svg.SVG_NS}}}svg" and root.get("role") == "img"
    assert root.find("svg:title", NS).text == "新野县核查照片位置图" and root.find("svg:desc", NS).text == "说明"
    dots = root.findall("svg:g[@class='photos']/svg:circle", NS)
    assert [d.get("data-flag") for d in dots] == ["near", "far"]
    assert [d.get("fill") for d in dots] == [map_svg.COLOURS["near"], map_svg.COLOURS["far"]]
    for dot, photo in zip(dots, photos):
        x, y = expected_xy(photo.lat, photo.lon, points)
        assert float(dot.get("cx")) == pytest.approx(x, abs=0.06) and float(dot.get("cy")) == pytest.approx(y, abs=0.06)
    squares = root.findall("svg:g[@class='sites']/svg:g", NS)
    assert [g.find("svg:text", NS).text for g in squares] == ["新野县人民医院", "沙堰镇卫生院"]
    assert [g.get("data-n") for g in squares] == ["1", "2"]
    assert squares[0].get("class") == "site current"
    for group, site in zip(squares, sites):
        rect = group.find("svg:rect", NS)
        x, y = expected_xy(site.lat, site.lon, points)
        centre = float(rect.get("x")) + float(rect.get("width")) / 2, float(rect.get("y")) + float(rect.get("height")) / 2
        assert centre == pytest.approx((x, y), abs=0.06)
    # Every point inside the drawing; the extent fills one axis exactly (the other is equal-scaled).
    xs = [float(d.get("cx")) for d in dots] + [expected_xy(s.lat, s.lon, points)[0] for s in sites]
    ys = [float(d.get("cy")) for d in dots] + [expected_xy(s.lat, s.lon, points)[1] for s in sites]
    assert all(56 - 0.1 <= x <= 744 + 0.1 for x in xs) and all(124 - 0.1 <= y <= 524 + 0.1 for y in ys)
    assert min(ys) == pytest.approx(124, abs=0.1) and max(ys) == pytest.approx(524, abs=0.1)   # north–south fills


def test_east_and_north_kilometres_are_equally_long():
    """At 32.5° N a degree of longitude is cos(32.5°) of a degree of latitude: 1 km each way, same pixels."""
    km = 1 / (math.pi * 6371.0088 / 180)
    project = map_svg.projection_for([(32.5, 112.4), (32.5 + 5 * km, 112.4 + 5 * km / math.cos(math.radians(32.5)))])
    x0, y0 = project(32.5, 112.4)
    x_east, _ = project(32.5, 112.4 + km / math.cos(math.radians(32.5)))
    _, y_north = project(32.5 + km, 112.4)
    assert x_east - x0 == pytest.approx(y0 - y_north, rel=0.01)


def test_scale_bar_is_a_round_length_drawn_to_scale():
    root = parse(map_svg.draw([map_svg.MapSite("甲", 32.5, 112.3), map_svg.MapSite("乙", 32.7, 112.6)], [],
                              title="t", description="d"))
    bar = root.find("svg:g[@class='scale-bar']", NS)
    km = float(bar.get("data-km"))
    assert km in map_svg.NICE_KM
    project = map_svg.projection_for([(32.5, 112.3), (32.7, 112.6)])
    assert float(bar.get("data-px")) == pytest.approx(km * project.px_per_km, abs=0.06)
    assert bar.find("svg:text", NS).text.endswith("公里")


def test_crowded_labels_fall_back_to_the_site_number():
    """Sites a few metres apart in a county-wide map: no two labels overlap; a name that finds no
    room is replaced by the site's number (the name stays in the square's title and the page's list)."""
    sites = [map_svg.MapSite(f"新野县远程诊断中心{i}", 32.52 + i * 0.00005, 112.36, current=False) for i in range(12)]
    sites.append(map_svg.MapSite("沙堰镇卫生院", 32.40, 112.46))
    root = parse(map_svg.draw(sites, [], title="t", description="d"))
    texts = [g.find("svg:text", NS).text for g in root.findall("svg:g[@class='sites']/svg:g", NS)]
    assert texts[0] == "新野县远程诊断中心0" and texts[-1] == "沙堰镇卫生院"
    assert any(t.isdigit() for t in texts)
    titles = [g.find("svg:title", NS).text for g in root.findall("svg:g[@class='sites']/svg:g", NS)]
    assert titles[3] == "4 新野县远程诊断中心3"


def test_names_are_escaped():
    name = '<script>alert("x")</script> & 卫生院'
    text = map_svg.draw([map_svg.MapSite(name, 32.5, 112.3)], [map_svg.MapPhoto(32.5, 112.3, label=name)],
                        title=name, description=name)
    assert "<script>" not in text and "&lt;script&gt;" in text
    root = parse(text)
    assert root.find("svg:title", NS).text == name
    assert root.find("svg:g[@class='sites']/svg:g/svg:text", NS).text == name


# ---------------------------------------------------------------- pages and access

def photo_with_gps(lat: float, lon: float) -> bytes:
    def dms(value):
        degrees = int(value)
        minutes = (value - degrees) * 60
        return (float(degrees), float(int(minutes)), round((minutes - int(minutes)) * 60, 4))
    buffer = io.BytesIO()
    exif = images.make_exif(taken="2022:07:10 10:00:00", gps={1: "N", 2: dms(lat), 3: "E", 4: dms(lon)})
    camera_photo("sugarshack.mpo").save(buffer, "JPEG", quality=90, exif=exif)
    return buffer.getvalue()


def finding_with_photos(visit, inspector, positions):
    finding = Finding(uuid=str(uuid.uuid4()), campaign_id=visit.campaign_id, county_id=visit.county_id,
                      site_id=visit.site_id, visit_id=visit.id, category="服务共同体", description="远程心电未覆盖",
                      severity=Severity.GENERAL, rectification_type=RectificationType.DEADLINE,
                      created_by_id=inspector.id)
    db.session.add(finding)
    db.session.commit()
    for lat, lon in positions:
        media_service.ingest_photo(photo_with_gps(lat, lon), finding, inspector, str(uuid.uuid4()), PhotoStage.BEFORE)
    return finding


def test_first_submitted_visit_places_its_site_at_the_median_of_its_photos(world, visit):
    inspector = world.users["inspector8"]
    finding_with_photos(visit, inspector, [(32.5201, 112.3601), (32.5203, 112.3603), (32.80, 112.90)])
    assert service.submit_visit(visit, inspector, reasons=_all_reasons(visit))
    site = db.session.get(Site, visit.site_id)
    assert (site.latitude, site.longitude) == pytest.approx((32.5203, 112.3603), abs=1e-4)   # the stray one ignored
    assert site.position_source is SitePositionSource.FIRST_VISIT
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent).where(
        AuditEvent.action == "site.position")) == 1


def test_a_manual_site_position_is_kept_at_submit(world, visit):
    site = db.session.get(Site, visit.site_id)
    site.latitude, site.longitude, site.position_source = 32.0, 112.0, SitePositionSource.MANUAL
    db.session.commit()
    finding_with_photos(visit, world.users["inspector8"], [(32.5201, 112.3601)])
    service.submit_visit(visit, world.users["inspector8"], reasons=_all_reasons(visit))
    assert (site.latitude, site.longitude, site.position_source) == (32.0, 112.0, SitePositionSource.MANUAL)


def _all_reasons(visit):
    return {gap.field: "现场未涉及" for gap in service.visit_screen(visit).gaps}


def test_visit_and_county_map_pages_draw_sites_and_photos(client, world, login_as, visit):
    site = db.session.get(Site, visit.site_id)
    site.latitude, site.longitude, site.position_source = 32.52, 112.36, SitePositionSource.MANUAL
    other = db.session.execute(sa.select(Site).where(Site.county_id == world.xinye.id, Site.id != site.id)).scalars().first()
    other.name = "新野县<远程>心电中心"
    other.latitude, other.longitude = 32.60, 112.45
    db.session.commit()
    finding_with_photos(visit, world.users["inspector8"], [(32.5201, 112.3601), (32.56, 112.36)])
    login_as("leader8")
    html = client.get(f"/visits/{visit.id}/map").get_data(as_text=True)
    root = parse(svg_of(html))
    assert [d.get("data-flag") for d in root.findall("svg:g[@class='photos']/svg:circle", NS)] == ["near", "far"]
    names = [t.text for t in root.findall("svg:g[@class='sites']/svg:g/svg:text", NS)]
    assert site.name in names and "新野县<远程>心电中心" in names
    assert "新野县&lt;远程&gt;心电中心" in html and "<远程>" not in html
    assert "4.4 公里" in html                                      # the far photo's distance in the table
    county_html = client.get(f"/visits/counties/{world.xinye.code}/map").get_data(as_text=True)
    assert len(parse(svg_of(county_html)).findall("svg:g[@class='photos']/svg:circle", NS)) == 2
    assert client.get(f"/visits/{visit.id}", headers={}).get_data(as_text=True).count(f"/visits/{visit.id}/map") == 1


def test_maps_of_another_county_answer_404(client, world, login_as, version):
    dancheng_visit = f.make_visit(world.site(world.dancheng), world.users["inspector8"])
    login_as("leader8")                       # 第八核查组 covers 新野县 and 桐柏县, not 郸城县
    assert client.get(f"/visits/counties/{world.dancheng.code}/map").status_code == 404
    assert client.get(f"/visits/{dancheng_visit.id}/map").status_code == 404
    login_as("nanyang")                       # 南阳市 sees its own counties only
    assert client.get(f"/visits/{dancheng_visit.id}/map").status_code == 404
    assert client.get(f"/visits/counties/{world.dancheng.code}/map").status_code == 404
    login_as("xinye")                         # county roles see no inspection visits
    assert client.get(f"/visits/counties/{world.xinye.code}/map").status_code in (403, 404)


def test_a_site_position_typed_in_is_manual_and_both_values_are_required(client, world, login_as):
    site = f.office_site(world.xinye)
    values = {"name": site.name, "kind_id": site.kind_id, "community_id": site.community_id or 0,
              "address": "", "active": "y", "version": site.version}
    login_as("xinye")
    half = client.post(f"/org/sites/{site.id}", headers={"HX-Request": "true"}, data={**values, "latitude": "32.52"})
    assert half.status_code == 422 and "纬度和经度须同时填写" in half.get_data(as_text=True)
    saved = client.post(f"/org/sites/{site.id}", headers={"HX-Request": "true"},
                        data={**values, "latitude": "32.52062", "longitude": "112.36015"})
    assert saved.status_code == 200 and "32.52062" in saved.get_data(as_text=True)
    db.session.expire_all()
    site = db.session.get(Site, site.id)
    assert (site.latitude, site.longitude, site.position_source) == (32.52062, 112.36015, SitePositionSource.MANUAL)
    event = db.session.execute(sa.select(AuditEvent).where(AuditEvent.action == "sites.update")).scalars().all()[-1]
    assert event.after["latitude"] == 32.52062
