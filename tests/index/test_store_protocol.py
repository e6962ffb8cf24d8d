"""Both stores implement the store protocol (index/store_api.py) side by side: each defines every operation
itself and neither inherits the other, so an operation written for one store is never silently the other's
(with SQL of the wrong engine). What they answer is held alike by tests/index/test_store_contract.py."""

from __future__ import annotations

import inspect

from index.folder import IndexFolder
from index.pg_store import PostgresStore
from index.store import SqliteStore
from index.store_api import Store

STORES: tuple[type, ...] = (SqliteStore, PostgresStore)


def _operations() -> dict[str, inspect.Signature]:
    return {name: inspect.signature(member) for name, member in vars(Store).items()
            if callable(member) and not name.startswith("_")}


def _problems(cls: type) -> list[str]:
    """What keeps `cls` from being a store beside the others: a base class (another store, or anything but
    `object`), an operation it does not define itself, or one whose parameters are not the protocol's."""
    problems = [f"{cls.__name__} inherits {base.__name__}" for base in cls.__mro__[1:] if base is not object]
    for name, expected in _operations().items():
        own = vars(cls).get(name)
        if own is None:
            problems.append(f"{cls.__name__} does not define {name}")
            continue
        given = inspect.signature(own)
        if list(given.parameters) != list(expected.parameters):
            problems.append(f"{cls.__name__}.{name}{given} is not the protocol's {name}{expected}")
    return problems


def test_the_protocol_names_the_operations_callers_use() -> None:
    operations = _operations()
    assert len(operations) >= 50, sorted(operations)
    assert {"snapshot", "transaction", "documents", "write_document", "bm25_candidates", "nearest_soon",
            "keep_file", "open_file", "export_rows"} <= set(operations)


def test_each_store_defines_every_operation_itself_and_inherits_nothing() -> None:
    for cls in STORES:
        assert _problems(cls) == []
    assert not issubclass(SqliteStore, PostgresStore) and not issubclass(PostgresStore, SqliteStore)


def test_an_heir_or_a_partial_store_is_caught() -> None:
    class Heir(SqliteStore):  # the shape issue 22 removed: one store taking the other's operations
        def documents(self, filters=None):  # type: ignore[no-untyped-def]
            return []

    class Partial:
        def documents(self, filters=None):  # type: ignore[no-untyped-def]
            return []

        def document(self, id):  # type: ignore[no-untyped-def]  # the protocol's parameter is document_id
            raise LookupError(id)

    heir = _problems(Heir)
    assert "Heir inherits SqliteStore" in heir and "Heir does not define write_document" in heir
    partial = _problems(Partial)
    assert "Partial does not define transaction" in partial and not any("inherits" in p for p in partial)
    assert any(p.startswith("Partial.document(self, id)") for p in partial)
    assert "Partial does not define documents" not in partial


def test_the_index_folder_never_asks_which_store_it_holds() -> None:
    """The folder picks the store class once, by the location's scheme, when it opens; after that it only
    calls the protocol (originals, manifest and vector search included)."""
    source = inspect.getsource(IndexFolder)
    assert "isinstance" not in source
    for opening in (IndexFolder.open, IndexFolder._open_database):
        assert inspect.getsource(opening) in source
        source = source.replace(inspect.getsource(opening), "")
    assert "SqliteStore" not in source and "PostgresStore" not in source
