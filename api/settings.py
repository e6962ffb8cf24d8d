"""Settings: read from the environment here, in the front door, and passed down as values."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_INDEX = "./cwg-index"


@dataclass(frozen=True)
class Settings:
    index: Path = Path(DEFAULT_INDEX)
    dtype: str = "bfloat16"
    api_keys: tuple[str, ...] = ()
    read_requires_key: bool = False
    max_upload_bytes: int = 50 * 1024 * 1024
    # optional OpenAI-compatible endpoint that may rewrite syntheses into prose (off unless asked for)
    llm_url: str = ""
    llm_model: str = ""
    llm_key: str = field(default="", repr=False)
    extra: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Settings:
        env = dict(os.environ if env is None else env)
        keys = tuple(k.strip() for k in env.get("CWG_API_KEYS", "").split(",") if k.strip())
        return cls(
            index=Path(env.get("CWG_INDEX") or DEFAULT_INDEX),
            dtype=env.get("CWG_DTYPE", "bfloat16"),
            api_keys=keys,
            read_requires_key=env.get("CWG_READ_REQUIRES_KEY", "").lower() in ("1", "true", "yes"),
            max_upload_bytes=int(env.get("CWG_MAX_UPLOAD_MB", "50")) * 1024 * 1024,
            llm_url=env.get("CWG_LLM_URL", "").strip(),
            llm_model=env.get("CWG_LLM_MODEL", "").strip(),
            llm_key=env.get("CWG_LLM_KEY", "").strip(),
        )
