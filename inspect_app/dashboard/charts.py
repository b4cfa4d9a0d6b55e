"""Charts drawn on the server as inline SVG: no charting script to download, they print well and
work on a slow tablet.

Only SVG presentation attributes (fill=, stroke=) and CSS classes are used — the Content Security
Policy forbids style attributes. Every chart carries a <title> and a <desc> for screen readers, and
the page puts its numbers in a table right after it.
"""
from __future__ import annotations

from markupsafe import Markup, escape

COLOURS = {"red": "#c0392b", "amber": "#d68910", "green": "#1e8449", "blue": "#2e6da4", "grey": "#7f8c8d"}
FONT = "system-ui, 'Noto Sans CJK SC', 'Microsoft YaHei', sans-serif"
# Drawing sizes in viewBox units. The charts scale to their card; the viewBoxes are kept narrow
# (about a half-width card at 1024 px) and the CSS gives each chart a minimum width (bars 28rem = 448 px,
# burn-up 24rem = 384 px), so text is drawn at ≥ FONT_SIZE × 384 / 480 = 12.8 px at every card width
# (issue 14, seen 7).
FONT_SIZE = 16
ROW, LABEL_W, BAR_W, VALUE_W = 36, 170, 230, 80
LINK_ROW = 48       # a row that is a drill-down link: ≥ 44 px tall at the 28rem minimum width
BURNUP_W = 480


def percent(value: float) -> str:
    """0.8567 → '85.7%'."""
    return f"{value * 100:.1f}%"


def bar_chart(bars: list[tuple[str, float, str, str]], *, title: str, maximum: float = 1.0,
              formatter=percent, links: list[str | None] | None = None) -> Markup:
    """A horizontal bar chart: one bar per (label, value, colour key, tooltip), value 0..maximum.

    With `links`, each bar is a drill-down link that swaps #dashboard via htmx and pushes its URL
    (a plain link without JavaScript)."""
    row, label_w, bar_w, value_w = (LINK_ROW if links else ROW), LABEL_W, BAR_W, VALUE_W
    width = label_w + bar_w + value_w
    height = max(row * len(bars) + 10, 40)
    out = [f'<svg class="chart chart-bars" viewBox="0 0 {width} {height}" width="100%" '
           f'role="img" aria-labelledby="t-{_id(title)}" xmlns="http://www.w3.org/2000/svg" '
           f'font-family="{FONT}" font-size="{FONT_SIZE}">',
           f'<title id="t-{_id(title)}">{escape(title)}</title>']
    if not bars:
        out.append(f'<text x="{width / 2}" y="25" text-anchor="middle" fill="#6b7785">暂无数据</text>')
    for i, (label, value, colour, tip) in enumerate(bars):
        top = 5 + i * row
        y = top + (row - 34) // 2          # the label and bar (34 units) centred in the row
        length = 0 if maximum <= 0 else max(0.0, min(1.0, value / maximum)) * bar_w
        name = label if len(label) <= 10 else label[:9] + "…"
        link = links[i] if links else None
        opening = (f'<a href="{escape(link)}" hx-get="{escape(link)}" hx-target="#dashboard" hx-swap="outerHTML" '
                   f'hx-push-url="true" class="chart-link">' if link else "")
        out.append(f'{opening}<g><title>{escape(tip)}</title>'
                   f'<rect x="0" y="{top}" width="{width}" height="{row}" fill="transparent"/>'
                   f'<text x="{label_w - 8}" y="{y + 22}" text-anchor="end" fill="#1f2d3d">{escape(name)}</text>'
                   f'<rect x="{label_w}" y="{y + 6}" width="{bar_w}" height="22" fill="#eef2f6"/>'
                   f'<rect x="{label_w}" y="{y + 6}" width="{length:.1f}" height="22" '
                   f'fill="{COLOURS.get(colour, COLOURS["blue"])}"/>'
                   f'<text x="{label_w + bar_w + 8}" y="{y + 22}" fill="#1f2d3d">{escape(formatter(value))}</text></g>'
                   f'{"</a>" if link else ""}')
    out.append("</svg>")
    return Markup("".join(out))


def burnup_chart(points, *, title: str) -> Markup:
    """Cumulative issued vs closed per week: two lines, the closed area shaded."""
    width, height, left, right, top, bottom = BURNUP_W, 280, 48, 16, 32, 40
    plot_w, plot_h = width - left - right, height - top - bottom
    out = [f'<svg class="chart chart-burnup" viewBox="0 0 {width} {height}" width="100%" role="img" '
           f'aria-labelledby="t-{_id(title)}" xmlns="http://www.w3.org/2000/svg" font-family="{FONT}" font-size="{FONT_SIZE}">',
           f'<title id="t-{_id(title)}">{escape(title)}</title>']
    if not points:
        out.append(f'<text x="{width / 2}" y="{height / 2}" text-anchor="middle" fill="#6b7785">暂无数据</text></svg>')
        return Markup("".join(out))
    top_value = max(max(p.issued_total for p in points), 1)
    step = _nice_step(top_value)
    y_max = step * -(-top_value // step)
    n = len(points)

    def x(i):
        return left + (plot_w * i / (n - 1) if n > 1 else plot_w / 2)

    def y(v):
        return top + plot_h - plot_h * v / y_max

    for k in range(0, int(y_max // step) + 1):
        v = k * step
        out.append(f'<line x1="{left}" x2="{width - right}" y1="{y(v):.1f}" y2="{y(v):.1f}" stroke="#e3e8ee"/>'
                   f'<text x="{left - 6}" y="{y(v) + 4:.1f}" text-anchor="end" fill="#6b7785">{v}</text>')
    every = max(1, -(-n // 6))
    for i, p in enumerate(points):
        if i % every == 0 or i == n - 1:
            anchor = "end" if i == n - 1 and n > 1 else "start" if i == 0 and n > 1 else "middle"
            out.append(f'<text x="{x(i):.1f}" y="{height - bottom + 18}" text-anchor="{anchor}" fill="#6b7785">'
                       f'{p.week.month}/{p.week.day}</text>')
    issued = " ".join(f"{x(i):.1f},{y(p.issued_total):.1f}" for i, p in enumerate(points))
    closed = " ".join(f"{x(i):.1f},{y(p.closed_total):.1f}" for i, p in enumerate(points))
    base = top + plot_h
    out.append(f'<polygon points="{x(0):.1f},{base} {closed} {x(n - 1):.1f},{base}" fill="#1e8449" '
               f'fill-opacity="0.15"/>')
    out.append(f'<polyline points="{issued}" fill="none" stroke="{COLOURS["blue"]}" stroke-width="2.5">'
               f'<title>累计下发</title></polyline>')
    out.append(f'<polyline points="{closed}" fill="none" stroke="{COLOURS["green"]}" stroke-width="2.5">'
               f'<title>累计销号</title></polyline>')
    for i, p in enumerate(points):      # the weekly points themselves: a single week is a pair of dots
        for value, colour, label in ((p.issued_total, "blue", "累计下发"), (p.closed_total, "green", "累计销号")):
            out.append(f'<circle cx="{x(i):.1f}" cy="{y(value):.1f}" r="{4 if n <= 26 else 2.5}" '
                       f'fill="{COLOURS[colour]}"><title>{p.week.month}/{p.week.day} {label} {value}</title></circle>')
    last = points[-1]
    out.append(f'<g><rect x="{left + 8}" y="6" width="12" height="4" fill="{COLOURS["blue"]}"/>'
               f'<text x="{left + 24}" y="14" fill="#1f2d3d">累计下发 {last.issued_total}</text>'
               f'<rect x="{left + 168}" y="6" width="12" height="4" fill="{COLOURS["green"]}"/>'
               f'<text x="{left + 184}" y="14" fill="#1f2d3d">累计销号 {last.closed_total}</text></g>')
    out.append(f'<line x1="{left}" x2="{width - right}" y1="{base}" y2="{base}" stroke="#9aa5b1"/>')
    out.append("</svg>")
    return Markup("".join(out))


def _nice_step(top: int) -> int:
    """A round grid step giving about five lines."""
    raw = max(top / 5, 1)
    magnitude = 10 ** (len(str(int(raw))) - 1)
    for factor in (1, 2, 5, 10):
        if raw <= factor * magnitude:
            return int(factor * magnitude)
    return int(10 * magnitude)


def _id(title: str) -> str:
    return str(abs(hash(title)) % 10 ** 8)


def closure_chart(rows, *, title: str, limit: int = 30, link=None) -> Markup:
    """Closure rate by group as bars coloured red/amber/green; at most `limit` bars (the rows come
    worst-first when the caller wants the most behind shown). `link(key)` makes bars drill-down links."""
    rows = rows[:limit]
    bars = [(r.name, r.figures.closure_rate, r.figures.rag,
             f"{r.name}：销号率 {percent(r.figures.closure_rate)}（{r.figures.closed}/{r.figures.issued}），"
             f"超期 {r.figures.overdue}") for r in rows]
    links = [link(r.key) if r.key else None for r in rows] if link else None
    return bar_chart(bars, title=title, links=links)


def aging_chart(aging: dict, labels: dict, *, title: str) -> Markup:
    """Open items by aging bucket, as counts."""
    total = max(sum(aging.values()), 1)
    colours = {"overdue": "red", "le10": "amber", "le20": "blue", "gt20": "green"}
    bars = [(labels[k], aging.get(k, 0), colours[k], f"{labels[k]}：{aging.get(k, 0)} 项") for k in labels]
    return bar_chart(bars, title=title, maximum=total, formatter=lambda v: f"{int(v)} 项")
