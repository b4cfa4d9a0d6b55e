"""Fixtures of the 屡查屡犯 tests."""
import pytest

from tests.repeats.factories import make_rounds


@pytest.fixture
def rounds(world):
    return make_rounds(world)
