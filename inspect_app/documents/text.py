"""The text rule inside the document writers: whatever is in the database, an export opens.

python-docx (lxml) and openpyxl refuse the characters XML 1.0 cannot hold — C0 controls such as the
vertical tab Word leaves in pasted text — and raised mid-export: the province's weekly report
answered 500 because one county's unit name held U+000B (issue 11, point 1). Forms now clean text
at the boundary (`inspect_app.text`), but rows written before that, or by a script, are still
there; so every DOCX and XLSX writer passes its text through `printable` too.
"""
from __future__ import annotations

import re
from typing import Any

from inspect_app.text import clean_text

# What XML 1.0 forbids besides the C0 controls clean_text drops: NUL, lone surrogates, U+FFFE/U+FFFF.
_NOT_XML = re.compile("[\x00\ud800-\udfff\ufffe\uffff]")


def printable(value: Any, multiline: bool = True) -> Any:
    """`value` cleaned for a document: the text rule, then anything XML cannot carry removed.

    Non-strings (numbers, dates, None) are returned unchanged. Newlines and tabs are kept unless
    `multiline` is False (sheet titles, document properties). Never raises.
    """
    if not isinstance(value, str):
        return value
    return _NOT_XML.sub("", clean_text(value, multiline=multiline))
