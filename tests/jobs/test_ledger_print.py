"""The ledger the app returns prints (issue 14 on issue 12's streaming writer): the inline export of
the route and the file of a background job, opened in LibreOffice and printed to PDF, are A3
landscape at ≥ 70 %, no wrapped line prints over the next row, the header row, the title and
第 N 页 共 M 页 are on every page, the 汇总 sheet has 待整改 per county, and 佐证材料数 says the photos."""
import io
import re

import pytest
import sqlalchemy as sa

from inspect_app.extensions import db
from inspect_app.jobs import queue
from inspect_app.jobs.models import Job
from inspect_app.rectification.lifecycle import Status
from tests.conftest import HX
from tests.documents.spreadsheet_pdf import overlapping_lines, page_texts, require_soffice, to_pdf, words
from tests.documents.test_spreadsheets_print import MIXED, body_scale
from tests.rectification.factories import make_item, wjw

LONG = "远程心电诊断中心未覆盖全部乡镇卫生院，部分卫生院心电图机未联网，报告仍由本院医生手工出具，上级医院无法实时会诊"


def seed(world, client, login_as) -> int:
    """30 items with long, line-broken and mixed text, every status, one with evidence photos."""
    require_soffice()
    statuses = [Status.PENDING, Status.IN_PROGRESS, Status.IN_PROGRESS, Status.PENDING]
    items = [make_item(world, status=statuses[n % 4], unit=wjw(world), description=f"{LONG}（第{n}条完）",
                       measures=MIXED if n % 3 == 0 else "逐项整改") for n in range(1, 31)]
    from tests.media import images
    from tests.rectification.test_evidence_package import located_photo

    login_as("xinye-wjw")
    files = [(io.BytesIO(located_photo()), "定位.jpg"), (io.BytesIO(images.noisy_jpeg()), "无信息.jpg"),
             (io.BytesIO(images.pdf()), "方案.pdf")]
    res = client.post(f"/items/{items[1].id}/actions/post_progress", headers=HX,
                      content_type="multipart/form-data", data={"version": "1", "text": "已整改", "files": files})
    assert res.status_code == 200
    login_as("xinye")
    return len(items)


def assert_prints(data: bytes, directory, count: int) -> None:
    pdf = to_pdf(data, directory, "ledger.xlsx")
    found, sizes = words(pdf)
    assert (round(sizes[0][0]), round(sizes[0][1])) == (1191, 842)      # A3 landscape
    assert body_scale(found) >= 0.70
    assert overlapping_lines(found) == []
    pages = page_texts(pdf)
    text = "".join(pages)
    # no row cut short: each description's last line is printed (its closing bracket may wrap on its
    # own, and the text of the columns beside it comes between in the extracted text)
    assert [n for n in range(1, count + 1) if not re.search(rf"（第{n}条.{{0,60}}?完", text)] == []
    assert "三、定期考核" in text and "3（照片2张，" in text and "1张含拍摄时间" in text
    ledger_pages = [p for p in pages if "问题描述" in p]
    assert len(ledger_pages) >= 2
    for number, page in enumerate(ledger_pages, 1):
        assert "新野县" in page and "整改台账" in page                         # the print header
        assert "序号问题编号" in page                                         # the header row repeats
        assert re.search(rf"第{number}页共\d+页", page)
    summary = next(p for p in pages if "分县(市)统计" in p)
    assert "待整改整改中待验收已超期" in summary


def test_the_inline_ledger_of_the_route_prints(client, world, login_as, tmp_path):
    count = seed(world, client, login_as)
    res = client.get("/items/ledger.xlsx")
    assert res.status_code == 200
    assert_prints(res.data, tmp_path, count)


def test_the_ledger_of_a_job_prints(client, world, login_as, tmp_path, app, monkeypatch):
    count = seed(world, client, login_as)
    monkeypatch.setitem(app.config, "LEDGER_INLINE_MAX", 1)
    assert client.post("/items/ledger-jobs", headers=HX).status_code == 201
    job_id = db.session.execute(sa.select(sa.func.max(Job.id))).scalar_one()
    assert queue.run_pending(client.application) == 1
    res = client.get(f"/jobs/{job_id}/download")
    assert res.status_code == 200
    assert_prints(res.data, tmp_path, count)
