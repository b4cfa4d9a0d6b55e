"""Views of the dashboard package (being built)."""
from inspect_app.dashboard import bp  # noqa: F401
