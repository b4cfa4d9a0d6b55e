"""Forms for the organisation tree; the same class serves full submits and inline edits."""
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import BooleanField, FloatField, SelectField, StringField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from inspect_app.forms import BaseForm
from inspect_app.locking import VersionField
from inspect_app.org.models import SitePositionSource, UnitCategory


def _strip(value):
    return value.strip() if isinstance(value, str) else value


class SiteForm(BaseForm):
    version = VersionField()
    name = StringField("点位名称", filters=[_strip],
                       validators=[DataRequired("请填写点位名称"), Length(max=128, message="点位名称不超过 128 字")])
    kind_id = SelectField("点位类型", coerce=int, validators=[DataRequired("请选择点位类型")])
    community_id = SelectField("所属医共体", coerce=int, validators=[Optional()])
    address = StringField("地址", filters=[_strip], validators=[Length(max=255, message="地址不超过 255 字")])
    # The site's position (WGS-84, as phone GPS), for the photo checks and the visit map (issue 15).
    latitude = FloatField("纬度（北纬，度）", validators=[Optional(), NumberRange(-90, 90, "纬度应在 -90 到 90 之间")],
                          render_kw={"inputmode": "decimal", "placeholder": "如 32.52062"})
    longitude = FloatField("经度（东经，度）", validators=[Optional(), NumberRange(-180, 180, "经度应在 -180 到 180 之间")],
                           render_kw={"inputmode": "decimal", "placeholder": "如 112.36015"})
    active = BooleanField("启用", default=True)

    def validate(self, extra_validators=None):
        """The field rules, and a position has both halves or none (Optional stops a field's own chain
        when it is empty, so the pair is checked here)."""
        ok = super().validate(extra_validators)
        if (self.latitude.data is None) != (self.longitude.data is None):
            empty = self.longitude if self.longitude.data is None else self.latitude
            empty.errors = [*empty.errors, "纬度和经度须同时填写，或同时留空"]
            ok = False
        return ok

    def set_choices(self, kinds, communities):
        self.kind_id.choices = [(0, "请选择…")] + [(k.id, k.name) for k in kinds]
        self.community_id.choices = [(0, "（不属于特定医共体）")] + [(c.id, c.name) for c in communities]

    def values(self) -> dict:
        placed = self.latitude.data is not None and self.longitude.data is not None
        return {"name": self.name.data, "kind_id": self.kind_id.data,
                "community_id": self.community_id.data or None,
                "address": self.address.data or "", "active": bool(self.active.data),
                # A position saved with the form is the editor's (人工录入), also when it was first
                # taken from a visit's photos and is kept unchanged: the editor has confirmed it.
                "latitude": self.latitude.data if placed else None,
                "longitude": self.longitude.data if placed else None,
                "position_source": SitePositionSource.MANUAL if placed else None}


class UnitForm(BaseForm):
    version = VersionField()
    name = StringField("单位名称", filters=[_strip],
                       validators=[DataRequired("请填写单位名称"), Length(max=128, message="单位名称不超过 128 字")])
    category = SelectField("类别", choices=[(c.value, c.label) for c in UnitCategory],
                           validators=[DataRequired("请选择类别")])
    active = BooleanField("启用", default=True)

    def set_choices(self, *_):
        return None

    def values(self) -> dict:
        return {"name": self.name.data, "category": UnitCategory(self.category.data),
                "active": bool(self.active.data)}


class CommunityForm(BaseForm):
    version = VersionField()
    name = StringField("医共体名称", filters=[_strip],
                       validators=[DataRequired("请填写医共体名称"), Length(max=128, message="名称不超过 128 字")])
    lead_hospital = StringField("牵头医院", filters=[_strip],
                                validators=[DataRequired("请填写牵头医院"), Length(max=128, message="名称不超过 128 字")])

    def set_choices(self, *_):
        return None

    def values(self) -> dict:
        return {"name": self.name.data, "lead_hospital": self.lead_hospital.data}


FORMS = {"sites": SiteForm, "units": UnitForm, "communities": CommunityForm}


class ImportForm(BaseForm):
    file = FileField("Excel 文件（.xlsx）", validators=[FileRequired("请选择要导入的 Excel 文件"),
                                                   FileAllowed(["xlsx"], "只能导入 .xlsx 格式的 Excel 文件")],
                     id="org-file")  # its own id: htmx keeps a chosen file by id (hx-preserve) across swaps


class SiteKindForm(BaseForm):
    code = StringField("代码", filters=[_strip], validators=[DataRequired("请填写代码"), Length(max=32)])
    name = StringField("名称", filters=[_strip], validators=[DataRequired("请填写名称"), Length(max=64)])
    group = SelectField("分组", choices=[("office", "一办六部"), ("center", "六大远程中心"),
                                       ("institution", "医疗卫生机构"), ("government", "政府部门")])
