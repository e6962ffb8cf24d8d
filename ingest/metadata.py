"""Document metadata: a manifest (CSV/TSV/JSONL) first, then front matter, then inference."""

from __future__ import annotations

import csv
import io
import json
import re
from collections import Counter
from pathlib import Path

from ingest.countries import find_countries, find_countries_in_filename, lookup_country
from ingest.errors import ManifestError
from ingest.itu_header import parse_header
from ingest.language import detect_language
from ingest.organisations import find_organisation, find_organisation_in_filename
from ingest.records import DOC_TYPES, DocumentMeta, LoadedDocument

KNOWN_FIELDS = ("title", "source", "country", "doc_type", "meeting", "date", "language")
_DOC_TYPE_ALIASES = {
    "contribution": "contribution", "contrib": "contribution", "contributions": "contribution",
    "information": "information", "information document": "information", "info": "information",
    "inf": "information", "information_document": "information",
    "report": "report", "other": "other", "": "other",
}
_DATE = re.compile(r"^\d{4}(-(0[1-9]|1[0-2])(-(0[1-9]|[12]\d|3[01]))?)?$")
_BAD_TITLE = re.compile(
    r"(microsoft (word|powerpoint)|\.(docx?|pdf|indd|pptx?|xlsx?|qxd)\b|^untitled|^slide \d|"
    r"^document\d*$|[0-9a-f]{16,}|^world bank document$|_)",
    re.IGNORECASE,
)


def normalize_doc_type(value: str, where: str = "") -> str:
    key = value.strip().lower().replace("-", " ")
    if key not in _DOC_TYPE_ALIASES:
        raise ManifestError(f"{where}doc_type {value!r} is not one of: {', '.join(DOC_TYPES)}")
    return _DOC_TYPE_ALIASES[key]


def normalize_date(value: str, where: str = "") -> str:
    value = value.strip()
    if value and not _DATE.match(value):
        raise ManifestError(f"{where}date {value!r} is not an ISO date (YYYY, YYYY-MM or YYYY-MM-DD)")
    return value


def read_manifest(path: Path) -> dict[Path, dict[str, str]]:
    """Map each file the manifest names (resolved against the manifest's folder) to its fields."""
    try:
        raw = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise ManifestError(f"cannot read manifest {path}: {exc}") from exc
    rows: list[tuple[int, dict[str, str]]] = []
    if path.suffix.lower() in (".jsonl", ".ndjson", ".json"):
        for n, line in enumerate(raw.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as exc:
                raise ManifestError(f"{path.name} line {n}: not valid JSON ({exc.msg})") from exc
            if not isinstance(obj, dict):
                raise ManifestError(f"{path.name} line {n}: expected a JSON object")
            rows.append((n, {str(k): "" if v is None else str(v) for k, v in obj.items()}))
    else:
        delimiter = "\t" if path.suffix.lower() == ".tsv" else ","
        reader = csv.DictReader(io.StringIO(raw), delimiter=delimiter)
        if not reader.fieldnames or "path" not in [f.strip().lower() for f in reader.fieldnames]:
            raise ManifestError(f"{path.name}: no 'path' column (columns: {reader.fieldnames})")
        for n, row in enumerate(reader, start=2):
            rows.append((n, {(k or "").strip().lower(): (v or "").strip() for k, v in row.items()}))
    entries: dict[Path, dict[str, str]] = {}
    for n, row in rows:
        where = f"{path.name} line {n}: "
        rel = row.pop("path", "").strip()
        if not rel:
            raise ManifestError(f"{where}empty 'path'")
        if "doc_type" in row:
            row["doc_type"] = normalize_doc_type(row["doc_type"], where)
        if "date" in row:
            row["date"] = normalize_date(row["date"], where)
        entries[(path.parent / rel).resolve()] = row
    return entries


def _meaningful_title(title: str | None) -> str | None:
    if not title:
        return None
    title = " ".join(title.split())
    if len(title) < 4 or len(title) > 250 or _BAD_TITLE.search(title):
        return None
    return title


def infer_title(loaded: LoadedDocument, file_name: str) -> str:
    """PDF/DOCX/HTML title when it is a real one, else the first heading, else the first line."""
    found = _meaningful_title(loaded.title)
    if found:
        return found
    first_page = loaded.blocks[0].page if loaded.blocks else None
    run: list[str] = []  # a title set in large type often extracts as several heading lines
    for block in loaded.blocks[:15]:
        if block.page != first_page or (run and block.kind != "heading"):
            break
        if block.kind == "heading":
            run.append(block.text)
            if len(run) == 3 or sum(len(t.split()) for t in run) >= 12:
                break
    if run and sum(len(t.split()) for t in run) >= 2:
        return " ".join(run)[:200]
    if loaded.blocks:
        first = loaded.blocks[0].text.split(". ")[0]
        if 3 <= len(first) <= 150:
            return first
    return re.sub(r"[_\-]+", " ", Path(file_name).stem).strip() or file_name


def infer_country(file_name: str, title: str, first_page: str) -> str:
    """A country named in the file name, else in the title, else named twice on the first page."""
    for found in (find_countries_in_filename(file_name), find_countries(title)):
        if found:
            return found[0].name
    counts = Counter(c.name for c in find_countries_in_filename_text(first_page)).most_common(2)
    if counts:
        name, n = counts[0]
        runner_up = counts[1][1] if len(counts) > 1 else 0
        if n >= 2 and n >= 2 * runner_up:  # one country dominates; a list of several names none
            return name
    return ""


def find_countries_in_filename_text(text: str) -> list:  # every mention, in order, with repeats
    out = []
    for country in find_countries(text):
        out.extend([country] * max(1, text.count(country.name)))
    return out


def build_meta(loaded: LoadedDocument, file_name: str, text: str, entry: dict[str, str] | None) -> DocumentMeta:
    """Merge manifest entry > front matter > inference into one `DocumentMeta`."""
    fields: dict[str, str] = {}
    extra: dict[str, str] = {}
    header = parse_header(loaded.head_text).as_fields() if loaded.head_text else {}
    for layer in (header, loaded.metadata, entry or {}):  # later layers win
        for key, value in layer.items():
            if key in KNOWN_FIELDS:
                if value:
                    fields[key] = value
            elif key != "path":
                extra[key] = value
    where = f"{file_name}: "
    title = fields.get("title") or infer_title(loaded, file_name)
    first_page_text = " ".join(b.text for b in loaded.blocks[:40] if b.page in (None, loaded.blocks[0].page))
    country_raw = fields.get("country", "")
    country = ""
    if country_raw:
        found = lookup_country(country_raw)
        country = found.name if found else country_raw
    elif "source" not in fields:
        country = infer_country(file_name, title, first_page_text[:5000])
    found = lookup_country(country) if country else None
    source = fields.get("source") or country or find_organisation_in_filename(file_name) or \
        find_organisation(title, loaded.author or "")
    language = fields.get("language", "").lower() or detect_language(_language_sample(text), "und")
    return DocumentMeta(
        title=title,
        source=source,
        country=country,
        region=found.region if found else "",
        doc_type=normalize_doc_type(fields.get("doc_type", "other"), where),
        meeting=fields.get("meeting", ""),
        date=normalize_date(fields.get("date", ""), where),
        language=language,
        extra=extra,
    )


def _language_sample(text: str) -> str:
    """A few slices across the document: covers, tables of contents and annexes mislead alone."""
    if len(text) <= 3000:
        return text
    step = len(text) // 4
    return " ".join(text[i * step + 200: i * step + 950] for i in range(4))
