"""Creating a row once under a unique key, also when two requests race for it (issue 9).

A tablet retries a post after a dropped connection, five retries of one photo may be in flight at
once, and two tablets may start the same site at the same moment. Looking first and inserting after
is not enough: two requests can both look, both find nothing and both insert. The database's unique
constraint picks the winner. The loser's INSERT raises IntegrityError only once the winner has
committed (PostgreSQL waits for the winner's transaction before it reports the violation; SQLite's
single write lock queues the loser behind the winner), so after rolling back, the loser reads the
winner's row and answers with it — the response the winner gave, never a 500.

Every service that creates a row keyed by a client UUID (visits, answers, findings, photos, progress
posts) or by a natural key (one visit per site and campaign) goes through :func:`create_once`.
"""
from __future__ import annotations

import uuid as uuid_module
from collections.abc import Callable
from typing import TypeVar

from sqlalchemy.exc import IntegrityError

from inspect_app.extensions import db

T = TypeVar("T")


def new_uuid() -> str:
    """A server-side UUID, for a form drawn by the server or a client without JavaScript."""
    return str(uuid_module.uuid4())


def clean_uuid(value: str | None) -> str | None:
    """The canonical form of a client UUID, or None when it is not a UUID."""
    try:
        return str(uuid_module.UUID(str(value or "").strip()))
    except ValueError:
        return None


class Duplicate(Exception):
    """Raised by a `create` step that sees, late, that the row it was about to create exists now —
    e.g. after waiting for a row lock that the winner held. :func:`create_once` then answers with
    the row its `find` reads."""


def create_once(find: Callable[[], T | None], create: Callable[[], T], *,
                clashes: tuple[type[BaseException], ...] = ()) -> tuple[T, bool]:
    """Return ``(row, True)`` for a row this call created, ``(row, False)`` for one that exists.

    `find` reads the row by its unique key (None when there is none); it may raise the service's
    own error, e.g. when the key belongs to another owner. `create` adds, flushes, audits and
    COMMITS the new row and returns it; the session must hold no other uncommitted work of value,
    because a clash rolls the whole transaction back (a SAVEPOINT is not used: pysqlite's implicit
    transactions make savepoints unreliable on SQLite, and every caller commits right after its
    insert anyway). `create` must clean up what it wrote outside the database (files) when it
    fails; a rollback cannot.

    A clash is an IntegrityError, :class:`Duplicate`, or one of `clashes` (e.g. StaleDataError,
    when the winner also bumped a version the loser had read). After a clash the winner is read
    again with `find`; if there is none, the error was about something else and is re-raised.
    """
    found = find()
    if found is not None:
        return found, False
    try:
        return create(), True
    except (IntegrityError, Duplicate, *clashes):
        db.session.rollback()
        found = find()
        if found is None:
            raise
        return found, False
