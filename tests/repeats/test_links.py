"""Automatic 屡查屡犯 links across two campaigns, the leader's confirm / unlink, and what follows a
change of checklist item or site (inspect_app/repeats/service.py)."""
import sqlalchemy as sa

from inspect_app.audit.models import AuditEvent
from inspect_app.extensions import db
from inspect_app.repeats import service
from inspect_app.repeats.models import LinkOrigin, LinkState, RepeatLink
from inspect_app.visits import service as visits
from tests.repeats.factories import record

OFFICE = "新野县医共体管理办公室"
TOWNSHIP = "新野县乡镇卫生院/社区卫生服务中心"


def links(finding) -> list[RepeatLink]:
    db.session.expire_all()
    return db.session.execute(sa.select(RepeatLink).where(RepeatLink.finding_id == finding.id)
                              .order_by(RepeatLink.id)).scalars().all()


def actions(finding) -> list[str]:
    return db.session.execute(sa.select(AuditEvent.action).where(
        AuditEvent.object_type == "Finding", AuditEvent.object_id == str(finding.id),
        AuditEvent.action.like("repeat.%")).order_by(AuditEvent.id)).scalars().all()


def test_same_site_and_item_code_links_across_checklist_versions(world, rounds):
    old = record(rounds, world, rounds.first, OFFICE, "B01", "一办六部人员未到岗")
    new = record(rounds, world, rounds.second, OFFICE, "B01", "一办六部人员又被抽回")
    assert old.item_id != new.item_id                      # two versions, two item rows, one code
    [link] = links(new)
    assert (link.earlier_finding_id, link.origin, link.state) == (old.id, LinkOrigin.AUTO, LinkState.SUGGESTED)
    assert link.county_id == world.xinye.id
    assert links(old) == []                                 # the earlier one repeats nothing
    assert actions(new) == ["repeat.suggest"]
    mark = service.marks([new.id, old.id])
    assert list(mark) == [new.id] and mark[new.id].years == [2022] and mark[new.id].pending
    assert mark[new.id].sentence == "本问题在2022年核查中已指出。"


def test_no_link_for_another_site_item_template_or_the_same_campaign(world, rounds):
    record(rounds, world, rounds.first, OFFICE, "B01", "一办六部人员未到岗")
    other_site = record(rounds, world, rounds.second, TOWNSHIP, "B01", "卫生院一办六部联络员未明确")
    other_item = record(rounds, world, rounds.second, OFFICE, "B02", "财务未统一管理")
    other_template = record(rounds, world, rounds.second, OFFICE, None, "另一核查表的同编号条目",
                            item=rounds.foreign_items["B01"])
    free = record(rounds, world, rounds.second, OFFICE, None, "自由记录的问题")
    same_round = record(rounds, world, rounds.first, OFFICE, "B01", "同一轮核查的重复记录")
    for finding in (other_site, other_item, other_template, free, same_round):
        assert links(finding) == [], finding.description


def test_county_level_findings_match_any_government_site_of_the_same_county(world, rounds):
    old = record(rounds, world, rounds.first, "新野县卫健委", "A01", "财政投入未纳入预算")
    tongbai_old = record(rounds, world, rounds.first, "桐柏县卫健委", "A01", "桐柏县财政投入不足")
    new = record(rounds, world, rounds.second, "新野县财政局", "A01", "设备购置经费仍未落实")
    at_office = record(rounds, world, rounds.second, OFFICE, "A01", "医共体办公室未掌握财政投入情况")
    assert [link.earlier_finding_id for link in links(new)] == [old.id]     # not 桐柏县's
    assert tongbai_old.id not in [link.earlier_finding_id for link in links(at_office)]
    assert links(at_office) == []          # a site of its own: no 2022 finding at this office


def test_a_merged_earlier_finding_links_the_one_it_was_merged_into(world, rounds):
    keeper = record(rounds, world, rounds.first, TOWNSHIP, "B02", "七统一未落实")
    merged = record(rounds, world, rounds.first, OFFICE, "B01", "一办六部人员未到岗")
    merged.status, merged.merged_into_id = merged.status.MERGED, keeper.id
    db.session.commit()
    new = record(rounds, world, rounds.second, OFFICE, "B01", "一办六部人员又被抽回")
    assert [link.earlier_finding_id for link in links(new)] == [keeper.id]


def test_confirm_and_unlink_and_an_unlinked_pair_is_never_suggested_again(world, rounds):
    leader = world.users["leader8"]
    record(rounds, world, rounds.first, OFFICE, "B01", "一办六部人员未到岗")
    new = record(rounds, world, rounds.second, OFFICE, "B01", "一办六部人员又被抽回")
    [link] = links(new)
    assert service.confirm(link, leader) and not service.confirm(link, leader)
    [link] = links(new)
    assert link.state is LinkState.CONFIRMED and link.decided_by_id == leader.id and link.decided_at
    assert service.unlink(link, leader)
    assert service.marks([new.id]) == {}
    # Matched again (as when its item or site changes): the pair stays unlinked, nothing new.
    assert service.link_automatically(new) == []
    db.session.commit()
    [link] = links(new)
    assert link.state is LinkState.UNLINKED
    assert actions(new) == ["repeat.suggest", "repeat.confirm", "repeat.unlink"]


def test_changing_the_item_or_site_withdraws_a_suggestion_and_finds_the_new_match(world, rounds):
    b01 = record(rounds, world, rounds.first, OFFICE, "B01", "一办六部人员未到岗")
    b02 = record(rounds, world, rounds.first, OFFICE, "B02", "财务未统一管理")
    new = record(rounds, world, rounds.second, OFFICE, "B01", "写错了核查项")
    assert [link.earlier_finding_id for link in links(new)] == [b01.id]
    new.item_id = rounds.items[rounds.second.id]["B02"].id
    db.session.commit()
    assert [link.earlier_finding_id for link in links(new)] == [b02.id]
    new.site_id = rounds.sites[TOWNSHIP].id
    db.session.commit()
    assert links(new) == []
    assert actions(new) == ["repeat.suggest", "repeat.suggest", "repeat.withdraw", "repeat.withdraw"]


def test_a_confirmed_link_survives_an_item_change_and_a_deleted_finding_takes_its_links(world, rounds):
    record(rounds, world, rounds.first, OFFICE, "B01", "一办六部人员未到岗")
    new = record(rounds, world, rounds.second, OFFICE, "B01", "一办六部人员又被抽回")
    service.confirm(links(new)[0], world.users["leader8"])
    new.item_id = rounds.items[rounds.second.id]["B02"].id
    db.session.commit()
    assert [link.state for link in links(new)] == [LinkState.CONFIRMED]
    visits.delete_finding(db.session.get(type(new), new.id), world.users["inspector8"])
    assert db.session.execute(sa.select(sa.func.count(RepeatLink.id))).scalar_one() == 0
    assert "repeat.remove" in actions(new)


def test_several_earlier_campaigns_are_named_in_order(world, rounds):
    record(rounds, world, rounds.first, OFFICE, "B01", "2022年发现")
    record(rounds, world, rounds.second, OFFICE, "B01", "2023年再次发现")
    third = record(rounds, world, rounds.other, OFFICE, "B01", "专项督查又发现")
    mark = service.marks([third.id])[third.id]
    assert mark.years == [2022, 2023] and mark.sentence == "本问题在2022年、2023年核查中已指出。"
    assert mark.ledger_text == "2022年、2023年"
