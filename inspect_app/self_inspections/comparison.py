"""The figures of a 自查 comparison: the county's self-inspection answers beside the inspectors'.

Pure (no Flask, no database): `service.comparison_pairs` loads the pairs, these functions count.

The rule, per (site, checklist item) where both sides gave a result:
- both 不适用: the item does not apply to the site on either view; left out of every figure
  (``Outcome.BOTH_NOT_APPLICABLE``).
- the same result (符合/符合, 基本符合/基本符合, 不符合/不符合): agreement.
- county 符合, inspectors 不符合: over-reporting (自查虚报, ``Outcome.OVER``).
- county 不符合, inspectors 符合: under-reporting (``Outcome.UNDER``).
- any other difference — one side 基本符合, or exactly one side 不适用 (a county that marks an item
  不适用 which the inspectors found applicable has not answered it) — is a disagreement of
  ``Outcome.OTHER``.

Agreement rate of a county = agreements / compared pairs, where compared pairs are all pairs but
those both 不适用; None when nothing is compared. An item left unanswered by either side is no pair.
"""
from __future__ import annotations

import enum
from collections import defaultdict
from dataclasses import dataclass, field
from fractions import Fraction

from inspect_app.visits.models import AnswerResult

CONFORMS, NONCONFORMING, NOT_APPLICABLE = (AnswerResult.CONFORMS, AnswerResult.NONCONFORMING,
                                           AnswerResult.NOT_APPLICABLE)


class Outcome(str, enum.Enum):
    AGREE = "agree"
    OVER = "over"
    UNDER = "under"
    OTHER = "other"
    BOTH_NOT_APPLICABLE = "both_not_applicable"

    @property
    def label(self) -> str:
        return {"agree": "一致", "over": "自查虚报", "under": "自查从严", "other": "其他不一致",
                "both_not_applicable": "均不适用"}[self.value]


@dataclass(frozen=True)
class Pair:
    """One site's answers to one item: the county's (`county_result`) and the inspectors'."""

    county_id: int
    county_name: str
    site_id: int
    site_name: str
    item_code: str
    item_content: str
    county_result: AnswerResult
    inspector_result: AnswerResult

    @property
    def outcome(self) -> Outcome:
        return classify(self.county_result, self.inspector_result)


def classify(county_result: AnswerResult, inspector_result: AnswerResult) -> Outcome:
    """The outcome of one pair by the module's rule."""
    if county_result == NOT_APPLICABLE and inspector_result == NOT_APPLICABLE:
        return Outcome.BOTH_NOT_APPLICABLE
    if county_result == inspector_result:
        return Outcome.AGREE
    if county_result == CONFORMS and inspector_result == NONCONFORMING:
        return Outcome.OVER
    if county_result == NONCONFORMING and inspector_result == CONFORMS:
        return Outcome.UNDER
    return Outcome.OTHER


@dataclass
class Agreement:
    """A county's (or any group's) counts: compared pairs (both 不适用 left out) and their outcomes."""

    compared: int = 0
    agreed: int = 0
    over: int = 0
    under: int = 0
    other: int = 0
    both_not_applicable: int = 0

    @property
    def disagreed(self) -> int:
        return self.compared - self.agreed

    @property
    def rate(self) -> Fraction | None:
        """agreed / compared, exact; None when nothing is compared."""
        return Fraction(self.agreed, self.compared) if self.compared else None

    @property
    def percent(self) -> float | None:
        """The rate in percent (0–100), None when nothing is compared."""
        return None if self.rate is None else float(self.rate * 100)

    def add(self, outcome: Outcome) -> None:
        if outcome == Outcome.BOTH_NOT_APPLICABLE:
            self.both_not_applicable += 1
            return
        self.compared += 1
        if outcome == Outcome.AGREE:
            self.agreed += 1
        elif outcome == Outcome.OVER:
            self.over += 1
        elif outcome == Outcome.UNDER:
            self.under += 1
        else:
            self.other += 1


def agreement(pairs) -> Agreement:
    """The counts over all `pairs`."""
    total = Agreement()
    for pair in pairs:
        total.add(pair.outcome)
    return total


def agreement_by_county(pairs) -> dict[int, Agreement]:
    """The counts per county id."""
    counts: dict[int, Agreement] = defaultdict(Agreement)
    for pair in pairs:
        counts[pair.county_id].add(pair.outcome)
    return dict(counts)


def of_outcome(pairs, outcome: Outcome) -> list[Pair]:
    """The pairs of one outcome (e.g. every over-reported item), by county, site and item code."""
    return sorted((p for p in pairs if p.outcome == outcome),
                  key=lambda p: (p.county_name, p.site_name, p.item_code))


@dataclass
class ItemDisagreement:
    """One checklist item across sites and counties: how often the two sides disagreed on it."""

    item_code: str
    item_content: str
    counts: Agreement = field(default_factory=Agreement)
    counties: set[str] = field(default_factory=set)

    @property
    def county_names(self) -> str:
        return "、".join(sorted(self.counties))


def worst_items(pairs, limit: int = 10) -> list[ItemDisagreement]:
    """The items with the most disagreements (over-reporting first on a tie, then by code), at most
    `limit`; items without any disagreement are left out. Items are matched by code, so the same
    item of one checklist version is counted across all its sites."""
    items: dict[str, ItemDisagreement] = {}
    for pair in pairs:
        entry = items.setdefault(pair.item_code, ItemDisagreement(pair.item_code, pair.item_content))
        outcome = pair.outcome
        entry.counts.add(outcome)
        if outcome not in (Outcome.AGREE, Outcome.BOTH_NOT_APPLICABLE):
            entry.counties.add(pair.county_name)
    ranked = sorted((e for e in items.values() if e.counts.disagreed),
                    key=lambda e: (-e.counts.disagreed, -e.counts.over, e.item_code))
    return ranked[:limit]
