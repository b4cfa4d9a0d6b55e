"""Forms of campaigns and teams."""
from datetime import date

from wtforms import SelectField, StringField
from wtforms.validators import DataRequired, Length, ValidationError

from inspect_app.checklists.forms import CheckboxListField
from inspect_app.forms import BaseForm
from inspect_app.locking import VersionField


def _strip(value):
    return value.strip() if isinstance(value, str) else value


def _parse_date(text: str, label: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ValidationError(f"{label}“{text}”无效，请按 2022-07-09 的格式填写") from None


class CampaignForm(BaseForm):
    """Create or edit a campaign. Dates are plain text fields checked here, so that a bad date keeps
    what was typed and gets a Chinese message."""

    version = VersionField()

    name = StringField("任务名称", filters=[_strip],
                       validators=[DataRequired("请填写任务名称"), Length(max=128, message="任务名称不超过 128 字")])
    year = StringField("年度", filters=[_strip], validators=[DataRequired("请填写年度"), Length(max=16, message="年度应为四位数字，如 2022")],
                       render_kw={"inputmode": "numeric", "placeholder": "如 2022"})
    start_date = StringField("开始日期", filters=[_strip], validators=[DataRequired("请填写开始日期"), Length(max=32, message="开始日期无效，请按 2022-07-09 的格式填写")],
                             render_kw={"type": "date"})
    end_date = StringField("结束日期", filters=[_strip], validators=[DataRequired("请填写结束日期"), Length(max=32, message="结束日期无效，请按 2022-07-09 的格式填写")],
                           render_kw={"type": "date"})
    checklist_version_id = SelectField("核查表版本", coerce=int)
    # Default rectification periods from the day a list is issued (lifecycle.default_deadline).
    immediate_working_days = StringField("立行立改（工作日）", filters=[_strip], default="5",
                                         validators=[Length(max=8, message="立行立改（工作日）应为 1 至 60 之间的整数")],
                                         render_kw={"inputmode": "numeric"})
    deadline_working_days = StringField("限期整改（工作日）", filters=[_strip], default="30",
                                        validators=[Length(max=8, message="限期整改（工作日）应为 1 至 250 之间的整数")],
                                        render_kw={"inputmode": "numeric"})
    long_term_days = StringField("长期坚持（自然日）", filters=[_strip], default="180",
                                 validators=[Length(max=8, message="长期坚持（自然日）应为 1 至 1095 之间的整数")],
                                 render_kw={"inputmode": "numeric"})

    def _period(self, field, largest):
        if not (field.data or "").isdigit() or not 1 <= int(field.data) <= largest:
            raise ValidationError(f"{field.label.text}应为 1 至 {largest} 之间的整数")

    def validate_immediate_working_days(self, field):
        self._period(field, 60)

    def validate_deadline_working_days(self, field):
        self._period(field, 250)

    def validate_long_term_days(self, field):
        self._period(field, 1095)

    def set_choices(self, versions):
        self.checklist_version_id.choices = [(0, "请选择已发布的核查表版本…")] + [
            (v.id, f"{v.template.name} {v.label}") for v in versions]

    def validate_year(self, field):
        if not (field.data.isdigit() and 2000 <= int(field.data) <= 2100):
            raise ValidationError("年度应为四位数字，如 2022")

    def validate_start_date(self, field):
        _parse_date(field.data, "开始日期")

    def validate_end_date(self, field):
        end = _parse_date(field.data, "结束日期")
        try:
            start = date.fromisoformat(self.start_date.data or "")
        except ValueError:
            return
        if end < start:
            raise ValidationError("结束日期不能早于开始日期")

    def validate_checklist_version_id(self, field):
        if not field.data:
            raise ValidationError("请选择一个已发布的核查表版本")

    def values(self) -> dict:
        return {"name": self.name.data, "year": int(self.year.data),
                "start_date": date.fromisoformat(self.start_date.data),
                "end_date": date.fromisoformat(self.end_date.data),
                "checklist_version_id": self.checklist_version_id.data,
                "immediate_working_days": int(self.immediate_working_days.data),
                "deadline_working_days": int(self.deadline_working_days.data),
                "long_term_days": int(self.long_term_days.data)}

    @classmethod
    def for_campaign(cls, campaign, versions):
        form = cls(formdata=None, data={"version": campaign.version, "name": campaign.name, "year": str(campaign.year),
                         "start_date": campaign.start_date.isoformat(), "end_date": campaign.end_date.isoformat(),
                         "checklist_version_id": campaign.checklist_version_id or 0,
                         "immediate_working_days": str(campaign.immediate_working_days),
                         "deadline_working_days": str(campaign.deadline_working_days),
                         "long_term_days": str(campaign.long_term_days)})
        form.set_choices(versions)
        return form


class TeamForm(BaseForm):
    """Name, leader and members of a team (counties are edited on the team page with htmx)."""

    version = VersionField()

    name = StringField("核查组名称", filters=[_strip],
                       validators=[DataRequired("请填写核查组名称"), Length(max=64, message="名称不超过 64 字")])
    leader_id = SelectField("组长", coerce=int)
    member_ids = CheckboxListField("成员", coerce=int)

    def set_choices(self, leaders, candidates):
        self.leader_id.choices = [(0, "（暂不指定）")] + [(u.id, f"{u.display_name}（{u.username}）") for u in leaders]
        self.member_ids.choices = [(u.id, f"{u.display_name}（{u.username}）· {u.role.label}") for u in candidates]

    def values(self) -> dict:
        return {"name": self.name.data, "leader_id": self.leader_id.data or None,
                "member_ids": list(self.member_ids.data or [])}

    @classmethod
    def for_team(cls, team, leaders, candidates):
        form = cls(formdata=None, data={"version": team.version, "name": team.name, "leader_id": team.leader_id or 0,
                         "member_ids": [u.id for u in team.members]})
        form.set_choices(leaders, candidates)
        return form
