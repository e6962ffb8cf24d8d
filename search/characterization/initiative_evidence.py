"""Where the text says each field of an initiative record: exact slices of a document's passages (the sentence of a
label's phrase, the sentence giving its status, the year that goes with it).

Used by search/characterization/initiative_extraction.py; the status itself is read by initiative_status.py.
"""

from __future__ import annotations

import re

from index.records import ChunkRecord
from search.characterization.initiative_status import read_status
from search.characterization.initiatives import Evidence
from search.characterization.phrases import label_regex
from search.characterization.taxonomy import Label

# a year stands apart from Latin letters and digits (Chinese writes "2024年", a word of its own there)
_YEAR = re.compile(r"(?<![0-9A-Za-z])(19[89]\d|20[0-3]\d)(?![0-9A-Za-z])")
_YEAR_CUE = re.compile(
    r"(?:\b(?:launched|established|created|introduced|adopted|enacted|started|began|founded|set up|since|in|from|"
    r"lancée?|créée?|depuis|en|desde|lanzad[oa]|em|с|в|начиная с|منذ|عام|بتاريخ)\s+(?:\w+\s+){0,2}?|于|自|从)"
    r"(19[89]\d|20[0-3]\d)(?![0-9A-Za-z])", re.IGNORECASE)
MIN_SENTENCE = 24  # characters: a shorter line of a passage is a heading or a list item, no evidence of a label
_SENTENCE_END = re.compile(r"\. |\n|[。！？]")  # Chinese ends a sentence with no space after it


def slice_of(chunk: ChunkRecord, start: int, end: int) -> Evidence:
    return Evidence(chunk.text[start:end], chunk.char_start + start, chunk.char_start + end, chunk.page_start,
                    chunk.id)


def sentence_around(chunk: ChunkRecord, start: int, end: int) -> Evidence:
    """The sentence (or line) of the chunk holding [start, end), as an exact slice."""
    text = chunk.text
    ends = [m.start() for m in _SENTENCE_END.finditer(text)]
    left = max((i for i in ends if i < start), default=-1)
    left = 0 if left < 0 else left + 1
    while left < start and text[left].isspace():
        left += 1
    right = min((i for i in ends if i >= end), default=len(text) - 1) + 1
    right = min(right, left + 400) if right - left > 400 else right
    right = max(right, end)
    while right > end and text[right - 1].isspace():
        right -= 1
    return slice_of(chunk, left, right)


def year_of(chunks: list[ChunkRecord], rows: list[int], said: list[Evidence]) -> tuple[int | None, Evidence | None]:
    """The initiative's year: one that the sentences saying its status or naming it give ("was held on 14-15 May
    2026", "Republic Act 11930 of July 2022"), else one its passages give with a cue ("launched in 2019"),
    strongest passage first. A year elsewhere is some other event's."""
    by_id = {c.id: c for c in chunks}
    for evidence in said:
        chunk = by_id[evidence.chunk_id]
        around = sentence_around(chunk, evidence.char_start - chunk.char_start, evidence.char_end - chunk.char_start)
        offset = around.char_start - chunk.char_start
        match = _YEAR_CUE.search(around.text) or _YEAR.search(around.text)
        if match:
            group = match.lastindex or 0
            return int(match.group(group)), slice_of(chunk, offset + match.start(group), offset + match.end(group))
    for row in rows:
        match = _YEAR_CUE.search(chunks[row].text)
        if match:
            return int(match.group(1)), slice_of(chunks[row], match.start(1), match.end(1))
    return None, None


def status_of(chunks: list[ChunkRecord], rows: list[int], name: str, evidence: dict[str, Evidence], short: bool
            ) -> tuple[str, Evidence]:
    """The status the initiative's passages give it, read around where they name it (its name, else the sentence
    of its kind; a short contribution's title too), with the sentence that says it."""
    texts = [chunks[r].text for r in rows]
    anchors = [(p, m.start(), m.end()) for p, text in enumerate(texts) if name
               for m in re.finditer(re.escape(name), text, re.IGNORECASE)]
    if not anchors:
        kind = evidence["initiative_type"]
        anchors = [(p, kind.char_start - chunks[r].char_start, kind.char_end - chunks[r].char_start)
                   for p, r in enumerate(rows) if chunks[r].id == kind.chunk_id]
    if short and rows[0] == 0:
        anchors.append((0, 0, max(1, texts[0].find("\n"))))
    reading = read_status(texts, anchors)
    return reading.status, slice_of(chunks[rows[reading.passage]], reading.start, reading.end)


def label_evidence(chunk: ChunkRecord, label: Label) -> Evidence:
    """The sentence of the passage where the label's phrase occurs, else (the label scored by its prototypes alone,
    as in a language its phrases are not written in) the passage's first sentence that is more than a heading."""
    match = label_regex(label).search(chunk.text)
    if match:
        return sentence_around(chunk, match.start(), match.end())
    stripped = len(chunk.text) - len(chunk.text.lstrip())
    first = sentence_around(chunk, stripped, stripped)
    at = first.char_end - chunk.char_start
    while len(first.text) < MIN_SENTENCE and at < len(chunk.text):
        start = at + len(chunk.text[at:]) - len(chunk.text[at:].lstrip(" \n\t.。"))
        if start >= len(chunk.text):
            break
        candidate = sentence_around(chunk, start, start)
        if len(candidate.text) >= MIN_SENTENCE:
            return candidate
        at = max(candidate.char_end - chunk.char_start, start + 1)
    return first
