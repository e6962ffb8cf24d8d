"""The project's exceptions. Every message is written for the person who runs the tool.

`ingest` is the bottom layer, so the base class lives here and the other packages import it;
the CLI and the HTTP API each map `CwgError` subclasses to exit codes / status codes in one place.
"""


class CwgError(Exception):
    """Base class: the message says what went wrong and what to do."""


class LoadError(CwgError):
    """A file could not be turned into text (corrupt, encrypted, empty, scanned, mislabelled)."""


class ManifestError(CwgError):
    """A metadata manifest is malformed (bad column, unknown doc_type, unreadable file)."""


class IndexOpenError(CwgError):
    """The index folder cannot be used as asked (missing, other model, older format)."""


class QueryError(CwgError):
    """A search request is invalid (empty query, unknown filter field, bad value)."""


class NotFound(CwgError):
    """A document or chunk id that is not in the index."""


class IndexUnavailable(CwgError):
    """The index's database cannot be reached now (stopped, restarting, network down): retry later."""
