"""Run in a fresh process by test_engine_contract.py: what an engine offers the engine module, as JSON.

`python tests/engine_probe.py ENGINE signatures` reports how the engine's functions can be
called; `python tests/engine_probe.py ENGINE build SCRATCH` builds a tiny Material project
in SCRATCH through `briefings.engine` and reports what it wrote. A fresh process per engine:
ProperDocs must be selected before anything imports mkdocs, and the hook cache is per process.
"""

from __future__ import annotations

import hashlib
import inspect
import json
import logging
import re
import sys
from pathlib import Path
from typing import Any

from briefings import engine

# What briefings/engine.py, pipeline.py and mkdocs_adapter.py call: (module, attribute path,
# positional parameter names in order, keyword names). The positional names must match in
# order and the call must bind: an upgrade that renames, reorders or adds a required
# parameter fails the contract test.
CALLS: list[tuple[str, str, list[str], list[str]]] = [
    ("mkdocs.commands.build", "_build_page", ["page", "config", "doc_files", "nav", "env"], []),
    ("mkdocs.commands.build", "_populate_page", ["page", "config", "files"], []),
    ("mkdocs.commands.build", "_build_theme_template", ["template_name", "env", "files", "config", "nav"], []),
    ("mkdocs.commands.build", "build", ["config"], []),
    ("mkdocs.commands.build", "_build_extra_template", ["template_name", "files", "config", "nav"], []),
    ("mkdocs.structure.pages", "Page.read_source", ["self", "config"], []),
    ("mkdocs.structure.pages", "Page.render", ["self", "config", "files"], []),
    ("mkdocs.structure.pages", "Page.validate_anchor_links", ["self"], ["files", "log_level"]),
    ("mkdocs.utils", "write_file", ["content", "output_path"], []),
    ("mkdocs.utils", "CountHandler", [], []),
    ("mkdocs.config", "load_config", [], ["config_file", "site_dir", "strict"]),
    ("mkdocs.structure.files", "get_files", ["config"], []),
    ("mkdocs.structure.files", "set_exclusions", ["files", "config"], []),
    ("mkdocs.structure.files", "File.generated", ["config", "src_uri"], ["content"]),
    ("mkdocs.structure.files", "File.copy_file", ["self"], []),
    ("mkdocs.structure.files", "File.is_documentation_page", ["self"], []),
    ("mkdocs.structure.files", "Files.add_files_from_theme", ["self", "env", "config"], []),
    ("mkdocs.structure.files", "Files.copy_static_files", ["self"], ["inclusion"]),
    ("mkdocs.structure.files", "Files.documentation_pages", ["self"], ["inclusion"]),
    ("mkdocs.structure.files", "Files.get_file_from_path", ["self", "path"], []),
    ("mkdocs.structure.nav", "get_navigation", ["files", "config"], []),
    ("mkdocs.structure.pages", "Page", ["title", "file", "config"], []),
    ("mkdocs.utils", "clean_directory", ["directory"], []),
    ("mkdocs.utils", "get_build_date", [], []),
    ("mkdocs.livereload", "LiveReloadServer", [], ["builder", "host", "port", "root"]),
    ("mkdocs.livereload", "LiveReloadServer.watch", ["self", "path"], []),
]


def signatures() -> dict[str, Any]:
    """For each call the engine module makes: whether it binds, and the parameter names it has."""
    import importlib

    found: dict[str, Any] = {}
    for module_name, path, positional, keywords in CALLS:
        target: Any = importlib.import_module(module_name)
        for part in path.split("."):
            target = getattr(target, part, None)
        key = f"{module_name}.{path}"
        if target is None:
            found[key] = {"exists": False}
            continue
        sig = inspect.signature(target)
        params = [p.name for p in sig.parameters.values()]
        try:
            sig.bind(*positional, **{k: None for k in keywords})
            binds = ""
        except TypeError as exc:
            binds = str(exc)
        found[key] = {"exists": True, "params": params, "bind_error": binds}

    from mkdocs.config import config_options, defaults

    load_hook = config_options.Hooks._load_hook
    found["hooks_load_cached"] = hasattr(load_hook, "cache_info")
    found["inclusion_is_included"] = hasattr(
        importlib.import_module("mkdocs.structure.files").InclusionLevel, "is_included"
    )
    # engine.build mirrors the engine's build() and _populate_page step by step: a change to either is a
    # change engine.build must follow (review it, then update the digests in test_engine_contract.py).
    build_module = importlib.import_module("mkdocs.commands.build")
    found["mirrored_sources"] = {
        name: hashlib.sha256(inspect.getsource(getattr(build_module, name)).encode()).hexdigest()[:16]
        for name in ("build", "_populate_page")
    }
    # engine.serve_meanwhile is the live-reload server's serve() with a step in the middle.
    serve = importlib.import_module("mkdocs.livereload").LiveReloadServer.serve
    found["mirrored_sources"]["LiveReloadServer.serve"] = hashlib.sha256(inspect.getsource(serve).encode()).hexdigest()[
        :16
    ]
    found["engine_module"] = sys.modules["mkdocs"].__name__
    found["build_module_file"] = importlib.import_module("mkdocs.commands.build").__file__
    found["config_class"] = defaults.MkDocsConfig.__module__
    return found


HOOK = """
from mkdocs.plugins import event_priority
from mkdocs.structure.files import File

from briefings import engine

templates = []
entries = []  # the search plugin's entries as each page's context event saw them


@event_priority(-50)  # after the search plugin indexed the page (the briefings hook retitles in post_page)
def on_page_context(context, page, config, nav):
    if page.file.src_uri == "index.md":
        engine.retitle_search_entry(config, page.url, "Retitled home")
    entries.extend(dict(e) for e in engine.search_entries(config) if e["location"].split("#")[0] == page.url)
    return context


def on_files(files, config):
    files.append(File.generated(config, "generated.md", content="# Generated page\\n\\n## Part two\\n\\nBody.\\n"))
    return files


def on_page_markdown(markdown, page, config, files):
    page.update_date = "2001-02-03"
    page.meta["title"] = "Meta title of " + page.file.src_uri
    return markdown


def on_post_template(output, template_name, config):
    templates.append(template_name)
    return output
"""

CONFIG = """site_name: Probe
site_url: https://probe.example.org/
theme:
  name: material
plugins:
  - search
hooks:
  - probe_hook.py
"""


def index_entries(site: Path) -> list[dict[str, str]]:
    """The search index as written: location and title of each entry."""
    docs = json.loads((site / "search" / "search_index.json").read_text(encoding="utf-8"))["docs"]
    return [{"location": d["location"], "title": d["title"]} for d in docs]


def build(scratch: Path) -> dict[str, Any]:
    """Build a tiny Material project through briefings.engine, rebuild one page, and report what was written."""
    (scratch / "docs").mkdir(parents=True)
    (scratch / "docs" / "index.md").write_text("# Home\n\nHello.\n\n## First part\n\nText.\n", encoding="utf-8")
    (scratch / "probe_hook.py").write_text(HOOK, encoding="utf-8")
    (scratch / "mkdocs.yml").write_text(CONFIG, encoding="utf-8")
    site = scratch / "site"
    config = engine.load_config(scratch / "mkdocs.yml", site)
    again = engine.load_config(scratch / "mkdocs.yml", site)
    hook = config.plugins["probe_hook.py"]
    facts: dict[str, Any] = {"hook_loaded_once": hook is again.plugins["probe_hook.py"]}
    facts["static_templates"] = list(config.theme.static_templates)
    kept = engine.build_keeping_state(config)
    facts["entries_type"] = type(engine.search_entries(kept.config)).__name__
    facts["entries"] = [
        {"type": type(e).__name__, "location": e.get("location"), "title": e.get("title")} for e in hook.entries
    ]
    facts["written_entries"] = index_entries(site)
    facts["kept_search_index"] = kept.search is not None
    facts["post_build_events_are_bound"] = all(
        hasattr(method, "__self__") for method in kept.config.plugins.events["post_build"]
    )
    # The engine's own build of the same project: the search index written from kept fragments must be its bytes.
    from mkdocs.commands.build import build as engine_build

    plain = scratch / "plain"
    engine_build(engine.load_config(scratch / "mkdocs.yml", plain))
    index = "search/search_index.json"
    facts["search_index_as_engine_writes_it"] = (site / index).read_bytes() == (plain / index).read_bytes()
    facts["sitemap_as_engine_writes_it"] = (site / "sitemap.xml").read_bytes() == (plain / "sitemap.xml").read_bytes()
    facts["post_templates"] = sorted(set(hook.templates))
    facts["has_404"] = (site / "404.html").is_file()
    sitemap = (site / "sitemap.xml").read_text(encoding="utf-8")
    facts["lastmods"] = re.findall(r"<lastmod>([^<]*)</lastmod>", sitemap)
    generated = (site / "generated" / "index.html").read_text(encoding="utf-8")
    facts["generated_title"] = re.findall(r"<title>([^<]*)</title>", generated)
    facts["generator"] = re.findall(r'<meta name="generator" content="([^"]*)">', generated)

    facts["rebuilt_page"] = kept.rebuild("generated.md", "# Changed page\n\n## Part two\n\nNew body.\n")
    kept.finish("2002-03-04")
    facts["after_entries"] = index_entries(site)
    facts["after_page_has_new_body"] = "New body." in (site / "generated" / "index.html").read_text(encoding="utf-8")
    facts["after_lastmods"] = re.findall(r"<lastmod>([^<]*)</lastmod>", (site / "sitemap.xml").read_text())
    facts["builder_rounds"] = builder_rounds(site)
    facts["served_meanwhile"] = served_meanwhile(scratch / "meanwhile")
    facts["stops_soon"] = stops_soon(site)
    facts.update(cached_builds(scratch, plain))
    facts["logger"] = engine.logger().name
    facts["mkdocs_logger_parent"] = logging.getLogger("mkdocs").parent.name  # type: ignore[union-attr]
    return facts


class DictStore:
    """engine.PageStore in a dict, keyed by a page's address and Markdown (as briefings.cache keys it, in short)."""

    def __init__(self) -> None:
        self.entries: dict[tuple[str, str], tuple[bytes, str]] = {}

    def lookup(self, page: Any) -> tuple[Any, str] | None:
        from mkdocs.utils import write_file

        found = self.entries.get((page.file.src_uri, page.markdown))
        return None if found is None else ((lambda path: write_file(found[0], path)), found[1])

    def store(self, page: Any, output: bytes, fragment: str) -> None:
        self.entries[(page.file.src_uri, page.markdown)] = (output, fragment)


def tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def cached_builds(scratch: Path, plain: Path) -> dict[str, Any]:
    """engine.build with an empty store, then with what it stored: both must write the engine's own build."""
    store = DictStore()
    first, second = scratch / "cached-1", scratch / "cached-2"
    reused_first = engine.build(engine.load_config(scratch / "mkdocs.yml", first), store)
    stored = len(store.entries)
    reused_second = engine.build(engine.load_config(scratch / "mkdocs.yml", second), store)
    expected = tree(plain)
    return {
        "cached_reused": [reused_first, reused_second],
        "cached_stored": stored,
        "cached_builds_as_engine_writes_them": [tree(first) == expected, tree(second) == expected],
        "cached_differences": sorted(k for k in expected if tree(second).get(k) != expected[k]),
    }


def builder_rounds(root: Path) -> int:
    """How many times the live-reload server runs a builder that asks, once, for another round."""
    import threading
    import time

    rounds: list[float] = []

    def builder() -> bool:
        rounds.append(time.monotonic())
        return len(rounds) == 1  # the fast preview's first round leaves pages for a second

    server = engine.live_reload_server(builder, "127.0.0.1", 0, root)
    thread = threading.Thread(target=server.serve, daemon=True)
    thread.start()
    server.again()  # as a saved file would
    deadline = time.monotonic() + 30
    while len(rounds) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    server.shutdown()
    thread.join(timeout=10)
    return len(rounds)


def stops_soon(root: Path) -> bool:
    """Whether the server's serve() returns once engine.stop_soon is called, with nothing else asked of it."""
    import threading

    server = engine.live_reload_server(lambda: False, "127.0.0.1", 0, root)
    thread = threading.Thread(target=server.serve, daemon=True)
    thread.start()
    engine.stop_soon(server)
    thread.join(timeout=10)
    ended = not thread.is_alive()
    server.shutdown()
    return ended


def served_meanwhile(scratch: Path) -> list[str]:
    """What the server sends for its home page while serve_meanwhile's first step runs, then after it."""
    import threading
    import time
    import urllib.request

    first, then = scratch / "first", scratch / "then"
    for folder in (first, then):
        folder.mkdir(parents=True)
        (folder / "index.html").write_text(f"<html><body>{folder.name}</body></html>")
    server = engine.live_reload_server(lambda: False, "127.0.0.1", 0, first)
    seen: list[str] = []

    def home() -> str:
        with urllib.request.urlopen(f"http://127.0.0.1:{server.server_address[1]}/", timeout=10) as response:
            return str(response.read().decode())

    thread = threading.Thread(target=engine.serve_meanwhile, args=(server, lambda: bool(seen.append(home())), then))
    thread.daemon = True
    thread.start()
    deadline = time.monotonic() + 30
    while (not seen or "then" not in home()) and time.monotonic() < deadline:
        time.sleep(0.05)
    seen.append(home())
    server.shutdown()
    thread.join(timeout=10)
    return seen


def main() -> None:
    """Select the engine named first, run the probe named second, print its facts."""
    engine.select(sys.argv[1])
    if sys.argv[2] == "signatures":
        facts = signatures()
    else:
        facts = build(Path(sys.argv[3]))
    print(json.dumps(facts))


if __name__ == "__main__":
    main()
