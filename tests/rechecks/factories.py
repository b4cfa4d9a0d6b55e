"""Closed items in several strata, and rounds drawn over them."""
import datetime as dt

import sqlalchemy as sa

from inspect_app.campaigns.models import Campaign, Team
from inspect_app.extensions import db
from inspect_app.rectification.lifecycle import Status
from inspect_app.visits.models import Severity
from tests.rectification.factories import make_item


def closed_items(world, per_stratum=None):
    """Closed items of the first campaign: {(county, severity): count}, default 6 新野 较重,
    3 新野 一般, 2 桐柏 严重. Returns the items."""
    per_stratum = per_stratum or {(world.xinye, Severity.SERIOUS): 6, (world.xinye, Severity.GENERAL): 3,
                                  (world.tongbai, Severity.CRITICAL): 2}
    items = []
    for (county, severity), n in per_stratum.items():
        for _ in range(n):
            item = make_item(world, county, status=Status.CLOSED, measures="已整改", commit=False,
                             closed_at=dt.datetime(2022, 8, 20, 8, tzinfo=dt.timezone.utc))
            item.severity = severity
            item.acceptance_opinion = "整改到位，同意销号"
            items.append(item)
    db.session.commit()
    return items


def team8():
    return db.session.execute(sa.select(Team).where(Team.name == "第八核查组")).scalar_one()


def campaign():
    return db.session.execute(sa.select(Campaign).order_by(Campaign.id)).scalars().first()


def other_campaign_with_leader(world, username="leader9"):
    """A second campaign whose team (leader `leader9`) covers 郸城县 only."""
    from inspect_app.roles import Role
    from tests.factories import make_user
    leader = make_user(username, Role.TEAM_LEADER)
    other = Campaign(name="2023年医共体核查", year=2023, start_date=dt.date(2023, 7, 1), end_date=dt.date(2023, 7, 5))
    db.session.add(other)
    db.session.flush()
    team = Team(campaign_id=other.id, name="第九核查组", leader_id=leader.id)
    team.members = [leader]
    team.counties = [world.dancheng]
    db.session.add(team)
    db.session.commit()
    world.users[username] = leader
    return leader


def with_evidence(world, item, before_path, after_path):
    """Give a closed item real photos, as a true closure has: the finding's 整改前 photo (as an
    inspector uploads it) and a progress post by the unit with its 整改后 photo. Returns
    (before, after) attachments."""
    from inspect_app.idempotency import new_uuid
    from inspect_app.media import processing
    from inspect_app.media import service as media_service
    from inspect_app.media.models import PhotoStage
    from inspect_app.rectification.models import ProgressPost
    from inspect_app.visits.models import Finding

    with open(before_path, "rb") as f:
        data = f.read()
    before, _ = media_service.ingest_photo(data, db.session.get(Finding, item.finding_id), world.users["inspector8"],
                                           new_uuid(), PhotoStage.BEFORE, filename="before.jpg")
    with open(after_path, "rb") as f:
        data = f.read()
    author = world.users["xinye-wjw"]
    post = ProgressPost(uuid=new_uuid(), item_id=item.id, county_id=item.county_id, author_id=author.id,
                        text="已完成整改，附现场照片")
    db.session.add(post)
    db.session.flush()
    processed = processing.process_image(data)
    media_service.store_photo_files(processed, data)
    after = media_service.photo_attachment(processed, client_uuid=new_uuid(), stage=PhotoStage.AFTER,
                                           county_id=item.county_id, uploader=author, filename="after.jpg",
                                           size=len(data), progress_id=post.id)
    db.session.add(after)
    db.session.commit()
    return before, after
