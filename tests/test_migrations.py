"""The migrations build exactly the schema the models describe, on SQLite and on PostgreSQL."""
import os

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade

from inspect_app import create_app
from inspect_app.extensions import db
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


def test_upgrade_matches_models_and_downgrade_empties(empty_database_url):
    app = _app_for(empty_database_url)
    with app.app_context():
        upgrade()
        with db.engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), db.metadata)
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


def test_rollups_migration_fills_close_seconds_and_the_first_read_builds(empty_database_url):
    """An existing database with closed items: the upgrade fills close_seconds from closed_at and
    issued_at, leaves the rollups unbuilt, and the first dashboard read builds them exactly."""
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
        assert db.session.scalar(sa.select(rollups.state_table.c.as_of)) is None
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
