"""Views of the api package (being built)."""
from inspect_app.api import bp  # noqa: F401
