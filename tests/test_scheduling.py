"""The suite's own scheduling on both cores (scheduling.work_unit): a module's shared build runs once.

A scratch suite with our scheduler (tests/scheduling.py), run by a real pytest with two xdist workers.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT
from scheduling import pytest_collection_modifyitems, work_unit

SCRATCH_CONFTEST = f"""
import importlib.util

_spec = importlib.util.spec_from_file_location("suite_scheduling", {str(ROOT / "tests" / "scheduling.py")!r})
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


class _Item:
    """What the ordering reads of a collected test: its node id, its stash and its slow marker."""

    def __init__(self, nodeid: str, slow: bool) -> None:
        self.nodeid, self.stash, self.slow = nodeid, pytest.Stash(), slow

    def get_closest_marker(self, name: str) -> object | None:
        return object() if name == "slow" and self.slow else None


def test_halves_then_units_with_slow_tests_are_handed_out_first():
    items = [_Item(f"tests/test_quick.py::test_{i}", slow=False) for i in range(40)]
    items += [_Item(f"tests/test_builds.py::test_{i}", slow=True) for i in range(2)]
    items += [_Item(f"tests/test_fuzz.py::test_random[half-{h}]", slow=False) for h in (1, 2)]
    pytest_collection_modifyitems(items)  # type: ignore[arg-type]
    order = [item.nodeid.split("::")[0].removeprefix("tests/") for item in items]
    assert order[:4] == ["test_fuzz.py", "test_fuzz.py", "test_builds.py", "test_builds.py"]
    assert set(order[4:]) == {"test_quick.py"}  # 40 quick tests weigh less than two that build


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


@pytest.mark.slow  # a pytest of its own: about a second
def test_the_order_weighs_only_the_tests_selected(tmp_path: Path):
    """With `-m "not slow"` (the default run) a module's slow tests, left out, do not move it to the front."""
    (tmp_path / "conftest.py").write_text(SCRATCH_CONFTEST)
    quick = "import pytest\n" + "".join(f"def test_{i}():\n    pass\n" for i in range(5))
    mixed = "import pytest\ndef test_quick():\n    pass\n" + "".join(
        f"@pytest.mark.slow\ndef test_slow_{i}():\n    pass\n" for i in range(3)
    )
    (tmp_path / "test_quick.py").write_text(quick)
    (tmp_path / "test_mixed.py").write_text(mixed)
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--collect-only"]
    command += ["-m", "not slow", "--rootdir", str(tmp_path)]
    result = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    listed = [line.split("::")[0] for line in result.stdout.splitlines() if "::" in line]
    assert listed == ["test_quick.py"] * 5 + ["test_mixed.py"], result.stdout
