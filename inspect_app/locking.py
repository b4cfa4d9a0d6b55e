"""Optimistic locking for the records people edit in forms: findings (and their problem-list wording),
checklist drafts and their items, org rows (regions, site kinds, 医共体, sites, units) and accounts.

Each such table has a `version` integer (1 for a new row, see `Versioned`). An edit form carries the
version it was drawn from in a hidden field (`VersionField`); the service saves with one
compare-and-set in the same transaction as the change and its audit event (`claim`):

    UPDATE t SET version = version + 1 WHERE id = :id AND version = :seen

No row matched means someone saved in between: `EditConflict` (409) and nothing is written. On
PostgreSQL the UPDATE takes the row lock, so of two parallel saves of the same version the second
waits for the first to commit, re-reads the row and matches nothing; on SQLite the database write
lock serialises them the same way. A form without a version is refused too (422): it cannot say
what it was based on.

Why an explicit compare-and-set rather than SQLAlchemy's `version_id_col`: the version counts saves
made through edit forms. Reordering the problem list, merging, issuing, signing in (which writes
`last_login_at`) or publishing touch the same rows without an edit form; they must neither raise a
conflict in someone's open form nor fail with StaleDataError when they race an edit. (Rectification
items keep their `version_id_col`: every write to an item is a lifecycle action the user asked for,
see rectification/lifecycle.py.)

After a refusal the route re-draws the form with the user's own values, moves its version to the
saved one (`rebase`) and marks each field whose saved value differs from the user's; the shared
macros in templates/macros/conflict.html show the saved text beside the user's own.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.orm.attributes import set_committed_value
from wtforms import IntegerField
from wtforms.validators import Optional
from wtforms.widgets import HiddenInput

from inspect_app.extensions import db

STALE_MESSAGE = "他人已修改并保存了这条记录，您的内容尚未保存"
MISSING_MESSAGE = "页面缺少版本信息（可能是旧页面），您的内容尚未保存"


class Versioned:
    """Mixin: the `version` column of an editable record (1 for a new row, +1 on every saved edit)."""

    version: Mapped[int] = mapped_column(default=1, server_default="1")


class VersionField(IntegerField):
    """The hidden `version` of an edit form. Optional for the form (a create form has none); the
    service refuses an edit without it (`claim`)."""

    widget = HiddenInput()

    def __init__(self, label=None, validators=None, **kwargs):
        super().__init__(label, validators or [Optional()], **kwargs)

    def process_formdata(self, valuelist):
        """Anything but a whole number counts as no version (refused with the Chinese message, not
        WTForms' English one under a hidden field nobody sees)."""
        try:
            super().process_formdata(valuelist)
        except ValueError:
            self.data = None


class EditConflict(Exception):
    """A refused edit: `message` in Chinese, `status` 409 (stale) or 422 (no version sent), and the
    `record` that was refused when it is not the one the form is about (a merge of several)."""

    def __init__(self, message: str, status: int, record=None):
        super().__init__(message)
        self.message, self.status, self.record = message, status, record


def _check(obj, seen: int | None) -> None:
    """Refuse when the form was drawn from another version than the one loaded (no write)."""
    if seen is None:
        raise EditConflict(MISSING_MESSAGE, 422)
    if seen != obj.version:
        raise EditConflict(STALE_MESSAGE, 409)


def claim(obj, seen: int | None) -> None:
    """Compare-and-set the row's version from `seen` to `seen + 1` in the current transaction.

    `obj` is a loaded instance of a `Versioned` model. Raises EditConflict (409) when the row is no
    longer at `seen` — also when another transaction saved it after `obj` was loaded — and (422) when
    `seen` is None. On success `obj.version` is `seen + 1` and the caller goes on to change the row,
    record the audit event and commit; the caller's rollback undoes the claim with the rest.
    """
    _check(obj, seen)
    model = type(obj)
    result = db.session.execute(
        sa.update(model).where(model.id == obj.id, model.version == seen).values(version=model.version + 1)
        .execution_options(synchronize_session=False))
    if result.rowcount != 1:
        raise EditConflict(STALE_MESSAGE, 409)
    set_committed_value(obj, "version", seen + 1)


def bump(obj) -> None:
    """Count a change made without an edit form (an import updating the row): the version moves on, so
    a form opened before it is refused instead of silently undoing it."""
    model = type(obj)
    obj.version = model.version + 1


# ---------------------------------------------------------------- the conflict view

@dataclass
class Conflict:
    """What the conflict view shows: the refusal, who saved last and when (from the audit trail),
    and per field whose saved value differs from the user's: its label and the saved text."""

    message: str
    status: int
    by: str = ""
    at: datetime | None = None
    fields: list[tuple[str, str, str]] = field(default_factory=list)   # (name, label, saved text)
    compared: int = 0     # fields compared; 0 for an action whose form holds no saved text (accept, return)

    @property
    def short(self) -> str:
        """The refusal in a few words, for a table row's narrow actions cell."""
        return "他人已修改，尚未保存" if self.status == 409 else "缺少版本信息，尚未保存"


def display(f) -> str:
    """A form field's value as the text a user reads (choices by label, 是/否, dates as ISO)."""
    data = f.data
    if f.type == "BooleanField":
        return "是" if data else "否"
    if f.type in ("SelectField", "RadioField"):
        return next((str(label) for _value, label, selected, *_ in f.iter_choices() if selected),
                    "" if data in (None, "") else str(data))
    if f.type in ("SelectMultipleField", "CheckboxListField") or isinstance(data, (list, tuple)):
        return "、".join(str(label) for _value, label, selected, *_ in f.iter_choices() if selected)
    if isinstance(data, (date, datetime)):
        return data.isoformat()
    if data is None:
        return ""
    if hasattr(data, "label"):
        return data.label
    return str(data)


SKIPPED_TYPES = ("CSRFTokenField", "HiddenField", "FileField", "MultipleFileField", "PasswordField", "VersionField")


def rebase(form, saved_form, obj, error: EditConflict, only=None) -> Conflict:
    """Prepare a refused form to be shown again: its version becomes the saved one (so the next save
    is judged against what is on screen now), its typed values stay, and every field whose saved
    value differs gets `saved_text` for the macros. `saved_form` is the same form class filled from
    the saved row, as the edit view fills it; `only` limits the comparison to the fields (short
    names) that hold saved state (an action's reason or opinion is not a stored text to compare).
    Returns the Conflict, also kept as `form.conflict`.
    """
    if "version" in form._fields:   # a form over several rows carries their versions row by row instead
        form.version.data, form.version.raw_data = obj.version, [str(obj.version)]
    conflict = Conflict(error.message, error.status, *last_saved(error.record or obj))
    for f in form:
        if f.type in SKIPPED_TYPES or f.short_name not in saved_form._fields or (
                only is not None and f.short_name not in only):
            continue
        saved = display(saved_form[f.short_name])
        conflict.compared += 1
        if saved != display(f):
            f.saved_text = saved
            conflict.fields.append((f.short_name, str(f.label.text), saved))
    form.conflict = conflict
    return conflict


def last_saved(obj) -> tuple[str, datetime | None]:
    """Who made the latest audited change to `obj`, and when (UTC); ("", None) if none is recorded."""
    from inspect_app.audit.models import AuditEvent
    row = db.session.execute(
        sa.select(AuditEvent.username, AuditEvent.at, AuditEvent.user_id)
        .where(AuditEvent.object_type == type(obj).__name__, AuditEvent.object_id == str(obj.id))
        .order_by(AuditEvent.id.desc()).limit(1)).first()
    if row is None:
        return "", None
    name = row.username
    if row.user_id is not None:
        from inspect_app.auth.models import User
        user = db.session.get(User, row.user_id)
        name = user.display_name or user.username if user else name
    return name, row.at
