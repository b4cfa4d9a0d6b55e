"""Rounds in the database: drawn and reproduced, results recorded, reopening, notices, audit."""
import os
from decimal import Decimal

import pytest
import sqlalchemy as sa

from inspect_app.audit.models import AuditEvent
from inspect_app.errors import DomainError
from inspect_app.extensions import db
from inspect_app.idempotency import new_uuid
from inspect_app.media.models import Attachment
from inspect_app.rechecks import figures, service
from inspect_app.rechecks.models import RecheckResult, RoundStatus
from inspect_app.rectification.lifecycle import Status
from inspect_app.rectification.models import ItemHistory, Notification
from inspect_app.visits.models import Severity
from tests.rechecks.factories import campaign, closed_items, other_campaign_with_leader, team8

PHOTO = os.path.join(os.path.dirname(__file__), "..", "data", "xmp_test.jpg")


def draw(world, user="province", **kw):
    kw = kw or {"rate": Decimal("0.5")}
    return service.draw_round(world.users[user], campaign().id, team8().id, "第一轮抽查复核", seed=kw.pop("seed", 42), **kw)


def submit(world, sample, result, note="", user="inspector8", photos=(), uuid=None, **over):
    args = dict(result=result.value, note=note, version=sample.version, item_version=sample.item.version,
                client_uuid=uuid or new_uuid(), photos=list(photos))
    args.update(over)
    return service.record_result(sample.id, world.users[user], **args)


def test_a_round_stores_seed_frame_and_ids_and_reproduces(world):
    items = closed_items(world)
    rnd = draw(world)
    assert rnd.seed == 42 and len(rnd.frame) == len(items) == 11
    # ⌈0.5 × 11⌉ = 6 → 新野较重 6 × 6/11 = 3.27, 新野一般 1.64, 桐柏严重 1.09 → 3, 1, 1 + the remainder to 一般 (.64)
    assert {(s["severity"], s["drawn"]) for s in rnd.strata} == {("serious", 3), ("general", 2), ("critical", 1)}
    assert sorted(s.item_id for s in rnd.samples) == rnd.item_ids
    assert service.reproduce(rnd)
    again = draw(world)
    assert again.item_ids == rnd.item_ids   # the same seed over the same frame
    event = db.session.execute(sa.select(AuditEvent).where(AuditEvent.action == "recheck.draw")).scalars().first()
    assert event.after["seed"] == 42 and event.after["item_ids"] == rnd.item_ids


def test_reproduce_notices_a_tampered_sample(world):
    closed_items(world)
    rnd = draw(world)
    rnd.item_ids = rnd.item_ids[:-1] + [10**6]
    assert not service.reproduce(rnd)


def test_only_closed_items_of_the_teams_counties_are_drawn(world):
    from tests.rectification.factories import make_item
    closed_items(world, {(world.xinye, Severity.SERIOUS): 2})
    make_item(world, world.xinye, status=Status.IN_PROGRESS)
    make_item(world, world.dancheng, status=Status.CLOSED)   # not a county of 第八核查组
    rnd = draw(world, count=10)
    assert len(rnd.item_ids) == 2


def test_a_leader_draws_for_their_campaign_only(world):
    closed_items(world)
    assert draw(world, "leader8", count=2).team_id == team8().id
    other_campaign_with_leader(world)
    with pytest.raises(DomainError) as refused:
        draw(world, "leader9", count=2)
    assert refused.value.status == 404


def test_written_fix_reopens_the_item_and_notifies_unit_and_coordinator(world):
    closed_items(world, {(world.xinye, Severity.SERIOUS): 3})
    rnd = draw(world, count=3)
    sample = rnd.samples[0]
    with open(PHOTO, "rb") as fh:
        photo = service.Photo("现场.jpg", fh.read())
    done, created = submit(world, sample, RecheckResult.ON_PAPER, "远程心电设备未安装，仅有文件", photos=[photo])
    assert created and done.result is RecheckResult.ON_PAPER
    item = done.item
    assert (item.status, item.reopen_count, item.closed_at) == (Status.IN_PROGRESS, 1, None)
    history = db.session.execute(sa.select(ItemHistory).where(ItemHistory.item_id == item.id,
                                                              ItemHistory.action == "recheck")).scalar_one()
    assert history.note == "抽查复核：书面整改。远程心电设备未安装，仅有文件"
    assert history.data["round_id"] == rnd.id
    told = {n.user_id: n.message for n in db.session.execute(sa.select(Notification).where(
        Notification.item_id == item.id)).scalars()}
    assert set(told) == {world.users["xinye-wjw"].id, world.users["xinye"].id}
    assert "抽查复核结果为“书面整改”" in told[world.users["xinye"].id]
    assert db.session.execute(sa.select(Attachment).where(Attachment.recheck_sample_id == sample.id)).scalar_one()
    actions = set(db.session.execute(sa.select(AuditEvent.action)).scalars())
    assert {"recheck.draw", "recheck.result", "item.recheck"} <= actions


def test_fixed_keeps_the_item_closed_and_counts_as_rechecked(world):
    closed_items(world)
    rnd = draw(world, count=2)
    a, b = rnd.samples[:2]
    submit(world, a, RecheckResult.FIXED)
    submit(world, b, RecheckResult.FALSE, "现场无整改痕迹")
    assert a.item.status is Status.CLOSED and not db.session.execute(
        sa.select(Notification).where(Notification.item_id == a.item_id)).first()
    rows = {r.key: (r.rechecked, r.false_closures) for r in figures.by_county(world.users["province"])}
    assert sum(n for n, _ in rows.values()) == 2 and sum(k for _, k in rows.values()) == 1


def test_a_resend_records_once_and_a_stale_form_is_refused(world):
    closed_items(world)
    rnd = draw(world, count=2)
    sample = rnd.samples[0]
    uuid = new_uuid()
    version, item_version = sample.version, sample.item.version
    first, created = submit(world, sample, RecheckResult.PARTIAL, "仅完成一半", uuid=uuid)
    again, created_again = service.record_result(sample.id, world.users["inspector8"], result="partial", note="仅完成一半",
                                                 version=version, item_version=item_version, client_uuid=uuid)
    assert created and not created_again and again.id == first.id
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ItemHistory).where(
        ItemHistory.action == "recheck")) == 1
    other = rnd.samples[1]
    with pytest.raises(DomainError) as stale:
        submit(world, other, RecheckResult.FIXED, item_version=other.item.version - 1)
    assert stale.value.status == 409
    with pytest.raises(DomainError) as twice:
        submit(world, sample, RecheckResult.FIXED, version=sample.version)
    assert twice.value.status == 409


def test_a_reopening_result_needs_a_note_and_the_round_team(world):
    closed_items(world)
    rnd = draw(world, count=2)
    with pytest.raises(DomainError) as missing:
        submit(world, rnd.samples[0], RecheckResult.FALSE, "")
    assert (missing.value.status, missing.value.field) == (422, "note")
    with pytest.raises(DomainError) as outsider:
        submit(world, rnd.samples[0], RecheckResult.FIXED, user="province")
    assert outsider.value.status == 403


def test_the_round_is_done_when_every_sample_has_a_result(world):
    closed_items(world)
    rnd = draw(world, count=1, seed=3)
    assert len(rnd.samples) == 3   # one per non-empty stratum
    for s in list(rnd.samples):
        submit(world, s, RecheckResult.FIXED)
    assert rnd.status is RoundStatus.DONE
