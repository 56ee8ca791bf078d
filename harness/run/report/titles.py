"""A scenario's title in plain words, from what the run knows about it.

Catalogue scenarios are named as sentences (``test_r2_half_open_market_link_is_caught_by_the_server
_timeout``): the name, without ``test_``, its leading review ids and the client's parameter, is the
title (the ids become tags, other parameters a variant). Docstrings say more, in paragraphs whose
first line stops mid-sentence, so they go beneath the title (``about``), not in it. A run that has a
title of its own (an incident file's, an explored example's) keeps it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .svg import esc

IDS = re.compile(r"((?:[rtx]\d+_)+)")


@dataclass(frozen=True, slots=True)
class Title:
    text: str
    ids: tuple[str, ...] = ()  # review ids the scenario is about: R2, T4
    variant: str = ""  # parameters but the client's: "market-user"


def scenario_title(name: str, client: str = "", given: str = "") -> Title:
    """The title of the scenario run ``name`` (a pytest name: ``test_x[client-param]``)."""
    base, _, params = name.partition("[")
    variant = _without_client(params.removesuffix("]"), client)
    if given:
        return Title(given.strip())
    words = base.removeprefix("test_")
    match = IDS.match(words)
    ids = tuple(i.upper() for i in match.group(1).strip("_").split("_")) if match else ()
    words = (words[match.end() :] if match else words).replace("_", " ").strip() or base
    return Title(words[:1].upper() + words[1:], ids, variant)


def _without_client(params: str, client: str) -> str:
    if not client or params == client:
        return "" if params == client else params
    if params.startswith(f"{client}-"):
        return params.removeprefix(f"{client}-")
    if params.endswith(f"-{client}"):
        return params.removesuffix(f"-{client}")
    return params


def paragraphs(doc: str) -> list[str]:
    """A docstring's paragraphs, each on one line."""
    blocks = re.split(r"\n\s*\n", doc.strip())
    return [" ".join(line.strip() for line in block.splitlines()) for block in blocks if block.strip()]


def prose_html(paragraph: str) -> str:
    """One paragraph of a docstring as HTML: escaped, its ``code`` spans as <code>."""
    return re.sub(r"``([^`]+)``", r"<code>\1</code>", esc(paragraph))
