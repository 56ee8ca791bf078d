"""The rules every number and JSON document from outside meets (``simulator/values.py``), and the
token store's strictness and bounds (``simulator/projectx/tokens.py``)."""

from __future__ import annotations

import math
from typing import Any

import msgpack
import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

from simulator.projectx import tokens as tokens_module
from simulator.projectx.tokens import TokenError, TokenProblem, TokenService
from simulator.values import MAX_DEPTH, BadValue, encodable, number, parse_json


@pytest.mark.parametrize(
    ("raw", "why"),
    [
        (b'{"a": NaN}', "NaN is not a JSON number"),
        (b'{"a": -Infinity}', "-Infinity is not a JSON number"),
        (b'{"a": 1e400}', "out of range"),
        (b'{"a": 18446744073709551616}', "out of range (64 bits)"),
        (b'{"a": ' + b"9" * 5000 + b"}", "out of range (64 bits)"),
        (b"[" * 5000 + b"]" * 5000, "nested deeper"),
        (b"[" * (MAX_DEPTH + 2) + b"]" * (MAX_DEPTH + 2), "nested deeper"),
        (b'{"a": 1', "not valid JSON"),
        (b"\xff\xfe", "not valid JSON"),
    ],
)
def test_hostile_json_is_refused_by_name(raw: bytes, why: str) -> None:
    with pytest.raises(BadValue, match=why.replace("(", r"\(").replace(")", r"\)")):
        parse_json(raw)


def test_json_within_the_rules_reads_as_usual() -> None:
    text = b'{"a": [1, -9223372036854775808, 18446744073709551615, 1.5e300, "x", null, true]}'
    assert parse_json(text) == orjson.loads(text)


@pytest.mark.parametrize(
    "value",
    [2**64, -(2**63) - 1, math.nan, math.inf, object(), {1: "x"}, b"bytes"],
)
def test_what_a_hub_protocol_cannot_carry_is_not_encodable(value: Any) -> None:
    with pytest.raises(BadValue):
        encodable([value], "arguments")


def test_nesting_past_the_limit_is_not_encodable() -> None:
    deep: list[Any] = []
    for _ in range(MAX_DEPTH + 1):
        deep = [deep]
    with pytest.raises(BadValue, match="nested deeper"):
        encodable(deep)


JSONISH = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**64 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=10),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=6), children, max_size=4)
    ),
    max_leaves=20,
)


@given(JSONISH)
def test_whatever_is_encodable_both_hub_protocols_encode(value: Any) -> None:
    encodable(value)
    orjson.dumps(value)
    msgpack.packb(value)


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf, 10**400, True, "1", None, [1], -0.5, 11])
def test_numbers_outside_their_range_or_type_are_refused(bad: Any) -> None:
    with pytest.raises(BadValue, match="field 'x' must be"):
        number(bad, "field 'x'", low=0, high=10)


def test_a_number_in_its_range_is_itself() -> None:
    assert number(0, "x", low=0, high=10) == 0
    assert number(10.0, "x", low=0, high=10) == 10.0
    with pytest.raises(BadValue, match=r"in \(0, 10\]"):
        number(0, "x", low=0, high=10, low_open=True)
    with pytest.raises(BadValue, match="an integer"):
        number(1.0, "x", low=0, high=10, integer=True)


# -- tokens ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("junk", ["!!", "=", "==", "@@@@", "=junk", "x", ".x"])
def test_a_token_with_anything_appended_is_unknown(junk: str) -> None:
    service = TokenService()
    token = service.issue("sim")
    assert service.validate(token).user == "sim"
    with pytest.raises(TokenError) as caught:
        service.validate(token + junk)
    assert caught.value.problem is TokenProblem.UNKNOWN


def test_the_token_store_forgets_long_expired_tokens_and_stays_under_its_cap(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    now = [1000.0]
    service = TokenService(lifetime_s=10, clock=lambda: now[0])
    old = service.issue("sim")
    now[0] += 11
    with pytest.raises(TokenError) as caught:  # expired, and still known as such
        service.validate(old)
    assert caught.value.problem is TokenProblem.EXPIRED
    now[0] += tokens_module.RETAIN_EXPIRED_S
    service.issue("sim")
    with pytest.raises(TokenError) as caught:  # forgotten: unknown
        service.validate(old)
    assert caught.value.problem is TokenProblem.UNKNOWN
    monkeypatch.setattr(tokens_module, "MAX_TOKENS", 50)
    issued = [service.issue("sim") for _ in range(200)]
    assert len(service.summary()) == 50
    assert service.validate(issued[-1]).user == "sim"
