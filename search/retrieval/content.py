"""Is a passage content, or page furniture? Contents pages, dot leaders, bare headings, lists of names,
e-mail addresses or figures say nothing a delegate asked for; they stay searchable but never answer first
and are never quoted. `content_share` says how much of a passage reads as prose, from its shape alone (any
language: scripts without spaces are counted by characters).
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

_LEADER = re.compile(r"(?:\.\s?){4,}|…{2,}|(?:·\s?){4,}|_{4,}|-{5,}")
_TOC_LINE = re.compile(r"^\s*(?:[\dIVXivx]+(?:\.\d+)*\.?\s+)?\S.{1,90}?\s+\d{1,4}\s*$")
_ADDRESS = re.compile(r"\S+@\S+\.\w+|https?://\S+|www\.\S+")
_WORD = re.compile(r"[^\W\d_]+(?:['’-][^\W\d_]+)*")
_SENTENCE_END = re.compile(r"[.!?。！？؟।](?:\s|$|[\"'”’)\]])")
MIN_WORDS = 12  # fewer words than this: a heading, a caption or a line of a table, not an answer
MIN_CJK_CHARS = 30


def _cjk(text: str) -> int:
    return sum(1 for ch in text if "\u3040" <= ch <= "\u30ff" or "\u3400" <= ch <= "\u9fff" or "\uac00" <= ch <= "\ud7af")


@lru_cache(maxsize=8192)  # a passage's shape is read once: every question that meets it asks again
def content_share(text: str) -> float:
    """In [0, 1]: 1 for prose, towards 0 for contents lines, leaders, addresses, name lists, bare headings."""
    stripped = text.strip()
    if not stripped:
        return 0.0
    lines = [line for line in stripped.splitlines() if line.strip()]
    words = _WORD.findall(stripped)
    cjk = _cjk(stripped)
    size = len(words) + cjk / 2  # two CJK characters carry about a word
    share = 1.0
    if size < MIN_WORDS and cjk < MIN_CJK_CHARS:
        share *= (max(size, 1) / MIN_WORDS) ** 2
    leaders = len(_LEADER.findall(stripped))
    if leaders:
        share *= max(0.0, 1.0 - leaders / max(2.0, len(lines) / 2))
    toc = sum(1 for line in lines if _TOC_LINE.match(line) and not _SENTENCE_END.search(line))
    if toc >= 3 and toc / len(lines) > 0.3:
        share *= 1.0 - toc / len(lines)
    tokens = stripped.split()
    addresses = sum(len(m.group()) for m in _ADDRESS.finditer(stripped))
    if addresses:
        share *= max(0.0, 1.0 - 2.0 * addresses / len(stripped))
    letters = sum(1 for ch in stripped if ch.isalpha())
    digits = sum(1 for ch in stripped if ch.isdigit())
    if letters + digits and digits / (letters + digits) > 0.3:
        share *= max(0.0, 1.0 - (digits / (letters + digits) - 0.3) * 2.5)
    latin = [w for w in words if _is_cased(w)]
    if len(latin) >= 8 and not _SENTENCE_END.search(stripped):
        lower = sum(1 for w in latin if w[0].islower()) / len(latin)
        if lower < 0.35:  # Title Case all the way, no sentence: names, a list of organisations, a heading
            share *= lower / 0.35
    if len(tokens) >= 8 and len(lines) >= 4 and len(tokens) / len(lines) < 4 and not _SENTENCE_END.search(stripped):
        share *= 0.5  # one or two words a line and no sentence: a list
    return round(max(0.0, min(1.0, share)), 4)


def _is_cased(word: str) -> bool:
    return word[0].isupper() != word[0].islower() and unicodedata.category(word[0]).startswith("L")
