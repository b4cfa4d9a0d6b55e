"""Forms of campaigns and teams."""
from datetime import date

from wtforms import SelectField, StringField
from wtforms.validators import DataRequired, Length, ValidationError

from inspect_app.checklists.forms import CheckboxListField
from inspect_app.forms import BaseForm


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

    name = StringField("任务名称", filters=[_strip],
                       validators=[DataRequired("请填写任务名称"), Length(max=128, message="任务名称不超过 128 字")])
    year = StringField("年度", filters=[_strip], validators=[DataRequired("请填写年度"), Length(max=16, message="年度应为四位数字，如 2022")],
                       render_kw={"inputmode": "numeric", "placeholder": "如 2022"})
    start_date = StringField("开始日期", filters=[_strip], validators=[DataRequired("请填写开始日期"), Length(max=32, message="开始日期无效，请按 2022-07-09 的格式填写")],
                             render_kw={"type": "date"})
    end_date = StringField("结束日期", filters=[_strip], validators=[DataRequired("请填写结束日期"), Length(max=32, message="结束日期无效，请按 2022-07-09 的格式填写")],
                           render_kw={"type": "date"})
    checklist_version_id = SelectField("核查表版本", coerce=int)

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
                "checklist_version_id": self.checklist_version_id.data}

    @classmethod
    def for_campaign(cls, campaign, versions):
        form = cls(data={"name": campaign.name, "year": str(campaign.year),
                         "start_date": campaign.start_date.isoformat(), "end_date": campaign.end_date.isoformat(),
                         "checklist_version_id": campaign.checklist_version_id or 0})
        form.set_choices(versions)
        return form


class TeamForm(BaseForm):
    """Name, leader and members of a team (counties are edited on the team page with htmx)."""

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
        form = cls(data={"name": team.name, "leader_id": team.leader_id or 0,
                         "member_ids": [u.id for u in team.members]})
        form.set_choices(leaders, candidates)
        return form
