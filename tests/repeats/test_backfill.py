"""Closing the gaps of 屡查屡犯 linking (inspect_app/repeats/service.py): an earlier campaign's finding
recorded after the later campaign's is linked back; findings merged in the later campaign hand their
links to the finding they were merged into."""
import sqlalchemy as sa

from inspect_app.extensions import db
from inspect_app.repeats import service
from inspect_app.repeats.models import LinkOrigin, LinkState, RepeatLink
from inspect_app.visits.models import Finding
from tests.problem_lists.factories import merge_versions
from tests.repeats.factories import record
from tests.repeats.test_links import OFFICE, TOWNSHIP, actions, links


def all_links() -> list[tuple[int, int, LinkState]]:
    db.session.expire_all()
    return sorted((link.finding_id, link.earlier_finding_id, link.state)
                  for link in db.session.execute(sa.select(RepeatLink)).scalars())


# ---------------------------------------------------------------- link-back

def test_an_earlier_finding_recorded_late_is_linked_from_the_later_ones(world, rounds):
    new = record(rounds, world, rounds.second, OFFICE, "B01", "一办六部人员又被抽回")
    third = record(rounds, world, rounds.other, OFFICE, "B01", "专项督查又发现")
    elsewhere = record(rounds, world, rounds.second, TOWNSHIP, "B01", "卫生院联络员未明确")
    assert links(new) == []
    old = record(rounds, world, rounds.first, OFFICE, "B01", "2022年的问题补录")      # data entry late
    [link] = links(new)
    assert (link.earlier_finding_id, link.origin, link.state) == (old.id, LinkOrigin.AUTO, LinkState.SUGGESTED)
    assert sorted(link.earlier_finding_id for link in links(third)) == sorted([old.id, new.id])
    assert links(elsewhere) == [] and links(old) == []          # another site; the earlier repeats nothing
    assert actions(new) == ["repeat.suggest"]
    mark = service.marks([new.id])[new.id]
    assert mark.years == [2022] and mark.pending


def test_link_back_at_county_level_and_never_into_another_county_or_item(world, rounds):
    new = record(rounds, world, rounds.second, "新野县财政局", "A01", "设备购置经费仍未落实")
    other_item = record(rounds, world, rounds.second, "新野县卫健委", "B02", "财务未统一管理")
    record(rounds, world, rounds.first, "桐柏县卫健委", "A01", "桐柏县财政投入不足")
    assert links(new) == []
    old = record(rounds, world, rounds.first, "新野县卫健委", "A01", "财政投入未纳入预算")
    assert [link.earlier_finding_id for link in links(new)] == [old.id]
    assert links(other_item) == []


def test_link_back_respects_an_unlinked_pair_and_follows_item_changes(world, rounds):
    leader = world.users["leader8"]
    new = record(rounds, world, rounds.second, OFFICE, "B01", "一办六部人员又被抽回")
    old = record(rounds, world, rounds.first, OFFICE, "B01", "2022年补录")
    [link] = links(new)
    service.unlink(link, leader)
    # The earlier finding is corrected (matched again): the unlinked pair is never suggested again.
    old.item_id = rounds.items[rounds.first.id]["B02"].id
    db.session.commit()
    old.item_id = rounds.items[rounds.first.id]["B01"].id
    db.session.commit()
    assert [(link.earlier_finding_id, link.state) for link in links(new)] == [(old.id, LinkState.UNLINKED)]
    # A suggestion made backwards is withdrawn when the earlier finding's item changes away.
    third = record(rounds, world, rounds.other, OFFICE, "B02", "七统一未落实")
    old.item_id = rounds.items[rounds.first.id]["B02"].id
    db.session.commit()
    assert [link.earlier_finding_id for link in links(third)] == [old.id]
    old.item_id = rounds.items[rounds.first.id]["A01"].id
    db.session.commit()
    assert links(third) == []
    assert actions(third) == ["repeat.suggest", "repeat.withdraw"]
    assert [link.state for link in links(new)] == [LinkState.UNLINKED]


# ---------------------------------------------------------------- merge carry-over

def merge(client, campaign, keep, *others):
    ids = [keep.id, *(f.id for f in others)]
    response = client.post(f"/problem-lists/{campaign.id}/411329/merge", data={
        "finding_ids": ids, "keep_id": keep.id, "description": keep.description,
        **merge_versions(keep, *others)})
    assert response.status_code in (200, 302), response.get_data(as_text=True)[:500]


def test_merging_in_the_later_campaign_carries_the_links_to_the_kept_finding(client, login_as, world, rounds):
    old_b01 = record(rounds, world, rounds.first, OFFICE, "B01", "一办六部人员未到岗")
    old_b02 = record(rounds, world, rounds.first, TOWNSHIP, "B02", "七统一未落实")
    keep = record(rounds, world, rounds.second, TOWNSHIP, "B02", "七统一仍未落实")
    away = record(rounds, world, rounds.second, OFFICE, "B01", "一办六部人员又被抽回")
    twin = record(rounds, world, rounds.second, TOWNSHIP, "B02", "七统一的第二条记录")
    service.confirm(links(twin)[0], world.users["leader8"])       # keep's pair with old_b02, decided on twin
    assert all_links() == sorted([(keep.id, old_b02.id, LinkState.SUGGESTED), (away.id, old_b01.id, LinkState.SUGGESTED),
                                  (twin.id, old_b02.id, LinkState.CONFIRMED)])
    login_as("leader8")
    merge(client, rounds.second, keep, away, twin)
    assert db.session.get(Finding, away.id).merged_into_id == keep.id
    # No duplicate pair; the leader's confirmation on the merged twin wins over keep's suggestion.
    assert all_links() == sorted([(keep.id, old_b02.id, LinkState.CONFIRMED),
                                  (keep.id, old_b01.id, LinkState.SUGGESTED)])
    assert service.marks([keep.id])[keep.id].years == [2022]
    assert "repeat.merge" in actions(keep)
    # A third campaign's finding like the merged-away one links the kept finding (what was issued).
    third = record(rounds, world, rounds.other, OFFICE, "B01", "专项督查又发现")
    assert {link.earlier_finding_id for link in links(third)} == {old_b01.id, keep.id}


def test_a_decided_unlink_survives_the_merge_and_links_into_the_merged_one_move(client, login_as, world, rounds):
    leader = world.users["leader8"]
    old = record(rounds, world, rounds.first, OFFICE, "B01", "一办六部人员未到岗")
    keep = record(rounds, world, rounds.first, OFFICE, "B01", "一办六部人员未到岗（一）")
    # keep and old are both 2022; a 2023 finding links to both.
    new = record(rounds, world, rounds.second, OFFICE, "B01", "一办六部人员又被抽回")
    assert {link.earlier_finding_id for link in links(new)} == {old.id, keep.id}
    to_keep = next(link for link in links(new) if link.earlier_finding_id == keep.id)
    service.unlink(to_keep, leader)
    login_as("leader8")
    merge(client, rounds.first, keep, old)            # 2022's duplicates merged after 2023's recording
    # The pair (new, old) became (new, keep), which the leader had unlinked: it stays unlinked, once.
    assert all_links() == [(new.id, keep.id, LinkState.UNLINKED)]
    assert service.marks([new.id]) == {}


def test_unmerge_matches_the_finding_afresh(client, login_as, world, rounds):
    old = record(rounds, world, rounds.first, OFFICE, "B01", "一办六部人员未到岗")
    keep = record(rounds, world, rounds.second, TOWNSHIP, "B02", "七统一未落实")
    away = record(rounds, world, rounds.second, OFFICE, "B01", "一办六部人员又被抽回")
    login_as("leader8")
    merge(client, rounds.second, keep, away)
    assert all_links() == [(keep.id, old.id, LinkState.SUGGESTED)]
    assert client.post(f"/problem-lists/findings/{away.id}/unmerge").status_code in (200, 302)
    assert (away.id, old.id, LinkState.SUGGESTED) in all_links()
