"""Forms of the checklists package; the same class serves full submits and inline edits."""
import math

from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import BooleanField, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from inspect_app.checklists.models import CheckMethod
from inspect_app.forms import BaseForm
from inspect_app.locking import VersionField


def _strip(value):
    return value.strip() if isinstance(value, str) else value


class CheckboxListField(SelectMultipleField):
    """A multiple choice drawn as a list of checkboxes (touch friendly, unlike <select multiple>)."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()

    def pre_validate(self, form):
        values = {str(value) for value, *_ in self.iter_choices()}
        for data in self.data or []:
            if str(data) not in values:
                raise ValidationError("所选项无效，请刷新页面后重试")


class ItemForm(BaseForm):
    """One checklist item (inline edit with the item's version, and the add form)."""

    version = VersionField()
    section_id = SelectField("章节", coerce=int)
    code = StringField("条目编号", filters=[_strip],
                       validators=[DataRequired("请填写条目编号"), Length(max=32, message="条目编号不超过 32 字")])
    content = TextAreaField("核查内容", filters=[_strip], validators=[
        DataRequired("请填写核查内容"), Length(max=2000, message="核查内容不超过 2000 字")])
    method = SelectField("核查方法", choices=[(m.value, m.label) for m in CheckMethod])
    site_kind_ids = CheckboxListField("适用点位类型", coerce=int)
    photo_required = BooleanField("需拍照")
    weight = StringField("分值", filters=[_strip], validators=[Length(max=16, message="分值不超过 16 个字符")])
    veto = BooleanField("一票否决")
    guidance = TextAreaField("核查要点", filters=[_strip],
                             validators=[Length(max=2000, message="核查要点不超过 2000 字")])

    def set_choices(self, sections, kinds):
        self.section_id.choices = [(s.id, f"{s.code} {s.title}") for s in sections]
        self.site_kind_ids.choices = [(k.id, k.name) for k in kinds]

    def validate_site_kind_ids(self, field):
        if not field.data:
            raise ValidationError("请至少选择一种适用点位类型")

    def validate_weight(self, field):
        if field.data:
            try:
                value = float(field.data)
            except ValueError:
                raise ValidationError(f"分值“{field.data}”不是有效的数字") from None
            if not math.isfinite(value) or value < 0:
                raise ValidationError("分值应为不小于 0 的数字")

    def values(self) -> dict:
        return {"section_id": self.section_id.data, "code": self.code.data, "content": self.content.data,
                "method": self.method.data, "site_kind_ids": list(self.site_kind_ids.data or []),
                "photo_required": bool(self.photo_required.data), "veto": bool(self.veto.data),
                "weight": float(self.weight.data) if self.weight.data else None,
                "guidance": self.guidance.data or ""}

    @classmethod
    def for_item(cls, item, sections, kinds):
        form = cls(formdata=None, data={"version": item.version, "section_id": item.section_id, "code": item.code,
                                        "content": item.content,
                         "method": item.method.value, "site_kind_ids": [k.id for k in item.site_kinds],
                         "photo_required": item.photo_required, "veto": item.veto, "guidance": item.guidance,
                         "weight": "" if item.weight is None else f"{item.weight:g}"})
        form.set_choices(sections, kinds)
        return form


class LabelForm(BaseForm):
    """The label of a new draft version (copy as new draft)."""

    label = StringField("新版本名称", filters=[_strip],
                        validators=[DataRequired("请填写版本名称，如 2023版"), Length(max=64, message="版本名称不超过 64 字")])


class ImportForm(BaseForm):
    """Upload a workbook to create a new draft version."""

    template_id = SelectField("导入到核查表", coerce=int)
    name = StringField("新核查表名称", filters=[_strip], validators=[Length(max=128, message="名称不超过 128 字")])
    label = StringField("版本名称", filters=[_strip],
                        validators=[DataRequired("请填写版本名称，如 2023版"), Length(max=64, message="版本名称不超过 64 字")])
    file = FileField("Excel 文件（.xlsx）", validators=[FileRequired("请选择要导入的 Excel 文件"),
                                                   FileAllowed(["xlsx"], "只能导入 .xlsx 格式的 Excel 文件")],
                     id="checklist-file")  # its own id: htmx keeps a chosen file by id (hx-preserve) across swaps

    def set_choices(self, templates):
        self.template_id.choices = [(t.id, t.name) for t in templates] + [(0, "＋ 新建核查表")]
