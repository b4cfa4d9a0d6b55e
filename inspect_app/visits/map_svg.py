"""The visit map (issue 15): a county's sites and where a visit's photos were taken, drawn on the
server as one SVG — no map tiles and no script (tablets may be offline, government networks block map
services). Pure: points in, SVG text out.

Projection: equirectangular about the middle of the points, longitude scaled by cos(latitude), so a
kilometre east and a kilometre north are the same length on screen (near enough over a county's
some 50 km; the error of the cos at the map's middle is below 1 % for 50 km north–south in China).
North is up. Text is escaped by ElementTree (site names are typed by people).
"""
from __future__ import annotations

import math
import xml.etree.ElementTree as ET
from dataclasses import dataclass

from inspect_app.media.proofs import EARTH_RADIUS_KM, format_km

SVG_NS = "http://www.w3.org/2000/svg"
KM_PER_DEGREE = math.pi * EARTH_RADIUS_KM / 180   # one degree of latitude, km
WIDTH, HEIGHT, PADDING = 800, 600, 56
TOP = 96                 # the legend's band above the plotted area
BOTTOM = 48              # the scale bar's band below it
MIN_SPAN_KM = 1.0        # a map of one point still shows a kilometre around it
NICE_KM = (0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 50, 100, 200, 500)

#: Photo dot colours by distance flag (media.proofs.far_from_site): near, far, site without a position.
COLOURS = {"near": "#1b7f3b", "far": "#c62828", "unknown": "#757575"}
LEGEND = {"near": "照片（距点位 {km} 以内）", "far": "照片（距点位超过 {km}）", "unknown": "照片（点位无坐标）"}


@dataclass(frozen=True)
class MapSite:
    """A site drawn as a labelled square; `current` marks the visited site."""

    name: str
    lat: float
    lon: float
    current: bool = False


@dataclass(frozen=True)
class MapPhoto:
    """A photo drawn as a dot; `flag` is "near", "far" or "unknown" (its colour)."""

    lat: float
    lon: float
    flag: str = "unknown"
    label: str = ""


@dataclass(frozen=True)
class Projection:
    """Degrees to SVG pixels: x = cx + (lon − lon0)·cos(lat0)·KM_PER_DEGREE·px_per_km,
    y = cy − (lat − lat0)·KM_PER_DEGREE·px_per_km."""

    lat0: float
    lon0: float
    px_per_km: float
    cx: float = WIDTH / 2
    cy: float = HEIGHT / 2

    def __call__(self, lat: float, lon: float) -> tuple[float, float]:
        east_km = (lon - self.lon0) * math.cos(math.radians(self.lat0)) * KM_PER_DEGREE
        north_km = (lat - self.lat0) * KM_PER_DEGREE
        return self.cx + east_km * self.px_per_km, self.cy - north_km * self.px_per_km


def projection_for(points: list[tuple[float, float]], width: int = WIDTH, height: int = HEIGHT,
                   padding: int = PADDING, top: int = TOP, bottom: int = BOTTOM) -> Projection:
    """The projection that fits every (lat, lon) of `points` inside the plotted area — the drawing
    less `padding` left and right and the legend (`top`) and scale-bar (`bottom`) bands, less
    `padding` again inside those — centred on the middle of their extent; one scale on both axes."""
    plot_top, plot_bottom = top + padding / 2, height - bottom - padding / 2
    cy = (plot_top + plot_bottom) / 2
    if not points:
        return Projection(0.0, 0.0, 1.0, width / 2, cy)
    lats = [p[0] for p in points]
    lons = [p[1] for p in points]
    lat0, lon0 = (min(lats) + max(lats)) / 2, (min(lons) + max(lons)) / 2
    cos0 = math.cos(math.radians(lat0))
    span_x = max((max(lons) - min(lons)) * cos0 * KM_PER_DEGREE, MIN_SPAN_KM)
    span_y = max((max(lats) - min(lats)) * KM_PER_DEGREE, MIN_SPAN_KM)
    scale = min((width - 2 * padding) / span_x, (plot_bottom - plot_top) / span_y)
    return Projection(lat0, lon0, scale, width / 2, cy)


def scale_bar_km(px_per_km: float, target_px: float = WIDTH / 5) -> float:
    """The round length (km) whose bar is closest to `target_px` without exceeding twice it."""
    return min(NICE_KM, key=lambda km: abs(math.log(km * px_per_km / target_px)))


def _sub(parent, tag, attrs=None, text=None):
    element = ET.SubElement(parent, tag, {k: str(v) for k, v in (attrs or {}).items()})
    if text is not None:
        element.text = text
    return element


def _fmt(value: float) -> str:
    return f"{value:.1f}"


def draw(sites: list[MapSite], photos: list[MapPhoto], *, title: str, description: str,
         max_km: float = 1.0, svg_id: str = "visit-map") -> str:
    """The map as SVG text (one <svg> element with <title> and <desc>, role="img"): sites as squares
    labelled with their names, photos as dots coloured by their distance flag, a scale bar in km and
    a legend. Points without coordinates are the caller's to leave out."""
    project = projection_for([(s.lat, s.lon) for s in sites] + [(p.lat, p.lon) for p in photos])
    svg = ET.Element("svg", {"xmlns": SVG_NS, "id": svg_id, "class": "visit-map", "viewBox": f"0 0 {WIDTH} {HEIGHT}",
                             "role": "img", "aria-labelledby": f"{svg_id}-title {svg_id}-desc",
                             "font-family": "sans-serif", "font-size": "14"})
    _sub(svg, "title", {"id": f"{svg_id}-title"}, title)
    _sub(svg, "desc", {"id": f"{svg_id}-desc"}, description)
    _sub(svg, "rect", {"x": 0, "y": 0, "width": WIDTH, "height": HEIGHT, "fill": "#f7f9fb", "stroke": "#c9d3de"})
    _sub(svg, "text", {"x": WIDTH - 16, "y": 28, "text-anchor": "end", "font-size": 16, "fill": "#44546a"}, "北 ↑")
    site_layer = _sub(svg, "g", {"class": "sites"})
    squares = [project(site.lat, site.lon) for site in sites]
    taken = [(x - 7, y - 7, x + 7, y + 7) for x, y in squares] + [(0, 0, WIDTH, TOP)]
    for number, (site, (x, y)) in enumerate(zip(sites, squares), 1):
        group = _sub(site_layer, "g", {"class": "site current" if site.current else "site", "data-n": number})
        _sub(group, "title", None, f"{number} {site.name}")
        size = 14 if site.current else 10
        _sub(group, "rect", {"x": _fmt(x - size / 2), "y": _fmt(y - size / 2), "width": size, "height": size,
                             "fill": "#1f4e79" if site.current else "#fff", "stroke": "#1f4e79", "stroke-width": 2})
        text, tx, ty, anchor = _place_label(site.name, str(number), x, y, taken)
        _sub(group, "text", {"x": _fmt(tx), "y": _fmt(ty), "text-anchor": anchor, "fill": "#1a2330",
                             "paint-order": "stroke", "stroke": "#f7f9fb", "stroke-width": 3,
                             "font-weight": "bold" if site.current else "normal"}, text)
    photo_layer = _sub(svg, "g", {"class": "photos"})
    for photo in photos:
        x, y = project(photo.lat, photo.lon)
        dot = _sub(photo_layer, "circle", {"cx": _fmt(x), "cy": _fmt(y), "r": 5, "fill": COLOURS.get(photo.flag, COLOURS["unknown"]),
                                           "fill-opacity": "0.85", "stroke": "#fff", "stroke-width": 1.5,
                                           "data-flag": photo.flag})
        if photo.label:
            _sub(dot, "title", None, photo.label)
    _scale_bar(svg, project.px_per_km)
    _legend(svg, max_km, {p.flag for p in photos})
    return ET.tostring(svg, encoding="unicode")


def _text_width(text: str, size: int = 14) -> float:
    """Roughly how wide `text` is drawn: a CJK character is one em, other characters about half."""
    return sum(size if ord(ch) > 0x2E80 else size * 0.55 for ch in text)


# Where a label may go around its square: (dx, dy of the baseline, anchor), nearest first.
_LABEL_SPOTS = ((10, -8, "start"), (10, 18, "start"), (-10, -8, "end"), (-10, 18, "end"),
                (10, -26, "start"), (-10, -26, "end"), (10, 36, "start"), (-10, 36, "end"))


def _place_label(name: str, number: str, x: float, y: float, taken: list) -> tuple[str, float, float, str]:
    """The first spot around (x, y) where the site's name overlaps no label, square or the legend
    band and stays inside the drawing; else the site's number alone (its name is in the square's
    <title> and in the page's list of sites). The chosen box joins `taken`."""
    for text in (name, number):
        width = _text_width(text)
        for dx, dy, anchor in _LABEL_SPOTS:
            left = x + dx if anchor == "start" else x + dx - width
            box = (left, y + dy - 14, left + width, y + dy + 3)
            inside = box[0] >= 2 and box[2] <= WIDTH - 2 and box[3] <= HEIGHT - BOTTOM
            if inside and not any(_overlap(box, other) for other in taken):
                taken.append(box)
                return text, x + dx, y + dy, anchor
    return number, x + 10, y - 8, "start"


def _overlap(a, b) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def _scale_bar(svg, px_per_km: float) -> None:
    km = scale_bar_km(px_per_km)
    length = km * px_per_km
    x0, y0 = 20, HEIGHT - 18
    bar = _sub(svg, "g", {"class": "scale-bar", "data-km": f"{km:g}", "data-px": _fmt(length)})
    _sub(bar, "path", {"d": f"M{x0},{y0 - 6} V{y0} H{_fmt(x0 + length)} V{y0 - 6}", "fill": "none", "stroke": "#1a2330",
                       "stroke-width": 2})
    _sub(bar, "text", {"x": _fmt(x0 + length / 2), "y": y0 - 10, "text-anchor": "middle"}, format_km(km))


def _legend(svg, max_km: float, flags: set[str]) -> None:
    legend = _sub(svg, "g", {"class": "legend"})
    y = 24
    _sub(legend, "line", {"x1": 0, "y1": TOP, "x2": WIDTH, "y2": TOP, "stroke": "#c9d3de"})
    for flag in ("near", "far", "unknown"):
        if flag not in flags:
            continue
        _sub(legend, "circle", {"cx": 24, "cy": y - 5, "r": 6, "fill": COLOURS[flag]})
        _sub(legend, "text", {"x": 36, "y": y}, LEGEND[flag].format(km=format_km(max_km)))
        y += 22
    _sub(legend, "rect", {"x": 18, "y": y - 11, "width": 12, "height": 12, "fill": "#1f4e79"})
    _sub(legend, "text", {"x": 36, "y": y}, "实心方块：本次核查点位；空心方块：本县其他点位；数字为点位编号")
