"""The text rule, checked on every form class of the package (issue 11, points 1, 3, 4, 17).

Walks the forms modules, so a form or text field added later is checked without editing this file:
each text field declares a maximum length no longer than its column, and each of the hostile texts is
cleaned, or refused with a Chinese message while the typed text stays in the field.
"""
import importlib
import pkgutil
import re

import pytest
import sqlalchemy as sa
from werkzeug.datastructures import MultiDict
from wtforms import Form, HiddenField, PasswordField, TextAreaField
from wtforms.fields.core import UnboundField
from wtforms.validators import Length

import inspect_app
from inspect_app.api.models import ApiToken
from inspect_app.auth.models import User
from inspect_app.campaigns.models import Campaign, Team
from inspect_app.checklists.models import ChecklistItem, ChecklistTemplate, ChecklistVersion
from inspect_app.forms import MESSAGES, BaseForm, TextRule, is_text_field
from inspect_app.org.models import MedicalCommunity, ResponsibleUnit, Site, SiteKind
from inspect_app.rectification.models import Milestone, RectificationItem
from inspect_app.text import NUL_MESSAGE, clean_text
from inspect_app.visits.models import Answer, Finding

CONTROLS = "前\x0b中\x1b后\x85完"
NUL = "名称\x00后缀"
LONG = "字" * 100_000
BIDI = "报告\u202egpj.exe"
EMOJI = "卫生院🏥👍"
PAYLOADS = {"controls": CONTROLS, "nul": NUL, "long": LONG, "bidi": BIDI, "emoji": EMOJI}


def form_classes() -> list[type]:
    """Every form class defined in an `inspect_app.<area>.forms` module."""
    found = []
    for module_info in pkgutil.iter_modules(inspect_app.__path__):
        try:
            module = importlib.import_module(f"inspect_app.{module_info.name}.forms")
        except ModuleNotFoundError:
            continue
        found += [obj for obj in vars(module).values() if isinstance(obj, type) and issubclass(obj, Form)
                  and obj.__module__ == module.__name__]
    return sorted(found, key=lambda c: f"{c.__module__}.{c.__name__}")


def text_fields(form_class) -> list[tuple[str, UnboundField]]:
    """(name, unbound field) of the free-text fields; hidden fields carry ids checked by format."""
    return [(name, value) for name in dir(form_class) if isinstance(value := getattr(form_class, name), UnboundField)
            and is_text_field(value.field_class) and not issubclass(value.field_class, HiddenField)]


def max_length(unbound: UnboundField) -> int | None:
    lengths = [v.max for v in unbound.kwargs.get("validators", ()) if isinstance(v, Length) and v.max > 0]
    return min(lengths) if lengths else None


FORMS = form_classes()
TEXT_FIELDS = [(cls, name, unbound) for cls in FORMS for name, unbound in text_fields(cls)]


def test_the_walk_finds_the_forms():
    names = {c.__name__ for c in FORMS}
    assert {"LoginForm", "UserForm", "SiteForm", "UnitForm", "ItemForm", "CommentForm", "AnswerForm",
            "MilestoneForm", "FilterForm"} <= names
    assert len(TEXT_FIELDS) >= 40


@pytest.mark.parametrize("form_class", FORMS, ids=lambda c: f"{c.__module__.split('.')[1]}.{c.__name__}")
def test_every_form_follows_the_text_rule(form_class):
    assert issubclass(form_class, TextRule), "inherit inspect_app.forms.BaseForm (or mix in TextRule)"


@pytest.mark.parametrize(("form_class", "name", "unbound"), TEXT_FIELDS,
                         ids=[f"{c.__name__}.{n}" for c, n, _ in TEXT_FIELDS])
def test_every_text_field_declares_a_maximum_length(form_class, name, unbound):
    assert max_length(unbound), f"{form_class.__name__}.{name}: add Length(max=…) matching its column"


# form → the model it writes, field → column where the names differ
STORED_IN = [
    ("org.forms.SiteForm", Site, {}), ("org.forms.UnitForm", ResponsibleUnit, {}),
    ("org.forms.CommunityForm", MedicalCommunity, {}), ("org.forms.SiteKindForm", SiteKind, {}),
    ("users.forms.UserForm", User, {}), ("auth.forms.LoginForm", User, {}),
    ("api.forms.TokenForm", ApiToken, {}),
    ("campaigns.forms.CampaignForm", Campaign, {}), ("campaigns.forms.TeamForm", Team, {}),
    ("checklists.forms.ItemForm", ChecklistItem, {}), ("checklists.forms.LabelForm", ChecklistVersion, {}),
    ("checklists.forms.ImportForm", ChecklistVersion, {"name": ChecklistTemplate.name}),
    ("visits.forms.FindingForm", Finding, {}), ("visits.forms.AnswerForm", Answer, {}),
    ("problem_lists.forms.FindingForm", Finding, {}), ("problem_lists.forms.MergeForm", Finding, {}),
    ("rectification.forms.AssignForm", RectificationItem, {"person": RectificationItem.responsible_person}),
    ("rectification.forms.BulkAssignForm", RectificationItem, {"person": RectificationItem.responsible_person}),
    ("rectification.forms.MilestoneForm", Milestone, {}),
]


def _form(dotted):
    module, name = dotted.rsplit(".", 1)
    return getattr(importlib.import_module(f"inspect_app.{module}"), name)


@pytest.mark.parametrize(("dotted", "model", "columns"), STORED_IN, ids=[d for d, _, _ in STORED_IN])
def test_form_limits_fit_the_columns(dotted, model, columns):
    """A value the form accepts always fits its column (a 65-character 责任人 was a 500 on PostgreSQL)."""
    compared = 0
    for name, unbound in text_fields(_form(dotted)):
        column = columns.get(name) or getattr(model, name, None)
        if column is None or not hasattr(column, "type"):
            continue
        length = getattr(column.type, "length", None)
        if isinstance(column.type, sa.String) and length:
            assert max_length(unbound) <= length, f"{dotted}.{name}: form allows {max_length(unbound)}, column {length}"
            compared += 1
    assert compared or dotted.endswith(("MergeForm", "AnswerForm", "MilestoneForm")), dotted


def _bound(app, form_class, name, value):
    form = form_class(formdata=MultiDict({name: value}), meta={"csrf": False})
    field = form[name]
    return form, field, field.validate(form)


@pytest.mark.parametrize(("form_class", "name", "unbound"), TEXT_FIELDS,
                         ids=[f"{c.__name__}.{n}" for c, n, _ in TEXT_FIELDS])
def test_hostile_texts_in_every_field(app, form_class, name, unbound):
    """Each of the five hostile texts: cleaned, or refused in Chinese with the typed text kept."""
    password = issubclass(unbound.field_class, PasswordField)
    with app.test_request_context(method="POST"):
        _form_, field, ok = _bound(app, form_class, name, NUL)
        assert not ok and NUL_MESSAGE in field.errors
        assert "名称" in field.data and "后缀" in field.data        # the typed text stays

        _form_, field, ok = _bound(app, form_class, name, LONG)
        assert not ok and len(field.data) == len(LONG)
        assert all(re.search(r"[\u4e00-\u9fff]", e) for e in field.errors), field.errors

        for key in ("controls", "bidi", "emoji"):
            _form_, field, ok = _bound(app, form_class, name, PAYLOADS[key])
            assert all(re.search(r"[\u4e00-\u9fff]", e) for e in field.errors), (key, field.errors)
            if password:
                continue
            data = field.data or ""
            assert not re.search("[\x0b\x1b\x85\u202e]", data), (key, data)
            if key == "emoji" and ok:
                assert "🏥👍" in data


def test_clean_text_keeps_lines_only_where_the_field_is_multi_line():
    assert clean_text("甲\r\n乙\t丙\x0b丁", multiline=True) == "甲\n乙\t丙丁"
    assert clean_text("甲\r\n乙\t丙\x0b丁") == "甲 乙 丙丁"
    assert clean_text("e\u0301") == "\u00e9"            # NFC
    assert clean_text("a\x00b") == "a\x00b"             # NUL is refused, not silently dropped
    assert clean_text(None) is None


def test_the_text_areas_keep_their_lines(app):
    from inspect_app.rectification.forms import CommentForm
    with app.test_request_context(method="POST"):
        form = CommentForm(formdata=MultiDict({"text": "第一行\r\n第二行\x0b"}), meta={"csrf": False})
        assert form.text.data == "第一行\n第二行"
        assert issubclass(form.text.__class__, TextAreaField)


def test_wtforms_defaults_answer_in_chinese(app):
    """Not a valid choice / This field is required / Not a valid date value, in Chinese (point 17)."""
    from inspect_app.rectification.forms import ReopenForm
    from inspect_app.users.forms import UserForm
    with app.test_request_context(method="POST"):
        form = ReopenForm(formdata=MultiDict({"reason": "x", "new_date": "2022-13-45"}), meta={"csrf": False})
        assert not form.validate()
        assert form.new_date.errors == [MESSAGES["Not a valid date value."]]
        form = UserForm(formdata=MultiDict({"role": "nonsense"}), meta={"csrf": False})
        form.role.choices = [("", "请选择角色"), ("inspector", "核查员")]
        form.unit_id.choices = []
        form.validate()
        for errors in form.errors.values():
            assert all(re.search(r"[\u4e00-\u9fff]", e) for e in errors), errors


def test_base_form_is_a_flask_form():
    from flask_wtf import FlaskForm
    assert issubclass(BaseForm, FlaskForm)
