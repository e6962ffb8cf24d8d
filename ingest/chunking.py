"""Structure-aware chunking: headings and paragraphs first, sentences when a paragraph is too long.

Every chunk is an exact slice of the document text, so a citation can always be checked against it.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from ingest.records import Block, Chunk

BLOCK_SEPARATOR = "\n\n"
_SENTENCE_END = re.compile(r"(?<=[.!?;。！？؟])[\"'”’)\]]*\s+")
_ABBREVIATION = re.compile(r"(\b(e\.g|i\.e|etc|Mr|Mrs|Ms|Dr|No|Art|Nos|vs|cf|para|paras|Rev|Res|Vol|pp|p|St|Sr|Jr|"
                           r"U\.S|U\.K|Inc|Ltd|Co|Fig|Sec|ch)\.|\b[A-Z]\.)$")
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af]")


def count_words(text: str) -> int:
    """Whitespace words, counting each CJK character as half a word (no spaces in those scripts)."""
    return len(text.split()) + len(_CJK.findall(text)) // 2


@dataclass(frozen=True)
class _Unit:
    start: int
    end: int
    page: int | None
    words: int
    block: int  # index of the block it comes from
    heading: bool


def join_blocks(blocks: list[Block]) -> tuple[str, list[int]]:
    """The document text (blocks separated by a blank line) and the offset of each block."""
    offsets, pos = [], 0
    for block in blocks:
        offsets.append(pos)
        pos += len(block.text) + len(BLOCK_SEPARATOR)
    return BLOCK_SEPARATOR.join(b.text for b in blocks), offsets


def split_sentences(text: str) -> list[tuple[int, int]]:
    """(start, end) spans of the sentences of `text`, abbreviations kept inside their sentence."""
    spans: list[tuple[int, int]] = []
    start = 0
    for match in _SENTENCE_END.finditer(text):
        candidate = text[start:match.start()]
        if _ABBREVIATION.search(candidate) or len(candidate.split()) < 3:
            continue
        spans.append((start, match.start()))
        start = match.end()
    if start < len(text):
        spans.append((start, len(text.rstrip())))
    return [s for s in spans if s[1] > s[0]]


def _units(blocks: list[Block], offsets: list[int], max_words: int) -> list[_Unit]:
    units: list[_Unit] = []
    for i, (block, base) in enumerate(zip(blocks, offsets)):
        words = count_words(block.text)
        if block.kind == "heading" or words <= max_words:
            units.append(_Unit(base, base + len(block.text), block.page, words, i, block.kind == "heading"))
            continue
        for s, e in split_sentences(block.text):
            units.extend(_hard_split(block.text, s, e, base, block.page, i, max_words))
    return units


def _hard_split(text: str, s: int, e: int, base: int, page: int | None, block: int, max_words: int) -> list[_Unit]:
    """A "sentence" longer than a chunk (tables, lists without punctuation): cut at word boundaries."""
    words = count_words(text[s:e])
    if words <= max_words:
        return [_Unit(base + s, base + e, page, words, block, False)]
    out: list[_Unit] = []
    pieces = [m.span() for m in re.finditer(r"\S+", text[s:e])]
    if len(pieces) < 2:  # one long run without spaces (CJK): cut by characters
        step = max_words * 2
        for k in range(s, e, step):
            out.append(_Unit(base + k, base + min(e, k + step), page, count_words(text[k:k + step]), block, False))
        return out
    step = max(1, max_words * len(pieces) // max(words, 1))
    for k in range(0, len(pieces), step):
        a, b = pieces[k][0], pieces[min(k + step, len(pieces)) - 1][1]
        out.append(_Unit(base + s + a, base + s + b, page, count_words(text[s + a:s + b]), block, False))
    return out


def chunk_blocks(
    blocks: list[Block],
    *,
    min_words: int = 150,
    max_words: int = 250,
    overlap_words: int = 40,
    pages_apart: bool = False,
) -> tuple[str, list[Chunk]]:
    """Return the document text and its chunks.

    Chunks end at a paragraph boundary once they hold `min_words`, never exceed `max_words`
    (except for one oversized unit), start anew at a heading when they are already substantial,
    and repeat the last sentence (up to `overlap_words`) when a paragraph is cut mid-way. With `pages_apart`
    a chunk never spans two pages (a slide deck: each slide is cited on its own).
    """
    text, offsets = join_blocks(blocks)
    units = _units(blocks, offsets, max_words)
    headings: list[str] = []
    section_at: list[str] = []
    for block in blocks:
        if block.kind == "heading":
            headings = headings[: max(block.level - 1, 0)] + [block.text[:200]]
        section_at.append(" > ".join(headings[-2:]))
    chunks: list[Chunk] = []
    i = 0
    while i < len(units):
        j, words = i, 0
        while j < len(units):
            u = units[j]
            if j > i and words + u.words > max_words:
                break
            if j > i and u.heading and words >= min_words // 3:
                break
            if j > i and pages_apart and u.page != units[j - 1].page:
                break
            words += u.words
            j += 1
            if words >= min_words and (j == len(units) or units[j].block != u.block):
                break
        group = units[i:j]
        if all(u.heading for u in group) and chunks and j == len(units):
            break  # trailing heading with nothing under it
        chunks.append(_make_chunk(len(chunks), text, group, section_at, blocks))
        nxt = j
        last = units[j - 1]
        if j < len(units) and units[j].block == last.block and j - 1 > i and last.words <= overlap_words:
            nxt = j - 1  # cut inside a paragraph: repeat its last sentence
        i = nxt
    return text, chunks


def _make_chunk(ordinal: int, text: str, group: list[_Unit], section_at: list[str], blocks: list[Block]) -> Chunk:
    start, end = group[0].start, group[-1].end
    read_by_ocr = [c for b in sorted({u.block for u in group}) if (c := blocks[b].ocr_confidence) is not None]
    body = text[start:end]
    pages = [u.page for u in group if u.page is not None]
    first_content = next((u for u in group if not u.heading), group[0])
    return Chunk(
        ordinal=ordinal,
        text=body,
        section=section_at[first_content.block],
        page_start=min(pages) if pages else None,
        page_end=max(pages) if pages else None,
        char_start=start,
        char_end=end,
        content_hash=hashlib.sha256(body.encode("utf-8")).hexdigest()[:16],
        ocr_confidence=round(sum(read_by_ocr) / len(read_by_ocr), 3) if read_by_ocr else None,
    )
