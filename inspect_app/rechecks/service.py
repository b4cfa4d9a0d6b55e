"""The rules of re-check rounds (回头看 / 抽查复核): the reproducible stratified draw, recording a
result, and the reopen it causes.

The draw (`draw_sample`) is pure: the same frame, parameters and seed give the same ids on any
machine and database, because the frame is sorted by item id and Python's `random.Random(seed)`
(Mersenne Twister, stable across versions for `sample`) walks the strata in a fixed order.

Allocation rule (proportional, largest remainder / Hamilton):
1. the sample size n is `count`, or ⌈rate × N⌉ for a rate (computed in exact decimal arithmetic,
   so 10% of 30 is 3, not 4), never more than N;
2. each stratum (county × severity) gets ⌊n × N_h / N⌋, and the seats left go one each to the
   strata with the largest remainders (ties: the stratum that sorts first, by county id then
   severity code);
3. every non-empty stratum gets at least 1 — so with more strata than n the sample is larger than n
   (each county and severity seen at least once outweighs the exact size);
4. no stratum gets more than it has.
"""
from __future__ import annotations

import datetime as dt
import math
import random
import secrets
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from fractions import Fraction

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from inspect_app import access
from inspect_app.audit.service import record
from inspect_app.campaigns.models import Campaign, Team, team_counties
from inspect_app.errors import DomainError
from inspect_app.extensions import db, utcnow
from inspect_app.idempotency import clean_uuid, create_once, new_uuid
from inspect_app.media import processing
from inspect_app.media import service as media_service
from inspect_app.media.models import Attachment, PhotoStage
from inspect_app.rechecks.models import RecheckResult, RecheckRound, RecheckSample, RoundStatus
from inspect_app.rectification import channels, lifecycle, notifications
from inspect_app.rectification.lifecycle import Action, Actor, Status
from inspect_app.rectification.models import ItemHistory, RectificationItem

NOT_FOUND = "复核轮次不存在或您无权查看"
SAMPLE_NOT_FOUND = "抽查事项不存在或您无权查看"
STALE = "该抽查事项已被他人修改，您的提交尚未执行"
MAX_PHOTOS = 10
SEED_MAX = 2**31 - 1


# ---------------------------------------------------------------- the draw (pure)

@dataclass(frozen=True)
class Draw:
    """A draw's outcome: the ids drawn (sorted) and the allocation per stratum, in stratum order:
    ``[{"county_id", "severity", "population", "drawn"}, ...]``."""

    item_ids: list[int]
    strata: list[dict]


def sample_size(population: int, rate=None, count: int | None = None) -> int:
    """n before stratification: `count` (capped at the population), or ⌈rate × N⌉ computed exactly
    (rate as a decimal string or number, 0 < rate ≤ 1). ValueError for anything else."""
    if (rate is None) == (count is None):
        raise ValueError("give exactly one of rate and count")
    if count is not None:
        if count < 1:
            raise ValueError("count must be at least 1")
        return min(count, population)
    exact = Fraction(Decimal(str(rate)))
    if not 0 < exact <= 1:
        raise ValueError("rate must be in (0, 1]")
    return min(population, math.ceil(exact * population))


def allocate(sizes: dict[tuple, int], n: int) -> dict[tuple, int]:
    """Proportional allocation of n over strata of the given sizes, by the module's rule (largest
    remainder, then at least 1 per non-empty stratum, capped at its size)."""
    total = sum(sizes.values())
    keys = sorted(sizes)
    if total == 0 or n <= 0:
        return {k: 0 for k in keys}
    quotas = {k: Fraction(n * sizes[k], total) for k in keys}
    alloc = {k: math.floor(q) for k, q in quotas.items()}
    left = n - sum(alloc.values())
    by_remainder = sorted(keys, key=lambda k: (-(quotas[k] - alloc[k]), k))
    for k in by_remainder[:left]:
        alloc[k] += 1
    return {k: min(sizes[k], max(alloc[k], 1 if sizes[k] else 0)) for k in keys}


def draw_sample(frame, seed: int, rate=None, count: int | None = None) -> Draw:
    """Draw the sample: `frame` is ``[(item_id, county_id, severity_code), ...]`` in any order;
    strata are (county_id, severity_code). Deterministic in (frame, seed, rate/count)."""
    rows = sorted((int(i), int(c), str(s)) for i, c, s in frame)
    strata: dict[tuple, list[int]] = {}
    for item_id, county_id, severity in rows:
        strata.setdefault((county_id, severity), []).append(item_id)
    n = sample_size(len(rows), rate, count) if rows else 0
    alloc = allocate({k: len(v) for k, v in strata.items()}, n)
    rng = random.Random(seed)
    drawn: list[int] = []
    for key in sorted(strata):
        drawn.extend(rng.sample(strata[key], alloc[key]))
    return Draw(sorted(drawn), [{"county_id": k[0], "severity": k[1], "population": len(strata[k]),
                                 "drawn": alloc[k]} for k in sorted(strata)])


# ---------------------------------------------------------------- rounds

def frame_of(campaign_id: int, team_id: int) -> list[list]:
    """The sampling frame: the campaign's closed (已销号) items in the team's counties, by id."""
    counties = sa.select(team_counties.c.county_id).where(team_counties.c.team_id == team_id)
    rows = db.session.execute(sa.select(RectificationItem.id, RectificationItem.county_id, RectificationItem.severity)
                              .where(RectificationItem.campaign_id == campaign_id,
                                     RectificationItem.status == Status.CLOSED,
                                     RectificationItem.county_id.in_(counties))
                              .order_by(RectificationItem.id)).all()
    return [[i, c, s.value] for i, c, s in rows]


def parse_rate(value: str | None):
    """A rate typed as a percentage (e.g. "10" or "12.5") as a Decimal fraction; DomainError 422."""
    try:
        pct = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise DomainError("抽查比例应为 0 到 100 之间的数", 422, "rate") from None
    if not 0 < pct <= 100:
        raise DomainError("抽查比例应为 0 到 100 之间的数", 422, "rate")
    return pct / 100


def draw_round(user, campaign_id: int, team_id: int, name: str, *, rate=None, count: int | None = None,
               seed: int | None = None, now=None) -> RecheckRound:
    """Draw and save a round for the team: the frame, the seed (a fresh random one unless given), the
    parameters, the allocation and the ids. Province admin, or a leader of one of the campaign's
    teams (404 for another campaign); the team must be the campaign's (422). Audited."""
    campaign = db.session.get(Campaign, campaign_id)
    if campaign is None or not access.can_draw_recheck(user, campaign_id):
        raise DomainError("核查任务不存在或您无权抽取", 404)
    team = db.session.get(Team, team_id)
    if team is None or team.campaign_id != campaign_id:
        raise DomainError("请选择本次核查任务的核查组", 422, "team_id")
    if not (name or "").strip():
        raise DomainError("请填写轮次名称", 422, "name")
    if seed is None:
        seed = secrets.randbelow(SEED_MAX) + 1
    if not 0 <= seed <= SEED_MAX:
        raise DomainError(f"随机种子应为 0 到 {SEED_MAX} 之间的整数", 422, "seed")
    frame = frame_of(campaign_id, team_id)
    if not frame:
        raise DomainError("该核查组负责县（市、区）暂无已销号事项，无法抽取", 422)
    try:
        draw = draw_sample(frame, seed, rate=rate, count=count)
    except ValueError:
        raise DomainError("请填写抽查比例或抽查数量", 422, "rate") from None
    rnd = RecheckRound(campaign_id=campaign_id, team_id=team_id, name=name.strip(), seed=seed,
                       rate=float(rate) if rate is not None else None, count=count, frame=frame,
                       strata=draw.strata, item_ids=draw.item_ids, created_by_id=user.id,
                       created_at=now or utcnow())
    db.session.add(rnd)
    db.session.flush()
    items = {i.id: i for i in db.session.execute(sa.select(RectificationItem).where(
        RectificationItem.id.in_(draw.item_ids))).scalars()}
    for item_id in draw.item_ids:
        item = items[item_id]
        db.session.add(RecheckSample(round_id=rnd.id, item_id=item_id, county_id=item.county_id,
                                     unit_id=item.unit_id, severity=item.severity, version=1))
    record("recheck.draw", obj=rnd, label=rnd.name, county_id=None,
           after={"campaign_id": campaign_id, "team_id": team_id, "seed": seed, "rate": rnd.rate, "count": count,
                  "population": len(frame), "drawn": len(draw.item_ids), "item_ids": draw.item_ids},
           summary=f"抽取复核样本 {len(draw.item_ids)} 项（总体 {len(frame)} 项，种子 {seed}）", user=user)
    db.session.commit()
    return rnd


def reproduce(rnd: RecheckRound) -> bool:
    """Whether redrawing from the round's stored frame, parameters and seed gives the stored ids."""
    again = draw_sample(rnd.frame, rnd.seed, rate=Decimal(str(rnd.rate)) if rnd.rate is not None else None,
                        count=rnd.count)
    return again.item_ids == sorted(rnd.item_ids) and sorted(rnd.item_ids) == sorted(s.item_id for s in rnd.samples)


def visible_rounds(user, page: int = 1, per_page: int = 30):
    """The rounds the user may see, newest first (paginated)."""
    stmt = sa.select(RecheckRound).where(access.recheck_round_clause(user, RecheckRound, RecheckSample)) \
        .options(joinedload(RecheckRound.team), joinedload(RecheckRound.campaign)) \
        .order_by(RecheckRound.created_at.desc(), RecheckRound.id.desc())
    return db.paginate(stmt, page=page, per_page=per_page, error_out=False)


def load_round(round_id: int, user) -> RecheckRound:
    """A round the user may see, else DomainError 404 (it must look non-existent)."""
    rnd = db.session.get(RecheckRound, round_id)
    if rnd is None or not access.can_see_recheck_round(user, rnd):
        raise DomainError(NOT_FOUND, 404)
    return rnd


def samples_of(rnd: RecheckRound, user) -> list[RecheckSample]:
    """The round's samples the user may see (county roles: their own scope's), by county and item."""
    stmt = sa.select(RecheckSample).join(RecheckRound, RecheckRound.id == RecheckSample.round_id).where(
        RecheckSample.round_id == rnd.id, access.recheck_sample_clause(user, RecheckRound, RecheckSample)) \
        .options(joinedload(RecheckSample.item), joinedload(RecheckSample.county), joinedload(RecheckSample.unit)) \
        .order_by(RecheckSample.county_id, RecheckSample.item_id)
    return list(db.session.execute(stmt).unique().scalars())


def photos_of(sample_ids) -> dict[int, list[Attachment]]:
    """The re-check photos of each sample, oldest first."""
    out: dict[int, list[Attachment]] = {i: [] for i in sample_ids}
    if out:
        for att in db.session.execute(sa.select(Attachment).where(Attachment.recheck_sample_id.in_(out))
                                      .order_by(Attachment.id)).scalars():
            out[att.recheck_sample_id].append(att)
    return out


# ---------------------------------------------------------------- 离线准备

def offline_parts(rnd: RecheckRound, user) -> dict:
    """What a tablet keeps to fill in a round's re-check screen offline, JSON-ready:
    ``{"items": N, "pages": [the screen, the round's page], "photos": [URL path, …]}`` where
    `photos` are the thumbnail and display URLs of every photo the screen shows (整改前, 整改后 and
    re-check photos of the samples the user sees), in screen order without repeats. The caller has
    checked access.can_record_recheck. Two queries per sample (its progress posts and its finding's
    photos) plus one."""
    from flask import url_for
    from inspect_app.rectification import service as items_service
    samples = samples_of(rnd, user)
    taken = photos_of([s.id for s in samples])
    urls = []
    for s in samples:
        posts = items_service.progress_posts(s.item)
        for p in items_service.before_photos(s.item) + items_service.after_photos(posts) + taken[s.id]:
            urls += [url_for("media.thumb", attachment_id=p.id), url_for("media.display", attachment_id=p.id)]
    return {"items": len(samples), "photos": list(dict.fromkeys(urls)),
            "pages": [url_for("rechecks.field", round_id=rnd.id), url_for("rechecks.show", round_id=rnd.id)]}


def offline_rounds(user, team_id: int, county_id: int) -> list[RecheckRound]:
    """The open rounds of `team_id` with a sampled item in the county, whose results the user
    records (a member or the leader of that team) — the re-check screens the county's visits
    离线准备 keeps too. Oldest first."""
    rounds = db.session.execute(sa.select(RecheckRound).where(
        RecheckRound.team_id == team_id, RecheckRound.status == RoundStatus.OPEN,
        RecheckRound.id.in_(sa.select(RecheckSample.round_id).where(RecheckSample.county_id == county_id)))
        .order_by(RecheckRound.id)).scalars()
    return [r for r in rounds if access.can_record_recheck(user, r)]


# ---------------------------------------------------------------- recording a result

@dataclass
class Photo:
    """One photo taken on site: the client's file name and its bytes."""

    filename: str
    data: bytes


def _load_sample(sample_id: int, user) -> RecheckSample:
    sample = db.session.get(RecheckSample, sample_id)
    if sample is None or not access.can_see_recheck_sample(user, sample):
        raise DomainError(SAMPLE_NOT_FOUND, 404)
    return sample


def _by_uuid(client_uuid: str, sample_id: int, user) -> RecheckSample | None:
    found = db.session.execute(sa.select(RecheckSample).where(
        RecheckSample.client_uuid == client_uuid)).scalar_one_or_none()
    if found is not None and found.id != sample_id:
        raise DomainError("该提交编号已被其他事项使用，请刷新页面后重试", 409)
    return found if found is None else _load_sample(found.id, user)


def record_result(sample_id: int, user, *, result: str | None, note: str, version: int | None,
                  item_version: int | None, client_uuid: str | None, photos: list[Photo] = (),
                  now=None) -> tuple[RecheckSample, bool]:
    """Record one sampled item's re-check result, with its photos; returns (sample, created).

    Idempotent on `client_uuid` (an offline resend answers with the first result, created False).
    Refusals (DomainError): 404 out of scope, 403 not the round's team, 409 a result already
    recorded or a stale `version` (the sample's) / `item_version` (the item's, as shown), or the item
    no longer 已销号, 422 bad input or photo. A result other than 整改到位 reopens the item in the same
    transaction (lifecycle Action.RECHECK: history, notices to the unit, the named account and the
    county coordinators). Audited: recheck.result, and item.recheck for the reopen."""
    uuid = clean_uuid(client_uuid)
    if uuid is None:
        raise DomainError("缺少提交编号，请刷新页面后重试", 422)
    sample = _load_sample(sample_id, user)
    if not access.can_record_recheck(user, sample.round):
        raise DomainError("您不是该复核轮次的核查组成员，不能记录复核结果", 403)
    try:
        outcome = RecheckResult(result or "")
    except ValueError:
        raise DomainError("请选择复核结果", 422, "result") from None
    note = (note or "").strip()
    if outcome.reopens and not note:
        raise DomainError("复核结果不是“整改到位”时，请写明复核发现的问题", 422, "note")
    if len(photos) > MAX_PHOTOS:
        raise DomainError(f"每项最多上传 {MAX_PHOTOS} 张照片", 422, "photos")
    checked = []
    for photo in photos:   # every file is checked before anything is written
        try:
            checked.append((photo, processing.process_image(photo.data)))
        except processing.RejectedUpload as error:
            raise DomainError(f"照片“{processing.clean_filename(photo.filename)}”未能上传：{error.message}",
                              error.status if error.status in (413, 503) else 422, "photos") from None
    return create_once(lambda: _by_uuid(uuid, sample_id, user),
                       lambda: _record(sample_id, user, outcome, note, version, item_version, uuid, checked,
                                       now or utcnow()))


def _record(sample_id, user, outcome: RecheckResult, note: str, version, item_version, uuid, checked, now):
    written: set[str] = set()
    try:
        sample = _load_sample(sample_id, user)
        stmt = sa.select(RectificationItem).where(RectificationItem.id == sample.item_id)
        if db.engine.dialect.name == "postgresql":
            stmt = stmt.with_for_update().execution_options(populate_existing=True)
        item = db.session.execute(stmt).scalar_one()
        if sample.result is not None:
            raise DomainError(f"该事项的复核结果已记录为“{sample.result.label}”", 409)
        if version is None or version != sample.version:
            raise DomainError(STALE, 409)
        if item_version is None or item_version != item.version:
            raise DomainError(lifecycle.STALE_MESSAGE, 409)
        if item.status is not Status.CLOSED:
            raise DomainError(f"该事项当前为“{item.status.label}”，不是已销号，不能复核", 409)
        sample.result, sample.note, sample.rechecked_by_id, sample.rechecked_at = outcome, note, user.id, now
        sample.client_uuid, sample.version = uuid, sample.version + 1
        for photo, processed in checked:
            written |= media_service.store_photo_files(processed, photo.data)
            db.session.add(media_service.photo_attachment(
                processed, client_uuid=new_uuid(), stage=PhotoStage.OTHER, county_id=sample.county_id,
                uploader=user, filename=photo.filename, size=len(photo.data), recheck_sample_id=sample.id))
        record("recheck.result", obj=sample, label=item.number,
               after={"result": outcome, "note": note[:200], "photos": len(checked), "round_id": sample.round_id},
               summary=f"抽查复核结果：{outcome.label}", user=user)
        if outcome.reopens:
            _reopen(item, sample, user, outcome, note, item_version, now)
        rnd = sample.round
        if all(s.result is not None for s in rnd.samples):
            rnd.status = RoundStatus.DONE
        db.session.commit()
    except BaseException:
        db.session.rollback()
        media_service.discard_files(written)
        raise
    for photo, processed in checked:   # see rectification.service._restore_files
        media_service.store_photo_files(processed, photo.data)
    channels.dispatch()
    return sample


def add_photo(sample_id: int, user, *, data: bytes, filename: str, client_uuid: str | None,
              result_uuid: str | None) -> tuple[Attachment, bool]:
    """Attach one more photo to a recorded result, as part of the same submission; returns
    (photo, created).

    The offline queue sends a re-check result first (without files) and then each chosen photo as
    its own record, carrying its own client UUID and the result's (`result_uuid`). A photo is
    accepted only when the sample's result was recorded by that submission (the sample's
    `client_uuid` equals `result_uuid`): a result recorded by anyone else, or a photo sent before
    its result, is refused with 409, so nothing is added to a final result afterwards. Idempotent
    on `client_uuid` (a resend returns the first photo, created False, also once the result is
    final). Refusals (DomainError): 404 out of scope, 403 not the round's team, 409 as above, 422 a
    missing UUID or more than MAX_PHOTOS photos; media.processing.RejectedUpload for a bad file
    (its own status, 409 when the UUID is another owner's). Audited as photo.upload."""
    uuid = clean_uuid(client_uuid)
    if uuid is None:
        raise DomainError("缺少照片编号，请刷新页面后重试", 422)
    sample = _load_sample(sample_id, user)
    if not access.can_record_recheck(user, sample.round):
        raise DomainError("您不是该复核轮次的核查组成员，不能上传复核照片", 403)
    existing = media_service.existing_photo(uuid, sample)
    if existing is not None:
        return existing, False
    if sample.result is None:
        raise DomainError("该事项的复核结果尚未记录，照片须随复核结果提交", 409)
    if clean_uuid(result_uuid) is None or clean_uuid(result_uuid) != sample.client_uuid:
        raise DomainError(f"该事项的复核结果已记录为“{sample.result.label}”，不能再追加照片", 409)
    count = db.session.execute(sa.select(sa.func.count()).select_from(Attachment).where(
        Attachment.recheck_sample_id == sample.id)).scalar()
    if count >= MAX_PHOTOS:
        raise DomainError(f"每项最多上传 {MAX_PHOTOS} 张照片", 422, "photos")
    return media_service.ingest_photo(data, sample, user, uuid, PhotoStage.OTHER, filename=filename)


def _reopen(item: RectificationItem, sample: RecheckSample, user, outcome: RecheckResult, note: str,
            item_version: int, now) -> None:
    """The lifecycle's RECHECK transition, with history, audit and notices (the caller commits)."""
    before = {"status": item.status, "version": item.version, "reopen_count": item.reopen_count}
    actor = Actor(user_id=user.id, role=user.role, unit_id=user.unit_id, in_scope=True)
    step = lifecycle.apply(item, Action.RECHECK, actor, now=now, expected_version=item_version,
                           result=outcome.label, reason=note)   # refusals are DomainErrors already
    item.acceptance_opinion = ""
    db.session.add(ItemHistory(item_id=item.id, action=step.action.value, from_status=step.from_status,
                               to_status=step.to_status, actor_id=user.id, actor_role=user.role, at=step.at,
                               note=step.note, data={**step.data, "round_id": sample.round_id,
                                                     "recheck_sample_id": sample.id, "result_code": outcome.value}))
    record("item.recheck", obj=item, label=item.number, before=before,
           after={"status": item.status, "version": item.version, "reopen_count": item.reopen_count},
           summary=f"{Action.RECHECK.label}：{step.note[:200]}", user=user)
    notifications.after_action(item, step, user.id)


def drawable_campaigns(user) -> list[Campaign]:
    """Campaigns the user may draw a round of."""
    return list(db.session.execute(sa.select(Campaign).where(access.recheck_campaigns_clause(user, Campaign.id))
                                   .order_by(Campaign.year.desc(), Campaign.id)).scalars())


def drawable_teams(user) -> list[Team]:
    """Teams of those campaigns."""
    return list(db.session.execute(sa.select(Team).where(access.recheck_campaigns_clause(user, Team.campaign_id))
                                   .order_by(Team.campaign_id.desc(), Team.name)).scalars())


def today_label(now: dt.datetime | None = None) -> str:
    """A default round name's date part, Beijing time (2022年7月25日)."""
    from inspect_app.rectification import date_rules
    return lifecycle.format_date(date_rules.today(now or utcnow()))


def load_sample(sample_id: int, user) -> RecheckSample:
    """A sampled item the user may see, else DomainError 404."""
    return _load_sample(sample_id, user)


def county_names(rnd: RecheckRound) -> dict[int, str]:
    """Names of the counties in the round's allocation, by id."""
    from inspect_app.org.models import Region
    ids = {s["county_id"] for s in rnd.strata}
    return dict(db.session.execute(sa.select(Region.id, Region.name).where(Region.id.in_(ids))).all()) if ids else {}


def visible_strata(rnd: RecheckRound, user) -> list[dict]:
    """The round's allocation rows the user may see: all of them for province and team roles, only
    their own scope's counties for city viewers and county coordinators."""
    if access.sees_every_county(user) or user.role in access.TEAM_ROLES:
        return list(rnd.strata)
    return [s for s in rnd.strata if access.can_see_county(user, s["county_id"])]
