"""周报 / 月报: the figures of one period and scope as they stood at its end, as a page, a DOCX
circular and an XLSX workbook.

The figures come from the items' status history (dashboard/periods.py), never from their current
status, so a report downloaded later says exactly what it said on the day after its period ended.
The report fits its scope: a county's breaks down by responsible unit in a county's wording, a
city's and a team's by county, the province's by city and by county.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from inspect_app import access
from inspect_app.dashboard import periods, service
from inspect_app.dashboard.charts import percent
from inspect_app.documents.dates import cn_date, cn_date_range, to_china
from inspect_app.documents.download_names import DownloadName, download_name
from inspect_app.documents.official_docx import OfficialDocument, Section, Table, build_official_document
from inspect_app.documents.workbook import build_tables
from inspect_app.org.models import RegionLevel
from inspect_app.roles import Role

BEHIND_COUNT = 5


@dataclass(frozen=True)
class Scope:
    """What a report speaks for. `level`: province | city | county | team."""

    level: str
    name: str
    code: str | None = None
    region_id: int | None = None

    @property
    def breakdowns(self) -> tuple[str, ...]:
        """The places the report is broken down by, outermost first."""
        return {"province": ("city", "county"), "county": ("unit",)}.get(self.level, ("county",))

    @property
    def place_word(self) -> str:
        """The finest breakdown's name in running text: 责任单位 for a county, else 县（市、区）."""
        return BREAKDOWN_LABELS[self.breakdowns[-1]]

    @property
    def closing(self) -> str:
        if self.level == "county":
            return "请各责任单位对照超期和滞后事项，明确整改责任人和完成时限，逐项整改落实到位。"
        if self.level == "province":
            return "请各地对照超期和滞后事项，压实责任单位责任，逐项整改落实到位。"
        return "请各县（市、区）对照超期和滞后事项，压实责任单位责任，逐项整改落实到位。"


BREAKDOWN_LABELS = {"city": "市（州）", "county": "县（市、区）", "unit": "责任单位"}
SHEET_TITLES = {"city": "按市（州）", "county": "按县（市、区）", "unit": "按责任单位"}


def scope_of(user, region=None) -> Scope:
    """The report's scope: the region asked for (a county or city inside the user's scope), else the
    user's own: a county coordinator's or unit responder's county, a city viewer's city, a team's
    counties, or the province."""
    if region is None and user.role in (*access.COUNTY_ROLES, Role.CITY_VIEWER):
        region = user.region
    if region is not None:
        level = "county" if region.level == RegionLevel.COUNTY else "city"
        return Scope(level, region.name, region.code, region.id)
    if user.role in access.TEAM_ROLES:
        return Scope("team", access.scope_name(user))
    return Scope("province", access.scope_name(user))


@dataclass
class Report:
    kind: str                    # "week" | "month"
    period: periods.Period
    scope: Scope
    as_of: datetime              # the instant the end figures describe (UTC)
    figures: periods.PeriodFigures
    breakdowns: dict[str, list[periods.PeriodRow]]
    behind: list[periods.PeriodRow]

    @property
    def start(self) -> date:
        return self.period.start

    @property
    def end(self) -> date:
        return self.period.end

    @property
    def complete(self) -> bool:
        """Whether the period is over (its figures will not change any more)."""
        return self.as_of >= self.period.end_utc

    @property
    def total(self) -> periods.PeriodRow:
        return self.figures.total

    @property
    def kind_label(self) -> str:
        return "周报" if self.kind == "week" else "月报"

    @property
    def scope_name(self) -> str:
        return self.scope.name

    @property
    def period_label(self) -> str:
        return _label(self.period)

    @property
    def previous_label(self) -> str:
        return _label(self.period.previous())

    @property
    def as_of_label(self) -> str:
        """截至… : the period's last day once it is over, else today (Beijing)."""
        return cn_date(self.period.end) if self.complete else cn_date(to_china(self.as_of).date())

    @property
    def issued_on(self) -> date:
        """The circular's date: the day after the period, or today while it runs."""
        return self.period.end + timedelta(days=1) if self.complete else to_china(self.as_of).date()

    @property
    def title(self) -> str:
        return f"{self.scope_name}医共体建设核查问题整改{self.kind_label}"

    @property
    def scope_code(self) -> str:
        """The ASCII code of the report's scope for its file name: the county's or city's GB/T 2260
        code, else "team" or "province"."""
        return self.scope.code or self.scope.level

    def download_name(self, ext: str) -> DownloadName:
        """新野县_整改周报_2022-07-18_2022-07-24.docx, fallback report-week-411329-2022-07-18-2022-07-24.docx."""
        return download_name(f"整改{self.kind_label}", f"report-{self.kind}", self.end, ext, scope=self.scope_name,
                             scope_code=self.scope_code, detail=self.start.isoformat(),
                             detail_ascii=self.start.isoformat())

    def summary(self) -> list[str]:
        """The 总体情况 paragraphs: the period's changes, the figures at its end, the 环比."""
        f, p, e, pe = self.total.flow, self.total.previous_flow, self.total.end, self.total.previous_end
        lines = [
            f"本期（{self.period_label}）新下发整改事项{f.issued}项，验收销号{f.closed}项，新增超期{f.newly_overdue}项，"
            f"退回重新整改{f.returned}次，同意延期{f.extended}次" + (f"，重新打开{f.reopened}次" if f.reopened else "") + "。",
            f"截至{self.as_of_label}，累计下发整改事项{e.issued}项，已销号{e.closed}项，销号率{percent(e.closure_rate)}；"
            f"待整改{e.pending}项，整改中{e.in_progress}项，待验收{e.submitted}项；已超期{e.overdue}项，"
            f"超期率{percent(e.overdue_rate)}。",
            f"与上期（{self.previous_label}）相比，销号率{points(e.closure_rate - pe.closure_rate)}，"
            f"已超期事项{change(e.overdue - pe.overdue)}；本期新下发{change(f.issued - p.issued)}，"
            f"验收销号{change(f.closed - p.closed)}。",
        ]
        return lines


def _label(period: periods.Period) -> str:
    if period.kind == "month":
        return f"{period.start.year}年{period.start.month}月"
    iso = period.start.isocalendar()
    return f"{iso[0]}年第{iso[1]}周（{cn_date_range(period.start, period.end)}）"


def change(n: int) -> str:
    """增加3项 / 减少2项 / 持平 (a count's 环比 in running text)."""
    return f"增加{n}项" if n > 0 else f"减少{-n}项" if n < 0 else "持平"


def points(fraction: float) -> str:
    """A rate's 环比 in running text: 上升5.0个百分点 / 下降1.2个百分点 / 持平."""
    value = round(fraction * 100, 1)
    return f"上升{value:.1f}个百分点" if value > 0 else f"下降{-value:.1f}个百分点" if value < 0 else "持平"


def signed_points(fraction: float) -> str:
    """A rate's 环比 in a table cell, in percentage points: +5.0 / -1.2 / 0.0."""
    return f"{round(fraction * 100, 1):+.1f}".replace("+0.0", "0.0").replace("-0.0", "0.0")


def rag(snapshot: periods.Snapshot) -> str:
    """The 红黄绿 rating of figures at an instant, by the dashboard's thresholds (service.RAG_*)."""
    if snapshot.overdue_rate > service.RED_OVERDUE_RATE or snapshot.closure_rate < service.RED_CLOSURE_RATE:
        return "red"
    if snapshot.closure_rate >= service.GREEN_CLOSURE_RATE and snapshot.overdue == 0:
        return "green"
    return "amber"


def build(user, campaign_id: int | None, kind: str, day: date, region=None) -> Report:
    """The report of the week or month containing the Beijing day `day`, for the user's scope
    narrowed to `region` (a city or county the caller has already checked), one campaign or all."""
    scope = scope_of(user, region)
    period = periods.period_of(kind, day)
    drill = {"county_id": region.id} if region is not None and scope.level == "county" else \
        {"city_id": region.id} if region is not None else {}
    where = periods.scope_clause(user, campaign_id, **drill)
    now = service.now()
    found = periods.figures(where, period, now, by_unit="unit" in scope.breakdowns)
    breakdowns = {level: found.by(level) for level in scope.breakdowns}
    finest = breakdowns[scope.breakdowns[-1]]
    ranked = sorted(finest, key=lambda r: (-r.end.closure_rate, r.end.overdue_rate, r.key))
    # 未指派 (items without a unit yet) is not a place that can lag behind.
    behind = [r for r in reversed(ranked) if r.key and r.end.issued and rag(r.end) != "green"][:BEHIND_COUNT]
    return Report(kind=kind, period=period, scope=scope, as_of=periods.as_of(period, now), figures=found,
                  breakdowns=breakdowns, behind=behind)


# ---------------------------------------------------------------- DOCX

TABLE_COLUMNS = ["累计下发", "已销号", "销号率", "已超期", "本期销号", "新增超期", "销号率环比"]
# Millimetres on the 156 mm text block: the name column takes what the figures leave.
TABLE_WIDTHS = [9, 30, 13, 13, 19, 13, 13, 13, 19]


def table_rows(rows: list[periods.PeriodRow]) -> list[list[str]]:
    """A breakdown as the circular's table rows (text cells; the rate's 环比 in percentage points)."""
    return [[str(i), r.name, str(r.end.issued), str(r.end.closed), percent(r.end.closure_rate), str(r.end.overdue),
             str(r.flow.closed), str(r.flow.newly_overdue), signed_points(r.closure_rate_change)]
            for i, r in enumerate(rows, 1)]


def to_docx(report: Report, user) -> bytes:
    """The report as an official circular (GB/T 9704 layout), in the wording of its scope."""
    word = report.scope.place_word
    sections = [Section("总体情况", paragraphs=report.summary())]
    for level in report.scope.breakdowns:
        label = BREAKDOWN_LABELS[level]
        sections.append(Section(f"各{label}整改情况", paragraphs=[
            f"累计数截至{report.as_of_label}；本期销号、新增超期为本期内的变化；销号率环比为与上期末相比的百分点。"],
            table=Table(["序号", label, *TABLE_COLUMNS], table_rows(report.breakdowns[level]), TABLE_WIDTHS)))
    behind = [f"{r.name}：下发{r.end.issued}项，已销号{r.end.closed}项，销号率{percent(r.end.closure_rate)}，"
              f"超期{r.end.overdue}项。" for r in report.behind] or [f"本期无整改进度明显滞后的{word}。"]
    sections.append(Section(f"整改进度滞后的{word}", paragraphs=[
        "评级为红色（超期率超过10%或销号率低于50%）或黄色的，按销号率从低到高列出：", *behind]
        if report.behind else behind))
    doc = OfficialDocument(
        title=f"{report.title}\n（{report.period_label}）",
        intro=[f"现将{report.period_label}{report.scope_name}医共体建设核查反馈问题整改情况通报如下。"],
        sections=sections,
        closing=[report.scope.closing],
        issuer=user.organisation or user.display_name,
        issued_on=report.issued_on,
    )
    return build_official_document(doc)


# ---------------------------------------------------------------- XLSX

BREAKDOWN_COLUMNS = ["区划代码/编号", "累计下发", "已销号", "销号率(%)", "待整改", "整改中", "待验收", "已超期",
                     "本期新下发", "本期销号", "本期新增超期", "本期退回", "本期延期", "本期重新打开",
                     "上期末销号率(%)", "销号率环比(百分点)", "上期末已超期", "评级"]


def _pct(fraction: float) -> float:
    return round(fraction * 100, 1)


def summary_rows(report: Report) -> list[list]:
    """The 总体情况 sheet: each figure at this period's end and the previous one's, and the change."""
    t = report.total
    e, pe, f, pf = t.end, t.previous_end, t.flow, t.previous_flow
    pairs = [("期末累计下发", e.issued, pe.issued), ("期末已销号", e.closed, pe.closed),
             ("期末销号率(%)", _pct(e.closure_rate), _pct(pe.closure_rate)),
             ("期末待整改", e.pending, pe.pending), ("期末整改中", e.in_progress, pe.in_progress),
             ("期末待验收", e.submitted, pe.submitted), ("期末已超期", e.overdue, pe.overdue),
             ("新下发", f.issued, pf.issued), ("验收销号", f.closed, pf.closed),
             ("新增超期", f.newly_overdue, pf.newly_overdue), ("退回", f.returned, pf.returned),
             ("同意延期", f.extended, pf.extended), ("重新打开", f.reopened, pf.reopened)]
    return [[name, now, before, round(now - before, 1)] for name, now, before in pairs]


def breakdown_rows(rows: list[periods.PeriodRow]) -> list[list]:
    """One breakdown sheet's rows (numbers as numbers)."""
    return [[r.name, r.key, r.end.issued, r.end.closed, _pct(r.end.closure_rate), r.end.pending, r.end.in_progress,
             r.end.submitted, r.end.overdue, r.flow.issued, r.flow.closed, r.flow.newly_overdue, r.flow.returned,
             r.flow.extended, r.flow.reopened, _pct(r.previous_end.closure_rate), _pct(r.closure_rate_change),
             r.previous_end.overdue, service.RAG_LABELS[rag(r.end)]] for r in rows]


def to_xlsx(report: Report) -> bytes:
    """The period figures: a 总体情况 sheet (本期 / 上期 / 环比), then one sheet per breakdown."""
    columns = ["指标", f"本期（{report.period_label}，截至{report.as_of_label}）", f"上期（{report.previous_label}）",
               "环比"]
    sheets = [("总体情况", columns, summary_rows(report))]
    for level in report.scope.breakdowns:
        sheets.append((SHEET_TITLES[level], [BREAKDOWN_LABELS[level], *BREAKDOWN_COLUMNS],
                       breakdown_rows(report.breakdowns[level])))
    stamp = datetime.combine(report.issued_on, datetime.min.time())
    return build_tables(report.title, sheets, generated_at=stamp)
