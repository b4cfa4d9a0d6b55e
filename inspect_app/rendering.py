"""Page-or-fragment from one URL (conventions rule 4).

An htmx request that targets a part of the page gets just that partial; a normal request, a boosted
navigation or a history restore gets the full page. (Every response varies on HX-Request: the
app's after_request hook adds the header.)
"""
from flask import make_response, render_template, request


def wants_fragment() -> bool:
    """True for an htmx request that will swap a part of the page, not a whole page."""
    htmx = getattr(request, "htmx", None)
    return bool(htmx) and not htmx.boosted and not htmx.history_restore_request


def render(page: str, fragment: str | None = None, status: int = 200, **context):
    """Render `fragment` for htmx partial requests and `page` otherwise."""
    template = fragment if fragment and wants_fragment() else page
    return make_response(render_template(template, **context), status)
