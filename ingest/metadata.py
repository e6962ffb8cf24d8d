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
from ingest.authorship import government_source, infer_source, submitter
from ingest.countries import find_countries, find_countries_in_filename, lookup_country
from ingest.errors import ManifestError
from ingest.formats import DEFAULT_DOC_TYPES
from ingest.itu_header import parse_header
from ingest.language import detect_language
from ingest.organisations import find_organisation, find_organisation_in_filename, organisation_span
from ingest.records import ACTOR_TYPES, DOC_TYPES, DocumentMeta, LoadedDocument
from ingest.source_aliases import SourceAliases
from ingest.textclean import one_line

ALIASES_COLUMN = "aliases"  # a manifest column: other names of the row's source, ";"-separated
KNOWN_FIELDS = ("title", "source", "country", "doc_type", "actor_type", "meeting", "date", "language",
                "collection")
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


_COLLECTION_ALIASES = {"contributions": "contributions", "contribution": "contributions", "meeting": "contributions",
                       "library": "library", "reference": "library", "references": "library"}


def normalize_collection(value: str) -> str | None:
    """A collection id from what people write ("Contributions", "reference"), else None."""
    return _COLLECTION_ALIASES.get(" ".join(value.lower().replace("_", " ").split()))


def default_collection(meeting: str) -> str:
    """Where a document goes when nothing says: a meeting's document is a contribution, the rest is library."""
    return "contributions" if meeting else "library"


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
    aliases: dict[str, str] = field(default_factory=dict)  # other name → the source a row names (`aliases` column)

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
            rows.append((n, {str(k).strip().lower(): _json_value(v) for k, v in obj.items()}))
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


def _json_value(value: object) -> str:
    """A JSONL manifest's value as text; a list (`"aliases": ["RPF", "raspberrypi.org"]`) as its items joined by ";"."""
    if value is None:
        return ""
    if isinstance(value, list):
        return "; ".join(str(v).strip() for v in value if v is not None)
    return str(value).strip()


def _add_row(manifest: Manifest, path: Path, n: int, row: dict[str, str]) -> None:
    where = f"{manifest.name}:{n}: "
    named = row.pop(ALIASES_COLUMN, "")
    _add_aliases(manifest, where, named, row.get("source", ""))
    rel = row.pop("path", "").strip()
    if not rel and named.strip():
        return  # a row of aliases only: a source and its other names, no file
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
    if row.get("collection"):
        named = normalize_collection(row["collection"])
        if named is None:
            manifest.problems.append(f"{where}collection {row['collection']!r} is not one of contributions, library: "
                                     f"decided by its meeting instead")
            del row["collection"]
        else:
            row["collection"] = named
    if row.get("date") and not is_iso_date(row["date"]):
        manifest.problems.append(f"{where}date {row['date']!r} is not an ISO date (YYYY, YYYY-MM or "
                                 f"YYYY-MM-DD): date left out")
        del row["date"]
    folder = path.parent.resolve()
    target = (folder / rel).resolve()
    if not target.is_relative_to(folder):
        manifest.problems.append(f"{where}path {rel!r} is outside the manifest's folder; row not used")
        return
    if target in manifest.entries:
        manifest.problems.append(f"{where}repeats the path of line {manifest.lines[target]}; this line is used")
    manifest.entries[target] = row
    manifest.lines[target] = n


def _add_aliases(manifest: Manifest, where: str, value: str, source: str) -> None:
    """The row's other names of its source ("raspberrypi.org; RPF"), separated by ";" (a name may hold a comma)."""
    names = [" ".join(a.split()) for a in value.split(";") if a.strip()]
    if names and not source.strip():
        manifest.problems.append(f"{where}aliases {value!r} name no source (the row's source is empty): not used")
        return
    for alias in names:
        earlier = manifest.aliases.get(alias)
        if earlier is not None and earlier != source.strip():
            manifest.problems.append(f"{where}alias {alias!r} was given to {earlier!r} above; now to "
                                     f"{source.strip()!r} (this line's is used)")
        manifest.aliases[alias] = source.strip()


def _meaningful_title(title: str | None) -> str | None:
    if not title:
        return None
    title = " ".join(title.split())
    if len(title) < 4 or len(title) > 250 or _BAD_TITLE.search(title):
        return None
    return title


_BULLETS = re.compile(r"[●•▪◦■►✓✔]")
_GENERIC_TITLES = {
    "dos", "don'ts", "don’ts", "do", "don't", "don’t", "dos don'ts", "dos don’ts", "do's and don'ts", "à faire",
    "à ne pas faire", "contents", "table of contents", "index", "information brief", "policy brief", "summary",
    "executive summary", "foreword", "preface", "prologue", "prólogo", "introduction", "introducción", "sommaire",
    "résumé", "acknowledgements", "acknowledgments", "credits", "ما يجب فعله", "ما لا يجب فعله",
    "indice", "índice", "legal instruments", "oecd legal instruments",
}
_FUNCTION_END = re.compile(r"\b(the|of|for|and|a|an|to|in|on|with|du|de|des|la|le|les|et|del|el|y|da|do|e|para|pour)$",
                           re.IGNORECASE)
_CODE_TOKEN = re.compile(r"^(?=\S*\d)[\dA-Z][\w./\-]*$")  # "GPRN", "11-1721000-000393-01", "JRCB4"
# a numbered section heading ("3 Share our code…", "2.1 Scope", "IV. Findings"): a title only when nothing else is
_SECTION_NUMBER = re.compile(r"^(?:\d{1,2}(?:\.\d{1,2}){0,3}\.?|[A-Z]\.|[IVX]{1,5}\.)\s+\S")
_ROMAN = {"I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X"}
_VERSION = re.compile(r"^(versi[oó]n|version|v\.?)\s*\d", re.IGNORECASE)
_CONNECTORS = {"of", "for", "the", "and", "in", "on", "a", "to", "de", "la", "le", "del", "y", "et", "du", "des",
               "da", "do", "e", "para", "pour", "&", "en"}


def weak_title(title: str) -> bool:
    """A candidate title that is not one: a bullet line, "Dos", a version line, a generic heading
    ("Contents", "Information brief"), a sentence, an organisation's name, or a title cut off mid-phrase."""
    text = " ".join(title.split()).strip(" :;,-–")
    words = text.split()
    if not words or _BULLETS.search(text) or _VERSION.match(text) or text.lower() in _GENERIC_TITLES:
        return True
    if len(words) > 14 and text.endswith(".") or re.match(r"(here are|this (document|note|paper))\b", text, re.I):
        return True  # a sentence
    if _names_publisher(text):
        return True  # "United Nations Educational, Scientific and Cultural Organization"
    return bool(_FUNCTION_END.search(text)) or (len(words) == 1 and len(text) < 12)


_TRAILING_GENERIC = re.compile(r"\s+(?:à faire|à ne pas faire|dos|do|don['’]ts|hacer|a fazer|إفعل|لا تفعل)\s*$",
                               re.IGNORECASE)


def _office_file_title(raw: str) -> str:
    """The title a file's own title field gives when it is a file name ("Raspberry_Pi_Foundation-
    safeguarding-code-of-behaviour", "…_Parent_Guide_A4_V4.docx"): words without the layout tokens."""
    if not raw or not re.search(r"_|\.(docx?|pptx?|indd|pdf)$", raw, re.IGNORECASE):
        return ""
    stem = re.sub(r"^microsoft (word|powerpoint|excel)\s*-\s*", "", raw.strip(), flags=re.IGNORECASE)  # a program
    stem = re.sub(r"\.(docx?|pptx?|indd|pdf)$", "", stem, flags=re.IGNORECASE)
    words = [w for w in re.split(r"[_\-\s]+", stem)
             if w and not re.fullmatch(r"(a\d|v\d+|digital|print|web|final|draft|int|\d{1,4})", w, re.IGNORECASE)]
    return " ".join(words) if len(words) >= 2 else ""


def _names_publisher(line: str) -> bool:
    """A cover line that names who publishes ("REPUBLIQUE DE CÔTE D'IVOIRE", "United Nations Educational,
    Scientific and Cultural Organization"), not what."""
    if government_source(line):
        return True
    span = organisation_span(line)
    return span is not None and (span[2] - span[1]) >= 0.7 * len(line.strip(" .,:;"))


def _file_name_title(file_name: str) -> str:
    """A title made from a file name, the last resort: no language prefix ("en__"), spaces for _ and -."""
    stem = re.sub(r"^[a-z]{2}(?:__|_-|-_)", "", Path(file_name).stem)
    title = re.sub(r"[_\-]+", " ", stem).strip()
    return title[:1].upper() + title[1:] if title else file_name


def _clean_file_title(title: str) -> str:
    """A file's own title without its file-system noise: leading codes ("JRCB4"), trailing "final"/"draft"."""
    words = title.split()
    while words and _CODE_TOKEN.match(words[0]) and len(words) > 2:
        words = words[1:]
    while words and re.fullmatch(r"(final|draft|v\d+|rev\d*|clean|web)", words[-1], re.IGNORECASE):
        words = words[:-1]
    return " ".join(words)


def _complete(title: str, blocks: list) -> str:  # type: ignore[type-arg]
    """A title cut off by the layout ("Spotlight on the", "REALISATION DU DIVIDENDE"): the same words
    repeated in full further on, else (in capitals) the capitalised words that follow it."""
    key = title.lower()
    for block in blocks[:25]:
        text = " ".join(block.text.split())
        if text.lower().startswith(key) and len(text) > len(title) and len(text.split()) <= 20 \
                and not weak_title(text):
            return text
    if title.isupper():
        for i, block in enumerate(blocks[:25]):
            if " ".join(block.text.split()) == title and i + 1 < len(blocks):
                more = []
                for word in blocks[i + 1].text.split():
                    if not (word.isupper() or word in ("’", "'", "-", "&")):
                        break
                    more.append(word)
                if more and len(title.split()) + len(more) <= 16:
                    return f"{title} {' '.join(more)}"
    return title


def leading_title(text: str) -> str:
    """The title a flattened text starts with: after any code or version tokens, its first run of words in
    capitals ("AUSTRALIA’S AI ACTION PLAN") or in title case ("National Strategy for Artificial
    Intelligence"), at most 10 words; "" when it has none of at least two words."""
    words = text.split()[:60]
    i = 0
    while i < len(words) and (_CODE_TOKEN.match(words[i]) or _VERSION.match(" ".join(words[i:i + 2]))
                              or words[i].isdigit()
                              or (words[i].isupper() and i + 1 < len(words) and _CODE_TOKEN.match(words[i + 1]))):
        i += 2 if _VERSION.match(" ".join(words[i:i + 2])) else 1
    run: list[str] = []
    pairs: set[tuple[str, str]] = set()
    capitals = i < len(words) and words[i].isupper()
    for word in words[i:]:
        bare = word.strip("’'\"“”()")
        fits = (bare.isupper() and len(bare) > 0 and not bare.isdigit()) if capitals else \
            (bare[:1].isupper() or (bare.lower() in _CONNECTORS and run))
        if not fits or len(run) == 10 or any(c.isdigit() for c in bare) or (run and (run[-1], word) in pairs) \
                or bare.rstrip(".") in _ROMAN:
            break  # a number, a lower-case word, or the title's words again ("… Intelligence … Intelligence")
        if run:
            pairs.add((run[-1], word))
        run.append(word)
        if word.endswith((".", ":", ";")):
            break  # "PRÓLOGO I. INTRODUCCIÓN II.": a contents line, not a title
    while run and run[-1].lower() in _CONNECTORS:
        run.pop()
    title = " ".join(run).rstrip(".:;")
    return title if len(run) >= 2 and not weak_title(title) else ""


def infer_title(loaded: LoadedDocument, file_name: str) -> str:
    """The file's own title when it is a real one; else the first heading lines; else the title the text
    starts with; else its first sentence when short; else the words of a file-name-like title field; a numbered
    section heading ("3 Share our code of behaviour with your child") only when none of these is a title; the
    file name only when the text offers nothing."""
    candidates: list[str] = []
    found = _meaningful_title(loaded.title)
    if found:
        candidates.append(_clean_file_title(found))
    file_like = _office_file_title(loaded.title or "")  # "Code_Club_…_Parent_Guide_A4_V4.docx": after the text
    first_page = loaded.blocks[0].page if loaded.blocks else None
    run: list[str] = []  # a title set in large type often extracts as several heading lines ("FOR A", …)
    for block in loaded.blocks[:15]:
        if block.page != first_page or (run and block.kind != "heading"):
            break
        if block.kind == "heading":
            line = " ".join(block.text.split())
            if line.lower() in _GENERIC_TITLES or _names_publisher(line):
                if run:
                    break
                continue  # a banner ("OECD Legal Instruments") or the publisher's name above the title
            if run and (sum(len(t.split()) for t in run) + len(line.split()) > 16
                        or line.lower() in " ".join(run).lower() or _SECTION_NUMBER.match(line)):
                break  # too long for a title, the title's words again, or the first section after it
            run.append(line)
            if len(run) == 6:
                break
    for k in range(len(run) - 1, 0, -1):  # the publisher's name set over several lines above the title
        if _names_publisher(" ".join(run[:k])):
            run = run[k:]
            break
    sections: list[str] = []  # numbered section headings: after every other candidate, before the file name
    if run:
        heading = " ".join(" ".join(run).split())[:200]
        (sections if _SECTION_NUMBER.match(heading) else candidates).append(heading)
    for block in loaded.blocks[:10]:  # else a first line that reads as a title: short, no sentence
        first = _BULLETS.split(" ".join(block.text.split("\n")[0].split()))[0].strip()
        first = _TRAILING_GENERIC.sub("", first).strip()  # "Conseils pour … en ligne À faire ●" → "Conseils …"
        if not first:
            continue
        opening = first[:1]
        if 2 <= len(first.split()) <= 14 and (opening.isupper() or (opening.isalpha() and not opening.islower()
                                                                   and not opening.isascii())) \
                and not first.endswith((".", ":", ";", ",")) and ". " not in first:
            lead = leading_title(first)  # "TRAINING OF TRAINERS … PROTECTION Information document submitted by…"
            if lead.isupper() and first.startswith(lead) and not first[len(lead):].strip().isupper():
                first = lead
            (sections if _SECTION_NUMBER.match(first) else candidates).append(first)
        break
    if loaded.blocks:
        candidates.append(leading_title(" ".join(b.text for b in loaded.blocks[:5])))
    candidates.append(file_like)
    candidates.extend(sections)
    for candidate in candidates:
        if not candidate:
            continue
        if weak_title(candidate):
            completed = _complete(" ".join(candidate.split()), loaded.blocks)
            if completed != candidate and not weak_title(completed):
                return completed[:200]
            continue
        return candidate[:200]
    return _file_name_title(file_name)


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


def build_meta(loaded: LoadedDocument, file_name: str, text: str, entry: dict[str, str] | None,
               aliases: SourceAliases | None = None) -> DocumentMeta:
    """Merge manifest entry > front matter > inference into one `DocumentMeta`; the source, wherever it came
    from, named as the alias table names it (`aliases`: the index's; the shipped vocabulary when None)."""
    fields: dict[str, str] = {}
    extra: dict[str, str] = {}
    header = parse_header(loaded.head_text).as_fields() if loaded.head_text else {}
    for layer in (header, loaded.metadata, entry or {}):  # later layers win
        for key, value in layer.items():
            if key in KNOWN_FIELDS:
                if value:
                    fields[key] = value
            elif key not in ("path", ALIASES_COLUMN):
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
    named = "" if fields.get("source") else submitter(_cover_text(loaded))  # "Submitted by: Republic of …"
    if named and not country_raw and lookup_country(named):
        country = lookup_country(named).name  # type: ignore[union-attr]
    found = lookup_country(country) if country else None
    source = fields.get("source") or named or country or find_organisation_in_filename(file_name) or \
        find_organisation(title, loaded.author or "")
    if not source:  # nothing named it so far: read the cover pages and the last page
        source = infer_source(_cover_text(loaded), text[-3000:], loaded.author)
        if not country and lookup_country(source):
            country = source
            found = lookup_country(country)
    source = (aliases or SourceAliases.shipped()).resolve(source)  # "raspberrypi.org" → "Raspberry Pi Foundation"
    language = fields.get("language", "").lower() or detect_language(_language_sample(text), "und")
    doc_type, known = normalize_doc_type(fields.get("doc_type", DEFAULT_DOC_TYPES.get(loaded.format, "other")))
    if not known and (entry or {}).get("doc_type") != fields["doc_type"]:  # a manifest row is warned of by its line
        loaded.warnings.append(unknown_doc_type_warning(fields["doc_type"], doc_type))
    actor_type, known = normalize_actor_type(fields.get("actor_type", ""))
    if not known:
        if fields.get("actor_type"):
            loaded.warnings.append(f"actor_type {fields['actor_type']!r} is not one of {', '.join(ACTOR_TYPES)}: "
                                   f"inferred from the source")
        actor_type = infer_actor_type(source, country)
    meeting = one_line(fields.get("meeting", ""))
    collection = default_collection(meeting)
    if fields.get("collection"):
        named = normalize_collection(fields["collection"])
        if named is None:
            loaded.warnings.append(f"collection {fields['collection']!r} is not one of contributions, library: "
                                   f"{collection} (from {'its meeting' if meeting else 'no meeting named'})")
        collection = named or collection
    date = fields.get("date", "")
    if date and not is_iso_date(date):
        loaded.warnings.append(f"date {date!r} is not an ISO date (YYYY, YYYY-MM or YYYY-MM-DD): left out")
        date = ""
    return DocumentMeta(
        title=one_line(title),
        source=one_line(source),
        country=one_line(country),
        region=found.region if found else "",
        doc_type=doc_type,
        actor_type=actor_type,
        meeting=meeting,
        date=date.strip(),
        language=one_line(language),
        collection=collection,
        extra={one_line(str(k)): one_line(v) if isinstance(v, str) else v for k, v in extra.items()},
    )


def _cover_text(loaded: LoadedDocument, limit: int = 6000) -> str:
    """The first two pages' text (the first blocks of a file without pages), one block per line."""
    first = loaded.blocks[0].page if loaded.blocks else None
    pages = None if first is None else (first, first + 1)
    lines = [b.text for b in loaded.blocks[:80] if pages is None or b.page in pages]
    return "\n".join(lines)[:limit]


def _language_sample(text: str) -> str:
    """A few slices across the document: covers, tables of contents and annexes mislead alone."""
    if len(text) <= 3000:
        return text
    step = len(text) // 4
    return " ".join(text[i * step + 200: i * step + 950] for i in range(4))
