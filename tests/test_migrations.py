"""The migrations build exactly the schema the models describe, on SQLite and on PostgreSQL."""
import os

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade

from inspect_app import create_app
from inspect_app.extensions import db
from inspect_app.rectification import search
from tests.conftest import Config


@pytest.fixture
def empty_database_url(tmp_path):
    if not Config.SQLALCHEMY_DATABASE_URI.startswith("postgresql"):
        yield "sqlite:///" + str(tmp_path / "migrations.sqlite")
        return
    base = sa.engine.make_url(Config.SQLALCHEMY_DATABASE_URI)
    name = f"{base.database}_migrations"
    admin = sa.create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}"'))
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    yield base.set(database=name).render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _app_for(url: str):
    class MigrationConfig(Config):
        SQLALCHEMY_DATABASE_URI = url

    return create_app(MigrationConfig)


def _compared(name, type_, _parent_names) -> bool:
    """The FTS5 search table and its shadow tables live outside metadata (rectification/search.py)."""
    return not (type_ == "table" and name.startswith(search.FTS_TABLE))


# SQLite's reflection cannot read expression indexes (the effective-deadline sort): it warns and skips
# them on both sides, so they are compared on PostgreSQL only.
@pytest.mark.filterwarnings("ignore:Skipped unsupported reflection of expression-based index")
def test_upgrade_matches_models_and_downgrade_empties(empty_database_url):
    app = _app_for(empty_database_url)
    with app.app_context():
        upgrade()
        with db.engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True, "include_name": _compared})
            diff = compare_metadata(context, db.metadata)
        assert diff == [], f"models and migrations differ: {diff}"
        downgrade(revision="base")
        with db.engine.connect() as conn:
            tables = set(sa.inspect(conn).get_table_names()) - {"alembic_version"}
        assert tables == set()
        db.engine.dispose()


def test_there_is_a_single_head():
    from alembic.config import Config as AlembicConfig
    from alembic.script import ScriptDirectory
    root = os.path.join(os.path.dirname(__file__), os.pardir, "migrations")
    config = AlembicConfig(os.path.join(root, "alembic.ini"))
    config.set_main_option("script_location", root)
    assert len(ScriptDirectory.from_config(config).get_heads()) == 1


def test_rollups_migrations_fill_close_seconds_and_build_the_rows(empty_database_url):
    """An existing database with closed items: the upgrade fills close_seconds from closed_at and
    issued_at, and the rollups (by status and deadline, d13a7e5c0f42) are rebuilt by the upgrade
    itself, exactly — no dashboard read has to build anything."""
    app = _app_for(empty_database_url)
    with app.app_context():
        from inspect_app.auth.models import User
        from inspect_app.dashboard import rollups, service
        from inspect_app.demo.seed import seed_demo
        from inspect_app.rectification.models import RectificationItem as Item

        upgrade()
        seed_demo(app.config["DIVISIONS_DIR"])
        expected = {i.id: (i.closed_at - i.issued_at).total_seconds() for i in db.session.execute(
            sa.select(Item).where(Item.close_seconds.is_not(None))).scalars()}
        assert expected
        db.session.remove()
        downgrade(revision="2c86fe66dc5d")
        upgrade()
        filled = dict(db.session.execute(sa.select(Item.id, Item.close_seconds)
                                          .where(Item.close_seconds.is_not(None))).all())
        assert filled.keys() == expected.keys()
        assert all(abs(filled[k] - v) < 0.01 for k, v in expected.items())
        assert db.session.scalar(sa.select(sa.func.count()).select_from(rollups.rollup_table)) > 0
        assert rollups.differences() == []
        viewer = db.session.execute(sa.select(User).where(User.username == "viewer")).scalar_one()
        assert service.headline(viewer, service.Filters()).issued == db.session.scalar(sa.select(sa.func.count(Item.id)))
        assert rollups.differences() == []
        db.session.remove()
        downgrade(revision="base")
        db.engine.dispose()


def test_photo_sources_are_backfilled_from_the_merge_events(empty_database_url):
    """A photo moved by a merge before the upgrade still goes back to its own finding on unmerge."""
    app = _app_for(empty_database_url)
    with app.app_context():
        from inspect_app.auth.models import User
        from inspect_app.demo.inspection import acting_as
        from inspect_app.demo.seed import seed_demo
        from inspect_app.media.models import Attachment
        from inspect_app.org.models import Region
        from inspect_app.problem_lists import service as lists
        from inspect_app.visits.models import Finding, FindingStatus

        upgrade()
        seed_demo(app.config["DIVISIONS_DIR"])
        tongbai = db.session.execute(sa.select(Region).where(Region.code == "411330")).scalar_one()
        drafts = db.session.execute(sa.select(Finding).where(Finding.county_id == tongbai.id,
                                                             Finding.status == FindingStatus.DRAFT)).scalars().all()
        photo = db.session.execute(sa.select(Attachment).where(
            Attachment.finding_id.in_([f.id for f in drafts]))).scalars().first()
        source = next(f for f in drafts if f.id == photo.finding_id)
        keep = next(f for f in drafts if f.id != source.id)
        leader = db.session.execute(sa.select(User).where(User.username == "leader8")).scalar_one()
        with acting_as(leader):
            lists.merge(lists.finding_sheet(leader, keep), [source, keep], keep, keep.description,
                        {f.id: f.version for f in (source, keep)})
        photo_id, source_id, keep_id = photo.id, source.id, keep.id
        db.session.remove()
        downgrade(revision="17137929bbdb")
        upgrade()
        moved = db.session.get(Attachment, photo_id)
        assert (moved.finding_id, moved.source_finding_id) == (keep_id, source_id)
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Attachment).where(
            Attachment.finding_id.is_not(None), Attachment.source_finding_id.is_(None))) == 0
        db.session.remove()
        downgrade(revision="base")
        db.engine.dispose()


def test_duplicate_visits_are_merged_into_the_earliest_on_upgrade(empty_database_url):
    """Two visits of one site in one campaign (the old race): the upgrade keeps the earliest, moves
    the other's answers, photos and findings into it, combines the answers both gave to one item,
    audits the merge, and from then on the database refuses a second visit."""
    app = _app_for(empty_database_url)
    with app.app_context():
        from datetime import datetime, timezone

        from inspect_app.audit.models import AuditEvent
        from inspect_app.auth.models import User
        from inspect_app.media.models import Attachment, AttachmentKind
        from inspect_app.org.models import Site
        from inspect_app.visits.models import Answer, AnswerResult, Finding, SiteVisit, VisitStatus
        from tests.factories import make_world
        from tests.visits import factories as f

        def at(minute):
            return datetime(2022, 7, 10, 9, minute, tzinfo=timezone.utc)

        upgrade()
        world = make_world()
        items = [item.id for item in f.items_of(f.make_version(n_items=4))]
        site_id = f.office_site(world.xinye).id
        inspector, leader = world.users["inspector8"].id, world.users["leader8"].id
        first = f.make_visit(db.session.get(Site, site_id), world.users["inspector8"])
        first.started_at = at(0)
        first_id = first.id
        db.session.add_all([
            Answer(uuid=f.new_uuid(), visit_id=first.id, item_id=items[0], result=AnswerResult.CONFORMS,
                   note="文件齐全", answered_by_id=inspector, updated_at=at(1)),
            Answer(uuid=f.new_uuid(), visit_id=first.id, item_id=items[1], result=None,
                   note="已查看文件", answered_by_id=inspector, updated_at=at(2))])
        db.session.commit()
        db.session.remove()
        downgrade(revision="a00dea19bb44")

        # The schema is now the one before the constraint, older than the models: write with Core
        # over the reflected tables, giving only the columns that revision had.
        tables = sa.MetaData()
        tables.reflect(bind=db.engine, only=["site_visits", "answers", "attachments", "findings"])
        first_row = db.session.execute(sa.select(tables.tables["site_visits"])
                                       .where(tables.tables["site_visits"].c.id == first_id)).mappings().one()

        def insert(name, **values):
            return db.session.execute(tables.tables[name].insert().values(**values)).inserted_primary_key[0]

        second_id = insert("site_visits", uuid=f.new_uuid(), campaign_id=first_row["campaign_id"],
                           team_id=first_row["team_id"], site_id=site_id, county_id=first_row["county_id"],
                           checklist_version_id=first_row["checklist_version_id"], inspector_id=leader,
                           status="SUBMITTED", started_at=at(0), submitted_at=at(30),   # same minute: id decides
                           gps_lat=32.52, gps_lon=112.36, reopen_count=0)
        clash_id = insert("answers", uuid=f.new_uuid(), visit_id=second_id, item_id=items[1],
                          result="NONCONFORMING", note="缺少会议纪要", answered_by_id=leader, updated_at=at(5))
        moved_id = insert("answers", uuid=f.new_uuid(), visit_id=second_id, item_id=items[2], result="BASICALLY",
                          note="", answered_by_id=leader, updated_at=at(6))
        insert("attachments", uuid=f.new_uuid(), kind="PHOTO", county_id=first_row["county_id"],
               answer_id=clash_id, sha256="a" * 64, mime="image/jpeg", uploaded_by_id=leader, uploaded_at=at(7),
               stage="BEFORE", filename="", size_bytes=0, display_key="", thumb_key="", file_key="")
        finding_id = insert("findings", uuid=f.new_uuid(), campaign_id=first_row["campaign_id"],
                            county_id=first_row["county_id"], site_id=site_id, visit_id=second_id,
                            item_id=items[1], answer_id=clash_id, category="其他", description="未实行统一法人",
                            severity="SERIOUS", rectification_type="DEADLINE", status="DRAFT",
                            suggested_measures="", created_by_id=inspector, created_at=at(8), updated_at=at(8))
        db.session.commit()
        db.session.remove()

        upgrade()
        visits = db.session.execute(sa.select(SiteVisit)).scalars().all()
        assert [v.id for v in visits] == [first_id]
        kept = visits[0]
        # One of the two was still being recorded: the merged visit is 核查中 for the leader to look at.
        assert kept.status is VisitStatus.IN_PROGRESS and kept.submitted_at is None
        assert (kept.gps_lat, kept.gps_lon, kept.inspector_id) == (32.52, 112.36, inspector)
        answers = {a.item_id: a for a in db.session.execute(sa.select(Answer)).scalars()}
        assert set(answers) == {items[0], items[1], items[2]}
        assert all(a.visit_id == first_id for a in answers.values())
        assert (answers[items[0]].result, answers[items[0]].note) == (AnswerResult.CONFORMS, "文件齐全")
        combined = answers[items[1]]
        assert (combined.result, combined.note) == (AnswerResult.NONCONFORMING, "已查看文件\n缺少会议纪要")
        assert combined.answered_by_id == leader
        assert answers[items[2]].id == moved_id
        photo = db.session.execute(sa.select(Attachment)).scalar_one()
        assert photo.answer_id == combined.id
        moved_finding = db.session.get(Finding, finding_id)
        assert (moved_finding.visit_id, moved_finding.answer_id) == (first_id, combined.id)
        event = db.session.execute(sa.select(AuditEvent).where(AuditEvent.action == "visit.merge")).scalar_one()
        assert event.object_id == str(first_id) and event.before["merged_visit_id"] == second_id
        assert event.after == {"answers_moved": 1, "answers_combined": 1, "findings_moved": 1, "status": "IN_PROGRESS"}
        db.session.remove()

        with pytest.raises(sa.exc.IntegrityError):
            f.make_visit(db.session.get(Site, site_id), db.session.get(User, leader))
        db.session.rollback()
        db.session.remove()
        downgrade(revision="base")
        db.engine.dispose()
