"""Forms of the re-check rounds: drawing a round, recording one sampled item's result."""
from wtforms import HiddenField, IntegerField, MultipleFileField, RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from inspect_app.forms import BaseForm
from inspect_app.locking import VersionField
from inspect_app.rechecks.models import RecheckResult
from inspect_app.rechecks.service import SEED_MAX

NOTE_MAX = 2000


class DrawForm(BaseForm):
    """抽取复核样本: the campaign's team, a name, a rate (%) or a count, and optionally the seed."""

    team_id = SelectField("核查组（及其核查任务）", coerce=int, validators=[DataRequired("请选择核查组")])
    name = StringField("轮次名称", validators=[DataRequired("请填写轮次名称"), Length(max=128)])
    mode = RadioField("抽取方式", choices=[("rate", "按比例"), ("count", "按数量")], default="rate")
    rate = StringField("抽查比例（%）", default="10", validators=[Optional(), Length(max=8)])
    count = IntegerField("抽查数量（项）", validators=[Optional(), NumberRange(min=1, max=10000, message="抽查数量应为 1 至 10000")])
    seed = IntegerField("随机种子（留空则自动生成）", validators=[
        Optional(), NumberRange(min=0, max=SEED_MAX, message=f"随机种子应为 0 到 {SEED_MAX} 之间的整数")])


class ResultForm(BaseForm):
    """One sampled item's re-check result, with photos taken on site; carries the sample's and the
    item's versions and the client's UUID (a resend records once)."""

    result = RadioField("复核结果", choices=[(r.value, r.label) for r in RecheckResult],
                        validators=[DataRequired("请选择复核结果")])
    note = TextAreaField("复核情况说明", validators=[Optional(), Length(max=NOTE_MAX)])
    photos = MultipleFileField("现场照片（可多张）")
    version = VersionField()
    item_version = VersionField()
    uuid = HiddenField()
