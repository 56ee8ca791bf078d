"""Flag types for ``python -m simulator``, and profile files: the same flags, in a file.

A profile is a TOML (``.toml``) or JSON (any other name) table whose keys are the long flag names
without the dashes, with native values::

    seed = 7
    symbols = ["MNQ", "MES"]          # or "MNQ,MES"
    quote-rate = 10
    keep-alive = 5
    no-coalesce = true                # a switch

    [rates.MNQ]                       # --rates MNQ:quote=40,trade=20
    quote = 40
    trade = 20

    [[burst]]                         # --burst factor=20,duration=2,start=10,every=60
    factor = 20
    duration = 2
    start = 10
    every = 60
    events = ["trade"]

Every value goes through the flag's own check, so a profile and the command line accept exactly
the same things; flags given on the command line win over the profile (``--burst`` and
``--rates`` add to it).
"""

from __future__ import annotations

import argparse
import json
import math
import tomllib
from collections import abc
from pathlib import Path
from typing import Any

from .projectx.catalog import PRODUCTS
from .projectx.limits import Limit, parse_limits
from .projectx.profile import Burst, ProfileError, parse_burst, parse_rates

MAX_NUMBER = 1e9  # no flag means more (seconds: 31 years; rates, sizes: far past any use)


def number(kind: abc.Callable[[str], float], *, zero_allowed: bool) -> abc.Callable[[str], float]:
    """An argparse type: ``kind`` of the text, finite, at most ``MAX_NUMBER``, greater than 0 (or
    at least 0 if ``zero_allowed``)."""

    def parse(text: str) -> float:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
        if not math.isfinite(value) or value > MAX_NUMBER:
            raise argparse.ArgumentTypeError(f"must be a finite number at most {MAX_NUMBER:g}: {text!r}")
        if value < 0 or (value == 0 and not zero_allowed):
            bound = "must not be negative" if zero_allowed else "must be greater than 0"
            raise argparse.ArgumentTypeError(f"{bound}: {text!r}")
        return value

    return parse


def positive(kind: abc.Callable[[str], float]) -> abc.Callable[[str], float]:
    return number(kind, zero_allowed=False)


non_negative = number(float, zero_allowed=True)


def port(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a port number: {text!r}") from None
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"port out of range 0-65535: {value}")
    return value


def symbols(text: str) -> tuple[str, ...]:
    names = tuple(s.strip().upper() for s in text.split(",") if s.strip())
    unknown = [s for s in names if s not in PRODUCTS]
    if not names or unknown:
        raise argparse.ArgumentTypeError(
            f"unknown symbol(s) {unknown or text!r}: choose from {','.join(PRODUCTS)}"
        )
    return names


def seconds_or_off(text: str) -> float | None:
    if text.lower() in ("off", "none", "0"):
        return None
    return positive(float)(text)


def _pairs(text: str) -> dict[str, Any]:
    """``a=1,b=x+y`` as {"a": 1.0, "b": "x+y"} (numbers where they parse)."""
    pairs: dict[str, Any] = {}
    for item in filter(None, (part.strip() for part in text.split(","))):
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise argparse.ArgumentTypeError(f"expected key=value, got {item!r}")
        try:
            pairs[key.strip()] = float(value)
        except ValueError:
            pairs[key.strip()] = value.strip()
    return pairs


def rates_for(text: str) -> tuple[str, dict[str, float]]:
    """``MNQ:quote=40,trade=20`` (a symbol or contract id, then events per second by kind)."""
    key, sep, rest = text.partition(":")
    if not sep or not key.strip():
        raise argparse.ArgumentTypeError(f"expected SYMBOL:kind=rate,..., got {text!r}")
    try:
        return key.strip(), parse_rates(_pairs(rest), key.strip())
    except ProfileError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def burst(text: str) -> Burst:
    """``factor=20,duration=2[,start=10][,every=60][,contracts=MNQ+MES][,events=quote+trade]``."""
    try:
        return parse_burst(_pairs(text))
    except ProfileError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def rate_limits(text: str) -> dict[str, Limit] | None:
    try:
        return parse_limits(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def new_file(text: str) -> Path:
    """A file to create, in a directory that exists; never an existing file (nothing is lost)."""
    path = Path(text)
    if not path.parent.is_dir():
        raise argparse.ArgumentTypeError(f"no such directory: {str(path.parent)!r}")
    if path.exists():
        raise argparse.ArgumentTypeError(f"{text!r} exists: remove it or name a new file")
    return path


def readable_file(text: str) -> Path:
    path = Path(text)
    if not path.is_file():
        raise argparse.ArgumentTypeError(f"no such file: {text!r}")
    return path


# -- profile files ---------------------------------------------------------------------------


def load_profile(parser: argparse.ArgumentParser, path: Path) -> None:
    """Make the profile's values the parser's defaults, each checked by its flag's type; a bad
    file or value ends the program the argparse way (usage, exit 2)."""
    try:
        text = path.read_text()
        table = tomllib.loads(text) if path.suffix == ".toml" else json.loads(text)
    except (OSError, ValueError) as exc:  # TOMLDecodeError and JSONDecodeError are ValueErrors
        parser.error(f"profile {path}: {exc}")
    if not isinstance(table, dict):
        parser.error(f"profile {path}: expected a table of flag names and values")
    actions = {a.option_strings[0][2:]: a for a in parser._actions if a.option_strings}
    defaults: dict[str, Any] = {}
    for key, value in table.items():
        action = actions.get(key)
        if action is None or key in ("profile", "help"):
            parser.error(f"profile {path}: unknown key {key!r} (keys are the flags' long names)")
        try:
            defaults[action.dest] = _profile_value(key, value, action)
        except (argparse.ArgumentTypeError, ValueError) as exc:  # ProfileError is a ValueError
            parser.error(f"profile {path}: {key}: {exc}")
    parser.set_defaults(**defaults)


def _profile_value(key: str, value: Any, action: argparse.Action) -> Any:
    if key == "burst":
        if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
            raise ProfileError("expected a list of tables ([[burst]])")
        return [parse_burst(v, f"burst[{i}]") for i, v in enumerate(value)]
    if key == "rates":
        if not isinstance(value, dict) or not all(isinstance(v, dict) for v in value.values()):
            raise ProfileError("expected a table of tables ([rates.MNQ])")
        return [(k, parse_rates(v, k)) for k, v in value.items()]
    if action.nargs == 0:  # a switch
        if not isinstance(value, bool):
            raise ProfileError(f"expected true or false, got {value!r}")
        return value
    if isinstance(value, list):
        value = ",".join(str(v) for v in value)
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise ProfileError(f"expected a string or a number, got {value!r}")
    text = str(value)
    if action.choices is not None and text not in action.choices:
        raise ProfileError(f"choose from {list(action.choices)}, got {text!r}")
    return action.type(text) if callable(action.type) else text
