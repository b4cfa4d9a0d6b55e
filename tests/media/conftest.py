"""Fixtures shared by the media tests."""
import shutil

import pytest

from tests.visits import factories as f


@pytest.fixture
def setup(app, world):
    """An empty upload folder and (visit, draft finding, first office item) of 新野县."""
    shutil.rmtree(app.config["UPLOAD_FOLDER"], ignore_errors=True)
    version = f.make_version(n_items=4)
    visit = f.make_visit(f.office_site(world.xinye), world.users["inspector8"])
    return visit, f.make_finding(visit), f.items_of(version)[0]
