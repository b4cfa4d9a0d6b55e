"""Where Chinese text may break between lines: word boundaries from jieba (a well-kept segmenter,
MIT licence, pure Python, its dictionary shipped in the wheel).

GB/T 9704-2012 §7.3.1 asks that a title broken over lines keep every word whole (回行时要做到词意完整).
A renderer breaks CJK text after any character, so the document writers break titles themselves at
the boundaries this module finds.  The domain's own words (紧密型, 医共体 …; README.md, "Word documents")
are added so they are never cut either.
"""
from __future__ import annotations

import logging
import threading
import unicodedata

import jieba

# Words of the domain that jieba's general dictionary splits or does not know.
DOMAIN_WORDS = (
    "紧密型", "医共体", "县域医共体", "一办六部", "六大中心", "远程中心", "核查组", "核查点位",
    "问题清单", "整改台账", "责任单位", "卫生院", "卫生室", "讨论稿", "记录表", "周报", "月报", "通报",
)

# Punctuation that may not begin a line (it stays with the word before) and that may not end one
# (it stays with the word after), as in GB/T 15834 typesetting practice.
_NO_LINE_START = set("，。、；：？！）》」』”’…—·")
_NO_LINE_END = set("（《「『“‘")
_COUNTERS = set("年月日号时分秒个项条次名家所份周期")

_lock = threading.Lock()
_tokenizer: jieba.Tokenizer | None = None


def _segmenter() -> jieba.Tokenizer:
    """One private tokenizer (jieba's global one is shared with anything else that imports it)."""
    global _tokenizer
    with _lock:
        if _tokenizer is None:
            jieba.setLogLevel(logging.WARNING)
            tokenizer = jieba.Tokenizer()
            for word in DOMAIN_WORDS:
                tokenizer.add_word(word, freq=100000)
            _tokenizer = tokenizer
        return _tokenizer


def words(text: str) -> list[str]:
    """`text` cut into words, punctuation glued to its neighbour so that no piece starts with a
    closing mark or ends with an opening one.  ``"".join(words(t)) == t`` always."""
    pieces: list[str] = []
    pending_open = ""
    for token in _segmenter().lcut(text, HMM=True):
        if pieces and not pending_open and token and all(ch in _NO_LINE_START for ch in token):
            pieces[-1] += token
            continue
        if pieces and not pending_open and pieces[-1][-1:].isdigit() and token[:1] in _COUNTERS:
            pieces[-1] += token           # 2022年, 7月, 3个: a number stays with its unit
            continue
        if token and all(ch in _NO_LINE_END for ch in token):
            pending_open += token
            continue
        pieces.append(pending_open + token)
        pending_open = ""
    if pending_open:
        if pieces:
            pieces[-1] += pending_open
        else:
            pieces.append(pending_open)
    return pieces


def boundaries(text: str) -> set[int]:
    """Character offsets where a line may break in `text` (0 and len(text) included)."""
    out, pos = {0}, 0
    for word in words(text):
        pos += len(word)
        out.add(pos)
    return out


def display_width(text: str) -> float:
    """Width in full-width characters: CJK and full-width forms 1, everything else ½."""
    return sum(1.0 if unicodedata.east_asian_width(ch) in ("W", "F") else 0.5 for ch in text)


def balanced_lines(text: str, max_width: float) -> list[str]:
    """`text` broken at word boundaries into the fewest lines of at most `max_width` characters,
    as even as possible with the longer lines first (the 正梯形 a 公文 title takes).

    A single word wider than a line (never seen in titles) is cut by characters as a last resort.
    """
    text = text.strip()
    if not text:
        return [""]
    pieces: list[str] = []
    for word in words(text):
        while display_width(word) > max_width:
            cut = 1
            while display_width(word[: cut + 1]) <= max_width:
                cut += 1
            pieces.append(word[:cut])
            word = word[cut:]
        pieces.append(word)
    n = len(pieces)
    widths = [display_width(p) for p in pieces]
    prefix = [0.0]
    for w in widths:
        prefix.append(prefix[-1] + w)

    # best[i] = ((lines, widest line, -first line), cut) for pieces[i:]: the fewest lines, then the
    # most even, then the longest first line (a trapezoid rather than an inverted one).
    best: list[tuple[tuple[int, float, float], int]] = [((0, 0.0, 0.0), n)] * (n + 1)
    for i in range(n - 1, -1, -1):
        options = []
        for j in range(i + 1, n + 1):
            width = prefix[j] - prefix[i]
            if width > max_width:
                break
            rest_lines, rest_widest, _ = best[j][0]
            options.append(((rest_lines + 1, max(width, rest_widest), -width), j))
        best[i] = min(options)
    lines, i = [], 0
    while i < n:
        j = best[i][1]
        lines.append("".join(pieces[i:j]))
        i = j
    return lines

