"""The scoring rule (visits.scoring) against hand-computed values, and its use: the score fixed at
submit, required reasons for unanswered items and missing photos, the county's campaign score."""
import sqlalchemy as sa

from inspect_app.audit.models import AuditEvent
from inspect_app.extensions import db
from inspect_app.visits import scoring, service
from inspect_app.visits.models import AnswerResult, SiteVisit, VisitStatus
from tests.visits import factories as f

C, B, N, NA = (AnswerResult.CONFORMS, AnswerResult.BASICALLY, AnswerResult.NONCONFORMING,
               AnswerResult.NOT_APPLICABLE)


def item(code, weight, result, veto=False):
    return scoring.ScoredItem(code, weight, veto, result)


# ---------------------------------------------------------------- the pure rule

def test_weights_credit_and_not_applicable():
    # 10×1 + 5×0.5 + 5×0 = 12.5 of 20; the 不适用 item (weight 30) is left out of the denominator.
    score = scoring.score([item("A1", 10, C), item("A2", 5, B), item("A3", 5, N), item("A4", 30, NA)])
    assert (score.points, score.possible, score.percent) == (12.5, 20, 62.5)
    assert not score.veto


def test_unweighted_items_weigh_one_and_unanswered_earn_nothing():
    score = scoring.score([item("A1", None, C), item("A2", None, C), item("A3", 0, None), item("A4", None, B)])
    assert (score.points, score.possible, score.unanswered) == (2.5, 4, 1)
    assert score.percent == 62.5


def test_veto_item_nonconforming_flags_but_keeps_the_score():
    score = scoring.score([item("A1", 10, C), item("B2", 2, N, veto=True), item("B3", 2, B, veto=True)])
    assert score.vetoed == ["B2"] and score.veto
    assert score.percent == round(100 * 11 / 14, 1)


def test_all_not_applicable_has_no_percent():
    assert scoring.score([item("A1", 5, NA)]).percent is None


def test_combine_adds_points_not_percentages():
    small = scoring.score([item("A1", 1, C)])                            # 100 %
    large = scoring.score([item("B1", 9, N, veto=True)])                 # 0 %, vetoed
    county = scoring.combine([small, large])
    assert county.percent == 10.0 and county.vetoed == ["B1"]


# ---------------------------------------------------------------- submit

def test_submit_needs_a_reason_per_gap_and_keeps_typed_reasons(client, login_as, world, version, visit):
    items = f.items_of(version)
    photo_items = [one for one in items if one.photo_required]
    assert len(photo_items) == 3
    f.answer_items(visit, items[1:12])                 # item 0 unanswered; three items need photos
    login_as("inspector8")
    page = client.get(f"/visits/{visit.id}/submit").get_data(as_text=True)
    assert f'name="reason-unanswered-{items[0].id}"' in page
    for one in photo_items:
        assert f'name="reason-photo-{one.id}"' in page
    response = client.post(f"/visits/{visit.id}/submit",
                           data={f"reason-unanswered-{items[0].id}": "该院未开展此项业务",
                                 f"reason-photo-{photo_items[0].id}": "x" * 201})
    body = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "该院未开展此项业务" in body                           # the typed reason stays
    assert "原因不超过 200 字" in body and "请说明原因：缺少照片" in body
    db.session.expire_all()
    assert db.session.get(SiteVisit, visit.id).status == VisitStatus.IN_PROGRESS   # nothing half-saved

    reasons = {f"reason-unanswered-{items[0].id}": "该院未开展此项业务"}
    reasons.update({f"reason-photo-{one.id}": "拍照设备故障" for one in photo_items})
    assert client.post(f"/visits/{visit.id}/submit", data=reasons).status_code == 303
    db.session.expire_all()
    saved = db.session.get(SiteVisit, visit.id)
    assert saved.status == VisitStatus.SUBMITTED
    assert {(r["kind"], r["item_id"]) for r in saved.submit_reasons} == \
        {("unanswered", items[0].id)} | {("photo", one.id) for one in photo_items}
    event = db.session.execute(sa.select(AuditEvent).where(AuditEvent.action == "visit.submit")).scalar_one()
    assert "该院未开展此项业务" in str(event.after)


def test_fully_answered_visit_with_photos_needs_no_reason(client, login_as, world, version, visit):
    items = f.items_of(version)
    for i, one in enumerate(items):
        one.photo_required = False
    db.session.commit()
    f.answer_items(visit, items)
    login_as("inspector8")
    assert client.post(f"/visits/{visit.id}/submit").status_code == 303


def test_score_fixed_at_submit_and_county_score(client, login_as, world, version, visit):
    items = f.items_of(version)
    for i, one in enumerate(items):
        one.photo_required = False
        one.weight = 2.0 if i < 6 else 1.0
        one.veto = i == 11
    db.session.commit()
    f.answer_items(visit, items[:6])                                        # 6 × 2 conforming = 12
    f.answer_items(visit, items[6:10], AnswerResult.BASICALLY)               # 4 × 1 × 0.5 = 2
    f.answer_items(visit, items[10:11], AnswerResult.NOT_APPLICABLE)         # left out
    f.answer_items(visit, items[11:12], AnswerResult.NONCONFORMING)          # veto, 0 of 1
    login_as("inspector8")
    assert client.post(f"/visits/{visit.id}/submit").status_code == 303
    db.session.expire_all()
    saved = db.session.get(SiteVisit, visit.id)
    assert (saved.score_points, saved.score_possible) == (14.0, 17.0)
    assert saved.veto_codes == items[11].code
    page = client.get(f"/visits/{visit.id}").get_data(as_text=True)
    assert "82.4" in page and "一票否决" in page

    scores = service.county_scores(visit.campaign_id, [world.xinye.id, world.tongbai.id])
    assert set(scores) == {world.xinye.id} and scores[world.xinye.id].percent == 82.4
    county_page = client.get(f"/visits/counties/{world.xinye.code}").get_data(as_text=True)
    assert "县级得分" in county_page and "已提交 · 82.4 分 · 一票否决" in county_page
