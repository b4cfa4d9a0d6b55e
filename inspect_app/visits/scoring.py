"""Scores of a site visit and of a county in a campaign, from the checklist's weights (分值) and
veto flags (一票否决). Pure: no Flask, no database — callers pass plain tuples.

The rule (docs/domain.md §4, the checklist item's "optional weight or veto flag"):
- an item's weight is its 分值; an item without one weighs 1, so an unweighted checklist scores the
  share of items that conform;
- 符合 earns the whole weight, 基本符合 half of it, 不符合 nothing;
- 不适用 is left out of the denominator;
- an unanswered item stays in the denominator and earns nothing (a visit cannot score well by
  leaving items out); the inspector gives a reason for it when submitting;
- a veto item answered 不符合 flags the visit (and its county): 一票否决. The score is still shown,
  beside the flag, because the team wants to see both.
"""
from dataclasses import dataclass, field

from inspect_app.visits.models import AnswerResult

#: Share of an item's weight that each answer earns.
CREDIT: dict[AnswerResult, float] = {
    AnswerResult.CONFORMS: 1.0,
    AnswerResult.BASICALLY: 0.5,
    AnswerResult.NONCONFORMING: 0.0,
}
DEFAULT_WEIGHT = 1.0


@dataclass(frozen=True)
class ScoredItem:
    """One applicable checklist item as the scoring sees it."""
    code: str
    weight: float | None
    veto: bool
    result: AnswerResult | None


@dataclass
class Score:
    """Points earned out of points possible; `percent` is 0–100 (one decimal) or None when nothing
    counts (every item 不适用). `vetoed` lists the codes of veto items answered 不符合."""
    points: float = 0.0
    possible: float = 0.0
    unanswered: int = 0
    vetoed: list[str] = field(default_factory=list)

    @property
    def percent(self) -> float | None:
        if self.possible <= 0:
            return None
        return round(100.0 * self.points / self.possible, 1)

    @property
    def veto(self) -> bool:
        return bool(self.vetoed)

    def __add__(self, other: "Score") -> "Score":
        return Score(self.points + other.points, self.possible + other.possible,
                     self.unanswered + other.unanswered, self.vetoed + other.vetoed)


def weight_of(item_weight: float | None) -> float:
    """The weight an item counts with: its 分值, or 1 when it has none (or a non-positive one)."""
    return item_weight if item_weight is not None and item_weight > 0 else DEFAULT_WEIGHT


def score(items: list[ScoredItem]) -> Score:
    """The score of one visit from its applicable items and their answers (rule in the module doc)."""
    total = Score()
    for item in items:
        if item.result == AnswerResult.NOT_APPLICABLE:
            continue
        weight = weight_of(item.weight)
        total.possible += weight
        if item.result is None:
            total.unanswered += 1
            continue
        total.points += weight * CREDIT[item.result]
        if item.veto and item.result == AnswerResult.NONCONFORMING:
            total.vetoed.append(item.code)
    return total


def combine(scores: list[Score]) -> Score:
    """A county's score over its visits: points and possible points added up, so a site with more
    (or heavier) items weighs more; every veto of every visit is kept."""
    total = Score()
    for one in scores:
        total = total + one
    return total
