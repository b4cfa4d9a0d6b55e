"""Forms of the visit screens: start a visit, answer an item, record a finding."""
from wtforms import FloatField, HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from inspect_app.locking import VersionField
from wtforms import DateField, FloatField, HiddenField, SelectField, StringField, TextAreaField
from inspect_app.forms import BaseForm
from inspect_app.visits.models import AnswerResult, RectificationType, Severity
from inspect_app.visits.service import clean_uuid


def _strip(value):
    return value.strip() if isinstance(value, str) else value


def _uuid(_form, field):
    if clean_uuid(field.data) is None:
        raise ValidationError("缺少或无效的记录编号，请刷新页面后重试")


def _known_result(form, field):
    if field.data and field.data not in {r.value for r in AnswerResult}:
        raise ValidationError(f"{form.RESULT_NAME}无效，请重新选择")


class StartVisitForm(BaseForm):
    """Start a visit: a client UUID (server fills one without JS) and optional browser GPS."""
    uuid = HiddenField()
    lat = FloatField(validators=[Optional()])
    lon = FloatField(validators=[Optional()])
    accuracy = FloatField(validators=[Optional()])


class ResultNoteForm(BaseForm):
    """A checklist item's result (符合/基本符合/不符合/不适用) and note, posted on every change: the
    inspectors' answer (AnswerForm) and the county's own (self_inspections.forms.SelfAnswerForm)."""
    RESULT_NAME = "核查结果"     # named in the message for an unknown result
    # No radio chosen yet (a note typed first) posts no result at all: that is "not answered".
    result = SelectField(choices=[("", "")] + [(r.value, r.label) for r in AnswerResult], default="",
                         validate_choice=False, validators=[_known_result])
    note = TextAreaField(filters=[lambda v: (v or "").strip()],
                         validators=[Length(max=2000, message="说明不超过 2000 字")])

    def result_value(self) -> AnswerResult | None:
        return AnswerResult(self.result.data) if self.result.data else None


class AnswerForm(ResultNoteForm):
    """One item's answer, posted on every change (autosave), under the client's UUID."""
    uuid = HiddenField(validators=[_uuid])


class FindingForm(BaseForm):
    """A finding (问题), from an answer or free-standing; the same form edits it (with its version).
    No deadline: it is set when the list is issued, counted from that day
    (problem_lists.service.default_deadline)."""
    uuid = HiddenField(validators=[_uuid])
    version = VersionField()
    description = TextAreaField("问题描述", filters=[_strip], validators=[
        DataRequired("请填写问题描述"), Length(max=2000, message="问题描述不超过 2000 字")])
    category = StringField("问题类别", filters=[_strip], validators=[
        DataRequired("请填写问题类别"), Length(max=128, message="问题类别不超过 128 字")])
    severity = SelectField("严重程度", choices=[(s.value, s.label) for s in Severity])
    rectification_type = SelectField("整改类型", choices=[(t.value, t.label) for t in RectificationType])
    suggested_measures = TextAreaField("整改建议", filters=[_strip], validators=[
        Length(max=2000, message="整改建议不超过 2000 字")])

    def values(self) -> dict:
        return {"description": self.description.data, "category": self.category.data,
                "severity": Severity(self.severity.data),
                "rectification_type": RectificationType(self.rectification_type.data),
                "suggested_measures": self.suggested_measures.data or ""}
