"""Views of the campaigns package (being built)."""
from inspect_app.campaigns import bp  # noqa: F401
