"""The command line: exit codes and what the user reads."""

from __future__ import annotations

import subprocess
import sys

from briefings.cli import main
from conftest import ROOT, SEED

NAME = "data/briefings/2025-07-01-izhevsk-kupol-strike.yaml"


def test_check_ok(capsys):
    assert main(["--project", str(ROOT), "check"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("ok: ")
    assert "briefings valid" in out or "briefing valid" in out


def test_check_broken_file_prints_error_line_and_exits_2(project, capsys):
    text = SEED.read_text(encoding="utf-8").replace("status: unconfirmed", "status: maybe")
    (project / NAME).write_text(text, encoding="utf-8")
    line = next(i for i, s in enumerate(text.splitlines(), 1) if "status: maybe" in s)
    assert main(["--project", str(project), "check"]) == 2
    err = capsys.readouterr().err
    assert err.splitlines()[0].startswith(
        f"{NAME}:{line}:19: front_lines.developments[3].claims[1].status: Input should be"
    )
    assert "(got 'maybe')" in err
    assert "Traceback" not in err
    assert err.splitlines()[-1] == "1 problem in 1 data file"


def test_build_with_broken_data_exits_2_and_builds_nothing(project, capsys):
    (project / NAME).write_text("slug: [unclosed\n", encoding="utf-8")
    assert main(["--project", str(project)]) == 2
    err = capsys.readouterr().err
    assert f"\n{NAME}:2:1: (file): YAML syntax error" in err
    assert not (project / "site").exists()


def test_usage_error_exits_3(capsys):
    assert main(["frobnicate"]) == 3
    assert "invalid choice: 'frobnicate'" in capsys.readouterr().err


def test_check_links_without_site_is_a_usage_error(tmp_path, capsys):
    assert main(["--project", str(tmp_path), "check-links"]) == 3
    assert "no built site at" in capsys.readouterr().err


def test_build_py_entry_point_runs_as_a_script(project):
    (project / "build.py").write_text((ROOT / "build.py").read_text())
    text = SEED.read_text(encoding="utf-8").replace("kind: media", "kind: anonymous", 1)
    (project / NAME).write_text(text, encoding="utf-8")
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
