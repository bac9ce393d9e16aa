"""MkDocs hook: the thin adapter that hands generated pages to MkDocs.

`mkdocs build`, `mkdocs serve` and `python build.py` all come through here, so they
produce the same site. Data is read inside the events, never at import time:
MkDocs keeps hook modules loaded between rebuilds of `mkdocs serve`.
"""

from __future__ import annotations

import sys
from pathlib import Path

# MkDocs imports this file by path; make the package beside it importable.
_ROOT = str(Path(__file__).resolve().parents[1])
if _ROOT not in sys.path:
    sys.path.insert(0, _ROOT)

from briefings import mkdocs_adapter  # noqa: E402

on_startup = mkdocs_adapter.on_startup
on_config = mkdocs_adapter.on_config
on_files = mkdocs_adapter.on_files
on_nav = mkdocs_adapter.on_nav
on_page_markdown = mkdocs_adapter.on_page_markdown
on_page_context = mkdocs_adapter.on_page_context
on_post_template = mkdocs_adapter.on_post_template
on_post_page = mkdocs_adapter.on_post_page
