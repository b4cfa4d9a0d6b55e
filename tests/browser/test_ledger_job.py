"""The 整改台账 export as a background job in Chromium at tablet size: the button starts the job, the
progress fragment polls until the in-process worker has written the file, then stops polling and
offers the download, which is the ledger."""
import io

import pytest
from openpyxl import load_workbook
from playwright.sync_api import expect

from inspect_app.jobs import queue
from tests.browser.support import sign_in
from tests.rectification.factories import make_item

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("size", ["landscape", "portrait"])
def test_ledger_job_progress_then_download(live_server, request, size, app, world, password, monkeypatch):
    page = request.getfixturevalue(size)
    monkeypatch.setitem(app.config, "LEDGER_INLINE_MAX", 1)       # every ledger goes through the job
    numbers = {make_item(world).number for _ in range(3)}
    queue.flush(app)
    queue.start_worker_thread(app)
    try:
        sign_in(page, live_server, "xinye", password)
        page.goto(f"{live_server}/items/")
        with page.expect_response(lambda r: r.url.endswith("/items/ledger-jobs") and r.status == 201):
            page.click("#ledger-export")
        progress = page.locator("#ledger-job .job-progress")
        expect(progress).to_be_visible()
        link = page.locator("#ledger-job .job-download")
        expect(link).to_be_visible(timeout=30_000)                # the worker finished; polling stopped
        expect(progress).not_to_have_attribute("hx-trigger", "every 1s")
        expect(page.locator("#ledger-job .job-state")).to_have_text("已完成")
        with page.expect_download() as download:
            link.click()
        sheet = load_workbook(io.BytesIO(open(download.value.path(), "rb").read()))["整改台账"]
        assert {r[1] for r in sheet.iter_rows(min_row=2, values_only=True)} == numbers
        assert page.errors == []
    finally:
        queue.stop_worker_thread(app)
        queue.flush(app)
