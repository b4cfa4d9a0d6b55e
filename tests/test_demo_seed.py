"""`flask seed-demo` builds the world of the seed reports, idempotently, and prints the accounts."""
import sqlalchemy as sa

from inspect_app.auth.models import User
from inspect_app.campaigns.models import Campaign, Team
from inspect_app.extensions import db
from inspect_app.org.models import MedicalCommunity, Region, ResponsibleUnit, Site
from inspect_app.roles import Role


def test_seed_demo_twice(runner):
    from inspect_app.dashboard import rollups, service as dashboard
    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    assert "已创建演示数据" in result.output and "xinye-wjw" in result.output and "Demo@2022" in result.output
    nanyang = db.session.execute(sa.select(Region).where(Region.code == "411300")).scalar_one()
    county_ids = [r.id for r in nanyang.children if r.code in
                  {"411321", "411322", "411323", "411324", "411325", "411326", "411327", "411328", "411329",
                   "411330", "411381"}]
    assert len(county_ids) == 11
    assert db.session.scalar(sa.select(sa.func.count()).select_from(MedicalCommunity)
                             .where(MedicalCommunity.county_id.in_(county_ids))) == 16
    xinye = db.session.execute(sa.select(Region).where(Region.code == "411329")).scalar_one()
    sites = set(db.session.execute(sa.select(Site.name).where(Site.county_id == xinye.id)).scalars())
    assert {"新野县医共体管理办公室", "新野县远程影像诊断中心", "新野县消毒供应中心", "新野县人民医院",
            "新野县汉城街道社区卫生服务中心"} <= sites
    assert any(name.endswith("村卫生室") for name in sites)
    units = set(db.session.execute(sa.select(ResponsibleUnit.name).where(ResponsibleUnit.county_id == xinye.id)).scalars())
    assert {"新野县卫健委", "新野县医保局", "新野县财政局", "新野县人社局", "新野县委编办", "新野县医共体总医院"} <= units
    for code in ("411625", "532324"):
        county = db.session.execute(sa.select(Region).where(Region.code == code)).scalar_one()
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Site).where(Site.county_id == county.id)) > 13
    users = {u.username: u for u in db.session.execute(sa.select(User)).scalars()}
    expected = {"admin": Role.SYSTEM_ADMIN, "province": Role.PROVINCE_ADMIN, "viewer": Role.PROVINCE_VIEWER,
                "nanyang": Role.CITY_VIEWER, "leader8": Role.TEAM_LEADER, "inspector8": Role.INSPECTOR,
                "xinye": Role.COUNTY_COORDINATOR, "xinye-wjw": Role.UNIT_RESPONDER, "tongbai": Role.COUNTY_COORDINATOR}
    for name, role in expected.items():
        assert users[name].role == role and users[name].check_password("Demo@2022")
    assert users["xinye-wjw"].unit.name == "新野县卫健委"
    campaign = db.session.execute(sa.select(Campaign).order_by(Campaign.start_date)).scalars().first()
    team = db.session.execute(sa.select(Team).where(Team.campaign_id == campaign.id)).scalar_one()
    assert campaign.name == "2022年紧密型县域医共体建设核查" and team.name == "第八核查组"
    assert {c.code for c in team.counties} == {r.code for r in nanyang.children if r.id in county_ids}

    # the demo inspection: 新野县's list issued with items at every stage, 桐柏县's still a draft
    from inspect_app import access
    from inspect_app.rectification.models import RectificationItem
    from inspect_app.visits.models import Finding, FindingStatus
    items = db.session.execute(sa.select(RectificationItem).order_by(RectificationItem.id)).scalars().all()
    assert [i.number for i in items][:2] == ["411329-2022-001", "411329-2022-002"]
    assert {i.status.label for i in items} == {"已销号", "整改中", "待验收", "待整改"}
    assert any(i.return_count == 1 for i in items)
    seen_by_responder = db.session.execute(sa.select(RectificationItem.id).where(
        access.item_clause(users["xinye-wjw"], RectificationItem))).scalars().all()
    assert len(seen_by_responder) == 3
    tongbai = db.session.execute(sa.select(Region).where(Region.code == "411330")).scalar_one()
    drafts = db.session.execute(sa.select(Finding).where(Finding.county_id == tongbai.id,
                                                         Finding.campaign_id == campaign.id)).scalars().all()
    assert drafts and all(f.status == FindingStatus.DRAFT for f in drafts)

    # the story: issued on the feedback-meeting dates, closures spread over many weeks, in July 2022
    # and in the recent 回头看, so the burn-up, the median and the period reports have shapes
    _check_story(campaign, items, users, tongbai)

    # the dashboard rollups followed the list being issued and every action on its items
    assert rollups.differences() == []
    assert dashboard.headline(users["viewer"], dashboard.Filters()).issued == len(items)

    snapshot = [db.session.scalar(sa.select(sa.func.count()).select_from(m)) for m in (Region, Site, User, ResponsibleUnit)]
    again = runner.invoke(args=["seed-demo"])
    assert again.exit_code == 0 and "演示数据已存在" in again.output
    assert [db.session.scalar(sa.select(sa.func.count()).select_from(m))
            for m in (Region, Site, User, ResponsibleUnit)] == snapshot


def _check_story(first, items, users, tongbai):
    from datetime import date, timedelta

    from inspect_app.dashboard import periods, service as dashboard
    from inspect_app.documents.dates import to_china
    from inspect_app.rectification.date_rules import today as today_china
    from inspect_app.rectification.models import ItemHistory, ProblemList

    lists = db.session.execute(sa.select(ProblemList).order_by(ProblemList.id)).scalars().all()
    assert lists[0].issued_on == date(2022, 7, 13)
    assert {to_china(i.issued_at).date() for i in items if i.campaign_id == first.id} == {date(2022, 7, 13)}
    recheck = [p for p in lists if p.campaign_id != first.id]
    assert {p.county.name for p in recheck} == {"新野县", "桐柏县"}
    assert all(p.issued_on < today_china() - timedelta(days=28) for p in recheck)
    accepted = db.session.execute(sa.select(ItemHistory.at).where(ItemHistory.action == "accept")).scalars().all()
    weeks = {to_china(at).date() - timedelta(days=to_china(at).weekday()) for at in accepted}
    assert len(weeks) >= 8                                          # closures in at least 8 distinct weeks
    first_campaign = dashboard.Filters(campaign_id=first.id)
    assert len(dashboard.burnup(users["viewer"], first_campaign)) >= 10       # weekly points over months
    assert dashboard.headline(users["viewer"], first_campaign).median_days > 14
    returns = db.session.scalar(sa.select(sa.func.count()).select_from(ItemHistory).where(ItemHistory.action == "return"))
    extensions = db.session.scalar(sa.select(sa.func.count()).select_from(ItemHistory)
                                   .where(ItemHistory.action == "approve_extension"))
    assert returns >= 4 and extensions >= 1
    august = periods.figures(periods.scope_clause(users["viewer"], first.id),
                             periods.period_of("month", date(2022, 8, 1)), dashboard.now())
    assert august.total.flow.closed >= 2 and august.total.end.issued == 9 and august.total.previous_flow.issued == 9
    tongbai_view = dashboard.headline(users["tongbai"], dashboard.Filters())
    assert tongbai_view.issued == 3 and tongbai_view.closed >= 1
