"""Forms of 自查: one item's answer (autosaved with its version), submit, start."""
from wtforms import SelectField, TextAreaField
from wtforms.validators import Length, ValidationError

from inspect_app.forms import BaseForm
from inspect_app.locking import VersionField
from inspect_app.visits.models import AnswerResult


def _known_result(_form, field):
    if field.data and field.data not in {r.value for r in AnswerResult}:
        raise ValidationError("自查结果无效，请重新选择")


class SelfAnswerForm(BaseForm):
    """One item's result and note, posted on every change, with the version it was drawn from."""
    version = VersionField()
    result = SelectField(choices=[("", "")] + [(r.value, r.label) for r in AnswerResult], default="",
                         validate_choice=False, validators=[_known_result])
    note = TextAreaField(filters=[lambda v: (v or "").strip()],
                         validators=[Length(max=2000, message="说明不超过 2000 字")])

    def result_value(self) -> AnswerResult | None:
        return AnswerResult(self.result.data) if self.result.data else None


class ActionForm(BaseForm):
    """A button that changes state (start, submit): only the CSRF token."""
