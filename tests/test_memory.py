"""A build lets go of what later stages no longer need, and still says where every problem is."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from briefings.dataset import ParsedFiles, load_dataset
from briefings.errors import DataError
from briefings.load import parse_yaml
from briefings.model import Briefing
from briefings.pipeline import Project, engine_config, mkdocs_build
from conftest import ROOT, SEED, SEED_FILE, copy_project


def test_kept_files_let_go_of_their_marks_and_parse_again_when_asked():
    parsed = ParsedFiles()
    load_dataset(ROOT / "data", ROOT, parsed)
    _, doc, _ = parsed.load(SEED, SEED_FILE, Briefing)  # the kept one: the file is unchanged
    assert doc is not None and doc.released
    fresh, _ = parse_yaml(SEED, SEED_FILE)
    assert fresh is not None and not fresh.released
    assert doc.locate(("title",)) == fresh.locate(("title",)) != (None, None)
    assert (doc.marks, doc.key_marks, doc.data) == (fresh.marks, fresh.key_marks, fresh.data)


def test_a_later_problem_in_a_kept_file_names_its_line(tmp_path):
    """A duplicate slug added after a load names the first file's slug line, found by parsing it again."""
    project = copy_project(tmp_path / "p")
    parsed = ParsedFiles()
    load_dataset(project / "data", project, parsed)
    _, kept_doc, _ = parsed.load(project / SEED_FILE, SEED_FILE, Briefing)
    assert kept_doc is not None and kept_doc.released  # its line must come from parsing it again
    shutil.copy(project / SEED_FILE, project / "data" / "briefings" / "zz-copy.yaml")
    with pytest.raises(DataError) as kept:
        load_dataset(project / "data", project, parsed)
    with pytest.raises(DataError) as cold:
        load_dataset(project / "data", project, ParsedFiles())
    slug_line = next(i for i, line in enumerate(SEED.read_text().splitlines(), 1) if line.startswith("slug:"))
    messages = [p.format() for p in kept.value.problems]
    assert messages == [p.format() for p in cold.value.problems]
    assert any(f"also in {SEED_FILE}:{slug_line}" in m for m in messages), messages


@pytest.mark.slow
def test_a_build_keeps_no_pages_once_written(tmp_path: Path):
    """After a build (not a preview), the plugin holds neither the pages nor MkDocs' files."""
    from briefings.mkdocs_adapter import BriefingsPlugin

    project = Project.at(ROOT)
    out = tmp_path / "site"
    config = engine_config(project, out)
    mkdocs_build(project, out, config=config)
    plugin = BriefingsPlugin.of(config.plugins.values())
    assert (plugin.generated, plugin.last_good, plugin.files, plugin.prepared) == (None, None, None, None)
    assert plugin.packed == {}
    assert (out / "index.html").is_file()
