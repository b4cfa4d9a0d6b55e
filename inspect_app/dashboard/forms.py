"""The dashboard's filter and report forms (GET forms: they change nothing, so no CSRF token)."""
from datetime import date

from wtforms import Form, SelectField, StringField
from wtforms.validators import Length, Optional, Regexp

from inspect_app.dashboard import service
from inspect_app.forms import TextRule
from inspect_app.rectification import date_rules

ALL = "all"


class FilterForm(TextRule, Form):
    """Campaign and issue-date range of the figures."""

    campaign = SelectField("核查任务", validators=[Optional()])
    date_from = StringField("下发日期自", validators=[Optional(), Length(max=10), Regexp(r"^\d{4}-\d{2}-\d{2}$")])
    date_to = StringField("至", validators=[Optional(), Length(max=10), Regexp(r"^\d{4}-\d{2}-\d{2}$")])

    def set_campaigns(self, campaigns):
        _campaign_choices(self.campaign, campaigns)

    def campaign_id(self) -> int | None:
        return None if self.campaign.data in (None, "", ALL) else int(self.campaign.data)

    def dates(self) -> tuple[date | None, date | None]:
        return _date(self.date_from.data), _date(self.date_to.data)

    def args(self) -> dict:
        """The query arguments to carry along every drill-down link."""
        out = {"campaign": self.campaign.data}
        if _date(self.date_from.data):
            out["from"] = self.date_from.data
        if _date(self.date_to.data):
            out["to"] = self.date_to.data
        return out


def _campaign_choices(field: SelectField, campaigns) -> None:
    """The campaigns the user may pick, then 全部; an unknown or missing choice falls back to the newest."""
    field.choices = [(str(c.id), c.name) for c in campaigns] + [(ALL, "全部核查任务")]
    if field.data not in {v for v, _ in field.choices}:
        field.data = str(campaigns[0].id) if campaigns else ALL


def filter_form(args, campaigns) -> FilterForm:
    form = FilterForm(data={"campaign": args.get("campaign", ""), "date_from": args.get("from", ""),
                            "date_to": args.get("to", "")})
    form.set_campaigns(campaigns)
    return form


def _date(value) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


class ReportForm(TextRule, Form):
    """周报 / 月报: the kind and a day inside the wanted week or month."""

    kind = SelectField("报告类型", choices=[("week", "周报"), ("month", "月报")], default="week")
    day = StringField("报告期内任一日期", validators=[Optional(), Length(max=10), Regexp(r"^\d{4}-\d{2}-\d{2}$")])
    campaign = SelectField("核查任务", validators=[Optional()])

    def day_or_today(self) -> date:
        """The day typed (a Beijing date inside the wanted period), else today in Beijing."""
        return _date(self.day.data) or date_rules.today(service.now())


def report_form(args, campaigns) -> ReportForm:
    form = ReportForm(data={"kind": args.get("kind", "week"), "day": args.get("day", ""),
                            "campaign": args.get("campaign", "")})
    if form.kind.data not in ("week", "month"):
        form.kind.data = "week"
    _campaign_choices(form.campaign, campaigns)
    return form
