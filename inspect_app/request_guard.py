"""The request-level half of the text rule (`inspect_app.text`): what no form sees.

Forms refuse a NUL in a field's value with a message beside the field (422, the text kept). A NUL
in a query string (`?q=`), in a form field's *name* or in a header reaches the database or a
redirect with no form in between, and on PostgreSQL answered 500 even before sign-in (issue 11,
point 3). This guard answers 400 with a Chinese message before any view runs. As a last net, a
database `DataError` (a value too long for its column, a character the database refuses) that
slipped past every form answers 400 too, never 500 — with the transaction rolled back.
"""
from __future__ import annotations

import json

from flask import render_template, request
from sqlalchemy.exc import DataError

from inspect_app.extensions import db
from inspect_app.text import NUL, NUL_MESSAGE

TITLE = "请求内容无效"
DATA_MESSAGE = "提交的内容过长或含有无法保存的字符，请修改后重试。"


def offending_part() -> str | None:
    """Where the current request carries a NUL outside a form field's value, or None.

    Looks at the query string (names and values), form field names, uploaded file field names and
    header values. Form field *values* are left to the forms, which keep the typed text."""
    if any(NUL in key or any(NUL in v for v in values) for key, values in request.args.lists()):
        return "query"
    if request.method not in ("GET", "HEAD", "OPTIONS"):
        if any(NUL in key for key in request.form.keys()) or any(NUL in key for key in request.files.keys()):
            return "form"
    if any(NUL in value for _name, value in request.headers.items()):
        return "header"
    return None


def _refuse(message: str):
    if request.headers.get("HX-Request"):
        body = json.dumps({"toast": [{"level": "error", "message": message}]})
        return "", 400, {"HX-Trigger": body}
    return render_template("errors/error.html", code=400, title=TITLE, message=message), 400


def init_app(app) -> None:
    """Install the NUL guard (before every view, the first hook) and the DataError net."""

    def refuse_nul():
        if offending_part() is not None:
            return _refuse(NUL_MESSAGE)
        return None

    # First in line: the session and login hooks read the request too.
    app.before_request_funcs.setdefault(None, []).insert(0, refuse_nul)

    @app.errorhandler(DataError)
    def data_error(_error):
        db.session.rollback()
        return _refuse(DATA_MESSAGE)
