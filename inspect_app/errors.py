"""The one domain error and its handler.

Services refuse an action by raising `DomainError(message, status, field)`: a Simplified-Chinese
`message` for the user, the HTTP `status` the route answers with (422 invalid input, 409 a conflict
with someone else's change, 403/404 access), and optionally the form `field` the message belongs to.
Services never call `abort` and never import Flask's request machinery for errors.

A route that must keep the user's typed input (re-render its form with the message under `field`)
catches `DomainError` itself; anything it does not catch reaches `handle_domain_error`, registered
once in `create_app`, which answers in the shape the request wants: the error page, an htmx toast,
or JSON for the API.
"""
from __future__ import annotations


class DomainError(Exception):
    """A refused action: Chinese `message`, HTTP `status` (default 422), the offending form `field`.

    `status` 403 and 404 are access refusals and are answered like any other 403/404 (the same
    error page and security event), so a refused object never reveals that it exists.
    """

    status: int = 422

    def __init__(self, message: str, status: int | None = None, field: str | None = None):
        super().__init__(message)
        self.message = message
        if status is not None:
            self.status = status
        self.field = field

    def __repr__(self) -> str:  # pragma: no cover - debugging aid
        return f"{type(self).__name__}({self.message!r}, status={self.status}, field={self.field!r})"
