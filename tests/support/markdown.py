"""Markdown as GitHub renders it, for the docs tests: headings and their anchors, links outside code."""
from __future__ import annotations

import re
from pathlib import Path

from tests.support.stack import ROOT

FENCE_RE = re.compile(r"^\s*(```|~~~)")
HEADING_RE = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$")
# [text](target) and ![alt](target); the target ends at the first space or ')'.
LINK_RE = re.compile(r"!?\[(?:[^\]\[]|\[[^\]]*\])*\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")
INLINE_CODE_RE = re.compile(r"`+[^`]*`+")


def doc_files() -> list[Path]:
    """README.md and every guide under docs/."""
    return [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


def prose_lines(text: str) -> list[str]:
    """The lines outside fenced code blocks."""
    out, fenced = [], False
    for line in text.splitlines():
        if FENCE_RE.match(line):
            fenced = not fenced
            continue
        if not fenced:
            out.append(line)
    return out


def github_slug(title: str) -> str:
    """GitHub's heading anchor: lower case, punctuation but '-' and '_' dropped, spaces as '-'."""
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", title)      # a link in a heading keeps its text
    text = re.sub(r"<[^>]+>", "", text).strip().lower()
    return re.sub(r"[^\w\- ]", "", text).replace(" ", "-")


def anchors(text: str) -> set[str]:
    """Every anchor the headings of a document make, with GitHub's -1, -2 … for repeated titles."""
    seen: dict[str, int] = {}
    out = set()
    for line in prose_lines(text):
        m = HEADING_RE.match(line)
        if not m:
            continue
        slug = github_slug(m.group(2))
        n = seen.get(slug, 0)
        seen[slug] = n + 1
        out.add(slug if n == 0 else f"{slug}-{n}")
    return out


def links(text: str) -> list[str]:
    """The link targets of a document, outside code blocks and inline code."""
    found = []
    for line in prose_lines(text):
        found += LINK_RE.findall(INLINE_CODE_RE.sub("", line))
    return found
