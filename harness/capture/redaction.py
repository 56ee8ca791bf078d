"""Secrets never reach a capture file: each is replaced by a fingerprint, ``sha256:`` + 12 hex digits.

What counts as a secret, wherever it occurs (REST bodies, query values, hub record arguments,
results, headers, error texts, paths):

- the value of any mapping key named ``token``, ``newToken``, ``accessToken``, ``access_token``,
  ``apiKey``, ``password`` or ``secret`` (case-insensitive, at any depth) becomes
  ``{"redacted": "sha256:..."}``;
- any string that is a JWT (three base64url parts, the first starting ``eyJ``) becomes
  ``{"redacted": "sha256:..."}``; a JWT inside a longer string (``"Bearer eyJ..."``) and the value
  of an ``access_token=`` inside a string (a URL in an error text) are replaced in place by the
  fingerprint string;
- the bearer token of the ``Authorization`` header and the ``access_token`` query parameter are
  never copied at all: ``token_sighting`` keeps only where the token was and its fingerprint.

Fingerprints are the first 12 hex digits of SHA-256 over the secret's UTF-8 bytes, so the same
token gives the same fingerprint in every entry (a login's ``token`` links to the hub connections
that present it) and they are a prefix of the simulator's 16-digit ones (``/_sim/tokens``).

The hot path is the hub record: ``might_hold_secret`` looks at a record's raw bytes for any of
``token``, ``apikey``, ``password``, ``secret``, ``eyJ`` (case-insensitive) or a JSON ``\\u``
escape. Every secret key name contains one of those words and a JWT starts with ``eyJ``; JSON can
spell a key differently only with a ``\\u`` escape and MessagePack stores strings as plain UTF-8,
so a record without any of them cannot hold a secret and skips the walk.
"""

from __future__ import annotations

import hashlib
import re
from collections import abc
from typing import Any

import orjson

SECRET_KEYS = frozenset({"token", "newtoken", "accesstoken", "access_token", "apikey", "password", "secret"})
TOKEN_QUERY_KEY = "access_token"
FINGERPRINT_HEX = 12

_B64URL = "A-Za-z0-9_-"
_JWT = re.compile(rf"(?<![{_B64URL}])eyJ[{_B64URL}]*\.[{_B64URL}]+\.[{_B64URL}]*")
_WHOLE_JWT = re.compile(rf"eyJ[{_B64URL}]*\.[{_B64URL}]+\.[{_B64URL}]*")
_QUERY_TOKEN = re.compile(r"(?i)(access_token=)([^&\s\"'<>#]+)")
_MAYBE_SECRET = (b"token", b"apikey", b"password", b"secret", b"eyj", b"\\u")  # looked for lowercased
_JWT_BYTES = re.compile(rb"(?<![A-Za-z0-9_-])eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*")


def fingerprint(secret: str | bytes) -> str:
    """``sha256:`` and the first 12 hex digits of SHA-256 over ``secret``."""
    data = secret.encode() if isinstance(secret, str) else secret
    return "sha256:" + hashlib.sha256(data).hexdigest()[:FINGERPRINT_HEX]


def redacted(secret: Any) -> dict[str, str]:
    """What replaces a secret value: its fingerprint (of its JSON text when it is not a string)."""
    if isinstance(secret, str):
        return {"redacted": fingerprint(secret)}
    try:
        text = orjson.dumps(secret, default=repr).decode()
    except TypeError:  # integers past 64 bits, exotic keys: never let a secret stop the capture
        text = repr(secret)
    return {"redacted": fingerprint(text)}


def might_hold_secret(raw: bytes) -> bool:
    """False only when ``raw`` (a JSON or MessagePack record) cannot hold a secret: skip the walk."""
    lowered = raw.lower()  # a C loop and six substring scans: several times faster than one regex
    return any(word in lowered for word in _MAYBE_SECRET)


def scrub(text: str) -> str:
    """``text`` with every JWT and every ``access_token=`` value replaced by its fingerprint."""
    if "eyJ" not in text and "ccess_token=" not in text.lower():
        return text
    text = _QUERY_TOKEN.sub(lambda m: m.group(1) + fingerprint(m.group(2)), text)
    return _JWT.sub(lambda m: fingerprint(m.group(0)), text)


def scrub_bytes(line: bytes) -> bytes:
    """A serialised line with any JWT left in it replaced by its fingerprint (the writer's net)."""
    return _JWT_BYTES.sub(lambda m: fingerprint(m.group(0)).encode(), line)


def _string(text: str) -> Any:
    if "eyJ" in text and _WHOLE_JWT.fullmatch(text):
        return redacted(text)
    return scrub(text)


def redact(value: Any) -> Any:
    """A copy of ``value`` with every secret replaced (mappings and sequences walked to any depth).
    Values of other types (numbers, bytes, MessagePack timestamps) are returned as they are."""
    if isinstance(value, str):
        return _string(value)
    if isinstance(value, abc.Mapping):
        out: dict[Any, Any] = {}
        for key, item in value.items():
            secret_key = isinstance(key, str) and key.lower() in SECRET_KEYS
            name = scrub(key) if isinstance(key, str) else key
            out[name] = redacted(item) if secret_key and item not in (None, "") else redact(item)
        return out
    if isinstance(value, list | tuple):
        return [redact(item) for item in value]
    return value


def bearer_token(authorization: str | None) -> str | None:
    """The credential of an ``Authorization`` header: the token after ``Bearer``, else the value."""
    if not authorization or not authorization.strip():
        return None
    scheme, _, rest = authorization.strip().partition(" ")
    if scheme.lower() != "bearer":
        return authorization.strip()
    return rest.strip() or None


def token_sighting(authorization: str | None, query: abc.Mapping[str, str]) -> dict[str, Any]:
    """``{"where": "header"|"query"|"both"|None, "fp": ...}`` for the token a request presents.

    With both, ``fp`` is the header's (ASP.NET Core's JWT handler reads the header first) and
    ``query_fp`` is added when the query carries a different token."""
    header = bearer_token(authorization)
    query_token = next((v for k, v in query.items() if k.lower() == TOKEN_QUERY_KEY and v), None)
    if header and query_token:
        sighting: dict[str, Any] = {"where": "both", "fp": fingerprint(header)}
        if query_token != header:
            sighting["query_fp"] = fingerprint(query_token)
        return sighting
    if header:
        return {"where": "header", "fp": fingerprint(header)}
    if query_token:
        return {"where": "query", "fp": fingerprint(query_token)}
    return {"where": None, "fp": None}
