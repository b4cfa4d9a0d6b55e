"""Service rules of visits that the routes rely on: which campaign a county belongs to, no deadline
proposed from today, the idempotent upserts, and deleting a draft finding with its photo files."""
import os
import shutil
from datetime import date

import pytest
import sqlalchemy as sa

from inspect_app.audit.models import AuditEvent
from inspect_app.campaigns.models import Campaign, Team
from inspect_app.errors import DomainError
from inspect_app.extensions import db
from inspect_app.media.models import Attachment, PhotoStage
from inspect_app.media.service import ingest_photo
from inspect_app.visits import service
from inspect_app.visits.models import Answer, AnswerResult, Finding, FindingStatus
from tests.media import images
from tests.visits import factories as f


def test_latest_campaign_of_my_team_covers_the_county(app, world):
    older = db.session.execute(sa.select(Campaign)).scalar_one()
    newer = Campaign(name="2023年回头看", year=2023, start_date=date(2023, 5, 1), end_date=date(2023, 5, 5))
    other = Campaign(name="2024年抽查", year=2024, start_date=date(2024, 5, 1), end_date=date(2024, 5, 5))
    db.session.add_all([newer, other])
    db.session.flush()
    mine = Team(campaign_id=newer.id, name="第八核查组", leader_id=world.users["leader8"].id)
    mine.members = [world.users["inspector8"]]
    mine.counties = [world.xinye]
    not_mine = Team(campaign_id=other.id, name="第一核查组", leader_id=world.users["province"].id)
    not_mine.counties = [world.xinye]
    db.session.add_all([mine, not_mine])
    db.session.commit()
    inspector = world.users["inspector8"]
    assert service.assignment_for(inspector, world.xinye.id).campaign.id == newer.id
    assert service.assignment_for(inspector, world.tongbai.id).campaign.id == older.id
    assert service.assignment_for(inspector, world.dancheng.id) is None
    # A province viewer is in no team: the latest campaign covering the county.
    assert service.assignment_for(world.users["viewer"], world.xinye.id).campaign.id == other.id


def test_finding_defaults_propose_no_deadline():
    """The deadline is set at issue, counted from that day: nothing is proposed from today."""
    assert "deadline" not in service.finding_defaults(None, None)


def test_save_answer_upserts_one_row(app, world):
    version = f.make_version(n_items=3)
    visit = f.make_visit(f.office_site(world.xinye), world.users["inspector8"])
    item = service.applicable_item(visit, f.items_of(version)[0].id)
    user = world.users["inspector8"]
    first, changed1 = service.save_answer(visit, item, f.new_uuid(), AnswerResult.NONCONFORMING, "a", user)
    second, changed2 = service.save_answer(visit, item, f.new_uuid(), AnswerResult.NONCONFORMING, "a", user)
    third, changed3 = service.save_answer(visit, item, f.new_uuid(), AnswerResult.CONFORMS, "a", user)
    assert (changed1, changed2, changed3) == (True, False, True)
    assert first.id == second.id == third.id
    assert db.session.execute(sa.select(sa.func.count()).select_from(Answer)).scalar_one() == 1
    assert service.progress(visit) == (1, 3)


# ---------------------------------------------------------------- deleting a draft finding removes its files

def _files(app) -> set[str]:
    root = app.config["UPLOAD_FOLDER"]
    return {os.path.relpath(os.path.join(d, n), root).replace(os.sep, "/") for d, _, names in os.walk(root)
            for n in names}


def _photo(finding, inspector, data):
    photo, _ = ingest_photo(data, finding, inspector, f.new_uuid(), PhotoStage.BEFORE, filename="IMG.JPG")
    return photo


def test_deleting_a_draft_finding_removes_its_photos_and_their_files(app, world):
    shutil.rmtree(app.config["UPLOAD_FOLDER"], ignore_errors=True)
    f.make_version(n_items=2)
    inspector = world.users["inspector8"]
    visit = f.make_visit(f.office_site(world.xinye), inspector)
    doomed, keeper = f.make_finding(visit), f.make_finding(visit)
    shared = images.camera_jpeg()
    own = _photo(doomed, inspector, images.jpeg(640, 480))
    both = _photo(doomed, inspector, shared)
    kept = _photo(keeper, inspector, shared)           # the same picture on another finding: same files
    own_keys = {own.display_key, own.thumb_key, own.original_key}
    shared_keys = {both.display_key, both.thumb_key, both.original_key}
    assert {kept.display_key, kept.thumb_key, kept.original_key} == shared_keys
    assert _files(app) == own_keys | shared_keys

    removed = service.delete_finding(doomed, inspector)

    assert set(removed) == own_keys and _files(app) == shared_keys
    assert db.session.execute(sa.select(Attachment.id)).scalars().all() == [kept.id]
    assert db.session.get(Finding, keeper.id) is not None
    event = db.session.execute(sa.select(AuditEvent).where(AuditEvent.action == "finding.delete")).scalar_one()
    assert sorted(event.before["photos"]) == sorted([own.sha256, both.sha256])
    # The last finding using the shared picture goes: now its files go too.
    service.delete_finding(keeper, inspector)
    assert _files(app) == set()


def test_a_finding_others_were_merged_into_is_not_deleted(app, world):
    f.make_version(n_items=2)
    visit = f.make_visit(f.office_site(world.xinye), world.users["inspector8"])
    keep, merged = f.make_finding(visit), f.make_finding(visit)
    merged.status, merged.merged_into_id = FindingStatus.MERGED, keep.id
    db.session.commit()
    with pytest.raises(DomainError) as refused:
        service.delete_finding(keep, world.users["inspector8"])
    assert refused.value.message == service.MSG_FINDING_HAS_MERGED
    db.session.rollback()
    assert db.session.get(Finding, keep.id) is not None
