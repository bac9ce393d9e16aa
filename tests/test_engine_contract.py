"""What briefings/engine.py relies on in MkDocs, ProperDocs and Material: fails loudly on an upgrade that changes it.

Each engine is probed in a fresh process (tests/engine_probe.py), ProperDocs selected the
way `BRIEFINGS_ENGINE=properdocs python build.py` selects it, before anything imports mkdocs.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from engine_probe import CALLS

from briefings.engine import ENGINES
from conftest import ROOT

PROBE = Path(__file__).with_name("engine_probe.py")


def probe(engine: str, *args: str) -> dict[str, Any]:
    """The facts engine_probe.py reports for one engine, from a fresh process."""
    proc = subprocess.run(
        [sys.executable, str(PROBE), engine, *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT), "NO_MKDOCS_2_WARNING": "1"},
        timeout=120,
    )
    assert proc.returncode == 0, f"the {engine} probe failed:\n{proc.stderr[-3000:]}"
    facts: dict[str, Any] = json.loads(proc.stdout)
    return facts


@pytest.fixture(scope="module", params=ENGINES)
def signatures(request: pytest.FixtureRequest) -> tuple[str, dict[str, Any]]:
    """(engine, how its functions can be called)."""
    return request.param, probe(request.param, "signatures")


@pytest.fixture(scope="module", params=ENGINES)
def built(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> tuple[str, dict[str, Any]]:
    """(engine, what a tiny Material build through briefings.engine wrote)."""
    return request.param, probe(request.param, "build", str(tmp_path_factory.mktemp(request.param)))


def test_the_probed_engine_is_the_one_selected(signatures):
    engine, facts = signatures
    assert facts["engine_module"] == engine  # under ProperDocs, `mkdocs` is properdocs
    assert Path(facts["build_module_file"]).parts[-3] == engine
    assert facts["config_class"].split(".")[0] == engine


@pytest.mark.parametrize(("module", "path", "positional", "keywords"), CALLS, ids=[f"{m}.{p}" for m, p, _, _ in CALLS])
def test_internals_are_callable_as_the_engine_module_calls_them(signatures, module, path, positional, keywords):
    engine, facts = signatures
    found = facts[f"{module}.{path}"]
    assert found["exists"], f"{engine} no longer has {module}.{path}"
    assert found["params"][: len(positional)] == positional, f"{engine}: {path} parameters are now {found['params']}"
    assert found["bind_error"] == "", f"{engine}: {path}({', '.join(positional + keywords)}): {found['bind_error']}"


def test_hook_files_are_loaded_once_per_process(signatures, built):
    # The BriefingsPlugin made by the hook file lives as long as the process (its last good
    # generation is what `mkdocs serve` shows after a data error) only because of this cache.
    assert signatures[1]["hooks_load_cached"], f"{signatures[0]}: Hooks._load_hook is no longer cached"
    assert built[1]["hook_loaded_once"], f"{built[0]}: loading mkdocs.yml twice loaded the hook file twice"


def test_inclusion_level_is_included_exists(signatures):
    assert signatures[1]["inclusion_is_included"]


@pytest.mark.slow
def test_search_index_entries_are_a_list_of_dicts_with_location_and_title(built):
    engine, facts = built
    assert facts["entries_type"] == "list", engine
    assert {e["type"] for e in facts["entries"]} == {"dict"}, engine
    pages = [e["location"] for e in facts["entries"]]
    assert pages == ["", "#first-part", "generated/", "generated/#part-two"], engine
    # Retitled after the search plugin's context event (retitle_search_entry), as the briefings hook does:
    assert [e["title"] for e in facts["entries"]] == ["Retitled home", "First part", "Generated page", "Part two"]
    # The entries list is what the plugin writes: changing it in the page's events changes the file.
    assert facts["written_entries"] == [{"location": e["location"], "title": e["title"]} for e in facts["entries"]]


@pytest.mark.slow
def test_the_kept_search_index_and_sitemap_are_the_engines_bytes(built):
    # KeptSearchIndex writes the index from per-page fragments (Material's header, its JSON
    # separators) and skips the search plugin's post_build event; KeptBuild writes the sitemap
    # once per lastmod: both must be what the engine's own build writes.
    engine, facts = built
    assert facts["kept_search_index"], engine
    assert facts["post_build_events_are_bound"], engine
    assert facts["search_index_as_engine_writes_it"], engine
    assert facts["sitemap_as_engine_writes_it"], engine


@pytest.mark.slow
def test_a_rebuilt_page_keeps_its_place_in_the_search_index(built):
    engine, facts = built
    assert facts["rebuilt_page"], engine
    assert facts["after_page_has_new_body"], engine
    assert facts["after_entries"] == [
        {"location": "", "title": "Retitled home"},  # retitle_search_entry
        {"location": "#first-part", "title": "First part"},
        {"location": "generated/", "title": "Changed page"},
        {"location": "generated/#part-two", "title": "Part two"},
    ], engine


@pytest.mark.slow
def test_the_live_reload_server_runs_the_builder_again_when_asked(built):
    # The fast preview writes the edited briefing's pages, lets the browsers reload, then writes
    # the other changed pages in a second round, asked for through the server's rebuild condition.
    engine, facts = built
    assert facts["builder_rounds"] == 2, engine


@pytest.mark.slow
def test_the_live_reload_servers_loop_ends_when_asked_without_a_lock(built):
    # A preview's stop signal asks the build loop to end (engine.stop_soon), should its interrupt be lost.
    engine, facts = built
    assert facts["stops_soon"] is True, engine


@pytest.mark.slow
def test_the_live_reload_server_serves_its_root_as_it_is_at_each_request(built):
    # A preview serves the published site while it makes its own, then its own (engine.serve_meanwhile).
    engine, facts = built
    assert [page.split("<body>")[1].split("<")[0] for page in facts["served_meanwhile"]] == ["first", "then"], engine


@pytest.mark.slow
def test_page_update_date_is_the_sitemaps_lastmod(built):
    engine, facts = built
    assert facts["lastmods"] == ["2001-02-03", "2001-02-03"], engine  # one per page, as the hook set it
    assert facts["after_lastmods"] == ["2002-03-04", "2002-03-04"], engine  # KeptBuild.finish


@pytest.mark.slow
def test_the_theme_writes_404_html_through_on_post_template(built):
    # The markup scan learns the theme's own scripts from the 404 page (on_post_template).
    engine, facts = built
    assert "404.html" in facts["static_templates"], engine
    assert "404.html" in facts["post_templates"], engine
    assert facts["has_404"], engine


@pytest.mark.slow
def test_material_titles_a_page_with_page_meta_title(built):
    engine, facts = built
    assert facts["generated_title"] == ["Meta title of generated.md - Probe"], engine


@pytest.mark.slow
def test_generator_tag_names_the_engine(built):
    # The parity test ignores this tag only: it is the one place the engines differ.
    engine, facts = built
    (generator,) = facts["generator"]
    assert ("ProperDocs" in generator) == (engine == "properdocs"), generator
    assert "mkdocs-material-" in generator


@pytest.mark.slow
def test_plugin_messages_reach_the_engines_logger(built):
    # Material logs as "mkdocs.*": under ProperDocs that logger must be ProperDocs' child, or
    # strict mode would not count its warnings and build.py would not report them.
    engine, facts = built
    assert facts["logger"] == engine
    assert facts["mkdocs_logger_parent"] == ("properdocs" if engine == "properdocs" else "root")


# engine.build mirrors the first two functions of each engine, engine.serve_meanwhile the server's serve();
# a new version of any must be reviewed against it.
SERVE = "e1d492bd6096889e"
MIRRORED = {
    "mkdocs": {"build": "c476b64474acfaa2", "_populate_page": "31a70ea4caef1e12", "LiveReloadServer.serve": SERVE},
    "properdocs": {"build": "9ef8add479b2679c", "_populate_page": "b3c436870881aa43", "LiveReloadServer.serve": SERVE},
}


def test_the_build_engine_build_mirrors_is_unchanged(signatures):
    engine, facts = signatures
    assert facts["mirrored_sources"] == MIRRORED[engine], (
        f"{engine}'s build(), _populate_page() or LiveReloadServer.serve() changed: review briefings.engine.build "
        "or serve_meanwhile against it, update MIRRORED"
    )


@pytest.mark.slow
def test_a_build_from_stored_pages_writes_the_engines_bytes(built):
    # engine.build (the build cache's loop) writes every file as the engine's own build does, when
    # it converts every page and when it writes every page from the store (search index included).
    engine, facts = built
    assert facts["cached_reused"] == [0, 2], engine
    assert facts["cached_stored"] == 2, engine
    assert facts["cached_differences"] == [], engine
    assert facts["cached_builds_as_engine_writes_them"] == [True, True], engine
