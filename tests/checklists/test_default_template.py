"""The default checklist 《紧密型县域医共体建设核查表（示例）》."""

import math
from collections import Counter

from inspect_app.checklists.default_template import (
    CENTER_SITE_KINDS,
    DEFAULT_TEMPLATE,
    MANAGEMENT_SITE_KINDS,
    METHOD_LABELS,
    SITE_KIND_CODES,
    SITE_KIND_NAMES,
    default_template,
)
from inspect_app.checklists.xlsx import template_issues

ITEMS = [item for section in DEFAULT_TEMPLATE["sections"] for item in section["items"]]
ITEM_KEYS = {"code", "content", "method", "site_kinds", "photo_required", "weight", "veto", "guidance"}


def _items_for(kind):
    return [item for item in ITEMS if kind in item["site_kinds"]]


def test_site_kind_codes_are_the_seeded_ones():
    assert SITE_KIND_CODES == (
        "office", "dept_hr", "dept_finance", "dept_medical", "dept_public_health", "dept_it",
        "dept_operations",
        "center_imaging", "center_ecg", "center_consult", "center_lab", "center_pathology",
        "center_sterile",
        "county_hospital", "township_center", "village_clinic",
        "gov_department",
    )
    assert len(set(SITE_KIND_NAMES.values())) == len(SITE_KIND_CODES)
    assert SITE_KIND_NAMES["township_center"] == "乡镇卫生院/社区卫生服务中心"
    assert set(MANAGEMENT_SITE_KINDS) | set(CENTER_SITE_KINDS) <= set(SITE_KIND_CODES)


def test_method_labels():
    assert METHOD_LABELS == {"documents": "查资料", "onsite": "看现场", "interview": "访谈"}


def test_header_fields():
    assert DEFAULT_TEMPLATE["name"] == "紧密型县域医共体建设核查表（示例）"
    assert DEFAULT_TEMPLATE["version_label"] == "2022版"


def test_five_sections_in_order():
    assert [(s["code"], s["title"]) for s in DEFAULT_TEMPLATE["sections"]] == [
        ("A", "责任共同体"), ("B", "管理共同体"), ("C", "服务共同体"), ("D", "利益共同体"), ("E", "信息化"),
    ]
    assert all(s["items"] for s in DEFAULT_TEMPLATE["sections"])


def test_item_count_between_40_and_80():
    assert 40 <= len(ITEMS) <= 80


def test_item_shape():
    for item in ITEMS:
        assert set(item) == ITEM_KEYS, item["code"]
        assert item["content"].strip() and item["guidance"].strip(), item["code"]
        assert isinstance(item["photo_required"], bool) and isinstance(item["veto"], bool)
        assert item["weight"] is None or (isinstance(item["weight"], float) and item["weight"] > 0)


def test_codes_unique_and_prefixed_by_section():
    codes = [item["code"] for item in ITEMS]
    assert len(codes) == len(set(codes))
    for section in DEFAULT_TEMPLATE["sections"]:
        for item in section["items"]:
            assert item["code"].startswith(section["code"])


def test_methods_valid_and_all_used():
    methods = Counter(item["method"] for item in ITEMS)
    assert set(methods) == set(METHOD_LABELS)


def test_site_kinds_valid_and_no_duplicates():
    for item in ITEMS:
        assert item["site_kinds"], item["code"]
        assert set(item["site_kinds"]) <= set(SITE_KIND_CODES), item["code"]
        assert len(item["site_kinds"]) == len(set(item["site_kinds"])), item["code"]


def test_every_site_kind_has_at_least_three_items():
    for kind in SITE_KIND_CODES:
        assert len(_items_for(kind)) >= 3, kind


def test_weights_sum_to_100():
    assert math.isclose(sum(item["weight"] or 0 for item in ITEMS), 100.0)


def test_some_veto_items_including_unified_legal_entity():
    vetoes = [item for item in ITEMS if item["veto"]]
    assert 1 <= len(vetoes) <= 6
    assert any("统一法人" in item["content"] for item in vetoes)


def test_onsite_items_mostly_require_photos():
    onsite = [item for item in ITEMS if item["method"] == "onsite"]
    with_photo = [item for item in onsite if item["photo_required"]]
    assert len(with_photo) >= 0.8 * len(onsite)
    assert not any(item["photo_required"] for item in ITEMS if item["method"] == "interview")


def test_government_duties_are_sited_at_gov_department():
    gov_text = " ".join(item["content"] for item in _items_for("gov_department"))
    for keyword in ("财政投入", "编制", "薪酬", "打包付费"):
        assert keyword in gov_text, keyword


def test_each_management_department_has_its_own_operating_item():
    for kind in MANAGEMENT_SITE_KINDS:
        own = [item for item in ITEMS if item["site_kinds"] == [kind]]
        assert any("实体化运行" in item["content"] for item in own), kind


def test_each_remote_centre_is_checked_from_both_sides():
    for kind in CENTER_SITE_KINDS:
        both = [item for item in ITEMS if kind in item["site_kinds"] and "township_center" in item["site_kinds"]]
        assert both, kind


def test_seven_unified_managements_present():
    section_b = next(s for s in DEFAULT_TEMPLATE["sections"] if s["code"] == "B")
    text = " ".join(item["content"] for item in section_b["items"])
    for unified in ("行政管理统一", "人员管理统一", "财务管理统一", "医疗业务统一", "绩效考核统一",
                    "药品耗材统一", "信息系统统一"):
        assert unified in text, unified
    assert "资产" in text and "统一法人" in text


def test_template_has_no_issues():
    assert template_issues(DEFAULT_TEMPLATE) == []


def test_default_template_returns_independent_copy():
    copy = default_template()
    assert copy == DEFAULT_TEMPLATE
    copy["sections"][0]["items"][0]["site_kinds"].append("village_clinic")
    assert "village_clinic" not in DEFAULT_TEMPLATE["sections"][0]["items"][0]["site_kinds"]
