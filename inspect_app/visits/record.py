"""The 现场核查记录表 of a visit (issue 14): the visit screen's content gathered into the pure
builder documents.visit_record_docx. Access is the visit's (visits.service.load_visit)."""
from __future__ import annotations

from inspect_app.campaigns.models import Team
from inspect_app.documents.dates import iso_date, to_china
from inspect_app.documents.download_names import DownloadName, download_name
from inspect_app.rectification import date_rules
from inspect_app.documents.visit_record_docx import (RecordAnswer, RecordFinding, VisitRecord,
                                                     visit_record_document)
from inspect_app.extensions import db
from inspect_app.media import service as media_service
from inspect_app.visits import service
from inspect_app.visits.models import FindingStatus, SiteVisit


def record_docx(visit: SiteVisit) -> bytes:
    """The visit's record as DOCX bytes: site, date, team, every applicable item's answer and note,
    the findings (merged ones are shown under the finding they were merged into) with their photos,
    the score fixed at submit, and signature lines for both sides."""
    screen = service.visit_screen(visit)
    answers = [RecordAnswer(section.title, row.item.code, row.item.content,
                            row.answer.result.label if row.answer and row.answer.result else "",
                            row.answer.note if row.answer else "")
               for section, rows in screen.sections for row in rows]
    findings = [f for row in screen.rows for f in row.findings] + list(screen.free_findings)
    findings = [f for f in findings if f.status != FindingStatus.MERGED]
    site = visit.site.name
    record_findings = []
    for number, finding in enumerate(findings, start=1):
        label = f"问题{number}"
        photos = [p for p in (media_service.annex_photo(photo, label)
                              for photo in screen.photos_by_finding.get(finding.id, [])) if p is not None]
        record_findings.append(RecordFinding(finding.description, finding.category, finding.severity.label,
                                             finding.rectification_type.label,
                                             finding.item.code if finding.item else "", photos))
    score = service.stored_score(visit)
    if score is None or score.percent is None:
        score_text = ""
    else:
        score_text = (f"本点位得分{score.percent:.1f}分（得{score.points:g}分，满分{score.possible:g}分）"
                      + (f"；一票否决项{'、'.join(score.vetoed)}不符合要求" if score.vetoed else "") + "。")
    return visit_record_document(VisitRecord(
        campaign=visit.campaign.name, county=visit.site.county.name, site=site,
        site_kind=visit.site.kind.name if visit.site.kind else "",
        visit_date=to_china(visit.started_at).date(), team=_team_name(visit), inspectors=_inspectors(visit),
        checklist=visit.checklist_version.label if visit.checklist_version else "",
        status=visit.status.label, score=score_text, answers=answers, findings=record_findings,
        made_on=date_rules.today()))


def record_filename(visit: SiteVisit) -> DownloadName:
    """``新野县_现场核查记录表_新野县人民医院_2022-07-10.docx`` (county, what, site, visit day), ASCII
    fallback ``visit-record-411329-site<id>-2022-07-10.docx`` (issue 14: names say what and when)."""
    return download_name("现场核查记录表", "visit-record", date_rules.beijing_date(visit.started_at), "docx",
                         scope=visit.site.county.name, scope_code=visit.site.county.code,
                         detail=visit.site.name, detail_ascii=f"site{visit.site_id}")


def _team(visit: SiteVisit) -> Team | None:
    return db.session.get(Team, visit.team_id) if visit.team_id else None


def _team_name(visit: SiteVisit) -> str:
    team = _team(visit)
    return team.name if team else ""


def _inspectors(visit: SiteVisit) -> list[str]:
    """The team's leader and members, and whoever started the visit, each once."""
    team = _team(visit)
    people = ([team.leader] if team and team.leader else []) + (list(team.members) if team else [])
    people.append(visit.inspector)
    names: list[str] = []
    for person in people:
        if person is not None and person.display_name not in names:
            names.append(person.display_name)
    return names
