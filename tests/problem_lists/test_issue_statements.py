"""Issuing a list costs a constant number of statements: 300 findings took 1,813 statements (one
INSERT and flush per item, issue 12 seen 4). The count must be the same for N and 3N findings."""
from datetime import date

import sqlalchemy as sa

from inspect_app.audit.service import record
from inspect_app.extensions import db
from inspect_app.problem_lists import service
from inspect_app.rectification.models import ItemHistory, RectificationItem
from tests.problem_lists.factories import campaign, make_finding, sites
from tests.statements import counted


def _issue(world, county, n) -> int:
    camp = campaign()
    site = sites(county)[0]
    for k in range(n):
        make_finding(camp, site, world.users["inspector8"], f"问题描述 {k}")
    db.session.commit()
    sheet = service.visible_list(world.users["leader8"], camp, county)
    with counted() as statements:
        plist = service.issue(sheet, world.users["leader8"], date(2022, 7, 13))
    assert db.session.scalar(sa.select(sa.func.count(RectificationItem.id))
                             .where(RectificationItem.problem_list_id == plist.id)) == n
    assert db.session.scalar(sa.select(sa.func.count(ItemHistory.id)).join(RectificationItem)
                             .where(RectificationItem.problem_list_id == plist.id)) == n
    return len(statements)


def test_issuing_3n_findings_costs_the_statements_of_n(app, world):
    record("test.start", summary="the audit chain's head exists before the first count")
    db.session.commit()
    small = _issue(world, world.xinye, 10)
    large = _issue(world, world.tongbai, 30)
    assert large == small, (small, large)
