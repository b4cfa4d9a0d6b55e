"""Views of the problem_lists package (being built)."""
from inspect_app.problem_lists import bp  # noqa: F401
