"""Settings: read from the environment here, in the front door, validated, and passed down as values.

Every value is checked when a command or the server starts: a bad one stops it with one line naming
the setting (exit 2), never a traceback in the middle of a command.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

from index.folder import index_location
from index.pg_vectors import VECTOR_SEARCHES
from ingest.errors import CwgError
from ingest.limits import DEFAULT_MAX_PARSE_SECONDS, DEFAULT_MAX_UNPACKED_MB, MB, ReadLimits
from ingest.ocr import DEFAULT_MAX_PAGES, DEFAULT_PAGE_SECONDS, UN_LANGUAGES, OcrSettings
from search.characterization.repository import CHECK_MAX_PASSAGES
from search.retrieval.engine import MAX_QUERY_CHARS, QUERY_CHARS

DEFAULT_INDEX = "./cwg-index"
DTYPES = ("bfloat16", "float32")
# A heavy request (api/heavy.py) answers 503 after this long: a synthesis of the sample took 3-8 s and a
# 100-passage check ~10 s on one core; a minute leaves room for a larger index and a slower machine.
DEFAULT_HEAVY_SECONDS = 60.0
MIN_QUERY_CHARS = 100  # a shorter cut would lose ordinary questions
_TRUE, _FALSE = ("1", "true", "yes", "on"), ("", "0", "false", "no", "off")


class SettingsError(CwgError):
    """A setting from the environment has a value this program cannot use."""


@dataclass(frozen=True)
class Settings:
    index: Path | str = Path(DEFAULT_INDEX)  # a folder, or a postgresql:// URI
    dtype: str = "bfloat16"
    vector_search: str = "memory"  # CWG_VECTOR_SEARCH: a PostgreSQL index's vector search, memory or pgvector
    api_keys: tuple[str, ...] = ()
    curator_keys: tuple[str, ...] = ()  # CWG_CURATOR_KEYS: who may set curation statuses (not uploaders)
    read_keys: tuple[str, ...] = ()  # CWG_READ_KEYS: who may only read, when reads need a key
    read_requires_key: bool = False
    max_upload_bytes: int = 50 * MB
    max_unpacked_bytes: int = DEFAULT_MAX_UNPACKED_MB * MB
    max_parse_seconds: float = DEFAULT_MAX_PARSE_SECONDS
    # optional OpenAI-compatible endpoint that may rewrite syntheses into prose (off unless asked for)
    llm_url: str = ""
    llm_model: str = ""
    llm_key: str = field(default="", repr=False)
    # The server's threads (0: sized to this machine's cores, see api/service.py): request threads (the
    # reads and the Python work of each request) and each query encoder's forward-pass threads.
    request_threads: int = 0
    encoder_threads: int = 0
    # `cwg serve` processes sharing the port (CWG_WORKERS / --workers; 0: one per core, memory allowing, see
    # api/service.py's serving_processes); the threads above are sized to each one's share of the cores
    workers: int = 0
    # Bounds on anonymous heavy work (api/heavy.py): the part of a query or text that is read, the passages
    # of a draft that `/check` and `cwg check` compare, the seconds a heavy request may take, and how many
    # run at once in each process (0: half its share of the cores, at least 1)
    query_chars: int = QUERY_CHARS
    check_max_passages: int = CHECK_MAX_PASSAGES
    heavy_seconds: float = DEFAULT_HEAVY_SECONDS
    heavy_concurrency: int = 0
    ocr: OcrSettings = field(default_factory=OcrSettings)  # CWG_OCR…: how scanned PDF pages are read
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def read_limits(self) -> ReadLimits:
        return ReadLimits(self.max_unpacked_bytes, self.max_parse_seconds, self.ocr)

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Settings:
        """Settings from `env` (default: the process environment); `SettingsError` names a bad one."""
        env = dict(os.environ if env is None else env)
        keys = _keys("CWG_API_KEYS", env)
        dtype = env.get("CWG_DTYPE", "bfloat16").strip().lower() or "bfloat16"
        if dtype not in DTYPES:
            raise _bad("CWG_DTYPE", env, f"one of {', '.join(DTYPES)}")
        vector_search = env.get("CWG_VECTOR_SEARCH", "memory").strip().lower() or "memory"
        if vector_search not in VECTOR_SEARCHES:
            raise _bad("CWG_VECTOR_SEARCH", env, f"one of {', '.join(VECTOR_SEARCHES)}")
        llm_url = env.get("CWG_LLM_URL", "").strip()
        if llm_url and (urlparse(llm_url).scheme not in ("http", "https") or not urlparse(llm_url).netloc):
            raise _bad("CWG_LLM_URL", env, "an http:// or https:// address")
        return cls(
            index=index_location(env.get("CWG_INDEX", "").strip() or DEFAULT_INDEX),
            dtype=dtype,
            vector_search=vector_search,
            api_keys=keys,
            curator_keys=_keys("CWG_CURATOR_KEYS", env),
            read_keys=_keys("CWG_READ_KEYS", env),
            read_requires_key=_flag("CWG_READ_REQUIRES_KEY", env),
            max_upload_bytes=int(_positive("CWG_MAX_UPLOAD_MB", env, 50) * MB),
            max_unpacked_bytes=int(_positive("CWG_MAX_UNPACKED_MB", env, DEFAULT_MAX_UNPACKED_MB) * MB),
            max_parse_seconds=_positive("CWG_MAX_PARSE_SECONDS", env, DEFAULT_MAX_PARSE_SECONDS),
            llm_url=llm_url,
            llm_model=env.get("CWG_LLM_MODEL", "").strip(),
            llm_key=env.get("CWG_LLM_KEY", "").strip(),
            request_threads=_count("CWG_REQUEST_THREADS", env),
            encoder_threads=_count("CWG_ENCODER_THREADS", env),
            workers=_count("CWG_WORKERS", env, most=64),
            query_chars=_count("CWG_QUERY_CHARS", env, most=MAX_QUERY_CHARS, least=MIN_QUERY_CHARS) or QUERY_CHARS,
            check_max_passages=_count("CWG_CHECK_MAX_PASSAGES", env, most=100_000) or CHECK_MAX_PASSAGES,
            heavy_seconds=_positive("CWG_HEAVY_SECONDS", env, DEFAULT_HEAVY_SECONDS),
            heavy_concurrency=_count("CWG_HEAVY_CONCURRENCY", env),
            ocr=_ocr_settings(env),
        )


def _ocr_settings(env: dict[str, str]) -> OcrSettings:
    """CWG_OCR (on unless 0), CWG_OCR_COMMAND, CWG_OCR_LANGUAGES (Tesseract packs joined by +),
    CWG_OCR_MAX_PAGES, CWG_OCR_PAGE_SECONDS."""
    languages = env.get("CWG_OCR_LANGUAGES", "").strip()
    packs = tuple(languages.split("+")) if languages else UN_LANGUAGES
    if not all(pack.replace("_", "").isalnum() and pack.isascii() for pack in packs):
        raise _bad("CWG_OCR_LANGUAGES", env, "Tesseract language packs joined by + (e.g. eng+fra)")
    return OcrSettings(
        enabled=_flag("CWG_OCR", env) if env.get("CWG_OCR", "").strip() else True,
        command=env.get("CWG_OCR_COMMAND", "").strip() or "tesseract",
        languages=packs,
        max_pages=_count("CWG_OCR_MAX_PAGES", env, most=100_000) or DEFAULT_MAX_PAGES,
        page_seconds=_positive("CWG_OCR_PAGE_SECONDS", env, DEFAULT_PAGE_SECONDS),
    )


def _keys(name: str, env: dict[str, str]) -> tuple[str, ...]:
    """A comma-separated list of keys (blank entries ignored)."""
    return tuple(k.strip() for k in env.get(name, "").split(",") if k.strip())


def _bad(name: str, env: dict[str, str], expected: str) -> SettingsError:
    shown = repr(env.get(name, ""))
    shown = shown if len(shown) <= 40 else shown[:37] + "…'"
    return SettingsError(f"setting {name}={shown} is not {expected}: fix or unset it")


def _positive(name: str, env: dict[str, str], default: float) -> float:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or value <= 0:
        raise _bad(name, env, f"a positive number (default {default:g})")
    return value


def _count(name: str, env: dict[str, str], most: int = 1024, least: int = 1) -> int:
    """A whole number from `least` to `most`, or 0 when unset (the default is worked out later)."""
    raw = env.get(name, "").strip()
    if not raw:
        return 0
    if not raw.isdigit() or not least <= int(raw) <= most:
        raise _bad(name, env, f"a whole number from {least} to {most}")
    return int(raw)


def _flag(name: str, env: dict[str, str]) -> bool:
    raw = env.get(name, "").strip().lower()
    if raw not in _TRUE + _FALSE:
        raise _bad(name, env, "1 or 0 (also true/false, yes/no, on/off)")
    return raw in _TRUE
