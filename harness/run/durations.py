"""Lengths of runs as people type them on a command line: ``90``, ``90s``, ``30m``, ``24h``."""

from __future__ import annotations

import argparse
import re

UNITS = {"": 1.0, "s": 1.0, "m": 60.0, "min": 60.0, "h": 3600.0}


def duration(text: str) -> float:
    """``90``, ``90s``, ``30m``, ``24h`` -> seconds (``argparse.ArgumentTypeError`` otherwise)."""
    match = re.fullmatch(r"\s*([0-9]*\.?[0-9]+)\s*(s|m|min|h)?\s*", text)
    if not match or float(match.group(1)) <= 0:
        raise argparse.ArgumentTypeError(f"{text!r} is not a duration (e.g. 60s, 30m, 24h)")
    return float(match.group(1)) * UNITS[match.group(2) or ""]
