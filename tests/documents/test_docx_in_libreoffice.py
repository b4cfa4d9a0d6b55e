"""The Word documents as LibreOffice (and so WPS users) lays them out: GB/T 9704's 28 characters a
line and 22 lines a page, titles broken between words, headings whole, the photo annex, and the
visit record's contents and signature lines (issue 14). Each document is converted once."""
from datetime import date
from pathlib import Path

import pytest

from inspect_app.documents import words
from inspect_app.documents.images import document_jpeg
from inspect_app.documents.official_docx import (CHARS_PER_LINE, GRID_LINE_PITCH_TWIPS, AnnexPhoto, PhotoGroup,
                                                 problem_list_document)
from inspect_app.documents.visit_record_docx import (SIGNATURE_LINES, RecordAnswer, RecordFinding, VisitRecord,
                                                     visit_record_document)
from tests.documents.libreoffice import read_pdf, to_pdf

DATA = Path(__file__).resolve().parents[1] / "data"
TEAM = "河南省紧密型县域医共体建设第八核查组"
LONG = ("医共体牵头医院与成员单位之间的人员统一调配机制尚未建立乡镇卫生院人员编制仍由各单位自行管理"
        "县级医院派驻乡镇卫生院的医师数量不足且轮换周期过短")   # no comma: it is its own heading, whole
CLAUSED = "远程心电诊断中心未与乡镇卫生院联通，心电图仍由各卫生院自行判读，上级医院未开展质控，诊断报告未统一出具。"


def photos():
    jpeg = document_jpeg((DATA / "xmp_test.jpg").read_bytes())
    turned = document_jpeg((DATA / "hopper_orientation_6.webp").read_bytes())
    png = document_jpeg((DATA / "transparent.png").read_bytes())
    return [AnnexPhoto(jpeg, ["问题编号 411329-2022-001", "新野县人民医院", "拍摄时间 2022-07-10 09:33",
                              "位置 32.52066°N 112.36011°E"]),
            AnnexPhoto(turned, ["问题编号 411329-2022-001", "新野县人民医院", "无拍摄时间"]),
            AnnexPhoto(png, ["问题编号 411329-2022-002", "新野县医共体管理办公室", "拍摄时间 2022-07-11 15:02"])]


def problem(number, description, site="新野县人民医院"):
    return {"number": number, "description": description, "site": site, "severity": "一般",
            "rectification_type": "限期整改", "deadline": date(2022, 8, 30),
            "measures_suggested": "建立县乡人员统一调配机制，明确派驻医师数量和轮换周期，按季度考核落实情况。"}


@pytest.fixture(scope="module")
def feedback(tmp_path_factory):
    pictures = photos()
    data = problem_list_document(
        "新野县", TEAM, "2022年全省紧密型县域医共体建设核查", date(2022, 7, 13),
        [("管理体制", [problem("411329-2022-001", LONG), problem("411329-2022-002", CLAUSED, "新野县医共体管理办公室")]),
         ("运行机制", [problem(f"411329-2022-00{i}", CLAUSED * 2) for i in range(3, 7)])],
        visit_start=date(2022, 7, 9), visit_end=date(2022, 7, 13), title_suffix="（讨论稿）",
        photo_annex=[PhotoGroup("411329-2022-001　新野县人民医院", pictures[:2]),
                     PhotoGroup("411329-2022-002　新野县医共体管理办公室", pictures[2:])])
    return read_pdf(to_pdf(data, ".docx", tmp_path_factory.mktemp("feedback")))


def body_lines(pdf):
    return [line for line in pdf.lines if line.size == 16.0]


def test_every_full_body_line_holds_28_characters(feedback):
    left = 28 / 25.4 * 72                                  # the margins, 28 mm and 26 mm
    right = feedback.page_width - 26 / 25.4 * 72
    lines = body_lines(feedback)
    assert max(line.x1 for line in feedback.lines) <= right + 0.5   # no punctuation hangs past it
    checked = exact = 0
    for line, following in zip(lines, lines[1:]):
        if right - line.x1 > 3.0:
            continue                                       # a paragraph's last line
        indent = round((line.x0 - left) / 15.8)            # 2 on a first line
        if line.width != len(line.text):
            continue    # digits and Latin letters: their width is the font's, and a number is not split
        # 28 a line; 27 only when a mark that may not begin a line (避头) took the 28th character
        # down with it: the next line starts with the mark, or with that character and the mark.
        pushed = any(ch in "，。、；：？！）》”" for ch in following.text[:2]) and line.width + indent == 27
        assert line.width + indent == CHARS_PER_LINE or pushed, (line.text, line.width, indent)
        checked += 1
        exact += line.width == len(line.text) == CHARS_PER_LINE - indent
    assert checked >= 12 and exact >= 10
    assert max(line.width for line in lines) <= CHARS_PER_LINE


def test_body_lines_on_the_22_line_grid(feedback):
    pitch = GRID_LINE_PITCH_TWIPS / 20
    steps = [b.top - a.top for a, b in zip(body_lines(feedback), body_lines(feedback)[1:])
             if a.page == b.page and 0 < b.top - a.top < 40]
    assert steps and all(abs(step - pitch) < 0.6 for step in steps), sorted(set(round(s, 1) for s in steps))
    # A page holds 22 such lines: the text block is 22 pitches high.
    assert 22 * pitch <= (297 - 37 - 35) / 25.4 * 72 < 23 * pitch


def test_title_lines_end_at_word_boundaries(feedback):
    title_lines = [line.text for line in feedback.lines if line.page == 1 and line.size == 22.0]
    title = "".join(title_lines)
    assert title == "关于新野县紧密型县域医共体建设核查发现问题的反馈清单（讨论稿）"
    assert len(title_lines) == 2
    cut = len(title_lines[0])
    assert cut in words.boundaries(title), title_lines
    for word in ("紧密型", "医共体", "问题", "清单", "（讨论稿）"):
        start = title.index(word)
        assert not start < cut < start + len(word), title_lines


def test_headings_are_whole(feedback):
    text = feedback.text.replace("\n", "")
    assert "……" not in text
    assert "（一）" + LONG in text
    assert "（二）远程心电诊断中心未与乡镇卫生院联通" in text


def test_photo_annex_after_the_date_with_photos_and_captions(feedback):
    text = feedback.text
    annex_page = next(line.page for line in feedback.lines if line.text == "附件")
    assert annex_page > next(line.page for line in feedback.lines if line.text.startswith("2022年7月13日"))
    assert "问题照片" in [line.text for line in feedback.lines if line.page == annex_page]
    assert sum(feedback.images_per_page[annex_page - 1:]) == 3
    assert sum(feedback.images_per_page[:annex_page - 1]) == 0
    lines = [line.text for line in feedback.lines if line.page >= annex_page]
    for caption in ("拍摄时间 2022-07-10 09:33", "位置 32.52066°N 112.36011°E", "无拍摄时间",
                    "问题编号 411329-2022-002", "新野县医共体管理办公室", "411329-2022-002　新野县医共体管理办公室"):
        assert caption in lines, caption         # each on a line of its own, none wrapped
    assert "附件：问题照片" in text       # named in the 附件说明 before the signature


@pytest.fixture(scope="module")
def record(tmp_path_factory):
    answers = [RecordAnswer("责任共同体", "A01", "医共体实行统一法人并完成资产划转", "符合", ""),
               RecordAnswer("管理共同体", "B02", "一办六部实体化运行，人员集中办公", "不符合", "人员未集中办公"),
               RecordAnswer("服务共同体", "C03", "远程心电诊断中心覆盖全部乡镇卫生院", "", "")]
    findings = [RecordFinding("一办六部人员未集中办公，财务管理部无专职人员。", "管理共同体", "较重", "限期整改", "B02",
                              photos()[:2])]
    data = visit_record_document(VisitRecord(
        campaign="2022年全省紧密型县域医共体建设核查", county="新野县", site="新野县医共体管理办公室",
        site_kind="一办六部", visit_date=date(2022, 7, 10), team="第八核查组", inspectors=["张组长", "李核查"],
        checklist="2022版", status="已提交", score="本点位得分66.7分（得2分，满分3分）。",
        answers=answers, findings=findings, made_on=date(2022, 7, 10)))
    return read_pdf(to_pdf(data, ".docx", tmp_path_factory.mktemp("record")))


def test_visit_record_has_answers_findings_score_and_signatures(record):
    text = record.text.replace("\n", "")
    lines = [line.text for line in record.lines]
    assert "新野县医共体管理办公室现场核查记录表" in text
    for expected in ("2022年7月10日", "第八核查组", "张组长、李核查", "一办六部", "A01 医共体实行统一法人",
                     "B02 一办六部实体化运行", "（一）一办六部人员未集中办公，财务管理部无专职人员", "较重", "66.7分",
                     "拍摄时间 2022-07-10 09:33"):
        assert expected in text, expected
    # Each answer's result in its own cell, and the note.
    assert {"符合", "不符合", "未作答"} <= set(lines)
    assert "人员未集中办公" in text
    assert sum(record.images_per_page) == 2
    for label in SIGNATURE_LINES:
        assert any(line.startswith(label) for line in lines), label
    assert sum(1 for line in lines if line.startswith("日期：")) == 2
    # The signatures come last, after the score.
    assert text.index(SIGNATURE_LINES[0]) > text.index("66.7分")
