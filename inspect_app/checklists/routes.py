"""Views of the checklists package (being built)."""
from inspect_app.checklists import bp  # noqa: F401
