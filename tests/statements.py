"""Counting the SQL statements a piece of code sends (an SQLAlchemy engine event), for tests that
hold a statement count constant as the data grows."""
from contextlib import contextmanager

import sqlalchemy as sa

from inspect_app.extensions import db


@contextmanager
def counted():
    """Yield a list that collects every statement sent on the app's engine inside the block."""
    seen: list[str] = []

    def before(_conn, _cursor, statement, _params, _context, _many):
        seen.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", before)
    try:
        yield seen
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", before)
