"""Checklist versions, visits and findings for the visit tests, built directly with the models (the
checklists and campaigns services are developed separately)."""
import itertools
import uuid as uuid_module
from datetime import date

import sqlalchemy as sa

from inspect_app.campaigns.models import Campaign
from inspect_app.checklists.models import (ChecklistItem, ChecklistSection, ChecklistTemplate, ChecklistVersion,
                                           CheckMethod, VersionStatus)
from inspect_app.extensions import db, utcnow
from inspect_app.org.models import Site, SiteKind
from inspect_app.visits.models import (Answer, AnswerResult, Finding, FindingStatus, RectificationType, Severity,
                                       SiteVisit, VisitStatus)

SECTIONS = [("A", "责任共同体"), ("B", "管理共同体"), ("C", "服务共同体")]
_counter = itertools.count(1)


def new_uuid() -> str:
    return str(uuid_module.uuid4())


def kinds(*codes) -> list[SiteKind]:
    return db.session.execute(sa.select(SiteKind).where(SiteKind.code.in_(codes))).scalars().all()


def make_version(n_items: int = 12, kind_codes=("office",), other_items: int = 3,
                 other_kinds=("township_center",), campaign: Campaign | None = None) -> ChecklistVersion:
    """A published version with three sections: `n_items` items for `kind_codes` (every 4th needs a
    photo) and `other_items` for `other_kinds` only, spread over the sections. Attached to `campaign`
    (the world's campaign by default)."""
    number = next(_counter)
    template = ChecklistTemplate(name=f"紧密型县域医共体建设核查表{number}")
    version = ChecklistVersion(template=template, label=f"2022版{number}", status=VersionStatus.PUBLISHED,
                               published_at=utcnow())
    db.session.add(version)
    sections = [ChecklistSection(version=version, code=code, title=title, position=i)
                for i, (code, title) in enumerate(SECTIONS)]
    db.session.add_all(sections)
    db.session.flush()
    applies, others = kinds(*kind_codes), kinds(*other_kinds)
    methods = list(CheckMethod)
    for i in range(n_items + other_items):
        section = sections[i % len(sections)]
        item = ChecklistItem(version_id=version.id, section=section, code=f"{section.code}{i + 1:02d}",
                             content=f"第{i + 1}项：医共体实行统一法人并完成资产划转，核查相关文件与台账。",
                             method=methods[i % len(methods)], photo_required=(i % 4 == 0),
                             guidance="查阅文件、会议纪要" if i % 3 == 0 else "", position=i)
        item.site_kinds = list(applies if i < n_items else others)
        db.session.add(item)
    db.session.flush()
    campaign = campaign or db.session.execute(sa.select(Campaign).order_by(Campaign.id)).scalars().first()
    campaign.checklist_version_id = version.id
    db.session.commit()
    return version


def office_site(county) -> Site:
    return db.session.execute(sa.select(Site).join(SiteKind).where(
        Site.county_id == county.id, SiteKind.code == "office")).scalar_one()


def items_of(version: ChecklistVersion, kind_code: str = "office") -> list[ChecklistItem]:
    return [item for section in version.sections for item in section.items
            if any(k.code == kind_code for k in item.site_kinds)]


def make_visit(site: Site, inspector, *, status=VisitStatus.IN_PROGRESS, campaign=None) -> SiteVisit:
    campaign = campaign or db.session.execute(sa.select(Campaign).order_by(Campaign.id)).scalars().first()
    team = campaign.teams[0] if campaign.teams else None
    visit = SiteVisit(uuid=new_uuid(), campaign_id=campaign.id, team_id=team.id if team else None, site_id=site.id,
                      county_id=site.county_id, checklist_version_id=campaign.checklist_version_id,
                      inspector_id=inspector.id, status=status,
                      submitted_at=utcnow() if status == VisitStatus.SUBMITTED else None)
    db.session.add(visit)
    db.session.commit()
    return visit


def answer_items(visit: SiteVisit, items, result=AnswerResult.CONFORMS, user=None) -> list[Answer]:
    answers = [Answer(uuid=new_uuid(), visit_id=visit.id, item_id=item.id, result=result, note="",
                      answered_by_id=user.id if user else visit.inspector_id) for item in items]
    db.session.add_all(answers)
    db.session.commit()
    return answers


def make_finding(visit: SiteVisit, item=None, *, status=FindingStatus.DRAFT, user=None) -> Finding:
    finding = Finding(uuid=new_uuid(), campaign_id=visit.campaign_id, county_id=visit.county_id,
                      site_id=visit.site_id, visit_id=visit.id, item_id=item.id if item else None,
                      category=item.section.title if item else "其他", description="未实行统一法人",
                      severity=Severity.SERIOUS, rectification_type=RectificationType.DEADLINE,
                      deadline=date(2022, 8, 10), status=status,
                      created_by_id=user.id if user else visit.inspector_id)
    db.session.add(finding)
    db.session.commit()
    return finding
