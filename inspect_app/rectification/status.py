"""The statuses of a rectification item (domain.md §5), on their own so that both the lifecycle and
the date rules (date_rules.py, which the lifecycle uses) can name them without importing each other.
lifecycle.py is where the transitions between them live; import `Status` from there or here."""
from enum import Enum


class Status(str, Enum):
    """An item's rectification status. Store the *name* in the database; the value is the label."""

    PENDING = "待整改"
    IN_PROGRESS = "整改中"
    SUBMITTED = "待验收"
    CLOSED = "已销号"

    @property
    def label(self) -> str:
        """The Chinese label shown on screen and in the ledger."""
        return self.value
