#!/usr/bin/env python3
"""Compare two built sites as a reader and search see them: element and attribute structure and text.

Whitespace is normalised (runs of it are one space; whitespace-only text is dropped) and comments
are ignored, so two builds that differ only in how their HTML is laid out compare equal. Prints each
page that differs (with -v, the first differences) and whether the search indexes hold the same entries.

Usage: python bench/compare_sites.py OLD_SITE NEW_SITE [-v]
"""

from __future__ import annotations

import difflib
import json
import re
import sys
from pathlib import Path
from typing import Any

from bs4 import BeautifulSoup, Comment, NavigableString, Tag

WS = re.compile(r"\s+")


def tokens(node: Tag | BeautifulSoup, out: list[str]) -> list[str]:
    """Start tags (attributes sorted), end tags and text, in document order."""
    for child in node.children:
        if isinstance(child, Comment):
            continue
        if isinstance(child, NavigableString):
            text = WS.sub(" ", str(child)).strip()
            if text:
                out.append(text)
        elif isinstance(child, Tag):
            attrs = " ".join(
                f'{k}="{" ".join(v) if isinstance(v, list) else v}"' for k, v in sorted(child.attrs.items())
            )
            out.append(f"<{child.name} {attrs}>")
            tokens(child, out)
            out.append(f"</{child.name}>")
    return out


def text(soup: BeautifulSoup) -> str:
    """The page's text as one string, whitespace runs as one space (words run together show)."""
    return WS.sub(" ", soup.get_text("")).strip()


def search_docs(site: Path) -> list[dict[str, Any]]:
    docs = json.loads((site / "search" / "search_index.json").read_text(encoding="utf-8"))["docs"]
    return [{k: WS.sub(" ", v).strip() if isinstance(v, str) else v for k, v in d.items()} for d in docs]


def main(argv: list[str]) -> int:
    old, new = Path(argv[0]), Path(argv[1])
    verbose = "-v" in argv
    names = {p.relative_to(old).as_posix() for p in old.rglob("*.html")}
    names |= {p.relative_to(new).as_posix() for p in new.rglob("*.html")}
    same = differ = 0
    for rel in sorted(names):
        a, b = old / rel, new / rel
        if not a.exists() or not b.exists():
            print(f"only in one site: {rel}")
            differ += 1
            continue
        sa = BeautifulSoup(a.read_text(encoding="utf-8"), "html.parser")
        sb = BeautifulSoup(b.read_text(encoding="utf-8"), "html.parser")
        ta, tb = tokens(sa, []), tokens(sb, [])
        if ta == tb and text(sa) == text(sb):
            same += 1
            continue
        differ += 1
        print(f"differs: {rel} (structure equal: {ta == tb}, text equal: {text(sa) == text(sb)})")
        if verbose:
            for line in list(difflib.unified_diff(ta, tb, lineterm="", n=1))[2:40]:
                print("    " + line[:300])
    equal = search_docs(old) == search_docs(new)
    print(f"{same} pages the same in structure and text, {differ} different; search index the same: {equal}")
    return 0 if differ == 0 and equal else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
