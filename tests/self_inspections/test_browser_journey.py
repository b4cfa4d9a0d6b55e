"""自查 in Chromium at 768×1024: the coordinator starts the office's self-inspection, answers an item
(autosaved), adds a photo, meets a stale save (409) when someone saved the item meanwhile, answers
the rest, submits, and finds the screen locked."""
import re
from pathlib import Path

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from inspect_app.extensions import db
from inspect_app.media.models import Attachment
from inspect_app.self_inspections import service
from inspect_app.self_inspections.models import SelfAnswer, SelfInspection, SelfInspectionStatus
from inspect_app.visits.models import AnswerResult
from tests.browser.support import allow_console_errors, sign_in
from tests.self_inspections import factories as f

pytestmark = pytest.mark.browser
DATA = Path(__file__).resolve().parents[1] / "data"


def test_coordinator_self_inspection_journey(live_server, portrait, world, password):
    items = f.checklist(n_items=4)
    ids = [item.id for item in items]      # plain ints: Playwright's callbacks run outside the app context
    page = portrait
    allow_console_errors(page, "status of 409")          # the stale save, provoked on purpose
    sign_in(page, live_server, "xinye", password)
    page.click("nav.nav >> text=县级自查")
    page.click("text=点位自查")
    page.locator("li.site-row", has_text="医共体管理办公室").locator("text=开始自查").click()
    expect(page).to_have_url(re.compile(r"/self-inspections/\d+$"))
    expect(page.locator("#self-progress")).to_contain_text("0/4")

    first = page.locator(f"#item-{ids[0]}")
    with page.expect_response(lambda r: r.url.endswith(f"/items/{ids[0]}/answer")) as saved:
        first.locator("label.choice-conforms").click()
    assert saved.value.status == 200
    expect(first.locator(".answer-status")).to_contain_text("已保存")
    expect(page.locator("#self-progress")).to_contain_text("1/4")
    with page.expect_response(lambda r: r.url.endswith(f"/items/{ids[0]}/photos")) as uploaded:
        first.locator("input[data-photo-input]").set_input_files(str(DATA / "xmp_test.jpg"))
    assert uploaded.value.status == 200
    expect(first.locator("[data-gallery] img")).to_have_count(1)

    # Someone else saves item 2 (another tablet of the county office): this screen's save is refused.
    inspection = db.session.execute(sa.select(SelfInspection)).scalar_one()
    inspection_id = inspection.id
    other = db.session.execute(sa.select(SelfAnswer).where(SelfAnswer.item_id == ids[1])).scalar_one()
    service.save_answer(inspection, other, AnswerResult.NONCONFORMING, "另一台设备", 1, world.users["xinye"])
    second = page.locator(f"#item-{ids[1]}")
    with page.expect_response(lambda r: r.url.endswith(f"/items/{ids[1]}/answer")) as stale:
        second.locator("label.choice-conforms").click()
    assert stale.value.status == 409
    expect(second.locator(".answer-status")).to_contain_text("他人已修改")

    page.reload()
    expect(page.locator(f"#item-{ids[1]} label.choice-nonconforming input")).to_be_checked()
    for item_id in ids[2:]:
        row = page.locator(f"#item-{item_id}")
        with page.expect_response(lambda r, i=item_id: r.url.endswith(f"/items/{i}/answer")):
            row.locator("label.choice-not_applicable").click()
    expect(page.locator("#self-progress")).to_contain_text("4/4")
    page.once("dialog", lambda dialog: dialog.accept())
    with page.expect_response(lambda r: r.url.endswith(f"/self-inspections/{inspection_id}")
                              and r.request.method == "GET"):
        page.click("text=完成并提交自查")
    expect(page.locator("#submitted-banner")).to_contain_text("内容已锁定")
    expect(page.locator(f"#item-{ids[0]} input[value=nonconforming]")).to_be_disabled()
    db.session.expire_all()
    assert db.session.get(SelfInspection, inspection.id).status == SelfInspectionStatus.SUBMITTED
    assert db.session.execute(sa.select(sa.func.count()).select_from(Attachment)
                              .where(Attachment.self_answer_id.is_not(None))).scalar_one() == 1
