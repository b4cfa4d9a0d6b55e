"""Issue 10's journey in Chromium at 1024×768 (landscape tablet): the leader issues 新野县's list;
an inspector still on a visit is told so and records one more finding; the leader, warned that the
visit is still 核查中, confirms and issues the supplementary list (补充反馈问题清单), its deadline
proposed in working days from the meeting date; the county sees the new item numbered on."""
import re
from datetime import date

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from inspect_app.extensions import db
from inspect_app.rectification.models import ProblemList, RectificationItem
from inspect_app.visits.models import VisitStatus
from tests.browser.support import allow_console_errors, sign_in, sign_out, unexpected_console_errors
from tests.problem_lists.factories import make_visit, make_xinye_findings, sites

pytestmark = pytest.mark.browser


def test_late_finding_goes_to_a_supplementary_list(live_server, landscape, world, password):
    camp, _findings = make_xinye_findings(world)
    page = landscape
    list_url = f"{live_server}/problem-lists/{camp.id}/411329"

    sign_in(page, live_server, "leader8", password)
    page.goto(f"{list_url}/issue")
    page.fill("input[name=issued_on]", "2025-09-30")
    with page.expect_response(lambda r: r.request.method == "POST" and r.url.endswith("/issue")):
        page.locator("input[name=issued_on]").dispatch_event("change")     # htmx redraws the proposals
    expect(page.locator("#issue-form")).to_contain_text("411329-2022-001")
    expect(page.locator("input[name^=deadline-]").first).to_have_value("2025-10-14")   # 立行立改: 5 working days
    page.click("button:has-text('确认下发')")
    expect(page.locator("#list-1")).to_contain_text("2025年9月30日下发")
    sign_out(page)

    visit = make_visit(camp, sites(world.xinye)[2], world.users["inspector8"])
    visit.status = VisitStatus.IN_PROGRESS
    db.session.commit()
    sign_in(page, live_server, "inspector8", password)
    page.goto(f"{live_server}/visits/{visit.id}")
    expect(page.locator("#issued-notice")).to_contain_text("新记录的问题将列入补充反馈问题清单")
    with page.expect_response(lambda r: "/findings/new" in r.url):
        page.click("#free-findings >> text=＋ 新增问题")
    form = page.locator("#finding-slot-free form[data-finding-form]")
    form.locator("textarea[name=description]").fill("村卫生室药品未统一配送")
    form.locator("input[name=category]").fill("服务共同体")
    form.locator("select[name=rectification_type]").select_option("immediate")
    with page.expect_response(lambda r: r.request.method == "POST" and r.url.endswith("/findings")):
        form.locator("button[type=submit]").click()
    expect(page.locator("#findings-free")).to_contain_text("村卫生室药品未统一配送")
    sign_out(page)

    sign_in(page, live_server, "leader8", password)
    page.goto(list_url)
    expect(page.locator("#open-list")).to_contain_text("补充反馈问题清单（整理中）")
    expect(page.locator("#open-list")).to_contain_text("村卫生室药品未统一配送")
    page.click("text=下发补充清单…")
    expect(page.locator("h1")).to_contain_text("下发新野县补充反馈问题清单")
    expect(page.locator("#open-visits")).to_contain_text(visit.site.name)
    page.fill("input[name=issued_on]", "2026-02-13")
    with page.expect_response(lambda r: r.request.method == "POST" and r.url.endswith("/issue")):
        page.locator("input[name=issued_on]").dispatch_event("change")
    expect(page.locator("#issue-form")).to_contain_text("411329-2022-005")
    deadline = page.locator("input[name^=deadline-]")
    expect(deadline).to_have_value("2026-02-27")           # across the 2026 Spring Festival
    page.click("button:has-text('确认下发')")               # not yet confirmed: refused, nothing lost
    expect(page.locator("#issue-form .alert-error")).to_contain_text("该县还有核查中的点位")
    expect(page.locator("input[name=issued_on]")).to_have_value("2026-02-13")
    page.check("input[name=confirm_open_visits]")
    page.click("button:has-text('确认下发')")
    expect(page).to_have_url(re.compile(r"/problem-lists/\d+/411329$"))
    expect(page.locator("#list-2")).to_contain_text("补充反馈问题清单")
    expect(page.locator("#list-2")).to_contain_text("411329-2022-005")
    expect(page.locator("#list-2")).to_contain_text("2026年2月27日")
    sign_out(page)

    sign_in(page, live_server, "xinye", password)
    page.click("nav.nav >> text=整改事项")
    db.session.expire_all()
    late = db.session.execute(sa.select(RectificationItem).where(
        RectificationItem.number == "411329-2022-005")).scalar_one()
    row = page.locator(f"#item-row-{late.id}")
    expect(row).to_contain_text("待整改")
    expect(row).to_contain_text("411329-2022-005")
    assert late.deadline == date(2026, 2, 27)
    lists = db.session.execute(sa.select(ProblemList.sequence, ProblemList.title)
                               .order_by(ProblemList.sequence)).all()
    assert lists == [(1, "新野县反馈问题清单"), (2, "新野县补充反馈问题清单")]
    # The refused issue answers 422; nothing else may fail.
    allow_console_errors(page, "status of 422")
    assert unexpected_console_errors(page) == []
