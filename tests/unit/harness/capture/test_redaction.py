"""Secrets become fingerprints wherever they sit; the fast path never skips a record holding one."""

from __future__ import annotations

import hashlib
from typing import Any

import msgpack
import orjson
from hypothesis import given, settings
from hypothesis import strategies as st

from harness.capture.redaction import fingerprint, might_hold_secret, redact, scrub, token_sighting

JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJzaW0iLCJleHAiOjE3OTk5OTk5OTl9.c2lnbmF0dXJl"


def test_fingerprint_is_sha256_prefix_of_12_hex() -> None:
    assert fingerprint("abc") == "sha256:" + hashlib.sha256(b"abc").hexdigest()[:12]


def test_secret_keys_are_redacted_at_any_depth_whatever_their_case() -> None:
    body = {
        "userName": "sim",
        "APIKEY": "k-123",
        "nested": [{"NewToken": "t1", "Password": "p", "secret": 42, "access_token": "q"}],
        "accessToken": None,
    }
    out = redact(body)
    assert out["userName"] == "sim"
    assert out["APIKEY"] == {"redacted": fingerprint("k-123")}
    inner = out["nested"][0]
    assert inner["NewToken"] == {"redacted": fingerprint("t1")}
    assert inner["Password"] == {"redacted": fingerprint("p")}
    assert inner["secret"] == {"redacted": fingerprint("42")}
    assert inner["access_token"] == {"redacted": fingerprint("q")}
    assert out["accessToken"] is None  # nothing to hide


def test_a_jwt_anywhere_is_replaced() -> None:
    out = redact({"note": JWT, "auth": f"Bearer {JWT}", "url": "/hubs/market?access_token=abc&x=1"})
    assert out["note"] == {"redacted": fingerprint(JWT)}
    assert out["auth"] == f"Bearer {fingerprint(JWT)}"
    assert out["url"] == f"/hubs/market?access_token={fingerprint('abc')}&x=1"
    assert redact([JWT]) == [{"redacted": fingerprint(JWT)}]


def test_plain_values_are_left_alone() -> None:
    quote = ["CON.F.US.MNQ.Z26", {"bestBid": 1.25, "symbol": "F.US.MNQ", "eyes": "eyJ-not-a-jwt"}]
    assert redact(quote) == quote
    assert scrub("no secrets here") == "no secrets here"


def test_token_sighting_says_where_and_fingerprints() -> None:
    assert token_sighting(f"Bearer {JWT}", {}) == {"where": "header", "fp": fingerprint(JWT)}
    assert token_sighting(None, {"access_token": JWT}) == {"where": "query", "fp": fingerprint(JWT)}
    assert token_sighting(f"Bearer {JWT}", {"access_token": JWT}) == {"where": "both", "fp": fingerprint(JWT)}
    both = token_sighting("Bearer a", {"access_token": "b"})
    assert both == {"where": "both", "fp": fingerprint("a"), "query_fp": fingerprint("b")}
    assert token_sighting(None, {}) == {"where": None, "fp": None}


def test_a_quote_record_takes_the_fast_path() -> None:
    record = b'{"type":1,"target":"GatewayQuote","arguments":["CON.F.US.MNQ.Z26",{"bestBid":1.5}]}'
    assert not might_hold_secret(record)


_keys = st.sampled_from(["a", "Token", "newToken", "APIKEY", "password", "Secret", "access_token", "x"])
_strings = st.sampled_from(["v", JWT, f"Bearer {JWT}", "", "access_token=zz"])
_json = st.recursive(
    st.none() | st.integers(-(2**63), 2**63 - 1) | _strings,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_keys, inner, max_size=3),
    max_leaves=10,
)


@settings(max_examples=300)
@given(_json)
def test_whatever_redaction_changes_the_fast_path_walks(value: Any) -> None:
    if redact(value) != value:
        assert might_hold_secret(orjson.dumps(value))
        assert might_hold_secret(msgpack.packb(value, use_bin_type=True))
