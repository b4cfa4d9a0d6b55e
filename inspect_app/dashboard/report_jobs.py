"""周报 / 月报 downloads (DOCX, XLSX) as background jobs when their scope is large (issue 12).

Same pattern as the ledger (rectification/ledger.py) and the evidence package: a report over at most
`inline_max()` items is written while the user waits; a larger one is offered as a job of kind
"report" (jobs/), whose file only its owner downloads, within the scope it was made in
(jobs.service.load_for). The job's parameters are what the download URL carries (format, kind, day,
campaign, county or city code); the runner resolves them again for the owner, so a job never writes
a report of a place its owner can no longer see, and the file is the one the synchronous download
gives for the same arguments (same figures, same bytes).
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

import sqlalchemy as sa
from flask import current_app

from inspect_app import access
from inspect_app.access import Permission
from inspect_app.auth.models import User
from inspect_app.dashboard import periods, reports
from inspect_app.errors import DomainError
from inspect_app.documents.download_names import DownloadName
from inspect_app.extensions import db
from inspect_app.jobs import service as jobs_service
from inspect_app.org.models import Region, RegionLevel
from inspect_app.rectification.models import RectificationItem

MIMETYPES = {"docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
             "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
FORMAT_LABELS = {"docx": "Word（通报）", "xlsx": "Excel（数据）"}
STEPS = 2          # the figures, then the document (progress shows the percentage only)


def inline_max() -> int:
    """Reports over at most this many items are written while the user waits (REPORT_INLINE_MAX,
    20,000: well under a second of history queries); larger scopes become a background job."""
    return current_app.config["REPORT_INLINE_MAX"]


@dataclass(frozen=True)
class Request:
    """What one report download asks for: format, kind (week | month), a Beijing day inside the
    period, one campaign id or None (all), and the county or city asked for (None: the user's own
    scope; the caller has checked it is inside the user's scope)."""

    fmt: str
    kind: str
    day: dt.date
    campaign_id: int | None
    region: Region | None

    def params(self) -> dict:
        """The job's stored parameters (plain JSON values)."""
        out = {"fmt": self.fmt, "kind": self.kind, "day": self.day.isoformat(),
               "campaign": str(self.campaign_id) if self.campaign_id else "all"}
        if self.region is not None:
            out["county" if self.region.level == RegionLevel.COUNTY else "city"] = self.region.code
        return out

    def args(self) -> dict:
        """The download URL's query arguments for the same report."""
        return {k: v for k, v in self.params().items() if k != "fmt"}


def item_count(user, request: Request) -> int:
    """How many items the report covers (one COUNT over periods.scope_clause)."""
    where = periods.scope_clause(user, request.campaign_id, **_drill(request))
    return db.session.scalar(sa.select(sa.func.count(RectificationItem.id)).where(where))


def is_large(user, request: Request) -> bool:
    """Whether this download goes to a background job (more than `inline_max()` items)."""
    return item_count(user, request) > inline_max()


def _drill(request: Request) -> dict:
    if request.region is None:
        return {}
    return {"county_id": request.region.id} if request.region.level == RegionLevel.COUNTY \
        else {"city_id": request.region.id}


def build(user, request: Request) -> reports.Report:
    """The report's figures (reports.build) for this request."""
    return reports.build(user, request.campaign_id, request.kind, request.day, request.region)


def render_file(report: reports.Report, fmt: str, user) -> bytes:
    """The report as DOCX (official circular) or XLSX bytes — the one writer of both ways."""
    return reports.to_docx(report, user) if fmt == "docx" else reports.to_xlsx(report)


def title(user, request: Request) -> str:
    """The job's title: 新野县整改周报（2022年第28周（…））Word（通报）."""
    scope = reports.scope_of(user, request.region)
    kind = "周报" if request.kind == "week" else "月报"
    return f"{scope.name}整改{kind}（{reports._label(periods.period_of(request.kind, request.day))}）" \
           f"{FORMAT_LABELS[request.fmt]}"


def from_params(owner, params: dict) -> Request:
    """The request stored with a job, resolved again for its owner; DomainError (in Chinese) when the
    county or city asked for is no longer inside the owner's scope or the parameters are unusable."""
    try:
        fmt, kind = params["fmt"], params["kind"]
        day = dt.date.fromisoformat(params["day"])
        campaign = params.get("campaign", "all")
        campaign_id = None if campaign == "all" else int(campaign)
    except (KeyError, ValueError, TypeError) as exc:
        raise DomainError("报告参数无效，请回到周报/月报页面重新下载") from exc
    if fmt not in MIMETYPES or kind not in ("week", "month"):
        raise DomainError("报告参数无效，请回到周报/月报页面重新下载")
    region = None
    if params.get("county") or params.get("city"):
        level = RegionLevel.COUNTY if params.get("county") else RegionLevel.CITY
        code = params.get("county") or params.get("city")
        region = db.session.execute(sa.select(Region).where(Region.code == code, Region.level == level)) \
            .scalar_one_or_none()
        visible = region is not None and (access.can_see_county(owner, region.id) if level == RegionLevel.COUNTY
                                          else access.can_see_city(owner, region.id))
        if not visible:
            raise DomainError("无权查看该县(市)或市，或其已不存在")
    if campaign_id is not None and campaign_id not in {c.id for c in _campaigns(owner)}:
        raise DomainError("无权查看该核查任务，或其已不存在")
    return Request(fmt, kind, day, campaign_id, region)


def _campaigns(user):
    from inspect_app.dashboard import service
    return service.campaigns(user)


def run_job(job, report: Callable[[int, int], None]) -> tuple[str, DownloadName]:
    """The report job's runner (jobs.service.KINDS['report']): the figures (step 1), then the
    document (step 2), written to a temporary file. Returns (temporary file, download name)."""
    owner = db.session.get(User, job.owner_id)
    request = from_params(owner, job.params or {})
    report(0, STEPS)
    found = build(owner, request)
    report(1, STEPS)
    body = render_file(found, request.fmt, owner)
    path = jobs_service.temp_path("." + request.fmt)
    with open(path, "wb") as out:
        out.write(body)
    return path, found.download_name(request.fmt)


jobs_service.register("report", jobs_service.Kind("周报/月报", Permission.REPORT_EXPORT, run_job, unit=""))
