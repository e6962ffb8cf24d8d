"""Search filters, compiled to SQL so they apply before ranking (never after top-k)."""

from __future__ import annotations

from dataclasses import dataclass, field

from ingest.errors import QueryError
from ingest.metadata import check_date
from ingest.records import CURATION_STATUSES

DOCUMENT_FIELDS = ("source", "country", "region", "doc_type", "actor_type", "meeting", "language", "document_id")
LABEL_FACETS = ("theme", "risk", "audience", "initiative_type")
FILTER_FIELDS = DOCUMENT_FIELDS + LABEL_FACETS + ("curation", "min_quality", "date_from", "date_to")


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
        if name == "curation" and value.lower() not in CURATION_STATUSES:
            raise QueryError(f"curation {value!r} is not one of {', '.join(CURATION_STATUSES)}")
        if name in ("date_from", "date_to"):
            try:
                setattr(self, name, check_date(value))
            except Exception as exc:
                raise QueryError(str(exc)) from exc
            return
        self.fields.setdefault(name, []).append(value)

    def is_empty(self) -> bool:
        return not self.fields and not self.date_from and not self.date_to and self.min_quality is None

    def to_sql(self, doc_alias: str = "d", dialect: str = "sqlite") -> tuple[str, list[str]]:
        """A WHERE fragment over the documents table (alias `doc_alias`) and its parameters (`?` marks), in
        SQLite's SQL or, with `dialect="postgresql"`, in PostgreSQL's (index/pg_store.py). Values compare
        without case: SQLite's NOCASE folds ASCII letters, PostgreSQL's lower() every letter."""
        pg = dialect == "postgresql"

        def among(expr: str, count: int) -> str:
            if pg:
                return f"lower({expr}) IN ({','.join(['lower(?)'] * count)})"
            return f"{expr} COLLATE NOCASE IN ({','.join('?' * count)})"

        clauses: list[str] = []
        params: list[str] = []
        for name, values in self.fields.items():
            if name in LABEL_FACETS:
                # by label id ("age_assurance") or by the name the last `cwg tag` recorded ("Age assurance")
                named = (f"SELECT n.key FROM jsonb_each_text((SELECT value FROM state WHERE key = 'tagging')::jsonb "
                         f"-> 'labels' -> '{name}') n WHERE {among('n.value', len(values))}") if pg else (
                    f"SELECT key FROM json_each((SELECT value FROM state WHERE key = 'tagging'), "
                    f"'$.labels.{name}') WHERE {among('value', len(values))}")
                clauses.append(f"EXISTS (SELECT 1 FROM labels l WHERE l.document_id = {doc_alias}.id AND l.facet = ? "
                               f"AND ({among('l.label', len(values))} OR l.label IN ({named})))")
                params.append(name)
                params.extend(values)
            elif name == "curation":  # the latest status; never curated is "none"
                latest = (f"SELECT cu.status FROM curation cu WHERE cu.document_id = {doc_alias}.id "
                          f"ORDER BY cu.seq DESC LIMIT 1")
                clauses.append(among(f"COALESCE(({latest}), 'none')", len(values)))
            else:
                column = "id" if name == "document_id" else name
                clauses.append(among(f"{doc_alias}.{column}", len(values)))
            params.extend(values)
        if self.min_quality is not None:
            clauses.append(f"{doc_alias}.quality >= {'CAST(? AS real)' if pg else '?'}")
            params.append(str(self.min_quality))
        if self.date_from:
            clauses.append(f"{doc_alias}.date != '' AND {doc_alias}.date >= ?")
            params.append(self.date_from)
        if self.date_to:
            length = "CAST(? AS integer)" if pg else "?"
            clauses.append(f"{doc_alias}.date != '' AND substr({doc_alias}.date, 1, {length}) <= ?")
            params.extend([str(len(self.date_to)), self.date_to])
        return (" AND ".join(clauses) or ("TRUE" if pg else "1")), params
