"""The migration chains the audit rows that exist before it, installs the append-only triggers and
gives existing tokens an expiry and their owner's scope."""
import json

import pytest
import sqlalchemy as sa
from flask_migrate import downgrade, upgrade

from inspect_app.audit import chain
from inspect_app.extensions import db
from tests.test_migrations import _app_for, empty_database_url  # noqa: F401 (fixture)


def test_existing_rows_are_chained_and_tokens_get_expiry_and_scope(empty_database_url):  # noqa: F811
    app = _app_for(empty_database_url)
    with app.app_context():
        upgrade(revision="a00dea19bb44")
        with db.engine.begin() as conn:
            conn.execute(sa.text("INSERT INTO users (username, display_name, organisation, role, password_hash, "
                                 "active, session_version, created_at) VALUES ('viewer', '省级查看', '', "
                                 "'PROVINCE_VIEWER', 'x', true, 1, '2026-01-01 00:00:00')"))
            user_id = conn.execute(sa.text("SELECT id FROM users")).scalar()
            conn.execute(sa.text("INSERT INTO api_tokens (user_id, name, token_hash, prefix, created_at) "
                                 "VALUES (:u, '对接', :h, 'abcdef', '2026-01-02 03:04:05')"), {"u": user_id, "h": "0" * 64})
            for i in range(3):
                conn.execute(sa.text(
                    "INSERT INTO audit_events (at, user_id, username, action, object_type, object_id, object_label, "
                    "before, after, summary, ip) VALUES (:at, :u, 'viewer', 'site.update', 'Site', :oid, '卫生院', "
                    ":before, :after, '修改点位', '10.0.0.1')"),
                    {"at": f"2026-01-0{i + 1} 08:00:00.123456", "u": user_id, "oid": str(i),
                     "before": json.dumps({"name": "旧"}, ensure_ascii=False),
                     "after": json.dumps({"name": f"新{i}"}, ensure_ascii=False)})
        upgrade()
        assert chain.verify_database(db.session) == 3
        with pytest.raises(sa.exc.DBAPIError, match="append-only"):
            with db.engine.begin() as conn:
                conn.execute(sa.text("UPDATE audit_events SET summary = 'x'"))
        token = db.session.execute(sa.text("SELECT expires_at, scope_role, scope_teams FROM api_tokens")).one()
        assert token.expires_at is not None and token.scope_role == "province_viewer" and token.scope_teams == ""
        db.session.remove()
        downgrade(revision="base")
        db.engine.dispose()
