"""One small form per lifecycle action; each carries the item's `version` it was based on.

The forms parse and keep what the user typed; the lifecycle decides what is required and valid, and
its refusals are shown next to the right field (`field_for`).
"""
from wtforms import DateField, HiddenField, IntegerField, MultipleFileField, SelectField, StringField, TextAreaField
from wtforms.validators import Length, Optional, Regexp

from inspect_app.forms import BaseForm
from inspect_app.idempotency import clean_uuid
from inspect_app.locking import VersionField
from inspect_app.rectification.lifecycle import Action


# Limits of the free texts (stored in Text columns, so the form is the only bound): long enough for
# any real 整改措施, short enough that one post cannot bloat the item page for everyone (issue 11, point 4).
TEXT_MAX = 2000
MEASURES_MAX = PROGRESS_MAX = 5000


def _strip(value):
    return value.strip() if isinstance(value, str) else value


class ActionForm(BaseForm):
    """Base: the version the user saw when the form was drawn (optimistic locking)."""

    version = VersionField()   # required by the service for every action that changes the item

    def inputs(self) -> dict:
        """The values for service.ActionInput, from the fields this form has."""
        out = {"version": self.version.data}
        for name in ("text", "reason", "opinion", "new_date", "unit_id", "person", "assignee_id", "milestone_id",
                     "working_days"):
            if hasattr(self, name):
                out[name] = getattr(self, name).data
        for name in ("unit_id", "assignee_id", "milestone_id"):
            if out.get(name) == 0:
                out[name] = None
        if hasattr(self, "uuid"):
            out["uuid"] = clean_uuid(self.uuid.data)
        return out


def _optional_int(value):
    """A select's value as an int; '' or rubbish is 0 (nothing chosen), never a crash."""
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


class AssignFields:
    """指派 (one item or many): the unit, then 责任人 — an account of that unit (the select is refilled
    when the unit changes) or a name typed for someone without an account."""

    unit_id = SelectField("责任单位", coerce=_optional_int, validate_choice=False)
    assignee_id = SelectField("责任人（本单位账号）", coerce=_optional_int, validate_choice=False)
    person = StringField("或填写责任人姓名（无账号时）", filters=[_strip],
                         validators=[Optional(), Length(max=64, message="责任人最多 64 个字")])


class AssignForm(ActionForm, AssignFields):
    pass


class MeasuresForm(ActionForm):
    text = TextAreaField("整改措施", filters=[_strip], render_kw={"rows": 5},
                         validators=[Length(max=MEASURES_MAX, message=f"整改措施不超过 {MEASURES_MAX} 字")])
    new_date = DateField("计划完成时间", validators=[Optional()])


class ProgressForm(ActionForm):
    # Drawn with a fresh UUID and kept through error re-renders: posting the same form twice (a
    # double tap, a retry after a dropped connection) records one progress post.
    uuid = HiddenField()
    text = TextAreaField("整改进展", filters=[_strip], render_kw={"rows": 4},
                         validators=[Length(max=PROGRESS_MAX, message=f"整改进展不超过 {PROGRESS_MAX} 字")])
    files = MultipleFileField("佐证材料（照片：JPEG、PNG、WebP、HEIC、AVIF、GIF、TIFF；文件：PDF、DOCX、XLSX；单个不超过 20 MB）",
                              render_kw={"accept": "image/*,.pdf,.docx,.xlsx", "multiple": True})


class SubmitForm(ActionForm):
    text = TextAreaField("申请说明（可选）", filters=[_strip], render_kw={"rows": 3},
                         validators=[Length(max=TEXT_MAX, message=f"申请说明不超过 {TEXT_MAX} 字")])


class AcceptForm(ActionForm):
    opinion = TextAreaField("验收意见", filters=[_strip], render_kw={"rows": 3},
                            validators=[Length(max=TEXT_MAX, message=f"验收意见不超过 {TEXT_MAX} 字")])


class ReasonForm(ActionForm):
    reason = TextAreaField("退回原因", filters=[_strip], render_kw={"rows": 3},
                           validators=[Length(max=TEXT_MAX, message=f"退回原因不超过 {TEXT_MAX} 字")])


class ReopenForm(ActionForm):
    reason = TextAreaField("重新打开原因", filters=[_strip], render_kw={"rows": 3},
                           validators=[Length(max=TEXT_MAX, message=f"重新打开原因不超过 {TEXT_MAX} 字")])
    new_date = DateField("新的完成时限（可选）", validators=[Optional()])


class ExtensionForm(ActionForm):
    reason = TextAreaField("延期原因", filters=[_strip], render_kw={"rows": 3},
                           validators=[Length(max=TEXT_MAX, message=f"延期原因不超过 {TEXT_MAX} 字")])
    new_date = DateField("申请延期至", validators=[Optional()])
    working_days = IntegerField("或：延长工作日数", validators=[Optional()],
                                render_kw={"inputmode": "numeric", "min": 1},
                                description="未填日期时，从当前完成时限起按工作日（含调休）顺延")


class ApproveExtensionForm(ActionForm):
    opinion = TextAreaField("审批意见（可选）", filters=[_strip], render_kw={"rows": 2},
                            validators=[Length(max=TEXT_MAX, message=f"审批意见不超过 {TEXT_MAX} 字")])


class RefuseExtensionForm(ActionForm):
    reason = TextAreaField("不同意的理由", filters=[_strip], render_kw={"rows": 3},
                           validators=[Length(max=TEXT_MAX, message=f"不同意的理由不超过 {TEXT_MAX} 字")])


class MilestoneAcceptForm(ActionForm):
    milestone_id = SelectField("阶段目标", coerce=int, validate_choice=False)
    opinion = TextAreaField("阶段验收意见", filters=[_strip], render_kw={"rows": 3},
                            validators=[Length(max=TEXT_MAX, message=f"阶段验收意见不超过 {TEXT_MAX} 字")])


class CommentForm(ActionForm):
    text = TextAreaField("评论", filters=[_strip], render_kw={"rows": 3},
                         validators=[Length(max=TEXT_MAX, message=f"评论不超过 {TEXT_MAX} 字")])


class MilestoneForm(BaseForm):
    due_date = DateField("日期", validators=[Optional()])
    expected_result = StringField("预期成效", filters=[_strip], validators=[Length(max=500, message="预期成效不超过 500 字")])


class BulkAssignForm(BaseForm, AssignFields):
    pass


class BulkAcceptForm(BaseForm):
    opinion = TextAreaField("验收意见（对所选事项相同）", filters=[_strip], render_kw={"rows": 2},
                            validators=[Length(max=TEXT_MAX, message=f"验收意见不超过 {TEXT_MAX} 字")])


class BulkReturnForm(BaseForm):
    reason = TextAreaField("退回原因（对所选事项相同）", filters=[_strip], render_kw={"rows": 2},
                           validators=[Length(max=TEXT_MAX, message=f"退回原因不超过 {TEXT_MAX} 字")])


class BulkExtensionForm(BaseForm):
    opinion = TextAreaField("审批意见（可选，对所选事项相同）", filters=[_strip], render_kw={"rows": 2},
                            validators=[Length(max=TEXT_MAX, message=f"审批意见不超过 {TEXT_MAX} 字")])


FORMS: dict[Action, type[ActionForm]] = {
    Action.ASSIGN: AssignForm,
    Action.WRITE_MEASURES: MeasuresForm,
    Action.POST_PROGRESS: ProgressForm,
    Action.SUBMIT: SubmitForm,
    Action.ACCEPT: AcceptForm,
    Action.RETURN: ReasonForm,
    Action.REOPEN: ReopenForm,
    Action.REQUEST_EXTENSION: ExtensionForm,
    Action.APPROVE_EXTENSION: ApproveExtensionForm,
    Action.REFUSE_EXTENSION: RefuseExtensionForm,
    Action.ACCEPT_MILESTONE: MilestoneAcceptForm,
    Action.COMMENT: CommentForm,
}


class NoticeEmailForm(BaseForm):
    """The user's own address for e-mail notices; empty turns them off."""

    email = StringField("通知邮箱（留空则不发送邮件）", filters=[_strip], validators=[
        Optional(), Length(max=255, message="邮箱地址最多 255 个字符"),
        Regexp(r"^[^@\s]+@[^@\s]+\.[^@\s]+$", message="邮箱地址格式不正确，例如 zhangsan@example.com")])
