"""The structure of a document's text as the quality profile reads it (issue 23): which sentences may be
evidence, and under which heading or lead-in each one stands.

The text is the one ingest stores (blocks joined by a blank line: `ingest.chunking.join_blocks`), so a heading
of any format (a Markdown `#`, a DOCX heading style, a short line set apart in a PDF or a text file) is a
paragraph of its own. Headings, labels ("Meeting: …"), questions, the template's own questions and hints,
placeholders ("(member state or organisation)", "…") and submitter lines are never evidence; the sentences
below a heading are read with it, and list items with the line that introduces them ("The action plan
includes:").
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from ingest.chunking import split_sentences

MIN_WORDS = 4  # "Purpose" (a heading) is no evidence of an objective
MAX_WORDS = 80
_HEADING_WORDS = 12
_WORD = re.compile(r"[^\W_]+(?:[-'’][^\W_]+)*")
_PARAGRAPH = re.compile(r"\n[ \t]*\n")
_LIST_ITEM = re.compile(r"^\s*([•●▪◦■□➢►\-–—*]|\(?\d{1,2}[.)]|\(?[a-z][.)]|[ivx]{1,4}[.)])\s+")
_NUMBERING = re.compile(r"^\s*(\d+(\.\d+){0,3}\.?|[A-Z]\.|[IVX]{1,5}\.)\s+")
_LABEL = re.compile(r"^\s*([A-Z][\w’' /&-]{1,40}?)\s*:\s+(\S.*)$", re.DOTALL)
_PLACEHOLDER = re.compile(r"^[\s(\[…._\-]*$|^\s*[(\[][^)\]]*[)\]]\s*$")
_SUBMITTER = re.compile(r"\b(submitted by|contribution (from|by|of)|presented by|prepared by|source\s*:)",
                        re.IGNORECASE)
_CAPS_RUN = re.compile(r"^(?:[A-Z0-9][A-Z0-9&'’,:()\-]*\s+){3,}(?=[A-Z][a-z])")  # "TRAINING OF TRAINERS Information…"


@dataclass(frozen=True)
class Passage:
    """A sentence that may be evidence: its span in the text, the heading above it and the line that
    introduces it ("" when none)."""

    start: int
    end: int
    heading: str
    lead: str


def words_of(text: str) -> str:
    """Lower-cased words joined by one space: the form in which template text is compared."""
    return " ".join(_WORD.findall(text.lower()))


def _is_heading(paragraph: str) -> bool:
    """A paragraph of its own that is short and states nothing: no full stop at its end, not a list item."""
    line = paragraph.strip()
    if "\n" in line or _LIST_ITEM.match(line) and not _NUMBERING.match(line):
        return False
    words = line.split()
    return 0 < len(words) <= _HEADING_WORDS and not line.endswith((".", "!", ";", ",")) \
        and any(c.isalpha() for c in line)


def _is_question(sentence: str) -> bool:
    return sentence.rstrip(" *_)\"'”’").endswith("?")


def _is_boilerplate(sentence: str, template: Iterable[str]) -> bool:
    """The template's own words (a question, a hint, its introduction), or a sentence inside one of them."""
    flat = words_of(sentence)
    return bool(flat) and any(t in flat or flat in t for t in template)


def _paragraphs(text: str) -> Iterable[tuple[int, int]]:
    start = 0
    for match in _PARAGRAPH.finditer(text):
        yield start, match.start()
        start = match.end()
    yield start, len(text)


def read_passages(text: str, template: frozenset[str] = frozenset()) -> list[Passage]:
    """The sentences of `text` that may be evidence, each with its heading and lead-in. `template`: the
    template's sentences as `words_of` gives them (never evidence)."""
    out: list[Passage] = []
    heading = lead = ""
    after_lead = False
    for p_start, p_end in _paragraphs(text):
        paragraph = text[p_start:p_end]
        if not paragraph.strip():
            continue
        if _is_heading(paragraph):
            if paragraph.rstrip().endswith(":") and heading:
                lead = paragraph.strip()  # "The first results are encouraging:" introduces what follows:
                after_lead = True  # its list, or the next paragraph
            else:
                heading, lead = _NUMBERING.sub("", paragraph.strip()).rstrip(":").strip(), ""
            continue
        label = _LABEL.match(paragraph)
        in_list = bool(_LIST_ITEM.match(paragraph))
        if label and len(label.group(1).split()) <= 4 and "\n" not in paragraph.strip():
            if _SUBMITTER.search(label.group(1) + ":") or _PLACEHOLDER.match(label.group(2)):
                continue  # "Submitted by: (member state or organisation)"
            lead, in_list = label.group(1), True  # "Partners: UNICEF and …" is read as a heading and its text
            p_start += label.start(2)
        elif not in_list and not after_lead:
            lead = ""
        after_lead = False
        for s_start, s_end in _sentences(text, p_start, p_end):
            sentence = text[s_start:s_end]
            caps = _CAPS_RUN.match(sentence)
            if caps:  # a title in capitals run into the first line
                s_start += caps.end()
                sentence = text[s_start:s_end]
            n_words = len(sentence.split())
            if not MIN_WORDS <= n_words <= MAX_WORDS or _is_question(sentence) or _SUBMITTER.search(sentence) \
                    or _PLACEHOLDER.match(sentence) or _is_boilerplate(sentence, template):
                continue
            if sentence.rstrip().endswith(":") and n_words <= _HEADING_WORDS * 2:
                lead = sentence.strip()  # a lead-in is read with its list, and is evidence itself
            out.append(Passage(s_start, s_end, heading, lead))
    return out


def passage_text(text: str, passage: Passage) -> str:
    """What a passage says, as the classifiers read it: its sentence without a list marker ("- the item" reads as
    "the item", as a DOCX list item shows it), so a list scores alike in every format."""
    sentence = text[passage.start:passage.end]
    marker = _LIST_ITEM.match(sentence)
    return sentence[marker.end():] if marker and marker.end() < len(sentence) else sentence


def _sentences(text: str, start: int, end: int) -> Iterable[tuple[int, int]]:
    """The sentences of one paragraph, its lines apart (list items, table rows)."""
    chunk = text[start:end]
    for s_start, s_end in split_sentences(chunk):
        pos = start + s_start
        for part in re.split(r"(\n+)", chunk[s_start:s_end]):
            if part and not part.startswith("\n"):
                piece = part.strip()
                if piece:
                    offset = text.index(piece, pos)
                    yield offset, offset + len(piece)
            pos += len(part)
