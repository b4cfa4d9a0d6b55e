"""Fixtures shared by the problem-list tests."""
import pytest

from tests.problem_lists.factories import make_xinye_findings


@pytest.fixture
def xinye_list(world):
    """新野县's four draft findings in the world's campaign: (campaign, [b01, b02, free, c01])."""
    return make_xinye_findings(world)
