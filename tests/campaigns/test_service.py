"""Campaign and team rules: published versions only, dates, team members, county assignment."""
from datetime import date

import pytest
import sqlalchemy as sa

from inspect_app import access
from inspect_app.audit.models import AuditEvent
from inspect_app.campaigns import service
from inspect_app.campaigns.models import Campaign, Team
from inspect_app.errors import DomainError
from inspect_app.extensions import db
from tests.checklists.factories import make_version


def values(version, **changes):
    data = {"name": "2023年紧密型县域医共体建设核查", "year": 2023, "start_date": date(2023, 7, 10),
            "end_date": date(2023, 7, 14), "checklist_version_id": version.id}
    data.update(changes)
    return data


def team(world) -> Team:
    return db.session.execute(sa.select(Team)).scalar_one()


def test_create_campaign_needs_a_published_version(world):
    draft = make_version("草稿")
    with pytest.raises(DomainError) as info:
        service.create_campaign(values(draft), world.users["province"])
    assert info.value.field == "checklist_version_id"
    published = make_version("2023版", publish=True)
    campaign = service.create_campaign(values(published), world.users["province"])
    assert campaign.checklist_version_id == published.id
    assert db.session.execute(sa.select(AuditEvent).where(AuditEvent.action == "campaign.create")).first()


def test_end_date_before_start_and_duplicate_name_are_refused(world):
    version = make_version(publish=True)
    with pytest.raises(DomainError) as info:
        service.create_campaign(values(version, end_date=date(2023, 7, 1)), world.users["province"])
    assert info.value.field == "end_date"
    with pytest.raises(DomainError) as info:
        service.create_campaign(values(version, name="2022年紧密型县域医共体建设核查"), world.users["province"])
    assert info.value.field == "name"


def test_visible_campaigns_by_role(world):
    version = make_version(publish=True)
    other = service.create_campaign(values(version), world.users["province"])
    names = lambda user: [c.name for c in service.visible_campaigns(user)]  # noqa: E731
    assert set(names(world.users["province"])) == {"2022年紧密型县域医共体建设核查", other.name}
    assert names(world.users["inspector8"]) == ["2022年紧密型县域医共体建设核查"]
    assert names(world.users["leader8"]) == ["2022年紧密型县域医共体建设核查"]
    assert names(world.users["xinye"]) == []


def test_team_leader_is_always_a_member_and_roles_are_checked(world):
    campaign = db.session.execute(sa.select(Campaign)).scalar_one()
    u = world.users
    created = service.create_team(campaign, {"name": "第九核查组", "leader_id": u["leader8"].id,
                                             "member_ids": [u["inspector8"].id]}, u["province"])
    assert [m.username for m in created.members] == ["leader8", "inspector8"]
    with pytest.raises(DomainError) as info:
        service.create_team(campaign, {"name": "第十核查组", "leader_id": u["inspector8"].id, "member_ids": []},
                            u["province"])
    assert info.value.field == "leader_id"
    with pytest.raises(DomainError) as info:
        service.create_team(campaign, {"name": "第十核查组", "leader_id": None, "member_ids": [u["xinye"].id]},
                            u["province"])
    assert info.value.field == "member_ids"
    with pytest.raises(DomainError) as info:
        service.create_team(campaign, {"name": "第九核查组", "leader_id": None, "member_ids": []}, u["province"])
    assert info.value.field == "name"


def test_team_counties_decide_what_members_see(world):
    inspector = world.users["inspector8"]
    t = team(world)
    assert not access.can_see_county(inspector, world.dancheng.id)
    service.add_county(t, world.dancheng.id, world.users["province"])
    assert access.can_see_county(inspector, world.dancheng.id)
    service.remove_county(t, world.xinye.id, world.users["province"])
    assert not access.can_see_county(inspector, world.xinye.id)
    assert access.can_see_county(world.users["leader8"], world.tongbai.id)
    actions = list(db.session.execute(sa.select(AuditEvent.action).where(
        AuditEvent.action.like("team.county%")).order_by(AuditEvent.id)).scalars())
    assert actions == ["team.county_add", "team.county_remove"]


def test_removing_a_member_removes_their_scope(world):
    t = team(world)
    inspector = world.users["inspector8"]
    assert access.can_see_county(inspector, world.xinye.id)
    service.update_team(t, {"name": t.name, "leader_id": world.users["leader8"].id, "member_ids": []},
                        world.users["province"], t.version)
    assert not access.can_see_county(inspector, world.xinye.id)


def test_adding_a_city_or_a_duplicate_county_is_refused(world):
    t = team(world)
    with pytest.raises(DomainError):
        service.add_county(t, world.nanyang.id, world.users["province"])
    with pytest.raises(DomainError):
        service.add_county(t, world.xinye.id, world.users["province"])


def test_a_county_belongs_to_one_team_per_campaign(world):
    t = team(world)
    other = service.create_team(t.campaign, {"name": "第九核查组", "leader_id": None, "member_ids": []},
                                world.users["province"])
    with pytest.raises(DomainError) as info:
        service.add_county(other, world.xinye.id, world.users["province"])
    assert "已由本次核查的第八核查组负责" in info.value.message and info.value.field == "county"
    assert world.xinye not in other.counties
    service.remove_county(t, world.xinye.id, world.users["province"])
    service.add_county(other, world.xinye.id, world.users["province"])
    assert world.xinye in other.counties


def test_county_search_by_name_or_code_excludes_assigned(world):
    assert [c.name for c in service.search_counties("新野")] == ["新野县"]
    assert [c.name for c in service.search_counties("4116")] == ["郸城县"]
    assert service.search_counties("新野", exclude_ids=[world.xinye.id]) == []
    assert service.search_counties("") == []


def test_team_roles_see_only_their_own_teams_of_a_campaign(world):
    campaign = db.session.execute(sa.select(Campaign)).scalar_one()
    service.create_team(campaign, {"name": "第九核查组", "leader_id": None, "member_ids": []}, world.users["province"])
    assert [t.name for t in service.visible_teams(world.users["inspector8"], campaign)] == ["第八核查组"]
    assert [t.name for t in service.visible_teams(world.users["province"], campaign)] == ["第八核查组", "第九核查组"]
