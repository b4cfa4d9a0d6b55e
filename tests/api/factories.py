"""Items for the API tests: the dashboard's known dataset, built directly with the models."""
from tests.dashboard.factories import LAST_SECOND, known_items, make_item  # noqa: F401
