"""屡查屡犯 in the documents: the sentence after the item in the feedback DOCX (opened with
python-docx, and printed through LibreOffice once), the last column of the 整改台账."""
import io

import pdfplumber
from docx import Document
from openpyxl import load_workbook

from inspect_app.documents.workbook import LEDGER_COLUMNS
from tests.documents.libreoffice import to_pdf
from tests.repeats.factories import issue, record

OFFICE = "新野县医共体管理办公室"
SENTENCE = "本问题在2022年核查中已指出。"


def feedback_rounds(world, rounds):
    """2022: two 新野县 findings; 2023: one repeating B01, one new; the 2023 list issued."""
    record(rounds, world, rounds.first, OFFICE, "B01", "一办六部人员未到岗")
    record(rounds, world, rounds.first, OFFICE, "B02", "财务未统一管理")
    repeat = record(rounds, world, rounds.second, OFFICE, "B01", "一办六部人员又被原单位抽回")
    fresh = record(rounds, world, rounds.second, "新野县远程心电诊断中心", "A01", "远程心电经费未列入预算")
    plist = issue(world, rounds.second, world.xinye)
    return repeat, fresh, plist


def test_feedback_docx_says_the_repeat_after_its_item(client, login_as, world, rounds, tmp_path):
    repeat, fresh, _plist = feedback_rounds(world, rounds)
    login_as("xinye")
    res = client.get(f"/problem-lists/{rounds.second.id}/411329/feedback.docx")
    assert res.status_code == 200
    texts = [p.text for p in Document(io.BytesIO(res.data)).paragraphs]
    assert texts.count(SENTENCE) == 1
    heading = next(i for i, t in enumerate(texts) if "一办六部人员又被原单位抽回" in t)
    at = texts.index(SENTENCE)
    # The item's heading, its facts (问题编号 …), then the sentence: after the item, before the next one.
    assert texts[heading + 1].startswith("问题编号：411329-2023-") and at == heading + 2
    assert not texts[at + 1].startswith("（")      # the closing follows (the repeat is the last item)
    fresh_heading = next(i for i, t in enumerate(texts) if "远程心电经费未列入预算" in t)
    assert fresh_heading < heading and texts[fresh_heading + 1].startswith("问题编号")
    assert SENTENCE not in texts[fresh_heading:heading]
    with pdfplumber.open(to_pdf(res.data, ".docx", tmp_path)) as document:    # as WPS/LibreOffice print it
        printed = "".join("".join((page.extract_text() or "").split()) for page in document.pages)
    assert SENTENCE in printed and printed.index(SENTENCE) > printed.index("一办六部人员又被原单位抽回")


def test_ledger_ends_with_the_repeat_column(client, login_as, world, rounds):
    repeat, fresh, plist = feedback_rounds(world, rounds)
    login_as("xinye")
    res = client.get("/items/ledger.xlsx")
    ws = load_workbook(io.BytesIO(res.data))["整改台账"]
    header = [c.value for c in ws[1]]
    assert header == list(LEDGER_COLUMNS) and header[-2] == "屡查屡犯" and header[-3] == "佐证材料数"
    rows = {r[4]: dict(zip(header, r)) for r in ws.iter_rows(min_row=2, values_only=True)}
    assert rows["一办六部人员又被原单位抽回"]["屡查屡犯"] == "2022年"
    assert rows["远程心电经费未列入预算"]["屡查屡犯"] in (None, "")
    assert ws.print_title_rows == "$1:$1" and ws.page_setup.paperSize == 8          # still A3, header repeated
