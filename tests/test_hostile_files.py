"""The file system is hostile too: links, pipes, devices, deep nesting and crafted file names.

Every case runs the command line on a scratch copy of the project and asserts the exit code
and the exact error line a user reads: `python build.py` or `mkdocs build` as a subprocess
for pipes and devices (a read that blocks fails by a timeout instead of hanging the run),
for crafted names on the real output stream, and for one case of each kind; the command
line's main() in process for the other cases, which a child process adds nothing to.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from briefings.errors import Problem, printable
from briefings.load import MAX_DEPTH, MAX_ITEMS, parse_yaml
from conftest import LINK, MKDOCS, assert_refused, assert_secret_unpublished, build_py, error_lines, run

# --------------------------------------------------------------------------- symbolic links


@pytest.mark.parametrize(
    "rel",
    [
        "docs/leak.txt",
        "docs/assets/leak.css",
        "data/briefings/leak.yaml",
        "data/geo/leak.json",
        "templates/leak.md.j2",
        "overrides/leak.html",
        "overrides/partials/leak.html",
    ],
)
def test_symlink_in_an_input_folder_is_refused(cli_project, secret, tmp_path, rel):
    link = cli_project / rel
    link.parent.mkdir(parents=True, exist_ok=True)
    link.symlink_to(secret)
    out = tmp_path / "out"
    assert_refused(cli_project, out, f"{rel}: (file): is a symbolic link (to {str(secret)!r}); {LINK}")
    assert_secret_unpublished(out, cli_project / "site")


def test_symlinked_folder_in_docs_is_refused(cli_project, secret, tmp_path):
    (cli_project / "docs" / "private").symlink_to(secret.parent, target_is_directory=True)
    out = tmp_path / "out"
    assert_refused(
        cli_project, out, f"docs/private: (file): is a symbolic link (to {str(secret.parent)!r}); {LINK}", child=True
    )


def test_symlink_to_proc_environ_is_refused(cli_project, tmp_path):
    (cli_project / "docs" / "env.txt").symlink_to("/proc/self/environ")
    out = tmp_path / "out"
    assert_refused(cli_project, out, f"docs/env.txt: (file): is a symbolic link (to '/proc/self/environ'); {LINK}")


@pytest.mark.parametrize("rel", ["docs/leak.txt", "overrides/leak.html", "data/briefings/leak.yaml"])
def test_mkdocs_build_refuses_symlinks_too(cli_project, secret, tmp_path, rel):
    (cli_project / rel).symlink_to(secret)
    out = tmp_path / "mkdocs-out"
    result = run(cli_project, str(MKDOCS), "build", "-f", str(cli_project / "mkdocs.yml"), "-d", str(out))
    assert result.returncode == 1, result.stderr
    # The problems are indented under MkDocs' error line (only indented lines continue a message).
    assert f"  {rel}: (file): is a symbolic link (to {str(secret)!r}); {LINK}" in result.stderr.splitlines()
    assert "unsafe files in the project:" in result.stderr
    assert_secret_unpublished(out)
    assert not (out / Path(rel).name).exists()


# --------------------------------------------------------------------------- only regular files are read


def test_fifo_named_yaml_is_refused_without_hanging(cli_project, tmp_path):
    os.mkfifo(cli_project / "data" / "briefings" / "x.yaml")
    expected = "data/briefings/x.yaml: (file): is a named pipe (FIFO), not a regular file (expected a regular file)"
    assert_refused(cli_project, tmp_path / "out", expected, child=True)


def test_fifo_in_docs_is_refused_without_hanging(cli_project, tmp_path):
    os.mkfifo(cli_project / "docs" / "pipe.md")
    expected = "docs/pipe.md: (file): is a named pipe (FIFO), not a regular file (expected a regular file)"
    assert_refused(cli_project, tmp_path / "out", expected, child=True)


def test_symlink_to_dev_zero_named_yaml_is_refused(cli_project, tmp_path):
    (cli_project / "data" / "briefings" / "x.yaml").symlink_to("/dev/zero")
    expected = f"data/briefings/x.yaml: (file): is a symbolic link (to '/dev/zero'); {LINK}"
    assert_refused(cli_project, tmp_path / "out", expected, child=True)


def test_folder_named_yaml_is_refused(cli_project, tmp_path):
    (cli_project / "data" / "briefings" / "x.yaml").mkdir()
    expected = "data/briefings/x.yaml: (file): is a folder, not a regular file (expected a regular file)"
    assert_refused(cli_project, tmp_path / "out", expected)


def test_dangling_symlink_named_yaml_is_refused(cli_project, tmp_path):
    (cli_project / "data" / "briefings" / "x.yaml").symlink_to(tmp_path / "nowhere.yaml")
    expected = f"data/briefings/x.yaml: (file): is a symbolic link (to {str(tmp_path / 'nowhere.yaml')!r}); {LINK}"
    assert_refused(cli_project, tmp_path / "out", expected)


def test_reader_itself_refuses_links_and_pipes(tmp_path):
    # The folder check runs first; the reader does not rely on it.
    (tmp_path / "zero.yaml").symlink_to("/dev/zero")
    os.mkfifo(tmp_path / "pipe.yaml")
    (tmp_path / "dir.yaml").mkdir()
    assert [p.format() for p in parse_yaml(tmp_path / "zero.yaml", "zero.yaml")[1]] == [
        f"zero.yaml: (file): is a symbolic link (to '/dev/zero'); {LINK}"
    ]
    assert [p.format() for p in parse_yaml(tmp_path / "pipe.yaml", "pipe.yaml")[1]] == [
        "pipe.yaml: (file): is a named pipe (FIFO), not a regular file (expected a regular file)"
    ]
    assert [p.format() for p in parse_yaml(tmp_path / "dir.yaml", "dir.yaml")[1]] == [
        "dir.yaml: (file): is a folder, not a regular file (expected a regular file)"
    ]


# --------------------------------------------------------------------------- nesting and size


def test_deep_flow_nesting_is_a_problem_not_a_crash(cli_project, tmp_path):
    (cli_project / "data" / "briefings" / "x.yaml").write_text("[" * 100_000)
    expected = f"data/briefings/x.yaml:1:{MAX_DEPTH + 1}: {'[0]' * MAX_DEPTH}: nesting deeper than {MAX_DEPTH} levels"
    assert_refused(cli_project, tmp_path / "out", expected + " (expected a flatter structure)", child=True)


def test_deep_flow_mapping_is_a_problem_not_a_crash(cli_project, tmp_path):
    (cli_project / "data" / "briefings" / "x.yaml").write_text("a: {" * 25_000)
    expected = f"data/briefings/x.yaml:1:160: {'.'.join(['a'] * MAX_DEPTH)}: nesting deeper than {MAX_DEPTH} levels"
    assert_refused(cli_project, tmp_path / "out", expected + " (expected a flatter structure)")


def test_deep_block_mapping_is_a_problem_not_an_internal_error(cli_project, tmp_path):
    text = "".join(" " * i + "k:\n" for i in range(1_500))
    (cli_project / "data" / "briefings" / "x.yaml").write_text(text)
    where = f"{MAX_DEPTH + 1}:{MAX_DEPTH + 1}"
    expected = f"data/briefings/x.yaml:{where}: {'.'.join(['k'] * MAX_DEPTH)}: nesting deeper than {MAX_DEPTH} levels"
    assert_refused(cli_project, tmp_path / "out", expected + " (expected a flatter structure)")


def test_very_long_list_is_refused_at_its_line(cli_project, tmp_path):
    text = "slug: x\ntags:\n" + "".join(f"  - tag-{i}\n" for i in range(5_000))
    (cli_project / "data" / "briefings" / "x.yaml").write_text(text)
    expected = f"data/briefings/x.yaml:3:3: tags: list has more than {MAX_ITEMS} items"
    expected += f" (expected at most {MAX_ITEMS} items)"
    assert_refused(cli_project, tmp_path / "out", expected)


# --------------------------------------------------------------------------- crafted file names


def test_control_characters_in_a_file_name_are_escaped(cli_project, tmp_path):
    name = "evil\x1b[31m\nforged.yaml:1:1: slug: all good\u202e.yaml"
    (cli_project / "data" / "briefings" / name).write_text("title: [\n")
    for args in (["check"], ["build", "--site-dir", str(tmp_path / "out")]):
        result = build_py(cli_project, *args)
        assert result.returncode == 2
        assert "\x1b" not in result.stderr and "\u202e" not in result.stderr
        lines = error_lines(result.stderr)
        assert lines[0] == (
            "data/briefings/evil\\x1b[31m\\nforged.yaml:1:1: slug: all good\\u202e.yaml:2:1: (file): "
            "YAML syntax error: while parsing a flow node did not find expected node content (expected valid YAML)"
        )
        assert lines[1:] == ["1 problem in 1 data file"]


def test_symlink_with_a_crafted_name_is_escaped(cli_project, tmp_path):
    (cli_project / "docs" / "a\x1b]0;pwned\x07b").symlink_to("/etc/hostname")
    result = build_py(cli_project, "check")
    assert result.returncode == 2
    assert "\x1b" not in result.stderr and "\x07" not in result.stderr
    expected = f"docs/a\\x1b]0;pwned\\x07b: (file): is a symbolic link (to '/etc/hostname'); {LINK}"
    assert error_lines(result.stderr)[0] == expected


def test_problem_format_escapes_every_part():
    problem = Problem("a\x1b\n\x9b\x7fb.yaml", 1, 2, "k\u2028", "bad\u200b", "x\ty")
    assert problem.format() == "a\\x1b\\n\\x9b\\x7fb.yaml:1:2: k\\u2028: bad\\u200b (expected x\\ty)"
    assert printable("Kyiv — Київ, 東京 ✓") == "Kyiv — Київ, 東京 ✓"
