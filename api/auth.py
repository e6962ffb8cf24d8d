"""API keys: `Authorization: Bearer <key>`, keys from CWG_API_KEYS, compared in constant time."""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import Depends, HTTPException, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from api.service import Service, get_service
from api.settings import Settings

bearer = HTTPBearer(auto_error=False, description="one of the keys in the server's CWG_API_KEYS setting")
Credentials = Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]
ServiceDep = Annotated[Service, Depends(get_service)]
WRITES = "uploads and deletions"


def key_matches(given: str, keys: tuple[str, ...]) -> bool:
    """True when `given` is one of `keys`; every key is compared, each in constant time."""
    given_bytes = given.encode("utf-8", "surrogatepass")
    matched = False
    for key in keys:
        matched |= hmac.compare_digest(given_bytes, key.encode("utf-8", "surrogatepass"))
    return matched


def check_key(given: str | None, keys: tuple[str, ...], what: str) -> None:
    """Raise the HTTP error to answer when `given` (the bearer key sent, if any) is not accepted."""
    if not keys:
        raise HTTPException(status.HTTP_403_FORBIDDEN,
                            f"{what} are disabled on this server: set CWG_API_KEYS (comma-separated keys) "
                            f"and restart it")
    if given is None or not key_matches(given, keys):
        raise HTTPException(status.HTTP_401_UNAUTHORIZED,
                            "missing or wrong API key: send `Authorization: Bearer <key>`",
                            headers={"WWW-Authenticate": "Bearer"})


def require_write_key(credentials: Credentials, service: ServiceDep) -> None:
    check_key(_key(credentials), service.settings.api_keys, WRITES)


def require_curator_key(credentials: Credentials, service: ServiceDep) -> None:
    """Curation needs a key of CWG_CURATOR_KEYS: an upload key (CWG_API_KEYS) is refused with 403."""
    keys = service.settings.curator_keys
    given = _key(credentials)
    if not keys:
        raise HTTPException(status.HTTP_403_FORBIDDEN, "curation is disabled on this server: set CWG_CURATOR_KEYS "
                                                       "(comma-separated keys) and restart it")
    if given is not None and not key_matches(given, keys) and key_matches(given, service.settings.api_keys):
        raise HTTPException(status.HTTP_403_FORBIDDEN, "this key may upload but not curate: curation needs a key "
                                                       "from CWG_CURATOR_KEYS")
    if given is None or not key_matches(given, keys):
        raise HTTPException(status.HTTP_401_UNAUTHORIZED,
                            "missing or wrong curator key: send `Authorization: Bearer <key>`",
                            headers={"WWW-Authenticate": "Bearer"})


def reading_keys(settings: Settings) -> tuple[str, ...]:
    """Every key that may read: read-only keys, and the keys of those who may upload or curate."""
    return settings.read_keys + settings.api_keys + settings.curator_keys


def require_read_key(credentials: Credentials, service: ServiceDep) -> None:
    """Reads are open unless the server runs with CWG_READ_REQUIRES_KEY=1; then any key that may read,
    upload or curate is accepted (CWG_READ_KEYS, CWG_API_KEYS, CWG_CURATOR_KEYS)."""
    if service.settings.read_requires_key:
        keys = reading_keys(service.settings)
        if not keys:
            raise HTTPException(status.HTTP_403_FORBIDDEN,
                                "reads need a key on this server (CWG_READ_REQUIRES_KEY is set) but none is "
                                "configured: set CWG_READ_KEYS (comma-separated read-only keys) and restart it")
        check_key(_key(credentials), keys, "reads")


def bearer_key(authorization: str | None) -> str | None:
    """The key of an `Authorization: Bearer <key>` header value, else None."""
    scheme, _, key = (authorization or "").partition(" ")
    return (key.strip() or None) if scheme.lower() == "bearer" else None


def _key(credentials: HTTPAuthorizationCredentials | None) -> str | None:
    return credentials.credentials if credentials is not None else None
