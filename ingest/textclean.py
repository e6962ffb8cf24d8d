"""Text normalisation shared by the loaders: Unicode NFKC, control characters, line-to-paragraph."""

from __future__ import annotations

import re
import unicodedata
from collections import Counter

from ingest.records import Block

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u200b\ufeff\ufffe]")
_SPACES = re.compile(r"[ \t\u00a0\u2000-\u200a\u3000]+")
_BULLET = re.compile(r"^\s*([•●▪◦■□➢►\-–—*]|\(?\d{1,2}[.)]|\(?[a-z][.)]|[ivx]{1,4}[.)])\s+")
_NUMBERED_HEADING = re.compile(r"^(\d+(\.\d+){0,3}\.?|[A-Z]\.|[IVX]{1,5}\.)\s+\S")
_PAGE_NUMBER = re.compile(r"^\s*(page\s+)?\d{1,4}(\s*(/|of)\s*\d{1,4})?\s*$", re.IGNORECASE)


_ARABIC_PRESENTATION = re.compile("[\ufb50-\ufdff\ufe70-\ufeff]")
# NFKC maps some presentation-form glyphs to the Persian letters; in Arabic text they are these.
_ARABIC_FROM_PERSIAN = str.maketrans({"\u06cc": "\u064a", "\u06be": "\u0647", "\u06a9": "\u0643"})


def normalize_text(text: str) -> str:
    """NFKC (folds Arabic presentation forms, ligatures like "ﬁ", full-width forms), drop controls."""
    presentation = bool(_ARABIC_PRESENTATION.search(text))
    text = unicodedata.normalize("NFKC", text)
    if presentation:
        text = text.translate(_ARABIC_FROM_PERSIAN)
    text = _CONTROL.sub("", text)
    return _SPACES.sub(" ", text)


_LINE_BREAKING = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]+")


def fold(value: str) -> str:
    """The one rule by which two names are the same value, whatever the store: NFKC, case folding ("CÔTE
    D'IVOIRE" = "Côte d'Ivoire", "STRASSE" = "straße"), runs of white space as one space. Filter values
    (index/filters.py) and source aliases (ingest/source_aliases.py) both compare by it."""
    return " ".join(unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", value).casefold()).split())


def one_line(text: str) -> str:
    """A metadata value or a reason as one line of text: control, line-separator and bidirectional-override
    characters become spaces (a file named "a\\nb" never puts a line break in a title, a CLI line or an export)."""
    return " ".join(_LINE_BREAKING.sub(" ", text).split())


def join_lines(lines: list[str]) -> str:
    """Join wrapped lines into one paragraph, mending words hyphenated at a line end."""
    out = ""
    for line in lines:
        line = line.strip()
        if not line:
            continue
        if out.endswith("-") and len(out) > 1 and out[-2].isalpha() and line[:1].islower():
            out = out[:-1] + line
        elif out:
            out += " " + line
        else:
            out = line
    return out


def _looks_like_heading(line: str, typical: float) -> bool:
    words = line.split()
    if not words or len(words) > 14 or len(line) > 120 or line.endswith((".", ",", ";", ":")) and not (
        _NUMBERED_HEADING.match(line) and len(words) <= 8
    ):
        return False
    letters = [c for c in line if c.isalpha()]
    if len(letters) < 3:
        return False
    if _NUMBERED_HEADING.match(line) and words[1][:1].isupper() and len(line) < 0.7 * typical:
        return True
    upper = sum(c.isupper() for c in letters) / len(letters)
    if upper > 0.8 and len(letters) >= 4 and len(line) < 0.9 * typical:
        return True
    named = [w for w in words if len(w) > 3 and w[:1].isalpha()]  # a year or a number is neither ("Trends for 2024")
    capitalised = sum(w[:1].isupper() for w in named)
    long_words = len(named) or 1
    return capitalised / long_words >= 0.8 and len(line) < 0.7 * typical


def lines_to_blocks(lines: list[str], page: int | None) -> list[Block]:
    """Group the lines of one page of extracted text into heading and paragraph blocks."""
    lines = [normalize_text(ln).strip() for ln in lines]
    nonempty = [ln for ln in lines if ln]
    if not nonempty:
        return []
    words_per_line = sorted(len(ln.split()) for ln in nonempty)
    if len(nonempty) >= 20 and words_per_line[len(nonempty) // 2] <= 1:
        return _token_stream_blocks(nonempty, page)
    lengths = sorted(len(ln) for ln in nonempty)
    typical = float(lengths[int(len(lengths) * 0.8)]) or 1.0
    blocks: list[Block] = []
    current: list[str] = []

    def flush() -> None:
        if current:
            text = join_lines(current)
            if text:
                blocks.append(Block("paragraph", text, page))
            current.clear()

    for i, line in enumerate(lines):
        if not line:
            flush()
            continue
        prev = current[-1] if current else ""
        at_break = not current or (prev.endswith((".", "!", "?", ":", ";")) and len(prev) < 0.85 * typical)
        nxt = next((ln for ln in lines[i + 1:] if ln), "")
        # a short heading-like line after a finished sentence is a heading even when that sentence filled its
        # line (a PDF in large type for headings whose paragraph ended at the margin)
        after_sentence = bool(current) and prev.endswith((".", "!", "?")) and len(line) < 0.6 * typical
        # "Global alliances": a heading in sentence case, a few words standing alone before a new sentence
        sentence_case = after_sentence and len(line.split()) <= 6 and line[:1].isupper() and nxt[:1].isupper() \
            and len(line) < 0.5 * typical and not line.endswith((".", ",", ";", ":", "!", "?"))
        if (at_break or after_sentence) and nxt and (_looks_like_heading(line, typical) or sentence_case):
            flush()
            blocks.append(Block("heading", line, page, level=1))
            continue
        if current and (at_break or _BULLET.match(line)):
            flush()
        current.append(line)
    flush()
    return blocks


def _token_stream_blocks(lines: list[str], page: int | None) -> list[Block]:
    """Some PDFs (often right-to-left or complex scripts) extract one word per line: rejoin them,
    starting a new paragraph at each bullet."""
    blocks: list[Block] = []
    current: list[str] = []
    for line in lines:
        if line in ("•", "●", "▪", "■", "◦") or _BULLET.match(line):
            if current:
                blocks.append(Block("paragraph", " ".join(current), page))
            current = [] if line in ("•", "●", "▪", "■", "◦") else [line]
        else:
            current.append(line)
    if current:
        blocks.append(Block("paragraph", " ".join(current), page))
    return blocks


def repeated_margin_lines(pages: list[list[str]]) -> set[str]:
    """Lines that recur at the top or bottom of most pages (running headers and footers)."""
    if len(pages) < 4:
        return set()
    counts: Counter[str] = Counter()
    for lines in pages:
        kept = [ln.strip() for ln in lines if ln.strip()]
        margin = set(kept[:2] + kept[-2:])
        counts.update(re.sub(r"\d+", "#", ln) for ln in margin)
    return {ln for ln, n in counts.items() if n >= max(3, 0.5 * len(pages)) and len(ln) < 120}


def strip_margins(lines: list[str], repeated: set[str]) -> list[str]:
    """Drop page numbers and running headers/footers from the first and last lines of a page."""
    idx = [i for i, ln in enumerate(lines) if ln.strip()]
    edge = set(idx[:2] + idx[-2:])
    out = []
    for i, ln in enumerate(lines):
        s = ln.strip()
        if i in edge and (_PAGE_NUMBER.match(s) or re.sub(r"\d+", "#", s) in repeated):
            continue
        out.append(ln)
    return out
