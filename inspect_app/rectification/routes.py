"""Views of the rectification package (being built)."""
from inspect_app.rectification import bp  # noqa: F401
