"""What a number or a JSON document from outside must be before the simulator keeps or sends it.

Every body the simulator reads (REST, control API) is parsed by ``parse_json``: no ``NaN`` or
``Infinity`` literals, no number that overflows to infinity, no integer past 64 bits, nothing
nested deeper than ``MAX_DEPTH``. What it will send on a hub (a control-API ``send``,
``broadcast`` or ``invoke``) must also be ``encodable``, the same rules the JSON and MessagePack
hub protocols hold. Numbers that set timers, rates and sizes go through ``number``: finite and in
a documented range. Each failure is a ``BadValue`` whose message names the field and the rule;
the caller turns it into its own refusal (400 on ``/_sim/``, the Gateway's envelope on ``/api``).
"""

from __future__ import annotations

import json
import math
from typing import Any

MAX_DEPTH = 32  # lists and objects inside each other; orjson stops at 254, msgpack at 512
INT_LOW, INT_HIGH = -(2**63), 2**64 - 1  # what both hub encodings carry (int64 or uint64)


class BadValue(ValueError):
    """A value from outside that the simulator refuses; the message says which and why."""


def _constant(name: str) -> Any:
    raise BadValue(f"{name} is not a JSON number")


def _float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise BadValue(f"number {text[:40]} is out of range")
    return value


def _int(text: str) -> int:
    if len(text) > 21:  # past 64 bits whatever the digits: refuse before converting
        raise BadValue(f"integer {text[:24]}... is out of range (64 bits)")
    value = int(text)
    if not INT_LOW <= value <= INT_HIGH:
        raise BadValue(f"integer {text} is out of range (64 bits)")
    return value


def parse_json(raw: bytes | str) -> Any:
    """``raw`` as JSON under the rules above; ``BadValue`` (a ``ValueError``) when it breaks one."""
    try:
        value = json.loads(raw, parse_constant=_constant, parse_float=_float, parse_int=_int)
    except RecursionError:
        raise BadValue(f"JSON nested deeper than {MAX_DEPTH} levels") from None
    except BadValue:
        raise
    except (ValueError, UnicodeDecodeError) as exc:
        raise BadValue(f"not valid JSON: {exc}") from None
    encodable(value, "body")  # what json.loads built is JSON types already: this checks the depth
    return value


def encodable(value: Any, name: str = "value") -> None:
    """Raise ``BadValue`` unless both hub protocols can carry ``value`` as it is: JSON types only
    (object keys strings), finite floats, 64-bit integers, at most ``MAX_DEPTH`` deep."""
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise BadValue(f"{name} is nested deeper than {MAX_DEPTH} levels")
        if item is None or isinstance(item, bool | str):
            continue
        if isinstance(item, int):
            if not INT_LOW <= item <= INT_HIGH:
                raise BadValue(f"{name} holds an integer past 64 bits")
        elif isinstance(item, float):
            if not math.isfinite(item):
                raise BadValue(f"{name} holds a non-finite number")
        elif isinstance(item, list):
            stack.extend((v, depth + 1) for v in item)
        elif isinstance(item, dict):
            if not all(isinstance(k, str) for k in item):
                raise BadValue(f"{name} holds an object whose keys are not all strings")
            stack.extend((v, depth + 1) for v in item.values())
        else:
            raise BadValue(f"{name} holds a {type(item).__name__}, which no hub protocol carries")


def number(
    value: Any, name: str, *, low: float, high: float, integer: bool = False, low_open: bool = False
) -> float:
    """``value`` if it is a finite number (an integer when ``integer``) within ``[low, high]``
    (``(low, high]`` when ``low_open``); else ``BadValue`` naming ``name`` and the range."""
    kinds = "an integer" if integer else "a number"
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or (integer and isinstance(value, float))
    ):
        raise BadValue(f"{name} must be {kinds}, not {type(value).__name__}")
    try:
        finite = math.isfinite(value)
    except OverflowError:  # an int too large for a float
        finite = False
    below = value <= low if low_open else value < low
    if not finite or below or value > high:
        bracket = "(" if low_open else "["
        raise BadValue(f"{name} must be {kinds} in {bracket}{low:g}, {high:g}], got {str(value)[:40]}")
    return value
