"""MkDocs hook: hands MkDocs the events of one `BriefingsPlugin`, which owns the build's state.

`mkdocs build`, `mkdocs serve` and `python build.py` all come through here, so they
produce the same site. MkDocs loads this file once per process and keeps it between the
rebuilds of `mkdocs serve`, so `plugin` lives as long as the server (its last good
generation included). Data is read inside the events, never at import time.
"""

from __future__ import annotations

import sys
from pathlib import Path

if "briefings" not in sys.modules:
    # MkDocs imports this file by path: import the package beside it, then leave sys.path as it was.
    _saved = sys.path[:]
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    try:
        import briefings.mkdocs_adapter  # noqa: F401  (imported for the side effect: the package is loaded)
    finally:
        sys.path[:] = _saved

from briefings.mkdocs_adapter import BriefingsPlugin

plugin = BriefingsPlugin()
on_startup = plugin.on_startup
on_config = plugin.on_config
on_files = plugin.on_files
on_nav = plugin.on_nav
on_env = plugin.on_env
on_page_markdown = plugin.on_page_markdown
on_page_content = plugin.on_page_content
on_page_context = plugin.on_page_context
on_post_template = plugin.on_post_template
on_post_page = plugin.on_post_page
on_post_build = plugin.on_post_build
