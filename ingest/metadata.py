"""Document metadata: a manifest (CSV/TSV/JSONL) first, then front matter, then inference."""

from __future__ import annotations

import csv
import io
import json
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from ingest.actors import infer_actor_type, normalize_actor_type
from ingest.countries import find_countries, find_countries_in_filename, lookup_country
from ingest.errors import ManifestError
from ingest.itu_header import parse_header
from ingest.language import detect_language
from ingest.organisations import find_organisation, find_organisation_in_filename
from ingest.records import ACTOR_TYPES, DOC_TYPES, DocumentMeta, LoadedDocument

KNOWN_FIELDS = ("title", "source", "country", "doc_type", "actor_type", "meeting", "date", "language")
# Names people write for the group's document types (lower case, '-' and '_' read as spaces) → id.
_DOC_TYPE_ALIASES = {
    "contribution": "contribution", "contrib": "contribution", "contributions": "contribution",
    "information": "information", "information document": "information", "info": "information",
    "inf": "information", "info document": "information", "information note": "information",
    "report": "report", "reports": "report", "meeting report": "report",
    "liaison statement": "liaison_statement", "liaison": "liaison_statement", "ls": "liaison_statement",
    "liaison statements": "liaison_statement",
    "secretariat document": "secretariat", "secretariat": "secretariat", "secretariat note": "secretariat",
    "sec": "secretariat", "note by the secretariat": "secretariat",
    "presentation": "presentation", "slides": "presentation", "slide deck": "presentation",
    "presentations": "presentation",
    "other": "other", "": "other",
}
_DATE = re.compile(r"^\d{4}(-(0[1-9]|1[0-2])(-(0[1-9]|[12]\d|3[01]))?)?$")
_BAD_TITLE = re.compile(
    r"(microsoft (word|powerpoint)|\.(docx?|pdf|indd|pptx?|xlsx?|qxd)\b|^untitled|^slide \d|"
    r"^document\d*$|[0-9a-f]{16,}|^world bank document$|_)",
    re.IGNORECASE,
)


def normalize_doc_type(value: str) -> tuple[str, bool]:
    """(the type's id, whether it is one of the group's types). An unknown type is kept as an id of
    its own ("Meeting notes" → "meeting_notes")."""
    key = " ".join(value.strip().lower().replace("-", " ").replace("_", " ").split())
    if key in _DOC_TYPE_ALIASES:
        return _DOC_TYPE_ALIASES[key], True
    return re.sub(r"[^\w]+", "_", key).strip("_") or "other", False


def unknown_doc_type_warning(value: str, kept: str) -> str:
    return f"doc_type {value!r} is not one of the group's types ({', '.join(DOC_TYPES)}): kept as {kept!r}"


def is_iso_date(value: str) -> bool:
    return bool(_DATE.match(value.strip()))


def check_date(value: str) -> str:
    """`value` when it is an ISO date (YYYY, YYYY-MM or YYYY-MM-DD), else `ManifestError`."""
    value = value.strip()
    if value and not is_iso_date(value):
        raise ManifestError(f"date {value!r} is not an ISO date (YYYY, YYYY-MM or YYYY-MM-DD)")
    return value


@dataclass
class Manifest:
    """The rows of a manifest file by the file each names, and what was wrong with some of them.

    Problems are per row: a bad row is reported (`manifest.csv:LINE: reason`) and the rest is used.
    """

    name: str
    entries: dict[Path, dict[str, str]] = field(default_factory=dict)
    lines: dict[Path, int] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    def unmatched(self, files: list[Path]) -> list[str]:
        """A line for each row that names none of `files`."""
        given = {f.resolve() for f in files}
        return [f"{self.name}:{self.lines[path]}: no file {path} among the files to ingest (row not used)"
                for path in self.entries if path not in given]


def read_manifest(path: Path) -> Manifest:
    """Map each file the manifest names (resolved against the manifest's folder) to its fields.

    Only a manifest that cannot be read at all (no file, no 'path' column) raises `ManifestError`.
    """
    try:
        raw = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise ManifestError(f"cannot read manifest {path}: {exc}") from exc
    manifest = Manifest(path.name)
    rows: list[tuple[int, dict[str, str]]] = []
    if path.suffix.lower() in (".jsonl", ".ndjson", ".json"):
        for n, line in enumerate(raw.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as exc:
                manifest.problems.append(f"{path.name}:{n}: not valid JSON ({exc.msg}); row skipped")
                continue
            if not isinstance(obj, dict):
                manifest.problems.append(f"{path.name}:{n}: not a JSON object; row skipped")
                continue
            rows.append((n, {str(k).strip().lower(): "" if v is None else str(v).strip() for k, v in obj.items()}))
    else:
        delimiter = "\t" if path.suffix.lower() == ".tsv" else ","
        reader = csv.DictReader(io.StringIO(raw), delimiter=delimiter)
        if not reader.fieldnames or "path" not in [f.strip().lower() for f in reader.fieldnames]:
            raise ManifestError(f"{path.name}: no 'path' column (columns: {reader.fieldnames})")
        for row in reader:
            values = {(k or "").strip().lower(): (v if isinstance(v, str) else "").strip() for k, v in row.items()}
            rows.append((reader.line_num, values))
    for n, row in rows:
        _add_row(manifest, path, n, row)
    return manifest


def _add_row(manifest: Manifest, path: Path, n: int, row: dict[str, str]) -> None:
    where = f"{manifest.name}:{n}: "
    rel = row.pop("path", "").strip()
    if not rel:
        manifest.problems.append(f"{where}empty 'path'; row skipped")
        return
    if row.get("doc_type"):
        kept, known = normalize_doc_type(row["doc_type"])
        if not known:
            manifest.problems.append(where + unknown_doc_type_warning(row["doc_type"], kept))
        row["doc_type"] = kept
    if row.get("actor_type"):
        kind, known = normalize_actor_type(row["actor_type"])
        if not known:
            manifest.problems.append(f"{where}actor_type {row['actor_type']!r} is not one of "
                                     f"{', '.join(ACTOR_TYPES)}: inferred from the source instead")
            del row["actor_type"]
        else:
            row["actor_type"] = kind
    if row.get("date") and not is_iso_date(row["date"]):
        manifest.problems.append(f"{where}date {row['date']!r} is not an ISO date (YYYY, YYYY-MM or "
                                 f"YYYY-MM-DD): date left out")
        del row["date"]
    target = (path.parent / rel).resolve()
    if target in manifest.entries:
        manifest.problems.append(f"{where}repeats the path of line {manifest.lines[target]}; this line is used")
    manifest.entries[target] = row
    manifest.lines[target] = n


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
    doc_type, known = normalize_doc_type(fields.get("doc_type", "other"))
    if not known and (entry or {}).get("doc_type") != fields["doc_type"]:  # a manifest row is warned of by its line
        loaded.warnings.append(unknown_doc_type_warning(fields["doc_type"], doc_type))
    actor_type, known = normalize_actor_type(fields.get("actor_type", ""))
    if not known:
        if fields.get("actor_type"):
            loaded.warnings.append(f"actor_type {fields['actor_type']!r} is not one of {', '.join(ACTOR_TYPES)}: "
                                   f"inferred from the source")
        actor_type = infer_actor_type(source, country)
    date = fields.get("date", "")
    if date and not is_iso_date(date):
        loaded.warnings.append(f"date {date!r} is not an ISO date (YYYY, YYYY-MM or YYYY-MM-DD): left out")
        date = ""
    return DocumentMeta(
        title=title,
        source=source,
        country=country,
        region=found.region if found else "",
        doc_type=doc_type,
        actor_type=actor_type,
        meeting=fields.get("meeting", ""),
        date=date.strip(),
        language=language,
        extra=extra,
    )


def _language_sample(text: str) -> str:
    """A few slices across the document: covers, tables of contents and annexes mislead alone."""
    if len(text) <= 3000:
        return text
    step = len(text) // 4
    return " ".join(text[i * step + 200: i * step + 950] for i in range(4))
