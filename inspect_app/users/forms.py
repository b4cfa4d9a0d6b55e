"""Forms for creating and editing accounts. Every message a user can meet here is Chinese: the
choice fields check their own choices (WTForms' built-in "Not a valid choice" is English)."""
from wtforms import BooleanField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional, Regexp, ValidationError

from inspect_app.auth.forms import policy_check
from inspect_app.forms import BaseForm
from inspect_app.locking import VersionField
from inspect_app.roles import Role

ROLE_PROMPT = ("", "请选择角色")


def _strip(value):
    return value.strip() if isinstance(value, str) else value


def _int_or_zero(value) -> int:
    """The unit select's value; anything that is not a number means "none chosen" (0), so a bad
    value gets the service's Chinese message instead of WTForms' English coercion error."""
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


def _role_value(value) -> str:
    """A role as its code: the edit form is filled from the account, whose role is the enum, and
    str() of a str-Enum is "Role.X" in Python 3.11 — that matched no option, so the page showed
    (and saved) the first role in the list."""
    if isinstance(value, Role):
        return value.value
    return "" if value is None else str(value)


def _one_of_the_roles(_form, field):
    """The role must be one offered on this form (the roles this administrator may grant)."""
    if field.data and field.data not in {value for value, _label in field.choices if value}:
        raise ValidationError("您无权授予该角色，请重新选择" if field.data in {r.value for r in Role}
                              else "请选择角色")


class UserForm(BaseForm):
    version = VersionField()
    username = StringField("用户名", filters=[lambda v: v.strip().lower() if v else v], validators=[
        DataRequired("请填写用户名"), Length(min=2, max=64, message="用户名 2–64 个字符"),
        Regexp(r"^[a-z0-9][a-z0-9._-]*$", message="用户名只能包含小写字母、数字、点、下划线和连字符")])
    display_name = StringField("姓名", filters=[_strip],
                               validators=[DataRequired("请填写姓名"), Length(max=64, message="姓名最多 64 个字")])
    organisation = StringField("单位/处室", filters=[_strip],
                               validators=[Optional(), Length(max=128, message="单位/处室最多 128 个字")])
    # No default: a prompt first, and the administrator must choose (issue 10 point 11).
    role = SelectField("角色", choices=[ROLE_PROMPT] + [(r.value, r.label) for r in Role], default="",
                       coerce=_role_value, validate_choice=False, validators=[DataRequired("请选择角色"), _one_of_the_roles])
    # Found by active search on the division tree (region_search), picked into region_code — drawn
    # as type="hidden" by the template, but not a HiddenField, so hidden_tag() does not draw it twice.
    region_search = StringField("所属区划", filters=[_strip],
                                validators=[Optional(), Length(max=64, message="搜索内容最多 64 个字")])
    region_code = StringField("区划代码", filters=[_strip], validators=[
        Optional(), Length(max=6), Regexp(r"^\d{6}$", message="请从搜索结果中选择所属区划")])
    unit_id = SelectField("责任单位", coerce=_int_or_zero, validators=[Optional()], validate_choice=False)
    active = BooleanField("启用", default=True)
    password = PasswordField("初始密码", validators=[Optional(), Length(max=128), policy_check])


class ResetPasswordForm(BaseForm):
    password = PasswordField("新密码", validators=[DataRequired("请输入新密码"), Length(max=128), policy_check])
