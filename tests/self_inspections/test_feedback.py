"""自查情况 in the feedback document: present with the agreement rate and the over-reported items
when the county submitted a self-inspection, absent otherwise."""
import io

from docx import Document

from inspect_app.extensions import db
from tests.self_inspections import factories as f
from tests.visits import factories as vf


def _texts(data: bytes) -> list[str]:
    return [p.text for p in Document(io.BytesIO(data)).paragraphs]


def _feedback(client, login_as):
    login_as("leader8")
    response = client.get(f"/problem-lists/{f.campaign().id}/411329/feedback.docx")
    assert response.status_code == 200
    return _texts(response.data)


def _with_a_finding(world, items, theirs):
    visit = f.inspectors(world, world.xinye, dict(zip(items, theirs)))
    vf.make_finding(visit, items[1])
    return visit


def test_section_with_rate_and_over_reported_items(client, login_as, world):
    items = f.checklist()
    mine = [f.C, f.C, f.N, f.NA, f.C, f.C]
    theirs = [f.C, f.N, f.C, f.NA, f.C, f.B]
    f.answer_self(f.started(world, world.xinye), dict(zip(items, mine)), submit=True)
    _with_a_finding(world, items, theirs)
    texts = _texts_after(_feedback(client, login_as))
    heading = next(t for t in texts if t.endswith("自查情况"))
    assert heading == "二、自查情况"                 # after the one problem category (一、)
    body = " ".join(texts)
    # 5 compared (A04 both 不适用), agreed A01 and A05 = 2 → 40.0 %; over 1 (item 2), under 1, other 1.
    assert "核查前，你县对1个核查点位开展了自查" in body
    assert "双方均有结论的条目5项" in body and "结论一致2项，一致率40.0%" in body
    assert "（自查虚报）1项" in body and "“符合”1项，其他不一致1项" in body
    assert f"自查虚报的条目：{vf.office_site(world.xinye).name}{items[1].code}（" in body


def _texts_after(texts):
    return [t for t in texts if t.strip()]


def test_no_section_without_a_submitted_self_inspection(client, login_as, world):
    items = f.checklist()
    draft = f.answer_self(f.started(world, world.xinye), {items[0]: f.C})
    _with_a_finding(world, items, [f.N] * len(items))
    assert not any("自查情况" in t for t in _feedback(client, login_as))
    draft.status = draft.status.SUBMITTED
    db.session.commit()
    assert any(t.endswith("自查情况") for t in _feedback(client, login_as))
