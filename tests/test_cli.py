"""The command line: exit codes and what the user reads."""

from __future__ import annotations

import importlib
import json
import subprocess
import sys
import tomllib

import pytest

from briefings import __version__
from briefings.cli import main, run
from conftest import ROOT, SEED, SEED_FILE, briefings_latest_first, run_cli


def test_check_ok(capsys):
    assert main(["--project", str(ROOT), "check"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("ok: ")
    assert "briefings valid" in out or "briefing valid" in out


def test_check_broken_file_prints_error_line_and_exits_2(project, capsys):
    text = SEED.read_text(encoding="utf-8").replace("status: unconfirmed", "status: maybe")
    (project / SEED_FILE).write_text(text, encoding="utf-8")
    line = next(i for i, s in enumerate(text.splitlines(), 1) if "status: maybe" in s)
    assert main(["--project", str(project), "check"]) == 2
    err = capsys.readouterr().err
    assert err.splitlines()[0].startswith(
        f"{SEED_FILE}:{line}:19: front_lines.developments[3].claims[1].status: Input should be"
    )
    assert "(got 'maybe')" in err
    assert "Traceback" not in err
    assert err.splitlines()[-1] == "1 problem in 1 data file"


def test_build_with_broken_data_exits_2_and_builds_nothing(project, capsys):
    (project / SEED_FILE).write_text("slug: [unclosed\n", encoding="utf-8")
    assert main(["--project", str(project)]) == 2
    err = capsys.readouterr().err
    assert f"\n{SEED_FILE}:2:1: (file): YAML syntax error" in err
    assert not (project / "site").exists()


def test_usage_error_exits_3(capsys):
    assert main(["frobnicate"]) == 3
    assert "invalid choice: 'frobnicate'" in capsys.readouterr().err


@pytest.mark.parametrize("jobs", ["0", "1.5"])
def test_jobs_that_is_not_a_count_of_cores_is_a_usage_error(tmp_path, capsys, jobs):
    assert main(["--project", str(tmp_path), "build", "--jobs", jobs]) == 3
    err = capsys.readouterr().err
    assert f"expected a whole number of cores, 1 or more, not '{jobs}'" in err
    assert "Traceback" not in err and not (tmp_path / "site").exists()


def test_check_links_without_site_is_a_usage_error(tmp_path, capsys):
    assert main(["--project", str(tmp_path), "check-links"]) == 3
    assert "no built site at" in capsys.readouterr().err


def test_build_py_entry_point_runs_as_a_script(project):
    (project / "build.py").write_text((ROOT / "build.py").read_text())
    text = SEED.read_text(encoding="utf-8").replace("kind: media", "kind: anonymous", 1)
    (project / SEED_FILE).write_text(text, encoding="utf-8")
    proc = subprocess.run([sys.executable, "build.py", "check"], cwd=project, capture_output=True, text=True)
    assert proc.returncode == 2
    assert "sources[0].kind: Input should be 'official', 'media'" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert proc.stdout == ""


def test_help_lists_commands_and_exit_codes(capsys):
    try:
        main(["--help"])
    except SystemExit as exc:
        assert exc.code == 0
    out = capsys.readouterr().out
    for word in ("build", "check", "check-links", "exit codes", "2  invalid data"):
        assert word in out


def test_global_options_work_after_the_command_too(capsys):
    assert main(["check", "--json", "--project", str(ROOT)]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert isinstance(summary["warnings"], list)
    assert summary["briefings"] == len(briefings_latest_first())
    # Before the command, as ever; after it, a value overrides the one given before.
    assert main(["--project", "/nonexistent", "check", "--project", str(ROOT), "--quiet"]) == 0


@pytest.mark.slow
def test_build_json_after_the_command_prints_one_summary_object(project):
    proc = run_cli(project, "build", "--json")
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert len(lines) == 1
    summary = json.loads(lines[0])
    assert summary["pages"] > 0 and summary["links_broken"] == 0 and summary["site"] == str(project / "site")


def test_version_prints_the_package_version():
    for args in (["--version"], ["check", "--version"]):
        proc = run_cli(ROOT, *args)
        if args[0] == "check":  # a command's own options do not include --version: a usage error
            assert proc.returncode == 3 and "unrecognized arguments: --version" in proc.stderr
            continue
        assert proc.returncode == 0 and proc.stdout == f"briefings {__version__}\n" and proc.stderr == ""


@pytest.mark.parametrize(
    "url",
    [
        "ftp://example.org/",
        "/briefings/",
        "example.org/briefings",
        "https://",
        "https://x/?a=1",
        # The theme prints the address unescaped (canonical link): markup in the host or path
        # would deface every page; empty, encoded or backslashed segments break the site's own URLs.
        'https://x"><h1>SITE-MOVED<!--.org/',
        "https://x.org/a'b/",
        "https://x.org/<style>/",
        "https://example.org//",
        "https://example.org/a%2F..%2F/",
        "https://example.org/a\\b/",
        "https://a_b.example.org/",
    ],
)
def test_a_bad_site_url_is_a_usage_error_naming_what_is_expected(project, capsys, url):
    assert main(["--project", str(project), "build", "--site-url", url]) == 3
    err = capsys.readouterr().err
    assert err.startswith("error: --site-url: ") and "expected an absolute http:// or https:// address" in err
    assert "Traceback" not in err and not (project / "site").exists()


def test_a_bad_site_url_in_the_environment_is_a_usage_error(project, capsys, monkeypatch):
    monkeypatch.setenv("BRIEFINGS_SITE_URL", "briefings.example.org")
    assert main(["--project", str(project), "build"]) == 3
    err = capsys.readouterr().err
    assert err.startswith("error: $BRIEFINGS_SITE_URL: 'briefings.example.org' is not an absolute http(s) address")
    assert not (project / "site").exists()


def test_console_script_entry_point_runs_the_same_command_line():
    """pyproject's `briefings` script names a callable that is this CLI; run it as pip's wrapper does."""
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert pyproject["build-system"]["build-backend"] == "setuptools.build_meta"
    assert pyproject["tool"]["setuptools"]["dynamic"]["version"] == {"attr": "briefings.__version__"}
    module, _, name = pyproject["project"]["scripts"]["briefings"].partition(":")
    assert getattr(importlib.import_module(module), name) is run
    wrapper = f"import sys; from {module} import {name}; sys.exit({name}())"  # what pip writes into bin/briefings
    proc = subprocess.run(
        [sys.executable, "-c", wrapper, "--version"], capture_output=True, text=True, cwd=ROOT, timeout=60
    )
    assert proc.returncode == 0 and proc.stdout == f"briefings {__version__}\n"
    proc = subprocess.run(
        [sys.executable, "-c", wrapper, "--project", str(ROOT), "check"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )
    assert proc.returncode == 0 and proc.stdout.startswith("ok: ")


def test_the_program_exits_with_mains_code_after_the_exit_handlers_and_its_output():
    """`run` (build.py, the console script) skips only the interpreter's teardown: exit handlers run,
    output reaches a pipe, and the exit code is main()'s."""
    program = (
        "import atexit, sys; atexit.register(print, 'exit handler ran'); "
        "from briefings.cli import run; sys.argv[1:] = ['--project', sys.argv[1], 'check']; run()"
    )
    for project, code, said in ((ROOT, 0, "ok: "), (ROOT / "no-such-project", 2, "")):
        proc = subprocess.run(
            [sys.executable, "-c", program, str(project)], capture_output=True, text=True, cwd=ROOT, timeout=120
        )
        assert proc.returncode == code, proc.stderr
        assert proc.stdout.startswith(said) and proc.stdout.endswith("exit handler ran\n"), proc.stdout
