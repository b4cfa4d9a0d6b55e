"""Forms for creating and editing accounts."""
from flask_wtf import FlaskForm
from wtforms import BooleanField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional, Regexp

from inspect_app.auth.forms import policy_check
from inspect_app.locking import VersionField
from inspect_app.roles import Role


class UserForm(FlaskForm):
    version = VersionField()
    username = StringField("用户名", filters=[lambda v: v.strip().lower() if v else v], validators=[
        DataRequired("请填写用户名"), Length(min=2, max=64, message="用户名 2–64 个字符"),
        Regexp(r"^[a-z0-9][a-z0-9._-]*$", message="用户名只能包含小写字母、数字、点、下划线和连字符")])
    display_name = StringField("姓名", filters=[lambda v: v.strip() if v else v],
                               validators=[DataRequired("请填写姓名"), Length(max=64)])
    organisation = StringField("单位/处室", filters=[lambda v: v.strip() if v else v],
                               validators=[Optional(), Length(max=128)])
    role = SelectField("角色", choices=[(r.value, r.label) for r in Role])
    region_code = StringField("所属区划代码", filters=[lambda v: v.strip() if v else v],
                              validators=[Optional(), Regexp(r"^\d{6}$", message="请输入 6 位区划代码")])
    unit_id = SelectField("责任单位", coerce=int, validators=[Optional()], validate_choice=False)
    active = BooleanField("启用", default=True)
    password = PasswordField("初始密码", validators=[Optional(), policy_check])


class ResetPasswordForm(FlaskForm):
    password = PasswordField("新密码", validators=[DataRequired("请输入新密码"), policy_check])
