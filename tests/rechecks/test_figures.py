"""The false-closure rate's Wilson score interval against values worked out by hand."""
import pytest

from inspect_app.rechecks.figures import wilson_interval


@pytest.mark.parametrize("k,n,low,high", [
    (3, 20, 0.052, 0.360),    # p̂ = .15, z²/n = .192: centre .2146/1.192, half 1.96/1.192 × √(.006375 + .0024)
    (0, 10, 0.000, 0.278),    # z²/(n + z²) = 3.8415/13.8415
    (10, 10, 0.722, 1.000),
    (1, 2, 0.095, 0.905),
    (50, 100, 0.404, 0.596),
])
def test_wilson_against_hand_values(k, n, low, high):
    lo, hi = wilson_interval(k, n)
    assert (round(lo, 3), round(hi, 3)) == (low, high)


def test_no_sample_no_interval_and_bad_counts_refused():
    assert wilson_interval(0, 0) is None
    with pytest.raises(ValueError):
        wilson_interval(3, 2)
