"""The 屡查屡犯率 on the dashboard (repeats.service.repeat_rates and dashboard/_repeats.html) against
figures counted by hand, within each user's scope."""
import sqlalchemy as sa

from inspect_app.dashboard.service import Filters
from inspect_app.extensions import db
from inspect_app.repeats import service
from inspect_app.repeats.models import RepeatLink
from inspect_app.visits.models import FindingStatus
from tests.repeats.factories import issue, record


def figures(rates):
    return ([(r.key, r.findings, r.repeats) for r in rates.counties],
            [(r.key, r.findings, r.repeats) for r in rates.sections],
            (rates.total.findings, rates.total.repeats))


def make_findings(world, rounds):
    """2022: 新野县 B01 at the office, A01 at the 卫健委; 桐柏县 A01 at its 卫健委.
    2023: 新野县 B01 at the office (repeat), A01 at the 财政局 (repeat: county level), B02 at the
    township centre (new), one more finding merged away; 桐柏县 B01 at the office (new: 2022 was A01)
    and a free-standing one (no checklist item)."""
    r, w = rounds, world
    record(r, w, r.first, "新野县医共体管理办公室", "B01", "一办六部人员未到岗")
    record(r, w, r.first, "新野县卫健委", "A01", "财政投入未纳入预算")
    record(r, w, r.first, "桐柏县卫健委", "A01", "桐柏县财政投入不足")
    record(r, w, r.second, "新野县医共体管理办公室", "B01", "一办六部人员又被抽回")
    record(r, w, r.second, "新野县财政局", "A01", "设备购置经费仍未落实")
    keep = record(r, w, r.second, "新野县乡镇卫生院/社区卫生服务中心", "B02", "七统一未落实")
    merged = record(r, w, r.second, "新野县医共体管理办公室", "B01", "同一问题的第二条记录")
    merged.status, merged.merged_into_id = FindingStatus.MERGED, keep.id
    record(r, w, r.second, "桐柏县医共体管理办公室", "B01", "桐柏县一办六部未实体化")
    record(r, w, r.second, "桐柏县远程心电诊断中心", None, "心电报告回传超时")
    db.session.commit()


def test_rates_by_county_and_section_against_hand_counts(world, rounds):
    make_findings(world, rounds)
    province = world.users["province"]
    rates = service.repeat_rates(province, Filters(campaign_id=rounds.second.id))
    # 新野县 3 of 3 (the merged one is not counted, but its link to 2022's B01 went to the B02 it was
    # merged into), 桐柏县 0 of 2; A 1 of 1, B 2 of 3, no item 0 of 1.
    assert figures(rates) == ([("411329", 3, 3), ("411330", 2, 0)],
                              [("A", 1, 1), ("B", 3, 2), ("", 1, 0)], (5, 3))
    assert rates.counties[0].rate == 1.0 and rates.total.rate == 0.6
    assert rates.sections[0].name == "责任共同体" and rates.sections[2].name.startswith("未关联核查项")
    first = service.repeat_rates(province, Filters(campaign_id=rounds.first.id))
    assert figures(first)[2] == (3, 0)                   # the first round repeats nothing
    assert figures(service.repeat_rates(province, Filters()))[2] == (8, 3)          # every campaign
    assert figures(service.repeat_rates(province, Filters(campaign_id=rounds.second.id,
                                                          county_id=world.tongbai.id)))[2] == (2, 0)
    # An unlinked pair no longer counts.
    link = db.session.execute(sa.select(RepeatLink).order_by(RepeatLink.id)).scalars().first()
    service.unlink(link, world.users["leader8"])
    assert figures(service.repeat_rates(province, Filters(campaign_id=rounds.second.id)))[2] == (5, 2)


def test_rates_stay_in_the_users_scope(world, rounds):
    make_findings(world, rounds)
    second = Filters(campaign_id=rounds.second.id)
    assert figures(service.repeat_rates(world.users["leader8"], second))[2] == (5, 3)
    assert figures(service.repeat_rates(world.users["leader9"], second))[2] == (0, 0)     # another campaign's team
    assert figures(service.repeat_rates(world.users["nanyang"], second))[2] == (5, 3)
    xinye = world.users["xinye"]
    assert figures(service.repeat_rates(xinye, second))[2] == (0, 0)      # drafts are the inspectors'
    issue(world, rounds.second, world.xinye)
    assert figures(service.repeat_rates(xinye, second))[0] == [("411329", 3, 3)]   # never 桐柏县
    assert figures(service.repeat_rates(world.users["tongbai"], second))[2] == (0, 0)


def test_dashboard_page_shows_the_rates(client, login_as, world, rounds):
    make_findings(world, rounds)
    login_as("province")
    page = client.get(f"/dashboard/?campaign={rounds.second.id}").get_data(as_text=True)
    assert 'id="repeat-rates"' in page and "屡查屡犯率" in page
    section = page[page.index('id="repeat-rates"'):]
    assert "60.0%" in section and "100.0%" in section and "新野县" in section and "责任共同体" in section
    county = client.get(f"/dashboard/county/411330?campaign={rounds.second.id}",
                        headers={"HX-Request": "true"}).get_data(as_text=True)
    section = county[county.index('id="repeat-rates"'):]
    assert "新野县" not in section and "0.0%" in section
