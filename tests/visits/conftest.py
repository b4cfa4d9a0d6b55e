"""Fixtures shared by the visit tests: a 12-item checklist version and an inspector's visit of
新野县's office site."""
import pytest

from tests.visits import factories as f


@pytest.fixture
def version(world):
    return f.make_version(n_items=12)


@pytest.fixture
def visit(world, version):
    return f.make_visit(f.office_site(world.xinye), world.users["inspector8"])
