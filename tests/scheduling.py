"""The suite's scheduling on both cores (pytest-xdist): which tests run together, and in what order.

Its own module, so a scratch suite can use it without the rest of tests/conftest.py (test_scheduling.py).
"""

from __future__ import annotations

import re

import pytest

_HALF = re.compile(r"\[(half-\d+)\]$")  # a test parametrized by halves (ids half-1, half-2...)


def work_unit(nodeid: str) -> str:
    """What one xdist worker runs together: a test's module, so a module-scoped build runs once, on one
    worker; or, for a test parametrized by halves (ids `half-N`, the fuzz test), that half, so a long
    module split this way runs on both workers."""
    module = nodeid.split("::")[0]
    half = _HALF.search(nodeid)
    return f"{module}::{half.group(1)}" if half else module


def pytest_xdist_make_scheduler(config: pytest.Config, log: object) -> object:
    """xdist's scope scheduling (`--dist loadscope`), with `work_unit` as the scope.

    Not `--dist loadgroup` with markers: it tags node ids in a way pytest 9 ignores, so every test
    became a unit of its own and a module's shared build ran once on each worker.
    """
    from xdist.scheduler import LoadScopeScheduling

    class ByWorkUnit(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return work_unit(nodeid)

    return ByWorkUnit(config, log)


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Order the work units (`work_unit`) as xdist hands them out (`--no-loadscope-reorder`): the halves of
    a split module first, one to each worker (handed out last, both could queue on one worker); then
    modules, longest first as far as can be told before running them (`weight`), so the last unit
    handed out is a short one and neither worker waits long for the other at the end.

    Last of the hooks: the items are those `-m` selected (weighed with the slow tests the default run
    leaves out, its modules of quick tests came last and the run took 97 s instead of 63)."""
    size: dict[str, int] = {}
    for item in items:
        item.stash[_GROUP] = work_unit(item.nodeid)
        size[item.stash[_GROUP]] = size.get(item.stash[_GROUP], 0) + weight(item)
    items.sort(key=lambda item: ("::" not in item.stash[_GROUP], -size[item.stash[_GROUP]]))  # halves: "m::half-N"


SLOW_WEIGHT = 30  # a test that builds a site or starts a server takes seconds; most others take milliseconds


def weight(item: pytest.Item) -> int:
    """What a test adds to its unit's expected length: `SLOW_WEIGHT` if it is marked slow, else 1."""
    return SLOW_WEIGHT if item.get_closest_marker("slow") is not None else 1


_GROUP = pytest.StashKey[str]()
