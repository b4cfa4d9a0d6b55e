"""Service rules of visits that the routes rely on: which campaign a county belongs to, no deadline
proposed from today, and the idempotent upserts."""
from datetime import date

import sqlalchemy as sa

from inspect_app.campaigns.models import Campaign, Team
from inspect_app.extensions import db
from inspect_app.visits import service
from inspect_app.visits.models import Answer, AnswerResult
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
