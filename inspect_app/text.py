"""The one text rule applied at every boundary (forms, imports, the API, documents).

Text arrives pasted from Word, WeChat and old spreadsheets: vertical tabs (U+000B), escape
characters, NEL (U+0085), right-to-left overrides and decomposed accents. None of it means anything
in this app, and some of it breaks things downstream: PostgreSQL refuses NUL in text, python-docx and
openpyxl refuse C0 controls (the exports answered 500), and a bidi override makes a text read
differently from what it is (issue 11, points 1 and 3). So every text is:

- normalised to NFC (one spelling of the same characters, so search and uniqueness work);
- stripped of C0/C1 control characters, except newline and tab in multi-line fields (a CR LF or a lone
  CR becomes one newline, so a text reads the same on every platform);
- stripped of the bidirectional embedding/override/isolate controls (U+202A–U+202E, U+2066–U+2069),
  which Chinese text never needs and which can disguise what is shown;
- NUL (U+0000) is *kept* by `clean_text`, so the boundary can refuse it with a message instead of
  silently changing what was typed (`NUL_MESSAGE`, 422 on forms, 400 in query strings).
"""
from __future__ import annotations

import re
import unicodedata

NUL = "\x00"
NUL_MESSAGE = "内容含有无法保存的空字符（NUL），请删除后重试"
"""The refusal shown for a text containing U+0000 (forms: next to the field; elsewhere: 400)."""

_BIDI_CONTROLS = "\u202a-\u202e\u2066-\u2069"
# C0 except NUL, tab and newline; DEL; C1; the bidi controls.
_DROP = re.compile(f"[\x01-\x08\x0b-\x1f\x7f-\x9f{_BIDI_CONTROLS}]")
_NEWLINES = re.compile(r"\r\n?")
_LINE_BREAKS = re.compile(r"[\t\n]+")


def clean_text(value, multiline: bool = False):
    """Apply the text rule to one value; anything that is not a `str` is returned unchanged.

    `multiline` (a TextAreaField, a 核查要点 cell) keeps newlines and tabs; a single-line value
    turns each run of them into one space (a name pasted from a table cell keeps its words apart).
    NUL is left in place for `has_nul` to refuse. Never raises.
    """
    if not isinstance(value, str):
        return value
    text = unicodedata.normalize("NFC", _NEWLINES.sub("\n", value))
    if not multiline:
        text = _LINE_BREAKS.sub(" ", text)
    return _DROP.sub("", text)


def has_nul(value) -> bool:
    """True when `value` is a string containing U+0000 (which PostgreSQL cannot store)."""
    return isinstance(value, str) and NUL in value
