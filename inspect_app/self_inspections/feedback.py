"""The 自查情况 section of the feedback document (反馈问题清单): a few sentences on how the county's
self-inspection compares with the inspectors' findings, and the items it over-reported (自查虚报).

Called by problem_lists.service.feedback_docx; returns None when the county submitted no
self-inspection in the campaign, so the document is unchanged for counties without one."""
from __future__ import annotations

from inspect_app.documents.official_docx import Section
from inspect_app.self_inspections import comparison
from inspect_app.self_inspections.service import county_comparison

LISTED_AT_MOST = 10     # over-reported items named one by one; the rest are counted


def self_inspection_section(campaign_id: int, county_id: int, county_short: str = "你县") -> Section | None:
    """`Section("自查情况", paragraphs)` or None without a submitted self-inspection.

    The agreement rate follows inspect_app/self_inspections/comparison.py (both 不适用 left out)."""
    found = county_comparison(campaign_id, county_id)
    if not found.submitted_sites:
        return None
    counts = found.counts
    paragraphs = [f"核查前，{county_short}对{found.submitted_sites}个核查点位开展了自查。"]
    if not counts.compared:
        paragraphs[0] += "核查组尚未形成可与自查结果对照的核查结果。"
        return Section(heading="自查情况", paragraphs=paragraphs)
    paragraphs[0] += (
        f"对照核查组结果，双方均有结论的条目{counts.compared}项（不含双方均为不适用的条目），"
        f"结论一致{counts.agreed}项，一致率{counts.percent:.1f}%；"
        f"自查为“符合”而核查认定“不符合”（自查虚报）{counts.over}项，"
        f"自查为“不符合”而核查认定“符合”{counts.under}项，其他不一致{counts.other}项。")
    over = found.of(comparison.Outcome.OVER)
    if over:
        named = "；".join(f"{p.site_name}{p.item_code}（{_short(p.item_content)}）" for p in over[:LISTED_AT_MOST])
        more = f"等{len(over)}项" if len(over) > LISTED_AT_MOST else ""
        paragraphs.append(f"自查虚报的条目：{named}{more}。请{county_short}查明自查失真原因，如实开展自查。")
    return Section(heading="自查情况", paragraphs=paragraphs)


def _short(text: str, limit: int = 24) -> str:
    text = " ".join(str(text).split()).rstrip("。；;.")
    return text if len(text) <= limit else text[:limit] + "…"
