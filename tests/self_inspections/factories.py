"""Self-inspections for the 自查 tests: a checklist of six office items in the world's campaign,
self-inspections started through the service and answered directly, inspectors' visits beside them."""
import sqlalchemy as sa

from inspect_app.campaigns.models import Campaign
from inspect_app.extensions import db, utcnow
from inspect_app.self_inspections import service
from inspect_app.self_inspections.models import SelfAnswer, SelfInspectionStatus
from inspect_app.visits.models import AnswerResult, VisitStatus
from tests.visits import factories as vf

C, B, N, NA = (AnswerResult.CONFORMS, AnswerResult.BASICALLY, AnswerResult.NONCONFORMING,
               AnswerResult.NOT_APPLICABLE)


def campaign() -> Campaign:
    return db.session.execute(sa.select(Campaign).order_by(Campaign.id)).scalars().first()


def checklist(n_items: int = 6):
    """A published version attached to the world's campaign: `n_items` office items A01…; returns
    the office items in order."""
    version = vf.make_version(n_items=n_items, kind_codes=("office",), other_items=1)
    return sorted(vf.items_of(version, "office"), key=lambda i: i.position)


def started(world, county, user=None):
    """The office site's self-inspection in `county`, started by its coordinator."""
    site = vf.office_site(county)
    user = user or world.users["xinye" if county == world.xinye else "tongbai"]
    inspection, _ = service.start(user, campaign(), site)
    return inspection


def answer_self(inspection, results: dict, submit: bool = False):
    """Set results by item (ChecklistItem -> AnswerResult) directly, optionally submitted."""
    rows = {a.item_id: a for a in db.session.execute(
        sa.select(SelfAnswer).where(SelfAnswer.self_inspection_id == inspection.id)).scalars()}
    for item, result in results.items():
        rows[item.id].result = result
    if submit:
        inspection.status = SelfInspectionStatus.SUBMITTED
        inspection.submitted_at = utcnow()
    db.session.commit()
    return inspection


def inspectors(world, county, results: dict, status=VisitStatus.SUBMITTED):
    """The inspectors' visit of the county's office site with these answers."""
    visit = vf.make_visit(vf.office_site(county), world.users["inspector8"], status=status)
    for item, result in results.items():
        vf.answer_items(visit, [item], result)
    return visit
