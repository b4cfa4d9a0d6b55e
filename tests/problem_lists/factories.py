"""Campaign, checklist, visits, findings and photos for the problem-list tests, built with the models."""
import hashlib
import uuid as uuidlib
from datetime import date, datetime, time

from inspect_app.documents.dates import CHINA_TZ

import sqlalchemy as sa

from inspect_app.campaigns.models import Campaign
from inspect_app.checklists.models import (CheckMethod, ChecklistItem, ChecklistSection, ChecklistTemplate,
                                           ChecklistVersion, VersionStatus)
from inspect_app.extensions import db
from inspect_app.media import service as media_service
from inspect_app.media.models import Attachment, AttachmentKind, PhotoStage
from inspect_app.org.models import Site
from inspect_app.visits.models import Finding, FindingStatus, RectificationType, Severity, SiteVisit, VisitStatus
from tests.media import images


def campaign() -> Campaign:
    """The world's 2022 campaign (第八核查组 covers 新野县 and 桐柏县)."""
    return db.session.execute(sa.select(Campaign).order_by(Campaign.id)).scalars().first()


def sites(county) -> list[Site]:
    return db.session.execute(sa.select(Site).where(Site.county_id == county.id).order_by(Site.id)).scalars().all()


def make_checklist(camp: Campaign) -> dict[str, ChecklistItem]:
    """A published version with two sections (管理共同体 before 服务共同体), items by code."""
    template = ChecklistTemplate(name=f"核查表{camp.id}")
    version = ChecklistVersion(template=template, label="2022版", status=VersionStatus.PUBLISHED)
    management = ChecklistSection(version=version, code="B", title="管理共同体", position=1)
    service = ChecklistSection(version=version, code="C", title="服务共同体", position=2)
    db.session.add(template)
    db.session.flush()
    items = {}
    for section, code, content in ((management, "B-01", "一办六部实体化运行"), (management, "B-02", "七统一管理"),
                                   (service, "C-01", "远程影像诊断中心覆盖乡镇卫生院")):
        items[code] = ChecklistItem(version_id=version.id, section=section, code=code, content=content,
                                    method=CheckMethod.ONSITE, position=len(items))
        db.session.add(items[code])
    db.session.flush()
    camp.checklist_version_id = version.id
    db.session.flush()
    return items


def make_visit(camp, site, inspector) -> SiteVisit:
    """A submitted visit on the campaign's first day (10:00 Beijing): lists are issued after it."""
    started = datetime.combine(camp.start_date, time(10), tzinfo=CHINA_TZ)
    visit = SiteVisit(uuid=str(uuidlib.uuid4()), campaign_id=camp.id, site_id=site.id, county_id=site.county_id,
                      checklist_version_id=camp.checklist_version_id, inspector_id=inspector.id,
                      status=VisitStatus.SUBMITTED, started_at=started, submitted_at=started)
    db.session.add(visit)
    db.session.flush()
    return visit


def make_finding(camp, site, user, description, *, category="管理共同体", item=None, visit=None,
                 severity=Severity.GENERAL, rtype=RectificationType.DEADLINE, deadline=None,
                 measures="", status=FindingStatus.DRAFT) -> Finding:
    finding = Finding(uuid=str(uuidlib.uuid4()), campaign_id=camp.id, county_id=site.county_id, site_id=site.id,
                      visit_id=visit.id if visit else None, item_id=item.id if item else None,
                      category=category, description=description, severity=severity, rectification_type=rtype,
                      deadline=deadline, suggested_measures=measures, status=status, created_by_id=user.id)
    db.session.add(finding)
    db.session.flush()
    return finding


def make_photo(finding, user, n=1) -> Attachment:
    digest = hashlib.sha256(f"{finding.id}-{n}".encode()).hexdigest()
    att = Attachment(uuid=str(uuidlib.uuid4()), kind=AttachmentKind.PHOTO, stage=PhotoStage.BEFORE,
                     county_id=finding.county_id, finding_id=finding.id, source_finding_id=finding.id,
                     sha256=digest, mime="image/jpeg",
                     filename=f"p{n}.jpg", size_bytes=1000, width=800, height=600,
                     display_key=f"display/{digest}.jpg", thumb_key=f"thumb/{digest}.jpg", uploaded_by_id=user.id)
    # Real files behind the keys: a page showing the photo must not log a 404 (issue 14: browser tests
    # fail on any console error).
    store = media_service.storage()
    store.put(att.display_key, images.jpeg(800, 600))
    store.put(att.thumb_key, images.jpeg(240, 180))
    db.session.add(att)
    db.session.flush()
    return att


def make_xinye_findings(world):
    """新野县: four drafts from two visits plus a free-standing one, two sections, one with photos.

    Returned in their expected numbering order: B-01 (serious, photos), B-02 (deadline 2022-08-31),
    free-standing 管理共同体 finding, then C-01 in 服务共同体.
    """
    camp = campaign()
    items = make_checklist(camp)
    inspector = world.users["inspector8"]
    office, ecg, township = sites(world.xinye)
    v1, v2 = make_visit(camp, office, inspector), make_visit(camp, ecg, inspector)
    # Created out of order on purpose: numbering follows the checklist sections, not creation.
    c01 = make_finding(camp, ecg, inspector, "远程心电诊断中心未覆盖全部乡镇卫生院", category="服务共同体",
                       item=items["C-01"], visit=v2, rtype=RectificationType.LONG_TERM)
    b01 = make_finding(camp, office, inspector, "一办六部未实体化运行，人员未到岗", item=items["B-01"], visit=v1,
                       severity=Severity.SERIOUS, rtype=RectificationType.IMMEDIATE, measures="明确人员编制，集中办公")
    b02 = make_finding(camp, office, inspector, "财务未实行统一管理", item=items["B-02"], visit=v1,
                       deadline=date(2022, 8, 31))
    free = make_finding(camp, township, inspector, "乡镇卫生院绩效考核方案未修订")
    make_photo(b01, inspector, 1)
    make_photo(b01, inspector, 2)
    db.session.commit()
    return camp, [b01, b02, free, c01]


def list_url(camp, code="411329", suffix=""):
    """The URL of a county's problem list in a campaign (新野县 by default), plus `suffix`."""
    return f"/problem-lists/{camp.id}/{code}{suffix}"


def edit_data(finding, values: dict) -> dict:
    """The inline edit form's fields carry the finding's prefix (f<id>-…) and, as the form drawn from
    the finding does, its current version unless `values` names one."""
    return {f"f{finding.id}-{key}": value for key, value in {"version": finding.version, **values}.items()}


def merge_versions(*findings) -> dict:
    """The hidden version-<id> fields of the merge step, as the step draws them (from the database)."""
    db.session.expire_all()
    return {f"version-{f.id}": db.session.get(Finding, f.id).version for f in findings}
