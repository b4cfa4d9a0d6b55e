"""Re-check figures for the dashboard: per county and per unit, items re-checked and the false-closure
rate with its 95% Wilson score interval, and the outcomes of each round over time.

The false-closure rate (虚假销号率) of a group is k / n: k the re-checked items whose result was not
整改到位 (部分到位, 书面整改 or 虚假整改), n the items re-checked. Only recorded results count; every
query is scoped through access.recheck_sample_clause.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import sqlalchemy as sa

from inspect_app import access
from inspect_app.extensions import db
from inspect_app.org.models import Region, ResponsibleUnit
from inspect_app.rechecks.models import RecheckResult, RecheckRound, RecheckSample

Z_95 = 1.959963984540054   # the standard normal quantile for a two-sided 95% interval


def wilson_interval(k: int, n: int, z: float = Z_95) -> tuple[float, float] | None:
    """The Wilson score interval for a proportion k/n (Wilson, E. B. 1927, "Probable inference, the law
    of succession, and statistical inference", JASA 22(158): 209–212):

        centre = (p̂ + z²/2n) / (1 + z²/n)
        half   = z / (1 + z²/n) · √( p̂(1 − p̂)/n + z²/4n² )

    with p̂ = k/n. Unlike p̂ ± z·√(p̂(1−p̂)/n) it stays within [0, 1] and is not zero-width at k = 0 or
    k = n, which matters for the small samples of a re-check (3/20 → [0.052, 0.360]).
    Returns (low, high) as fractions, or None when n = 0. ValueError unless 0 ≤ k ≤ n."""
    if n == 0:
        return None
    if not 0 <= k <= n:
        raise ValueError("need 0 <= k <= n")
    p = k / n
    z2 = z * z
    denominator = 1 + z2 / n
    centre = (p + z2 / (2 * n)) / denominator
    half = z / denominator * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n))
    return max(0.0, centre - half), min(1.0, centre + half)


@dataclass(frozen=True)
class Rate:
    """One group's figures: name, items re-checked (n), false closures (k), rate k/n and interval."""

    key: int | None
    name: str
    rechecked: int
    false_closures: int

    @property
    def rate(self) -> float | None:
        return self.false_closures / self.rechecked if self.rechecked else None

    @property
    def interval(self) -> tuple[float, float] | None:
        return wilson_interval(self.false_closures, self.rechecked)


def _base(user, campaign_id: int | None, county_ids: sa.Select | None):
    """Recorded results in the user's scope, optionally one campaign's and some counties'."""
    conditions = [RecheckSample.result.is_not(None), access.recheck_sample_clause(user, RecheckRound, RecheckSample)]
    if campaign_id:
        conditions.append(RecheckRound.campaign_id == campaign_id)
    if county_ids is not None:
        conditions.append(RecheckSample.county_id.in_(county_ids))
    return conditions


FAILED = sa.case((RecheckSample.result != RecheckResult.FIXED, 1), else_=0)


def _rates(user, campaign_id, county_ids, key, name_model, name_column) -> list[Rate]:
    stmt = sa.select(key, name_column, sa.func.count(), sa.func.sum(FAILED)) \
        .select_from(RecheckSample).join(RecheckRound, RecheckRound.id == RecheckSample.round_id) \
        .outerjoin(name_model, name_model.id == key).where(*_base(user, campaign_id, county_ids)) \
        .group_by(key, name_column)
    rows = [Rate(k, name or "未指派", int(n), int(f or 0)) for k, name, n, f in db.session.execute(stmt)]
    return sorted(rows, key=lambda r: (-(r.rate or 0), -r.rechecked, r.name))


def by_county(user, campaign_id=None, county_ids=None) -> list[Rate]:
    """Per county: re-checked and false closures, worst rate first."""
    return _rates(user, campaign_id, county_ids, RecheckSample.county_id, Region, Region.name)


def by_unit(user, campaign_id=None, county_ids=None) -> list[Rate]:
    """Per responsible unit answerable for the closure (the item's unit at draw time)."""
    return _rates(user, campaign_id, county_ids, RecheckSample.unit_id, ResponsibleUnit, ResponsibleUnit.name)


@dataclass(frozen=True)
class RoundOutcome:
    """One round's recorded results: counts per result code, in RecheckResult order."""

    round_id: int
    name: str
    created_at: object
    counts: dict[str, int]

    @property
    def rechecked(self) -> int:
        return sum(self.counts.values())

    @property
    def rate(self) -> Rate:
        return Rate(self.round_id, self.name, self.rechecked,
                    self.rechecked - self.counts.get(RecheckResult.FIXED.value, 0))


def by_round(user, campaign_id=None, county_ids=None) -> list[RoundOutcome]:
    """The outcomes of each round over time, oldest first."""
    stmt = sa.select(RecheckRound.id, RecheckRound.name, RecheckRound.created_at, RecheckSample.result,
                     sa.func.count()) \
        .select_from(RecheckSample).join(RecheckRound, RecheckRound.id == RecheckSample.round_id) \
        .where(*_base(user, campaign_id, county_ids)) \
        .group_by(RecheckRound.id, RecheckRound.name, RecheckRound.created_at, RecheckSample.result) \
        .order_by(RecheckRound.created_at, RecheckRound.id)
    rounds: dict[int, RoundOutcome] = {}
    for rid, name, at, result, n in db.session.execute(stmt):
        rounds.setdefault(rid, RoundOutcome(rid, name, at, {r.value: 0 for r in RecheckResult}))
        rounds[rid].counts[result.value] = int(n)
    return list(rounds.values())


def region_counties(region: Region | None) -> sa.Select | None:
    """The county ids under a city or the county itself; None for the whole scope."""
    if region is None:
        return None
    if region.level.value == "county":
        return sa.select(sa.literal(region.id))
    return sa.select(Region.id).where(Region.parent_id == region.id)
