"""Search filters, compiled to SQL so they apply before ranking (never after top-k).

A filter value selects the stored values it names: those equal to it once both are folded (`fold`: Unicode
NFKC and case folding, one rule for both stores), and the ids whose display name it is (a document type's,
an actor type's or a curation status's name; a label's name as the last `cwg tag` recorded it). Values are
resolved here, in Python, against the values the index holds (its `FacetTable`, kept per state of the index),
so both stores run the same SQL over exact stored values, and a value that names nothing matches no document
(it never reaches SQL).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ingest.errors import QueryError
from ingest.metadata import check_date
from ingest.quality import BANDS, QUALITY_BAND_NAMES
from ingest.records import ACTOR_TYPES, COLLECTIONS, CURATION_STATUSES, DOC_TYPES
from ingest.textclean import fold  # the one folding rule (filter values equal stored values by it)

if TYPE_CHECKING:
    from index.facet_table import FacetTable
    from index.sql_dialect import Dialect

# The fields a filter reads, defined once (the CLI's `--where`, the HTTP query parameters, the facets, the page
# through GET /fields): the document's own fields, the taxonomy's label facets, the curator's status, the
# quality score and the date range.
DOCUMENT_FACETS = ("source", "country", "region", "doc_type", "actor_type", "meeting", "language", "collection")
DOCUMENT_FIELDS = DOCUMENT_FACETS + ("document_id",)
LABEL_FACETS = ("theme", "risk", "audience", "initiative_type")
MARK_FIELDS = ("curation", "quality_band")  # the curator's latest status; the band of the quality score
LIST_FIELDS = DOCUMENT_FACETS + LABEL_FACETS + MARK_FIELDS  # repeated for alternatives (OR)
FILTER_FIELDS = DOCUMENT_FIELDS + LABEL_FACETS + MARK_FIELDS + ("min_quality", "date_from", "date_to")
# what people call each field (a label facet's own name comes from the taxonomy; this is its fallback)
FIELD_NAMES = {"source": "Source", "country": "Country", "region": "Region", "doc_type": "Document type",
               "actor_type": "Submitted by", "meeting": "Meeting", "language": "Language", "collection": "Collection",
               "document_id": "Document", "theme": "Theme", "risk": "Risk", "audience": "Audience",
               "initiative_type": "Initiative type", "curation": "Curation", "quality_band": "Quality",
               "min_quality": "Minimum quality", "date_from": "From date", "date_to": "To date"}
DISPLAY_NAMES: dict[str, dict[str, str]] = {"doc_type": DOC_TYPES, "actor_type": ACTOR_TYPES,
                                            "curation": CURATION_STATUSES, "collection": COLLECTIONS,
                                            "quality_band": QUALITY_BAND_NAMES}
# (id → name; labels: the tagging state). `collection=all` is no value of its own: both collections (`scoped`).
EVERY_COLLECTION = "all"
MATCHES_NOTHING = "1 = 0"




def resolve(table: FacetTable, name: str, values: list[str]) -> list[str]:
    """The values of field `name` stored in the index (`table`) that `values` select, sorted (none: [])."""
    wanted = {fold(v) for v in values}
    names = table.label_names.get(name, {}) if name in LABEL_FACETS else DISPLAY_NAMES.get(name, {})
    wanted |= {fold(key) for key, shown in names.items() if fold(str(shown)) in wanted}
    stored = table.values_folded(name)
    return sorted({value for key in wanted for value in stored.get(key, ())})


@dataclass
class Filters:
    """Values within one field are alternatives (OR); fields combine with AND."""

    fields: dict[str, list[str]] = field(default_factory=dict)
    date_from: str = ""
    date_to: str = ""
    min_quality: float | None = None

    @classmethod
    def parse(cls, pairs: list[str]) -> Filters:
        """From CLI `FIELD=VALUE` strings."""
        filters = cls()
        for pair in pairs:
            name, sep, value = pair.partition("=")
            if not sep:
                raise QueryError(f"filter {pair!r} is not FIELD=VALUE (fields: {', '.join(FILTER_FIELDS)})")
            filters.add(name.strip(), value.strip())
        return filters

    def add(self, name: str, value: str) -> None:
        name = name.lower().replace("-", "_")
        if name == "type":
            name = "doc_type"
        if name not in FILTER_FIELDS:
            raise QueryError(f"unknown filter field {name!r}: choose from {', '.join(FILTER_FIELDS)}")
        if not value:
            raise QueryError(f"filter {name!r} has an empty value")
        if name == "min_quality":
            try:
                number = float(value)
            except ValueError as exc:
                raise QueryError(f"min_quality {value!r} is not a number between 0 and 1") from exc
            if not 0.0 <= number <= 1.0:
                raise QueryError(f"min_quality {value!r} is not between 0 and 1")
            self.min_quality = number
            return
        if name == "curation" and fold(value) not in {fold(s) for pair in CURATION_STATUSES.items() for s in pair}:
            raise QueryError(f"curation {value!r} is not one of {', '.join(CURATION_STATUSES)} "
                             f"(or their names: {', '.join(CURATION_STATUSES.values())})")
        if name == "quality_band" and fold(value) not in {fold(s) for pair in QUALITY_BAND_NAMES.items()
                                                          for s in pair}:
            raise QueryError(f"quality_band {value!r} is not one of {', '.join(QUALITY_BAND_NAMES)}")
        if name == "collection" and fold(value) not in {fold(s) for pair in COLLECTIONS.items() for s in pair} | {
                EVERY_COLLECTION}:
            raise QueryError(f"collection {value!r} is not one of {', '.join(COLLECTIONS)} or {EVERY_COLLECTION}")
        if name in ("date_from", "date_to"):
            try:
                setattr(self, name, check_date(value))
            except Exception as exc:
                raise QueryError(str(exc)) from exc
            return
        self.fields.setdefault(name, []).append(value)

    def with_values(self, name: str, values: list[str]) -> Filters:
        """A copy with field `name` set to `values` (replacing what it had)."""
        return Filters({**self.fields, name: list(values)}, self.date_from, self.date_to, self.min_quality)

    def without(self, name: str) -> Filters:
        """A copy without field `name`."""
        return Filters({k: v for k, v in self.fields.items() if k != name}, self.date_from, self.date_to,
                       self.min_quality)

    def scoped(self, default: str = "contributions") -> Filters:
        """The filters of a view that reads one collection unless asked: `default` when no collection is named,
        both when `collection=all` is (the matrix, trends, syntheses, feeds, reading lists and gaps read the
        group's contributions by default; reference files only when asked)."""
        asked = self.fields.get("collection")
        if not asked:
            return self.with_values("collection", [default])
        if any(fold(v) == EVERY_COLLECTION for v in asked):
            return self.without("collection")
        return self

    def names_every_collection(self) -> bool:
        return any(fold(v) == EVERY_COLLECTION for v in self.fields.get("collection", []))

    def is_empty(self) -> bool:
        return not self.fields and not self.date_from and not self.date_to and self.min_quality is None

    def to_sql(self, table: FacetTable | None, dialect: Dialect, doc_alias: str = "d") -> tuple[str, list[object]]:
        """A WHERE fragment over the documents table (alias `doc_alias`) and its parameters (in `dialect`'s
        placeholders). Field values are resolved against `table`, the index's stored values (needed when
        `fields` is not empty). The SQL is both stores' but for the marks and the quality score (`Dialect`)."""
        clauses: list[str] = []
        params: list[object] = []
        for name, values in self.fields.items():
            if name == "collection" and self.names_every_collection():
                continue  # `collection=all`: every document, wherever it is read
            if table is None:
                raise ValueError("filters on fields need the index's facet table")
            stored = resolve(table, name, values)
            if not stored:
                return MATCHES_NOTHING, []
            marks = dialect.marks(len(stored))
            if name in LABEL_FACETS:
                clauses.append(f"EXISTS (SELECT 1 FROM labels l WHERE l.document_id = {doc_alias}.id "
                               f"AND l.facet = {dialect.mark} AND l.label IN ({marks}))")
                params.append(name)
            elif name == "quality_band":  # the score within the band's floors (a document not yet scored: none)
                score = dialect.quality(doc_alias)
                ceilings = dict(zip([band for band, _ in BANDS[1:]], [floor for _, floor in BANDS]))
                floors = dict(BANDS)
                clauses.append("(" + " OR ".join(
                    f"({score} >= {dialect.mark}" + (f" AND {score} < {dialect.mark})" if band in ceilings else ")")
                    for band in stored) + ")")
                for band in stored:
                    params.extend([floors[band], ceilings[band]] if band in ceilings else [floors[band]])
                continue
            elif name == "curation":  # the latest status; never curated is "none"
                latest = (f"SELECT cu.status FROM curation cu WHERE cu.document_id = {doc_alias}.id "
                          f"ORDER BY cu.seq DESC LIMIT 1")
                clauses.append(f"COALESCE(({latest}), 'none') IN ({marks})")
            else:
                clauses.append(f"{doc_alias}.{'id' if name == 'document_id' else name} IN ({marks})")
            params.extend(stored)
        if self.min_quality is not None:
            clauses.append(f"{dialect.quality(doc_alias)} >= {dialect.mark}")  # as written, on both
            params.append(self.min_quality)
        if self.date_from:
            clauses.append(f"{doc_alias}.date != '' AND {doc_alias}.date >= {dialect.mark}")
            params.append(self.date_from)
        if self.date_to:
            clauses.append(f"{doc_alias}.date != '' AND substr({doc_alias}.date, 1, {dialect.mark}) "
                           f"<= {dialect.mark}")
            params.extend([len(self.date_to), self.date_to])
        return " AND ".join(clauses) or "1 = 1", params
