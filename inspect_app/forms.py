"""The base of every form: the text rule (`inspect_app.text`) and Chinese messages, declared once.

Each form class inherits `BaseForm` (a FlaskForm) — or mixes in `TextRule` for the GET forms built
on plain `wtforms.Form` — and so every text field it declares:
- is cleaned by `clean_text` before its own filters run (TextAreaField multi-line, the rest single);
- refuses NUL with `NUL_MESSAGE` (validate() is False; the typed text stays in the field);
- must declare `Length(max=…)` — `tests/security/test_text_rule.py` walks every form class and
  compares the limit with the column it is stored in.
Password fields are not cleaned (a password is compared byte for byte) but still refuse NUL.
WTForms' built-in English messages ("This field is required.", "Not a valid choice.", "Not a valid
date value.") are answered in Chinese through the form's translations (issue 11, point 17).
"""
from __future__ import annotations

from functools import partial

from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField, TextAreaField
from wtforms.i18n import get_translations
from wtforms.validators import ValidationError

from inspect_app.text import NUL_MESSAGE, clean_text, has_nul

# Our wording first; anything else falls back to WTForms' own zh catalogue.
MESSAGES = {
    "This field is required.": "请填写此项",
    "Not a valid choice.": "所选项无效，请重新选择",
    "Not a valid choice": "所选项无效，请重新选择",
    "Invalid Choice: could not coerce.": "所选项无效，请重新选择",
    "Invalid choice(s): one or more data inputs could not be coerced.": "所选项无效，请重新选择",
    "Not a valid date value.": "日期无效，请按 2022-07-09 的格式填写",
    "Not a valid datetime value.": "时间无效，请重新填写",
    "Not a valid integer value.": "请填写整数",
    "Not a valid decimal value.": "请填写数字",
    "Not a valid float value.": "请填写数字",
    "Invalid input.": "输入内容无效",
    "Field must be at most %(max)d character long.": "不超过 %(max)d 字",
    "Field must be at most %(max)d characters long.": "不超过 %(max)d 字",
    "Field must be at least %(min)d character long.": "至少 %(min)d 个字",
    "Field must be at least %(min)d characters long.": "至少 %(min)d 个字",
    "Field must be between %(min)d and %(max)d characters long.": "应为 %(min)d–%(max)d 个字",
}


class ChineseTranslations:
    """The `gettext`/`ngettext` pair WTForms asks for its default messages."""

    def __init__(self):
        self._zh = get_translations(["zh"])

    def gettext(self, string):
        return MESSAGES.get(string) or self._zh.gettext(string)

    def ngettext(self, singular, plural, n):
        chosen = singular if n == 1 else plural
        return MESSAGES.get(chosen) or MESSAGES.get(singular) or self._zh.ngettext(singular, plural, n)


TRANSLATIONS = ChineseTranslations()


def is_text_field(field_class) -> bool:
    """Fields that carry free text: StringField and its kinds (TextArea, Password, Search, …)."""
    return isinstance(field_class, type) and issubclass(field_class, StringField)


def _no_nul(_form, field):
    if has_nul(field.data):
        raise ValidationError(NUL_MESSAGE)


class TextRule:
    """Mixin for any WTForms form class: clean text fields, refuse NUL, answer in Chinese."""

    class Meta:
        def bind_field(self, form, unbound_field, options):
            field_class = unbound_field.field_class
            if is_text_field(field_class):
                # StringField(label, validators, filters, …): positional ones become keywords first.
                args = list(unbound_field.args)
                declared = dict(zip(("label", "validators", "filters"), args[:3]), **unbound_field.kwargs)
                unbound_field = field_class(*args[3:], **declared) if args else unbound_field
                kwargs = {}
                if not issubclass(field_class, PasswordField):
                    multiline = issubclass(field_class, TextAreaField)
                    kwargs["filters"] = [partial(clean_text, multiline=multiline),
                                         *unbound_field.kwargs.get("filters", ())]
                # First: a NUL is refused before any other check looks at the text.
                kwargs["validators"] = [_no_nul, *unbound_field.kwargs.get("validators", ())]
                unbound_field = unbound_field.field_class(*unbound_field.args,
                                                          **{**unbound_field.kwargs, **kwargs})
            return super().bind_field(form, unbound_field, options)

        def get_translations(self, form):
            return TRANSLATIONS


class BaseForm(TextRule, FlaskForm):
    """The FlaskForm every POST form in the app inherits (CSRF + the text rule)."""
