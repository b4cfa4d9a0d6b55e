"""Forms of 自查: one item's answer (autosaved with its version), submit, start."""
from inspect_app.forms import BaseForm
from inspect_app.locking import VersionField
from inspect_app.visits.forms import ResultNoteForm


class SelfAnswerForm(ResultNoteForm):
    """One item's result and note, posted on every change, with the version it was drawn from."""
    RESULT_NAME = "自查结果"
    version = VersionField()


class ActionForm(BaseForm):
    """A button that changes state (start, submit): only the CSRF token."""
