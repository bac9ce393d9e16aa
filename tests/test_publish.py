"""Publishing: a failed build leaves the previous site byte-identical; unsafe outputs are refused."""

from __future__ import annotations

import pytest

from briefings.cli import main
from briefings.errors import BuildError
from briefings.publish import MARKER, check_output_dir
from conftest import SEED, SEED_FILE, tree_digest


@pytest.mark.slow
def test_failed_build_leaves_previous_site_intact(project):
    assert main(["--project", str(project)]) == 0
    site = project / "site"
    before = tree_digest(site)
    assert MARKER in before
    # Data stays valid but a template now links to a page that does not exist: MkDocs
    # strict mode or the link check must fail, after the data stage passed.
    quotes = project / "templates" / "quotes.md.j2"
    quotes.write_text(quotes.read_text() + "\n[missing](no-such-page.md)\n")
    assert main(["--project", str(project)]) == 1
    assert tree_digest(site) == before
    assert not [p for p in project.iterdir() if p.name.startswith(".site.")]


@pytest.mark.slow
def test_broken_link_inside_raw_html_fails_the_build(project, capsys):
    assert main(["--project", str(project)]) == 0
    capsys.readouterr()
    quotes = project / "templates" / "quotes.md.j2"
    quotes.write_text(quotes.read_text() + '\n<p><a href="../nowhere/#x">raw</a></p>\n')
    assert main(["--project", str(project)]) == 1
    err = capsys.readouterr().err
    assert "quotes/index.html -> ../nowhere/#x: no such file" in err


@pytest.mark.parametrize("target", [".", "docs", "data", "templates", ".."])
def test_refuses_output_folders_that_hold_the_project(project, target, capsys):
    before = tree_digest(project)
    assert main(["--project", str(project), "build", "--site-dir", str(project / target)]) == 1
    assert "refusing to build into" in capsys.readouterr().err
    assert tree_digest(project) == before


def test_refuses_to_replace_a_folder_it_did_not_build(project, capsys):
    foreign = project / "elsewhere"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("precious")
    assert main(["--project", str(project), "build", "--site-dir", str(foreign)]) == 1
    assert "was not built by this tool" in capsys.readouterr().err
    assert (foreign / "notes.txt").read_text() == "precious"


def test_output_inside_docs_is_refused(tmp_path):
    with pytest.raises(BuildError, match="inside"):
        check_output_dir(tmp_path / "docs" / "site", [tmp_path, tmp_path / "docs"])


@pytest.mark.slow
def test_data_error_leaves_site_intact(project):
    assert main(["--project", str(project)]) == 0
    before = tree_digest(project / "site")
    (project / SEED_FILE).write_text(SEED.read_text().replace("value: 3\n", "value: -3\n"))
    assert main(["--project", str(project)]) == 2
    assert tree_digest(project / "site") == before
