"""The 自查 comparison figures on a small known dataset, against values counted by hand."""
from fractions import Fraction

import pytest

from inspect_app.self_inspections.comparison import (Outcome, Pair, agreement, agreement_by_county, classify,
                                                     of_outcome, worst_items)
from inspect_app.visits.models import AnswerResult

C, B, N, NA = (AnswerResult.CONFORMS, AnswerResult.BASICALLY, AnswerResult.NONCONFORMING,
               AnswerResult.NOT_APPLICABLE)
XINYE, TONGBAI = (1, "新野县"), (2, "桐柏县")

# (county, site, item, county's result, inspectors' result) — outcome written by hand in the comment.
ROWS = [
    (XINYE, "新野县医共体办公室", "A01", C, C),      # agree
    (XINYE, "新野县医共体办公室", "A02", C, N),      # over (自查虚报)
    (XINYE, "新野县医共体办公室", "A03", N, C),      # under
    (XINYE, "新野县医共体办公室", "A04", NA, NA),    # both 不适用: left out
    (XINYE, "新野县医共体办公室", "A05", C, B),      # other (基本符合)
    (XINYE, "新野县医共体办公室", "A06", NA, N),     # other (one side 不适用)
    (XINYE, "新野县医共体办公室", "A07", N, N),      # agree
    (XINYE, "新野县远程心电诊断中心", "A02", C, N),  # over
    (XINYE, "新野县远程心电诊断中心", "A01", C, C),  # agree
    (TONGBAI, "桐柏县医共体办公室", "A02", C, N),    # over
    (TONGBAI, "桐柏县医共体办公室", "A03", C, C),    # agree
    (TONGBAI, "桐柏县医共体办公室", "A04", NA, NA),  # left out
]
PAIRS = [Pair(county[0], county[1], hash(site) % 1000, site, code, f"条目{code}", mine, theirs)
         for county, site, code, mine, theirs in ROWS]


@pytest.mark.parametrize("mine, theirs, expected", [
    (C, C, Outcome.AGREE), (B, B, Outcome.AGREE), (N, N, Outcome.AGREE),
    (C, N, Outcome.OVER), (N, C, Outcome.UNDER),
    (C, B, Outcome.OTHER), (B, N, Outcome.OTHER), (N, B, Outcome.OTHER), (B, C, Outcome.OTHER),
    (NA, C, Outcome.OTHER), (C, NA, Outcome.OTHER), (NA, N, Outcome.OTHER),
    (NA, NA, Outcome.BOTH_NOT_APPLICABLE),
])
def test_classify_table(mine, theirs, expected):
    assert classify(mine, theirs) == expected


def test_agreement_per_county_matches_hand_counts():
    by_county = agreement_by_county(PAIRS)
    xinye, tongbai = by_county[1], by_county[2]
    # 新野县: 9 pairs, one both 不适用 → 8 compared; agree A01, A07, A01 (site 2) = 3; over 2; under 1; other 2.
    assert (xinye.compared, xinye.agreed, xinye.over, xinye.under, xinye.other, xinye.both_not_applicable) == \
        (8, 3, 2, 1, 2, 1)
    assert xinye.rate == Fraction(3, 8) and xinye.percent == 37.5
    # 桐柏县: 3 pairs, one both 不适用 → 2 compared, 1 agreed, 1 over: 50 %.
    assert (tongbai.compared, tongbai.agreed, tongbai.over) == (2, 1, 1)
    assert tongbai.percent == 50.0
    total = agreement(PAIRS)
    assert (total.compared, total.agreed, total.disagreed) == (10, 4, 6) and total.percent == 40.0


def test_nothing_compared_has_no_rate():
    only_na = [p for p in PAIRS if p.item_code == "A04"]
    counts = agreement(only_na)
    assert counts.compared == 0 and counts.rate is None and counts.percent is None
    assert agreement([]).rate is None


def test_over_reported_items_listed_by_county_site_code():
    over = of_outcome(PAIRS, Outcome.OVER)
    assert [(p.county_name, p.site_name, p.item_code) for p in over] == [
        ("新野县", "新野县医共体办公室", "A02"), ("新野县", "新野县远程心电诊断中心", "A02"),
        ("桐柏县", "桐柏县医共体办公室", "A02")]
    assert [p.item_code for p in of_outcome(PAIRS, Outcome.UNDER)] == ["A03"]


def test_worst_items_rank_by_disagreements_across_counties():
    worst = worst_items(PAIRS)
    # A02: 3 disagreements (all over) in both counties; then one each: A03, A05, A06 by code.
    assert [(w.item_code, w.counts.disagreed, w.counts.over) for w in worst] == [
        ("A02", 3, 3), ("A03", 1, 0), ("A05", 1, 0), ("A06", 1, 0)]
    assert worst[0].county_names == "新野县、桐柏县"     # sorted by name (code points)
    assert worst[1].counts.compared == 2          # A03 agreed in 桐柏县, disagreed in 新野县
    assert worst_items(PAIRS, limit=2)[-1].item_code == "A03"
