"""OCR of a page that is an image: Tesseract (the Debian package `tesseract-ocr`), called as a program.

Why Tesseract and why this way (`bench/ocr_engines.py`, docs/ocr.md): it reads the six UN languages with
Debian's language packs, where the OCR engines that ship their weights inside a PyPI package read Chinese and
Latin letters only; it is called through its binary with a timeout (no Python binding to pin). Its TSV output
gives each word a confidence (0-100): a paragraph's confidence is the mean over its words, scaled to 0-1.

One process per page, `OMP_THREAD_LIMIT=1`: Tesseract's own threads only fight the other work for the cores.
"""

from __future__ import annotations

import csv
import functools
import io
import os
import re
import shutil
import subprocess
from dataclasses import dataclass

from ingest.errors import CwgError

# Debian's packs for the six UN languages: English, French, Spanish, Russian, Arabic, Chinese (simplified)
UN_LANGUAGES = ("eng", "fra", "spa", "rus", "ara", "chi_sim")
INSTALL_ADVICE = ("install tesseract-ocr (apt-get install tesseract-ocr tesseract-ocr-fra tesseract-ocr-spa "
                  "tesseract-ocr-rus tesseract-ocr-ara tesseract-ocr-chi-sim)")
DEFAULT_DPI = 300
DEFAULT_MAX_PAGES = 50
DEFAULT_PAGE_SECONDS = 60.0
_CJK = "\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef"
_CJK_GAP = re.compile(f"(?<=[{_CJK}]) +(?=[{_CJK}])")  # Tesseract spaces out every Chinese character


@dataclass(frozen=True)
class OcrSettings:
    """How scanned pages are read (settings CWG_OCR, CWG_OCR_COMMAND, CWG_OCR_LANGUAGES, CWG_OCR_MAX_PAGES,
    CWG_OCR_PAGE_SECONDS): on or off, the program, the language packs asked for (those installed are used), the
    most pages read per document and the seconds one page may take."""

    enabled: bool = True
    command: str = "tesseract"
    languages: tuple[str, ...] = UN_LANGUAGES
    max_pages: int = DEFAULT_MAX_PAGES
    page_seconds: float = DEFAULT_PAGE_SECONDS
    dpi: int = DEFAULT_DPI


class OcrUnavailable(CwgError):
    """The OCR program cannot run here (not installed, or none of the asked language packs): says what to install."""


class OcrFailed(CwgError):
    """One page could not be read (timeout, the program failed on it): the other pages go on."""


@dataclass(frozen=True)
class OcrParagraph:
    text: str
    confidence: float  # mean word confidence, 0-1


@dataclass(frozen=True)
class OcrPage:
    paragraphs: list[OcrParagraph]

    @property
    def confidence(self) -> float | None:
        """Mean confidence of the page's paragraphs, weighted by their length (None when nothing was read)."""
        total = sum(len(p.text) for p in self.paragraphs)
        return sum(p.confidence * len(p.text) for p in self.paragraphs) / total if total else None


def installed_languages(command: str) -> tuple[str, ...]:
    """The language packs `command --list-langs` names; `OcrUnavailable` when the program is absent."""
    path = shutil.which(command)
    if path is None:
        raise OcrUnavailable(f"{INSTALL_ADVICE}: no program {command!r} on this machine")
    return _list_languages(path)


@functools.lru_cache(maxsize=8)
def _list_languages(path: str) -> tuple[str, ...]:
    try:
        done = subprocess.run([path, "--list-langs"], capture_output=True, text=True, timeout=30, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise OcrUnavailable(f"{INSTALL_ADVICE}: {path} does not run ({exc})") from exc
    lines = (done.stdout + done.stderr).splitlines()
    return tuple(line.strip() for line in lines if line.strip() and " " not in line.strip() and ":" not in line)


def languages_to_use(settings: OcrSettings) -> str:
    """The asked language packs that are installed, as Tesseract's `-l` argument (`eng+fra+…`)."""
    have = installed_languages(settings.command)
    use = [lang for lang in settings.languages if lang in have]
    if not use:
        raise OcrUnavailable(f"{INSTALL_ADVICE}: {settings.command} has none of the language packs "
                             f"{', '.join(settings.languages)}")
    return "+".join(use)


def ocr_image(png: bytes, settings: OcrSettings, languages: str) -> OcrPage:
    """Read one page image (PNG bytes) with Tesseract: its paragraphs in reading order, each with its confidence."""
    env = dict(os.environ, OMP_THREAD_LIMIT="1")
    try:
        done = subprocess.run([settings.command, "stdin", "stdout", "-l", languages, "--dpi", str(settings.dpi),
                               "tsv"], input=png, capture_output=True, timeout=settings.page_seconds, env=env,
                              check=False)
    except subprocess.TimeoutExpired as exc:
        raise OcrFailed(f"OCR took longer than {settings.page_seconds:g} s (setting CWG_OCR_PAGE_SECONDS)") from exc
    except OSError as exc:
        raise OcrUnavailable(f"{INSTALL_ADVICE}: {settings.command} does not run ({exc})") from exc
    if done.returncode != 0:
        message = done.stderr.decode("utf-8", "replace").strip().splitlines()[-1:] or ["no message"]
        raise OcrFailed(f"{settings.command} failed ({message[0][:200]})")
    return parse_tsv(done.stdout.decode("utf-8", "replace"))


def parse_tsv(tsv: str) -> OcrPage:
    """Tesseract's TSV (one row per word, with block/paragraph/line numbers and a 0-100 confidence) → paragraphs."""
    paragraphs: list[OcrParagraph] = []
    key: tuple[str, str, str] | None = None
    lines: list[list[str]] = []
    confidences: list[float] = []

    def flush() -> None:
        text = ""
        for words in lines:
            line = " ".join(words)
            if re.search(r"[^\W\d_]-$", text):  # "protec-" + "tion" is one word; "South-" + "East" keeps its hyphen
                text = (text[:-1] if line[:1].islower() else text) + line
            else:
                text = f"{text} {line}" if text else line
        text = _CJK_GAP.sub("", text.strip())
        if text and confidences:
            paragraphs.append(OcrParagraph(text, round(sum(confidences) / len(confidences) / 100, 3)))
        lines.clear()
        confidences.clear()

    line_key: str | None = None
    for row in csv.DictReader(io.StringIO(tsv), delimiter="\t", quoting=csv.QUOTE_NONE):
        word = (row.get("text") or "").strip()
        try:
            confidence = float(row.get("conf") or -1)
        except ValueError:
            continue
        if row.get("level") != "5" or not word or confidence < 0:
            continue
        para = (row["page_num"], row["block_num"], row["par_num"])
        if para != key:
            flush()
            key, line_key = para, None
        if row["line_num"] != line_key:
            lines.append([])
            line_key = row["line_num"]
        lines[-1].append(word)
        confidences.append(confidence)
    flush()
    return OcrPage(paragraphs)
