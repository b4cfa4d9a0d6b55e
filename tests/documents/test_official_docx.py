import io
import shutil
import subprocess
import zipfile
from datetime import date

import docx
import pytest
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
from docx.oxml.ns import qn
from docx.shared import Mm, Pt, Twips

from inspect_app.documents.official_docx import (
    OfficialDocument,
    Section,
    Table,
    build_official_document,
    cn_numeral,
    heading_number,
    problem_list_document,
)

ISSUER = "河南省紧密型县域医共体建设第八核查组"


def sample_document() -> OfficialDocument:
    return OfficialDocument(
        title="关于新野县紧密型县域医共体建设\n核查情况的通报",
        recipient="新野县医改办：",
        intro=["根据工作安排，核查组于2022年7月9日至13日对你县进行了核查。"],
        sections=[
            Section(
                heading="基本情况",
                paragraphs=["全县组建医共体2个。"],
                subsections=[
                    Section(
                        heading="管理体制",
                        subsections=[
                            Section(
                                heading="一办六部",
                                paragraphs=["已实体化运行。"],
                                subsections=[Section(heading="人员配备", paragraphs=["配备专职人员12名。"])],
                            ),
                            Section(heading="3. 六大中心"),  # caller's number is replaced
                        ],
                    ),
                    Section(heading="运行机制"),
                ],
            ),
            Section(
                heading="二、存在问题",
                table=Table(
                    columns=["序号", "问题描述", "完成时限"],
                    rows=[["1", "远程心电诊断中心未联通", date(2022, 8, 25)], ["2", "一办六部未集中办公", "2022年9月30日"]],
                    widths_mm=[15, 100, 35],
                ),
            ),
        ],
        closing=["请逐项整改落实到位。"],
        issuer=ISSUER,
        issued_on=date(2022, 7, 25),
        attachments_note=["核查发现问题清单", "整改情况报告模板"],
    )


@pytest.fixture(scope="module")
def built():
    data = build_official_document(sample_document())
    return data, docx.Document(io.BytesIO(data))


def east_asia_font(paragraph) -> str:
    run = paragraph.runs[0]
    return run._r.rPr.find(qn("w:rFonts")).get(qn("w:eastAsia"))


def paragraph_starting(document, prefix):
    for p in document.paragraphs:
        if p.text.startswith(prefix):
            return p
    raise AssertionError(f"no paragraph starts with {prefix!r}: {[p.text for p in document.paragraphs]}")


def effective_alignment(p):
    if p.alignment is not None:
        return p.alignment
    style = p.style
    while style is not None:
        if style.paragraph_format.alignment is not None:
            return style.paragraph_format.alignment
        style = style.base_style
    return None


def mm(length) -> float:
    return length / 36000


def test_output_is_a_docx(built):
    data, _ = built
    assert data[:2] == b"PK"
    assert "word/document.xml" in zipfile.ZipFile(io.BytesIO(data)).namelist()


def test_a4_page_and_gbt9704_margins(built):
    _, d = built
    s = d.sections[0]
    assert mm(s.page_width) == pytest.approx(210, abs=0.1)
    assert mm(s.page_height) == pytest.approx(297, abs=0.1)
    assert mm(s.top_margin) == pytest.approx(37, abs=0.1)
    assert mm(s.bottom_margin) == pytest.approx(35, abs=0.1)
    assert mm(s.left_margin) == pytest.approx(28, abs=0.1)
    assert mm(s.right_margin) == pytest.approx(26, abs=0.1)


def test_title_centred_in_xiaobiaosong_erhao(built):
    _, d = built
    title = d.paragraphs[0]
    assert title.text == "关于新野县紧密型县域医共体建设\n核查情况的通报"
    assert effective_alignment(title) == WD_ALIGN_PARAGRAPH.CENTER
    assert east_asia_font(title) == "方正小标宋简体"
    assert title.runs[0].font.size == Pt(22)
    # ascii/hAnsi named as well (python-docx font.name)
    assert title.runs[0].font.name == "方正小标宋简体"


def test_body_in_fangsong_sanhao_on_the_22_line_grid_two_char_indent(built):
    _, d = built
    body = paragraph_starting(d, "根据工作安排")
    assert east_asia_font(body) == "仿宋_GB2312"
    assert body.runs[0].font.size == Pt(16)
    pf = body.style.paragraph_format
    assert pf.line_spacing_rule == WD_LINE_SPACING.EXACTLY
    assert pf.line_spacing == Twips(579)  # 225 mm / 22 lines
    ind = body.style.element.pPr.find(qn("w:ind"))
    assert ind.get(qn("w:firstLineChars")) == "200"
    assert pf.first_line_indent == Pt(32)


def test_recipient_is_flush_left(built):
    _, d = built
    p = paragraph_starting(d, "新野县医改办：")
    assert p.style.paragraph_format.first_line_indent in (None, 0)
    assert east_asia_font(p) == "仿宋_GB2312"


def test_styles_name_the_east_asian_font_too(built):
    _, d = built
    for name, font in [("公文正文", "仿宋_GB2312"), ("公文一级标题", "黑体"), ("公文二级标题", "楷体_GB2312"), ("公文标题", "方正小标宋简体")]:
        rfonts = d.styles[name].element.rPr.find(qn("w:rFonts"))
        assert rfonts.get(qn("w:eastAsia")) == font
        assert rfonts.get(qn("w:ascii")) == font
    defaults = d.styles.element.find(qn("w:docDefaults"))
    lang = defaults.find(qn("w:rPrDefault")).find(qn("w:rPr")).find(qn("w:lang"))
    assert lang.get(qn("w:eastAsia")) == "zh-CN"


def test_font_table_has_fallbacks(built):
    data, _ = built
    xml = zipfile.ZipFile(io.BytesIO(data)).read("word/fontTable.xml").decode()
    assert 'w:name="仿宋_GB2312"><w:altName w:val="仿宋"/>' in xml
    assert 'w:name="楷体_GB2312"><w:altName w:val="楷体"/>' in xml
    assert 'w:name="方正小标宋简体"' in xml


def test_headings_numbered_by_depth_with_their_fonts(built):
    _, d = built
    texts = [p.text for p in d.paragraphs]
    for expected in ["一、基本情况", "（一）管理体制", "1.一办六部", "（1）人员配备", "2.六大中心", "（二）运行机制", "二、存在问题"]:
        assert expected in texts
    assert not any(t.startswith("二、二、") or "3. " in t for t in texts)
    assert east_asia_font(paragraph_starting(d, "一、基本情况")) == "黑体"
    assert east_asia_font(paragraph_starting(d, "（一）管理体制")) == "楷体_GB2312"
    assert east_asia_font(paragraph_starting(d, "1.一办六部")) == "仿宋_GB2312"
    # Headings keep with the next paragraph and show in Word's navigation pane.
    h1 = paragraph_starting(d, "一、基本情况")
    assert h1.style.paragraph_format.keep_with_next is True
    assert h1.style.element.pPr.find(qn("w:outlineLvl")).get(qn("w:val")) == "0"


def test_numbering_helpers():
    assert [cn_numeral(n) for n in (1, 9, 10, 11, 19, 20, 21, 99, 100, 101, 110, 120)] == [
        "一", "九", "十", "十一", "十九", "二十", "二十一", "九十九", "一百", "一百零一", "一百一十", "一百二十",
    ]
    assert [heading_number(depth, 2) for depth in (1, 2, 3, 4)] == ["二、", "（二）", "2.", "（2）"]
    assert heading_number(1, 12) == "十二、"
    assert heading_number(5, 3) == "③"


def test_closing_attachments_issuer_and_date(built):
    _, d = built
    texts = [p.text for p in d.paragraphs]
    assert texts[-2:] == [ISSUER, "2022年7月25日"]
    issuer, dated = d.paragraphs[-2], d.paragraphs[-1]
    assert issuer.alignment == WD_ALIGN_PARAGRAPH.RIGHT
    assert dated.alignment == WD_ALIGN_PARAGRAPH.RIGHT
    # 署名右空二字; the date starts two characters right of the issuer's first character,
    # so it sits further from the margin than the issuer.
    assert issuer.paragraph_format.right_indent == Pt(32)
    assert dated.paragraph_format.right_indent > issuer.paragraph_format.right_indent
    assert "附件：1.核查发现问题清单" in texts
    assert "2.整改情况报告模板" in texts
    assert texts.index("请逐项整改落实到位。") < texts.index("附件：1.核查发现问题清单") < texts.index(ISSUER)


def test_table_header_repeats_and_has_borders(built):
    _, d = built
    assert len(d.tables) == 1
    t = d.tables[0]
    assert [c.text for c in t.rows[0].cells] == ["序号", "问题描述", "完成时限"]
    assert t.rows[1].cells[2].text == "2022年8月25日"
    tr_pr = t.rows[0]._tr.trPr
    assert tr_pr is not None and tr_pr.find(qn("w:tblHeader")) is not None
    assert t.rows[1]._tr.trPr is None or t.rows[1]._tr.trPr.find(qn("w:tblHeader")) is None
    borders = t._tbl.tblPr.find(qn("w:tblBorders"))
    assert {el.tag.split("}")[1] for el in borders} >= {"top", "left", "bottom", "right", "insideH", "insideV"}
    assert all(el.get(qn("w:val")) == "single" for el in borders)
    cell_p = t.rows[1].cells[1].paragraphs[0]
    assert east_asia_font(cell_p) == "仿宋_GB2312"
    assert cell_p.runs[0].font.size == Pt(12)
    widths = [round(mm(c.width)) for c in t.rows[1].cells]
    assert widths == [15, 100, 35]


def test_footer_page_number_field_in_gongwen_style(built):
    data, d = built
    z = zipfile.ZipFile(io.BytesIO(data))
    assert "<w:evenAndOddHeaders/>" in z.read("word/settings.xml").decode()
    s = d.sections[0]
    for footer, align in ((s.footer, WD_ALIGN_PARAGRAPH.RIGHT), (s.even_page_footer, WD_ALIGN_PARAGRAPH.LEFT)):
        p = footer.paragraphs[0]
        xml = p._p.xml
        assert 'w:fldCharType="begin"' in xml and 'w:fldCharType="end"' in xml
        instr = p._p.find(".//" + qn("w:instrText"))
        assert instr.text.strip() == "PAGE"
        assert p.text == "— 1 —"
        assert p.alignment == align
        assert east_asia_font(p) == "宋体"


def test_core_properties(built):
    _, d = built
    props = d.core_properties
    assert props.title == "关于新野县紧密型县域医共体建设核查情况的通报"
    assert props.author == ISSUER
    assert props.language == "zh-CN"


def test_output_content_is_deterministic():
    # Zip entry timestamps differ between runs; the parts themselves must not.
    a = zipfile.ZipFile(io.BytesIO(build_official_document(sample_document())))
    b = zipfile.ZipFile(io.BytesIO(build_official_document(sample_document())))
    assert a.namelist() == b.namelist()
    assert all(a.read(n) == b.read(n) for n in a.namelist())


# --- 反馈问题清单 -----------------------------------------------------------------

PROBLEMS = [
    (
        "管理共同体",
        [
            {
                "number": "XY-2022-001",
                "description": "医共体“一办六部”未实现实体化运行，人员仍在原单位办公，财务管理部未配备专职财务人员，"
                "统一管理流于形式。",
                "site": "新野县人民医院医共体管理办公室",
                "severity": "较重",
                "rectification_type": "限期整改",
                "deadline": date(2022, 8, 25),
                "measures_suggested": "落实“一办六部”人员集中办公，明确职责分工",
            },
        ],
    ),
    (
        "服务共同体",
        [
            {
                "number": "XY-2022-002",
                "description": "远程心电诊断中心未与乡镇卫生院联通",
                "site": "新野县人民医院远程心电诊断中心",
                "severity": "严重",
                "rectification_type": "立行立改",
                "deadline": date(2022, 7, 31),
                "measures_suggested": "",
            },
            {
                "number": "XY-2022-003",
                "description": "家庭医生签约履约率偏低",
                "site": "王庄镇卫生院",
                "severity": "一般",
                "rectification_type": "长期坚持",
                "deadline": None,
                "measures_suggested": None,
            },
        ],
    ),
]


@pytest.fixture(scope="module")
def problem_doc():
    data = problem_list_document(
        "新野县",
        ISSUER,
        "2022年全省紧密型县域医共体建设核查",
        date(2022, 7, 25),
        PROBLEMS,
        visit_start=date(2022, 7, 9),
        visit_end=date(2022, 7, 13),
        report_by=date(2022, 8, 10),
    )
    return docx.Document(io.BytesIO(data))


def test_problem_list_title_recipient_intro(problem_doc):
    texts = [p.text for p in problem_doc.paragraphs]
    assert texts[0] == "关于新野县紧密型县域医共体\n建设核查发现问题的反馈清单"  # broken between words
    assert "新野县医改办：" in texts
    intro = paragraph_starting(problem_doc, "根据2022年全省紧密型县域医共体建设核查工作安排")
    assert ISSUER in intro.text and "2022年7月9日至13日" in intro.text and "你县" in intro.text
    counts = paragraph_starting(problem_doc, "经汇总梳理")
    assert "共发现问题3个" in counts.text and "严重问题1个、较重问题1个、一般问题1个" in counts.text
    assert problem_doc.core_properties.author == ISSUER


def test_problem_list_sections_and_items(problem_doc):
    texts = [p.text for p in problem_doc.paragraphs]
    assert "一、管理共同体方面（1个）" in texts
    assert "二、服务共同体方面（2个）" in texts
    # numbering restarts under each category
    assert "（一）远程心电诊断中心未与乡镇卫生院联通" in texts
    assert "（二）家庭医生签约履约率偏低" in texts
    # a long finding gets a short heading and its full text as 问题描述
    assert "（一）医共体“一办六部”未实现实体化运行" in texts
    assert any(t.startswith("问题描述：医共体“一办六部”未实现实体化运行，人员仍在原单位办公") for t in texts)
    detail = paragraph_starting(problem_doc, "问题编号：XY-2022-001")
    for part in ["核查点位：新野县人民医院医共体管理办公室", "严重程度：较重", "整改类型：限期整改", "完成时限：2022年8月25日"]:
        assert part in detail.text
    assert "整改建议：落实“一办六部”人员集中办公，明确职责分工。" in texts
    assert "完成时限：长期坚持" in paragraph_starting(problem_doc, "问题编号：XY-2022-003").text
    assert east_asia_font(paragraph_starting(problem_doc, "一、管理共同体")) == "黑体"
    assert east_asia_font(paragraph_starting(problem_doc, "（一）远程心电")) == "楷体_GB2312"


def test_problem_list_closing_issuer_date(problem_doc):
    texts = [p.text for p in problem_doc.paragraphs]
    closing = paragraph_starting(problem_doc, "请你县高度重视")
    assert "逐项整改落实到位" in closing.text
    assert any("2022年8月10日前将整改方案报送核查组" in t for t in texts)
    assert texts[-2:] == [ISSUER, "2022年7月25日"]


def test_problem_list_without_problems_still_builds():
    d = docx.Document(io.BytesIO(problem_list_document("邓州市", ISSUER, "2022年核查", date(2022, 7, 25), [])))
    texts = [p.text for p in d.paragraphs]
    assert texts[0].replace("\n", "") == "关于邓州市紧密型县域医共体建设核查发现问题的反馈清单"
    assert any("未发现需要反馈整改的问题" in t for t in texts)
    assert any("你市" in t for t in texts)


@pytest.mark.skipif(shutil.which("libreoffice") is None, reason="libreoffice not installed")
def test_libreoffice_renders_pdf(tmp_path, built):
    data, _ = built
    src = tmp_path / "公文.docx"
    src.write_bytes(data)
    subprocess.run(
        ["libreoffice", "--headless", "--convert-to", "pdf", "--outdir", str(tmp_path), str(src)],
        check=True,
        timeout=120,
        capture_output=True,
    )
    pdf = tmp_path / "公文.pdf"
    assert pdf.exists() and pdf.read_bytes()[:4] == b"%PDF"


def test_property_elements_are_in_schema_order(built):
    """Word rejects a file whose property children are out of order (e.g. a
    w:tblBorders after w:tblLook), so check every part we touch."""
    from lxml import etree

    from inspect_app.documents.official_docx import _CHILD_ORDER_QN

    data, _ = built
    z = zipfile.ZipFile(io.BytesIO(data))
    checked = 0
    for part in ("word/document.xml", "word/styles.xml", "word/footer1.xml", "word/footer2.xml"):
        root = etree.fromstring(z.read(part))
        for parent_tag, order in _CHILD_ORDER_QN.items():
            for el in root.iter(parent_tag):
                positions = [order.index(c.tag) for c in el if c.tag in order]
                assert positions == sorted(positions), (part, etree.tostring(el)[:300])
                checked += 1
    assert checked > 50
