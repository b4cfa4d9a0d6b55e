"""Views of the visits package (being built)."""
from inspect_app.visits import bp  # noqa: F401
