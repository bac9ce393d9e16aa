"""The suite's own scheduling on both cores (conftest.work_unit): a module's shared build runs once.

A scratch suite with our conftest's scheduler, run by a real pytest with two xdist workers.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT, work_unit

SCRATCH_CONFTEST = f"""
import importlib.util

_spec = importlib.util.spec_from_file_location("suite_conftest", {str(ROOT / "tests" / "conftest.py")!r})
_ours = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_ours)
pytest_xdist_make_scheduler = _ours.pytest_xdist_make_scheduler
pytest_collection_modifyitems = _ours.pytest_collection_modifyitems
"""

MODULE = """
import os, time, pytest

@pytest.fixture(scope="module")
def shared():
    with open("setups.txt", "a") as f:
        f.write(__name__ + " " + os.environ["PYTEST_XDIST_WORKER"] + "\\n")

@pytest.mark.parametrize("n", range(6))
def test_uses_the_shared_build(shared, n):
    time.sleep(0.05)  # long enough that an idle worker would take some of the module's tests
"""

HALVES = """
import os, pytest

@pytest.mark.parametrize("half", [pytest.param(1, id="half-1"), pytest.param(2, id="half-2")])
def test_a_half(half):
    with open("halves.txt", "a") as f:
        f.write(os.environ["PYTEST_XDIST_WORKER"] + "\\n")
"""


def test_work_units_are_modules_or_named_halves():
    assert work_unit("tests/test_site.py::test_x[a-b]") == "tests/test_site.py"
    assert work_unit("tests/test_fuzz.py::test_random[half-2]") == "tests/test_fuzz.py::half-2"
    assert work_unit("tests/test_fuzz.py::test_other") == "tests/test_fuzz.py"


@pytest.mark.slow  # no site, but a pytest with two workers of its own: seconds
def test_a_modules_tests_run_on_one_worker_and_halves_on_both(tmp_path: Path):
    (tmp_path / "conftest.py").write_text(SCRATCH_CONFTEST)
    for name in ("test_one", "test_two", "test_three"):
        (tmp_path / f"{name}.py").write_text(MODULE)
    (tmp_path / "test_split.py").write_text(HALVES)
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-n", "2"]
    command += ["--dist", "loadscope", "--no-loadscope-reorder", "--rootdir", str(tmp_path)]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    result = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    setups = (tmp_path / "setups.txt").read_text().split("\n")[:-1]
    assert sorted(line.split()[0] for line in setups) == ["test_one", "test_three", "test_two"]  # once each
    assert sorted((tmp_path / "halves.txt").read_text().split()) == ["gw0", "gw1"]
