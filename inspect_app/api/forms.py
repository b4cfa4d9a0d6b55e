"""The token admin form."""
from wtforms import SelectField, StringField
from wtforms.validators import DataRequired, Length

from inspect_app.forms import BaseForm


class TokenForm(BaseForm):
    user_id = SelectField("令牌代表的账户", coerce=int, validators=[DataRequired(message="请选择账户")])
    name = StringField("用途", validators=[DataRequired(message="请填写令牌用途"), Length(max=128)])
    valid_days = SelectField("有效期", coerce=int, default=365,
                             choices=[(30, "30 天"), (90, "90 天"), (180, "180 天"), (365, "1 年")])

    def set_users(self, users):
        self.user_id.choices = [(u.id, f"{u.display_name}（{u.username} · {u.role.label} · {u.scope_label}）")
                                for u in users]
