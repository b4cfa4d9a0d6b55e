"""Views of the media package (being built)."""
from inspect_app.media import bp  # noqa: F401
