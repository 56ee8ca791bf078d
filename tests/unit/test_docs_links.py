"""Every relative link in README.md and docs/ resolves in a clean clone, and the README stays short.

A clean clone has what git tracks (or would track: untracked files that are not ignored), never
``reports/`` (run output, git-ignored) nor the set-up's ``.venv``. A link is Markdown's
``[text](target)`` or ``[label]: target``, or an HTML ``href``/``src``, outside code; it resolves
when its file is in the clone and, for ``page.md#anchor``, when that page has a heading whose
GitHub anchor is ``anchor`` (lowercase, punctuation removed, spaces to ``-``, ``-1``, ``-2`` for
repeats) or an HTML ``id``/``name``. Links with a scheme (``https:``, ``mailto:``) are not checked.
"""

from __future__ import annotations

import posixpath
import re
import shutil
import subprocess
from collections import abc
from pathlib import Path
from typing import NamedTuple
from urllib.parse import unquote

import pytest

ROOT = Path(__file__).resolve().parents[2]
README_MAX_LINES = 320

FENCE = re.compile(r"^\s{0,3}(`{3,}|~{3,})")
INLINE_CODE = re.compile(r"(`+)(?:(?!\1).)+?\1")
MARKDOWN_LINK = re.compile(r"\[(?:[^\[\]]|\[[^\[\]]*\])*\]\(\s*<?([^()\s<>]+)>?(?:\s+[\"'(][^)]*)?\)")
REFERENCE = re.compile(r"^\s{0,3}\[[^\]]+\]:\s*<?([^\s>]+)>?")
HTML_LINK = re.compile(r"""\b(?:href|src)\s*=\s*["']([^"']+)["']""", re.IGNORECASE)
HTML_ANCHOR = re.compile(r"""<[a-z][^>]*\b(?:id|name)\s*=\s*["']([^"']+)["']""", re.IGNORECASE)
HEADING = re.compile(r"^\s{0,3}(#{1,6})\s+(.*?)(?:\s+#+)?\s*$")
SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:")


class Link(NamedTuple):
    page: str  # repository-relative path of the page holding the link
    line: int
    target: str


def prose(text: str) -> abc.Iterator[tuple[int, str]]:
    """The lines outside fenced code blocks, numbered from 1."""
    fence = ""
    for number, line in enumerate(text.splitlines(), start=1):
        opened = FENCE.match(line)
        if fence:
            if opened and opened.group(1)[0] == fence[0] and len(opened.group(1)) >= len(fence):
                fence = ""
            continue
        if opened:
            fence = opened.group(1)
            continue
        yield number, line


def links(page: str, text: str) -> list[Link]:
    found = []
    for number, line in prose(text):
        outside_code = INLINE_CODE.sub("", line)
        for pattern in (MARKDOWN_LINK, REFERENCE, HTML_LINK):
            found += [Link(page, number, m.group(1)) for m in pattern.finditer(outside_code)]
    return found


def slug(heading: str) -> str:
    """GitHub's anchor for a heading's text: the rendered text, lowercase, punctuation removed."""
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", heading)  # a link or image: its text
    text = re.sub(r"<[^>]+>", "", text).replace("`", "")
    return re.sub(r"[^\w\- ]", "", text.lower()).replace(" ", "-")


def anchors(text: str) -> set[str]:
    seen: dict[str, int] = {}
    found: set[str] = set()
    for _, line in prose(text):
        found.update(m.group(1) for m in HTML_ANCHOR.finditer(line))
        heading = HEADING.match(line)
        if heading:
            base = slug(heading.group(2))
            count = seen.get(base, 0)
            seen[base] = count + 1
            found.add(base if count == 0 else f"{base}-{count}")
    return found


def clone_files(root: Path) -> set[str]:
    """The files a clone of ``root`` has: tracked, or untracked and not ignored (not yet committed)."""
    listed = subprocess.run(
        ["git", "-C", str(root), "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        capture_output=True,
        check=True,
    )
    return {name for name in listed.stdout.decode().split("\0") if name and (root / name).is_file()}


def pages(root: Path) -> list[Path]:
    return [root / "README.md", *sorted((root / "docs").rglob("*.md"))]


def problem(link: Link, files: set[str], root: Path) -> str | None:
    """Why ``link`` does not resolve in a clone holding ``files``, or None when it does."""
    if SCHEME.match(link.target) or link.target.startswith("//"):
        return None
    path, _, fragment = unquote(link.target).partition("#")
    if path.startswith("/"):
        return "an absolute path: GitHub reads it from its own root; use a relative link"
    target = posixpath.normpath(posixpath.join(posixpath.dirname(link.page), path)) if path else link.page
    if target == ".." or target.startswith("../"):
        return "outside the repository"
    if target.split("/")[0] == "reports":
        return "into reports/, which a clone does not have"
    is_folder = any(name.startswith(f"{target}/") for name in files) or target == "."
    if target not in files and not is_folder:
        return "no such file in a clean clone"
    if fragment and target.endswith(".md") and fragment not in anchors((root / target).read_text()):
        return f"{target} has no heading with the anchor #{fragment}"
    return None


def broken(root: Path) -> list[str]:
    files = clone_files(root)
    found = []
    for page in pages(root):
        name = page.relative_to(root).as_posix()
        for link in links(name, page.read_text()):
            why = problem(link, files, root)
            if why is not None:
                found.append(f"{link.page}:{link.line}: ({link.target}) {why}")
    return found


def test_every_relative_link_in_the_readme_and_docs_resolves_in_a_clean_clone() -> None:
    assert broken(ROOT) == []


def test_the_readme_stays_short_enough_to_read() -> None:
    lines = len((ROOT / "README.md").read_text().splitlines())
    assert lines <= README_MAX_LINES, f"README.md has {lines} lines: move detail into docs/"


@pytest.mark.parametrize(
    ("heading", "anchor"),
    [
        ("The chaos catalogue (`scenarios/`)", "the-chaos-catalogue-scenarios"),
        (
            "What it does on the wire (ASP.NET Core's behaviour)",
            "what-it-does-on-the-wire-aspnet-cores-behaviour",
        ),
        ("project-x-py 3.3.0: reproduced", "project-x-py-330-reproduced"),
        ("Faults: network and server", "faults-network-and-server"),
        ("See [the catalogue](catalogue.md) and `snake_case`", "see-the-catalogue-and-snake_case"),
    ],
)
def test_a_heading_anchor_follows_githubs_rules(heading: str, anchor: str) -> None:
    assert slug(heading) == anchor


def test_repeated_headings_get_numbered_anchors_and_code_blocks_hold_none() -> None:
    text = "# Top\n## R1\n### reproduced\n## R2\n### reproduced\n```sh\n# not a heading\n```\n## `a/b`\n"
    assert anchors(text) == {"top", "r1", "reproduced", "r2", "reproduced-1", "ab"}


@pytest.mark.skipif(shutil.which("git") is None, reason="git is needed to list what a clone holds")
def test_the_checker_fails_each_kind_of_broken_link_in_a_made_up_tree(tmp_path: Path) -> None:
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    (tmp_path / ".gitignore").write_text("reports/\nignored.md\n")
    (tmp_path / "reports").mkdir()
    (tmp_path / "reports" / "index.html").write_text("<html></html>")
    (tmp_path / "ignored.md").write_text("# Here only\n")
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "page.md").write_text(
        "# Page\n## A heading, with punctuation!\n[back](../README.md#top) [up](../missing.md)\n"
    )
    (tmp_path / "README.md").write_text(
        "# Top\n"
        "[fine](docs/page.md) [fine](docs/page.md#a-heading-with-punctuation) [fine](#top) [fine](docs/)\n"
        "[web](https://example.com/x.md) `[in code](nowhere.md)`\n"
        "```md\n[in a fence](nowhere.md)\n```\n"
        "[gone](docs/gone.md)\n"
        "[no anchor](docs/page.md#a-heading-with-punctuation-1)\n"
        "[run output](reports/index.html)\n"
        "[ignored](ignored.md)\n"
        '<img src="docs/figure.svg"> <a href="docs/page.md#nope">x</a>\n'
        "[ref]: ../outside.md\n"
    )
    assert broken(tmp_path) == [
        "README.md:7: (docs/gone.md) no such file in a clean clone",
        "README.md:8: (docs/page.md#a-heading-with-punctuation-1) docs/page.md has no heading with the "
        "anchor #a-heading-with-punctuation-1",
        "README.md:9: (reports/index.html) into reports/, which a clone does not have",
        "README.md:10: (ignored.md) no such file in a clean clone",
        "README.md:11: (docs/figure.svg) no such file in a clean clone",
        "README.md:11: (docs/page.md#nope) docs/page.md has no heading with the anchor #nope",
        "README.md:12: (../outside.md) outside the repository",
        "docs/page.md:3: (../missing.md) no such file in a clean clone",
    ]
