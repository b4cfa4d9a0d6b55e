"""one visit per site and campaign

Before this revision two tablets starting the same site at the same moment could create two visits
of it in one campaign. The upgrade merges such duplicates, then adds the unique constraint
(campaign_id, site_id):

- the earliest visit of the site (by started_at, then id) is kept; each later one is merged into it
  and deleted;
- an answer to an item the kept visit has not answered moves over unchanged (its photos with it);
- an answer to an item both visits answered is combined into the kept visit's row: the result of
  the answer saved last (or the other's when that one is empty), both notes when they differ
  (earlier first, one per line), the later save's author and time; the photos and findings of the
  dropped answer move to the combined one. Nothing typed or photographed is dropped;
- findings move to the kept visit;
- the kept visit is 已提交 only when every merged visit was (then with the latest submission time),
  otherwise 核查中, so that a leader looks at the merged result; GPS comes from the kept visit, or
  the first merged one that has it; the reopen count is the highest;
- each merge is written to the audit trail (visit.merge, on the kept visit).

The downgrade drops the constraint only; merged visits are not split again.

Revision ID: 4c17b9a9a411
Revises: 5e0c2a7d9b14
Create Date: 2026-11-30 03:10:00.000000

"""
from datetime import datetime, timezone

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '4c17b9a9a411'
down_revision = '5e0c2a7d9b14'
branch_labels = None
depends_on = None

visits = sa.table(
    "site_visits", sa.column("id", sa.Integer), sa.column("uuid", sa.String), sa.column("campaign_id", sa.Integer),
    sa.column("site_id", sa.Integer), sa.column("county_id", sa.Integer), sa.column("inspector_id", sa.Integer),
    sa.column("status", sa.String), sa.column("started_at", sa.DateTime), sa.column("submitted_at", sa.DateTime),
    sa.column("gps_lat", sa.Float), sa.column("gps_lon", sa.Float), sa.column("gps_accuracy", sa.Float),
    sa.column("reopen_count", sa.Integer))
answers = sa.table(
    "answers", sa.column("id", sa.Integer), sa.column("visit_id", sa.Integer), sa.column("item_id", sa.Integer),
    sa.column("result", sa.String), sa.column("note", sa.Text), sa.column("answered_by_id", sa.Integer),
    sa.column("updated_at", sa.DateTime))
findings = sa.table("findings", sa.column("id", sa.Integer), sa.column("visit_id", sa.Integer),
                    sa.column("answer_id", sa.Integer))
attachments = sa.table("attachments", sa.column("id", sa.Integer), sa.column("answer_id", sa.Integer))
sites = sa.table("sites", sa.column("id", sa.Integer), sa.column("name", sa.String))
events = sa.table(
    "audit_events", sa.column("at", sa.DateTime), sa.column("user_id", sa.Integer),
    sa.column("username", sa.String), sa.column("action", sa.String), sa.column("object_type", sa.String),
    sa.column("object_id", sa.String), sa.column("object_label", sa.String), sa.column("county_id", sa.Integer),
    sa.column("before", sa.JSON), sa.column("after", sa.JSON), sa.column("summary", sa.Text),
    sa.column("ip", sa.String))

SUBMITTED = "SUBMITTED"        # VisitStatus stored by name (native_enum=False)
IN_PROGRESS = "IN_PROGRESS"


def _combine_notes(earlier: str, later: str) -> str:
    earlier, later = earlier or "", later or ""
    if not earlier.strip():
        return later
    if not later.strip() or later.strip() == earlier.strip():
        return earlier
    return f"{earlier}\n{later}"


def _merge_answer(bind, kept, dropped) -> None:
    """Fold the dropped visit's answer into the kept visit's answer of the same item."""
    earlier, later = (kept, dropped) if (kept["updated_at"], 0) <= (dropped["updated_at"], 1) else (dropped, kept)
    result = later["result"] if later["result"] is not None else earlier["result"]
    bind.execute(answers.update().where(answers.c.id == kept["id"]).values(
        result=result, note=_combine_notes(earlier["note"], later["note"]),
        answered_by_id=later["answered_by_id"], updated_at=max(kept["updated_at"], dropped["updated_at"])))
    bind.execute(attachments.update().where(attachments.c.answer_id == dropped["id"]).values(answer_id=kept["id"]))
    bind.execute(findings.update().where(findings.c.answer_id == dropped["id"]).values(answer_id=kept["id"]))
    bind.execute(answers.delete().where(answers.c.id == dropped["id"]))


def _merge_visit(bind, keeper, dup) -> dict:
    """Move the duplicate's answers and findings into the keeper and delete it; returns the counts."""
    kept_answers = {row["item_id"]: row for row in bind.execute(
        sa.select(answers).where(answers.c.visit_id == keeper["id"])).mappings()}
    moved = combined = 0
    for row in bind.execute(sa.select(answers).where(answers.c.visit_id == dup["id"])
                            .order_by(answers.c.id)).mappings().all():
        if row["item_id"] in kept_answers:
            _merge_answer(bind, kept_answers[row["item_id"]], row)
            combined += 1
        else:
            bind.execute(answers.update().where(answers.c.id == row["id"]).values(visit_id=keeper["id"]))
            moved += 1
    findings_moved = bind.execute(findings.update().where(findings.c.visit_id == dup["id"])
                                  .values(visit_id=keeper["id"])).rowcount
    bind.execute(visits.delete().where(visits.c.id == dup["id"]))
    return {"answers_moved": moved, "answers_combined": combined, "findings_moved": findings_moved}


def _merge_group(bind, campaign_id: int, site_id: int) -> None:
    rows = bind.execute(sa.select(visits).where(visits.c.campaign_id == campaign_id, visits.c.site_id == site_id)
                        .order_by(visits.c.started_at, visits.c.id)).mappings().all()
    keeper, dups = rows[0], rows[1:]
    site_name = bind.execute(sa.select(sites.c.name).where(sites.c.id == site_id)).scalar() or ""
    values = {"status": SUBMITTED if all(r["status"] == SUBMITTED for r in rows) else IN_PROGRESS,
              "reopen_count": max(r["reopen_count"] or 0 for r in rows)}
    values["submitted_at"] = max((r["submitted_at"] for r in rows if r["submitted_at"] is not None), default=None) \
        if values["status"] == SUBMITTED else None
    located = next((r for r in rows if r["gps_lat"] is not None and r["gps_lon"] is not None), None)
    if located is not None:
        values.update(gps_lat=located["gps_lat"], gps_lon=located["gps_lon"], gps_accuracy=located["gps_accuracy"])
    now = datetime.now(timezone.utc).replace(tzinfo=None)
    for dup in dups:
        counts = _merge_visit(bind, keeper, dup)
        bind.execute(events.insert().values(
            at=now, user_id=None, username="", action="visit.merge", object_type="SiteVisit",
            object_id=str(keeper["id"]), object_label=site_name[:255], county_id=keeper["county_id"],
            before={"merged_visit_id": dup["id"], "merged_uuid": dup["uuid"], "merged_inspector_id": dup["inspector_id"],
                    "merged_status": dup["status"], "status": keeper["status"]},
            after={**counts, "status": values["status"]},
            summary=(f"数据库升级：同一核查任务中{site_name}的重复核查 #{dup['id']} 已并入 #{keeper['id']}"
                     f"（移入核查结果 {counts['answers_moved']} 条，合并 {counts['answers_combined']} 条，"
                     f"移入问题 {counts['findings_moved']} 个）"),
            ip="migration"))
    bind.execute(visits.update().where(visits.c.id == keeper["id"]).values(**values))


def upgrade():
    bind = op.get_bind()
    duplicated = bind.execute(sa.select(visits.c.campaign_id, visits.c.site_id)
                              .group_by(visits.c.campaign_id, visits.c.site_id)
                              .having(sa.func.count() > 1)).all()
    for campaign_id, site_id in duplicated:
        _merge_group(bind, campaign_id, site_id)

    with op.batch_alter_table('site_visits', schema=None) as batch_op:
        batch_op.create_unique_constraint(batch_op.f('uq_site_visits_campaign_id_site_id'), ['campaign_id', 'site_id'])


def downgrade():
    with op.batch_alter_table('site_visits', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_site_visits_campaign_id_site_id'), type_='unique')
