"""Forms of the problem list: the leader's wording of a finding, the merge step, the issue step."""
from datetime import date

from wtforms import BooleanField, DateField, HiddenField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional
from wtforms.widgets import HiddenInput

from inspect_app.forms import BaseForm
from inspect_app.locking import VersionField
from inspect_app.visits.models import RectificationType, Severity


def _strip(value):
    return value.strip() if isinstance(value, str) else value


class FindingForm(BaseForm):
    """Inline edit of one draft finding (问题表述、类别、严重程度、整改类型、时限、整改建议)."""

    version = VersionField()
    description = TextAreaField("问题描述", filters=[_strip], validators=[
        DataRequired("请填写问题描述"), Length(max=2000, message="问题描述不超过 2000 字")])
    category = StringField("问题类别", filters=[_strip], validators=[
        DataRequired("请填写问题类别"), Length(max=128, message="问题类别不超过 128 字")])
    severity = SelectField("严重程度", choices=[(s.value, s.label) for s in Severity],
                           validators=[DataRequired("请选择严重程度")])
    rectification_type = SelectField("整改类型", choices=[(t.value, t.label) for t in RectificationType],
                                     validators=[DataRequired("请选择整改类型")])
    deadline = DateField("建议完成时限（可选）", validators=[Optional()],
                         description="留空则下发时按整改类型从下发日期起算；下发时仍可调整")
    suggested_measures = TextAreaField("整改建议", filters=[_strip], validators=[
        Length(max=2000, message="整改建议不超过 2000 字")])

    def fill(self, finding) -> "FindingForm":
        """Set the select fields from the finding's enums (obj= gives the enum, not its value)."""
        self.severity.data = finding.severity.value
        self.rectification_type.data = finding.rectification_type.value
        return self

    def values(self) -> dict:
        return {"description": self.description.data, "category": self.category.data,
                "severity": Severity(self.severity.data),
                "rectification_type": RectificationType(self.rectification_type.data),
                "deadline": self.deadline.data, "suggested_measures": self.suggested_measures.data or ""}


class MergeForm(BaseForm):
    """Step two of a merge: which finding stays, and its (possibly rewritten) description."""

    keep_id = SelectField("保留的问题", coerce=int, validators=[InputRequired("请选择保留的问题")])
    description = TextAreaField("合并后的问题描述", filters=[_strip], validators=[
        DataRequired("请填写合并后的问题描述"), Length(max=2000, message="问题描述不超过 2000 字")])

    def set_choices(self, findings):
        self.keep_id.choices = [(f.id, f"#{f.id} {f.site.name}：{f.description[:40]}") for f in findings]
        return self


class IssueForm(BaseForm):
    """下发 confirmation: the feedback meeting date printed on the list, each item's deadline
    (fields ``deadline-<finding id>``, drawn by the page per finding), the confirmation that visits
    still 核查中 may be left out, and the list (`sequence`) the leader is confirming."""

    issued_on = DateField("反馈会日期（下发日期）", validators=[InputRequired("请填写下发日期")])
    sequence = IntegerField(widget=HiddenInput(), validators=[Optional()])
    # The issue date the deadlines on the page were proposed for: a deadline still equal to its
    # proposal for that date follows a changed issue date; one the leader changed stays.
    basis = HiddenField()
    confirm_open_visits = BooleanField("我已了解上述点位仍在核查中，现在下发（之后记录的问题将列入补充清单）")

    def basis_date(self) -> date | None:
        try:
            return date.fromisoformat(self.basis.data or "")
        except ValueError:
            return None

    @staticmethod
    def deadline_field(finding_id: int) -> str:
        return f"deadline-{finding_id}"

    def typed_deadlines(self, source, finding_ids) -> tuple[dict[int, date | None], dict[int, str], dict[int, str]]:
        """Per finding: the date typed (None when blank), the raw text, and a message for text that
        is not a date."""
        typed, raw, errors = {}, {}, {}
        for fid in finding_ids:
            text = (source.get(self.deadline_field(fid)) or "").strip()
            raw[fid] = text
            try:
                typed[fid] = date.fromisoformat(text) if text else None
            except ValueError:
                typed[fid] = None
                errors[fid] = f"完成时限“{text}”无效，请按 2025-10-14 的格式填写"
        return typed, raw, errors
