"""The dashboard's score ranking and the feedback document's score sentence: counties ranked by the
points of their submitted visits, inside the user's scope, for one campaign."""
import io

from docx import Document

from inspect_app.extensions import db
from inspect_app.visits.models import VisitStatus
from tests.visits import factories as f


def submitted(site, inspector, points, possible, veto=""):
    visit = f.make_visit(site, inspector, status=VisitStatus.SUBMITTED)
    visit.score_points, visit.score_possible, visit.veto_codes = points, possible, veto
    db.session.commit()
    return visit


def test_counties_ranked_by_score_within_scope(client, login_as, world):
    f.make_version(n_items=4)
    inspector = world.users["inspector8"]
    xinye = submitted(f.office_site(world.xinye), inspector, 30, 40)            # 75.0
    submitted(f.office_site(world.tongbai), inspector, 36, 40, veto="A01")       # 90.0, vetoed
    submitted(f.office_site(world.dancheng), world.users["province"], 10, 40)    # outside team 8
    campaign = xinye.campaign_id

    login_as("province")
    page = client.get(f"/dashboard/?campaign={campaign}").get_data(as_text=True)
    ranking = page[page.index('id="score-ranking"'):]
    assert ranking.index("桐柏县") < ranking.index("新野县")                       # best first
    assert "90.0" in ranking and "75.0" in ranking and "1 个点位" in ranking
    assert ranking.index("新野县") < ranking.index("郸城县") and "25.0" in ranking

    login_as("leader8")
    page = client.get(f"/dashboard/?campaign={campaign}").get_data(as_text=True)
    ranking = page[page.index('id="score-ranking"'):]
    assert "桐柏县" in ranking and "新野县" in ranking and "郸城县" not in ranking
    page = client.get(f"/dashboard/county/{world.tongbai.code}?campaign={campaign}").get_data(as_text=True)
    ranking = page[page.index('id="score-ranking"'):]
    assert "桐柏县" in ranking and "新野县" not in ranking

    login_as("province")
    page = client.get("/dashboard/?campaign=all").get_data(as_text=True)
    assert 'id="score-ranking"' not in page                                       # scores need one campaign


def test_feedback_document_states_the_county_score(client, login_as, world):
    f.make_version(n_items=4)
    visit = submitted(f.office_site(world.xinye), world.users["inspector8"], 33, 40, veto="B02")
    f.make_finding(visit)
    login_as("leader8")
    response = client.get(f"/problem-lists/{visit.campaign_id}/{world.xinye.code}/feedback.docx")
    assert response.status_code == 200, response.status_code
    text = "\n".join(p.text for p in Document(io.BytesIO(response.data)).paragraphs)
    assert "1个核查点位合计得分82.5分" in text and "一票否决项B02不符合要求" in text
