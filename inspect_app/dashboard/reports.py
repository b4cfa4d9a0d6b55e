"""周报 / 月报: the figures of one period and scope, as a page, a DOCX circular and an XLSX workbook.

The numbers come from the same aggregate queries as the dashboard (service.py), so the report, the
page and the API always agree.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from inspect_app import access
from inspect_app.dashboard import service
from inspect_app.dashboard.charts import percent
from inspect_app.documents.dates import cn_date, cn_date_range
from inspect_app.documents.download_names import DownloadName, download_name
from inspect_app.documents.official_docx import OfficialDocument, Section, Table, build_official_document
from inspect_app.documents.workbook import build_simple_table
from inspect_app.org.models import RegionLevel
from inspect_app.roles import Role

BEHIND_COUNT = 5


@dataclass
class Report:
    kind: str                    # "week" | "month"
    start: date
    end: date
    scope_name: str
    today: date
    period: dict                 # issued / closed within the period
    totals: service.Figures      # cumulative, as of today
    counties: list[service.GroupRow]
    unit_overdue: list[dict]
    behind: list[service.GroupRow]
    scope_code: str = "province"  # GB/T 2260 code of the county or city, "team" or "province"

    @property
    def kind_label(self) -> str:
        return "周报" if self.kind == "week" else "月报"

    @property
    def period_label(self) -> str:
        if self.kind == "month":
            return f"{self.start.year}年{self.start.month}月"
        iso = self.start.isocalendar()
        return f"{iso[0]}年第{iso[1]}周（{cn_date_range(self.start, self.end)}）"

    @property
    def title(self) -> str:
        return f"{self.scope_name}医共体建设核查问题整改{self.kind_label}"

    def download_name(self, ext: str) -> DownloadName:
        """新野县_整改周报_2022-07-18_2022-07-24.docx, fallback report-week-411329-2022-07-18-2022-07-24.docx."""
        return download_name(f"整改{self.kind_label}", f"report-{self.kind}", self.end, ext, scope=self.scope_name,
                             scope_code=self.scope_code, detail=self.start.isoformat(),
                             detail_ascii=self.start.isoformat())

    def summary(self) -> list[str]:
        t = self.totals
        return [
            f"本期（{self.period_label}）新下发整改事项{self.period['issued']}项，验收销号{self.period['closed']}项。",
            f"截至{cn_date(self.today)}，累计下发整改事项{t.issued}项，已销号{t.closed}项，销号率{percent(t.closure_rate)}；"
            f"待整改{t.pending}项，整改中{t.in_progress}项，待验收{t.submitted}项；已超期{t.overdue}项，"
            f"超期率{percent(t.overdue_rate)}；累计退回{t.returns}次，重新打开{t.reopens}次。",
        ]


def build(user, filters: service.Filters, kind: str, start: date, end: date, region=None) -> Report:
    """Compute a report for the user's scope, narrowed to `region` (a city or a county) if given."""
    if region is not None and region.level == RegionLevel.COUNTY:
        filters = filters.narrowed(county_id=region.id)
    elif region is not None and region.level == RegionLevel.CITY:
        filters = filters.narrowed(city_id=region.id)
    totals, counties = service.closure(user, filters, "county")
    counties = service.ranking(counties)
    behind = [r for r in reversed(counties) if r.figures.rag != "green"][:BEHIND_COUNT]
    return Report(kind=kind, start=start, end=end, scope_name=region.name if region is not None else access.scope_name(user),
                  today=filters.today, period=service.period_counts(user, filters, start, end),
                  totals=totals, counties=counties,
                  unit_overdue=service.unit_overdue(user, filters), behind=behind,
                  scope_code=_scope_code(user, region))


def _scope_code(user, region) -> str:
    """The ASCII code of the report's scope for its file name."""
    if region is not None:
        return region.code
    if user.role in access.COUNTY_ROLES or user.role == Role.CITY_VIEWER:
        return user.region.code if user.region is not None else "region"
    return "team" if user.role in access.TEAM_ROLES else "province"


COUNTY_COLUMNS = ["序号", "县（市、区）", "问题总数", "已销号", "销号率", "已超期", "评级"]


def county_rows(report: Report) -> list[list[str]]:
    return [[str(i), r.name, str(r.figures.issued), str(r.figures.closed), percent(r.figures.closure_rate),
             str(r.figures.overdue), service.RAG_LABELS[r.figures.rag]] for i, r in enumerate(report.counties, 1)]


def to_docx(report: Report, user) -> bytes:
    """The report as an official circular (GB/T 9704 layout)."""
    behind = [f"{r.name}：下发{r.figures.issued}项，已销号{r.figures.closed}项，销号率{percent(r.figures.closure_rate)}，"
              f"超期{r.figures.overdue}项。" for r in report.behind] or ["本期无整改进度明显滞后的县（市、区）。"]
    overdue_rows = [[u["county"], u["unit"], str(u["overdue"])] for u in report.unit_overdue]
    sections = [
        Section("总体情况", paragraphs=report.summary()),
        Section("各县（市、区）整改情况", paragraphs=["按销号率从高到低排列；评级：红色为超期率超过10%或销号率低于50%，"
                                                  "绿色为销号率不低于80%且无超期事项，其余为黄色。"],
                table=Table(COUNTY_COLUMNS, county_rows(report))),
        Section("超期未销号事项分布", paragraphs=[] if overdue_rows else ["目前无超期未销号事项。"],
                table=Table(["县（市、区）", "责任单位", "超期事项数"], overdue_rows) if overdue_rows else None),
        Section("整改进度滞后的县（市、区）", paragraphs=behind),
    ]
    doc = OfficialDocument(
        title=f"{report.title}\n（{report.period_label}）",
        intro=[f"现将{report.period_label}{report.scope_name}医共体建设核查反馈问题整改情况通报如下。"],
        sections=sections,
        closing=["请各地对照超期和滞后事项，压实责任单位责任，逐项整改落实到位。"],
        issuer=user.organisation or user.display_name,
        issued_on=report.today,
    )
    return build_official_document(doc)


def to_xlsx(report: Report) -> bytes:
    """The figures per county, one row each, with a total row first."""
    columns = ["县（市、区）", "区划代码", "问题总数", "已销号", "销号率(%)", "待整改", "整改中", "待验收", "已超期",
               "超期率(%)", "退回次数", "评级"]

    def row(name, code, f):
        return [name, code, f.issued, f.closed, round(f.closure_rate * 100, 1), f.pending, f.in_progress,
                f.submitted, f.overdue, round(f.overdue_rate * 100, 1), f.returns, service.RAG_LABELS[f.rag]]

    rows = [row(f"合计（{report.scope_name}）", "", report.totals)]
    rows += [row(r.name, r.key, r.figures) for r in report.counties]
    return build_simple_table(f"{report.kind_label}{report.start.isoformat()}", columns, rows)
