"""Forms for signing in and changing one's password."""
from flask import current_app
from flask_login import current_user
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo, Length, ValidationError

from inspect_app.auth.service import password_problems
from inspect_app.forms import BaseForm


class LoginForm(BaseForm):
    username = StringField("用户名", validators=[DataRequired("请输入用户名"), Length(max=64)])
    password = PasswordField("密码", validators=[DataRequired("请输入密码"), Length(max=128)])


def policy_check(form, field):
    """WTForms validator applying the configured password policy to the password of `form.account`
    (the account being edited; the signed-in user when unset) or of the `username` being created."""
    account = getattr(form, "account", None)
    if account is None and "username" not in form and getattr(current_user, "is_authenticated", False):
        account = current_user
    username = account.username if account is not None else \
        ((form.username.data if "username" in form else "") or "")
    problems = password_problems(field.data or "", current_app.config["PASSWORD_MIN_LENGTH"], username,
                                 is_demo=bool(getattr(account, "is_demo", False)))
    if problems:
        raise ValidationError("；".join(problems))


class ChangePasswordForm(BaseForm):
    current_password = PasswordField("当前密码", validators=[DataRequired("请输入当前密码"), Length(max=128)])
    new_password = PasswordField("新密码", validators=[DataRequired("请输入新密码"), Length(max=128), policy_check])
    confirm = PasswordField("确认新密码", validators=[DataRequired("请再次输入新密码"), Length(max=128),
                                                    EqualTo("new_password", "两次输入的新密码不一致")])
