"""The home page's tasks (任务): for the signed-in user, what is waiting for them, with a count and a
link to the list that holds it. Each task is counted inside the user's scope with the same queries
the target lists use, so the number on the home page is the number of rows the link shows.

Who does what comes from docs/domain.md §2 and §5: inspectors finish their visits, team leaders
issue findings and accept items, county coordinators assign, unit responders act, acceptors approve
extensions, and everyone who follows items sees the overdue ones.
"""
from dataclasses import dataclass

import sqlalchemy as sa
from flask import url_for

from inspect_app import access
from inspect_app.access import Permission
from inspect_app.extensions import db
from inspect_app.rectification import service as items
from inspect_app.roles import Role
from inspect_app.visits.models import Finding, FindingStatus, SiteVisit, VisitStatus


@dataclass(frozen=True)
class Task:
    """One line of the home page: `count` things `label`, behind `url`; `tone` "danger" for overdue."""
    key: str
    label: str
    count: int
    url: str
    tone: str = ""


def _count(stmt: sa.Select) -> int:
    return db.session.execute(sa.select(sa.func.count()).select_from(stmt.order_by(None).subquery())).scalar_one()


def _items(user, **filters) -> int:
    return _count(items.items_query(user, items.Filters(**filters)).options())


def tasks_for(user) -> list[Task]:
    """The user's tasks, in the order of the work (visit → issue → assign → act → accept → overdue).
    Tasks with nothing waiting are kept (a zero says "nothing to do"), so the page keeps its shape."""
    tasks: list[Task] = []
    if access.has(user, Permission.VISIT_RECORD):
        visits = sa.select(SiteVisit.id).where(SiteVisit.status == VisitStatus.IN_PROGRESS,
                                               SiteVisit.team_id.in_(access.team_ids(user)))
        tasks.append(Task("visit", "核查中的点位", _count(visits), url_for("visits.index")))
    if access.has(user, Permission.PROBLEM_LIST_MANAGE):
        drafts = access.scoped(sa.select(Finding.id).where(Finding.status == FindingStatus.DRAFT),
                               Finding.county_id, user)
        if user.role in access.TEAM_ROLES:
            drafts = drafts.where(Finding.campaign_id.in_(
                sa.select(SiteVisit.campaign_id).where(SiteVisit.team_id.in_(access.team_ids(user)))))
        tasks.append(Task("issue", "待下发的问题", _count(drafts), url_for("problem_lists.index")))
    if access.has(user, Permission.ITEM_ASSIGN):
        tasks.append(Task("assign", "待指派的事项", _items(user, waiting="unassigned"),
                          url_for("rectification.index", waiting="unassigned")))
    if user.role == Role.UNIT_RESPONDER:
        tasks.append(Task("act", "待办理的事项", _items(user, waiting="act"),
                          url_for("rectification.index", waiting="act")))
    if access.has(user, Permission.ITEM_REVIEW):
        tasks.append(Task("accept", "待验收的事项", _items(user, status="SUBMITTED"),
                          url_for("rectification.review_queue")))
        tasks.append(Task("extension", "待审批的延期申请", _items(user, waiting="extension"),
                          url_for("rectification.index", waiting="extension")))
    if access.has(user, Permission.ITEM_VIEW):
        tasks.append(Task("overdue", "已超期的事项", _items(user, bucket="overdue"),
                          url_for("rectification.index", bucket="overdue"), "danger"))
    return tasks
