"""The link check with the build cache looks again only at what changed, yet misses nothing a full check finds.

Small hand-written sites, checked by `check_links` (our check and lychee) with a cache in tmp_path:
after one clean check, an unchanged page that links to an anchor or file that went away is reported.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from briefings.cache import BuildCache
from briefings.errors import LinkCheckError
from briefings.pipeline import check_links

PAGE = """<!doctype html><html><head><title>{name}</title></head>
<body><h1 id="{name}-top">{name}</h1><p>{body}</p></body></html>
"""


def write_site(site: Path, pages: dict[str, str]) -> None:
    """Each page name -> its body, as name/index.html (and the home page as index.html)."""
    for name, body in pages.items():
        path = site / "index.html" if name == "home" else site / name / "index.html"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(PAGE.format(name=name, body=body), encoding="utf-8")


SITE = {
    "home": '<a href="a/">a</a> <a href="b/">b</a> <a href="c/">c</a> <a href="d/">d</a>',
    "a": '<a href="../b/#there">there</a> <a href="../c/">c</a> <a href="../">home</a>',
    "b": '<span id="there">here</span> <a href="../">home</a>',
    "c": '<a href="../">home</a> <a href="../pic.png">picture</a>',
    "d": '<a href="../c/">c</a> <a href="https://example.org/">out</a>',
}


@pytest.fixture
def site(tmp_path: Path) -> Path:
    site = tmp_path / "site"
    write_site(site, SITE)
    (site / "pic.png").write_bytes(b"\x89PNG")
    return site


def check(site: Path, cache_root: Path) -> tuple[int, int, list[str]]:
    """(pages checked, links counted, broken lines) of one check with the cache."""
    with BuildCache(cache_root) as cache:
        try:
            report = check_links(site, cache=cache)
        except LinkCheckError as exc:
            return -1, -1, [line for line in str(exc).splitlines() if " -> " in line]
        return report.pages_checked, report.checked, []


def test_an_unchanged_site_is_counted_from_the_record(site, tmp_path):
    pages, links, broken = check(site, tmp_path)
    assert (pages, broken) == (5, [])
    assert check(site, tmp_path) == (0, links, [])  # the same count, nothing looked at


def test_a_changed_page_alone_is_checked_again(site, tmp_path):
    _, links, _ = check(site, tmp_path)
    write_site(site, {"d": SITE["d"] + " <em>edited</em>"})
    assert check(site, tmp_path) == (1, links, [])
    write_site(site, {"d": SITE["d"] + ' <a href="../gone/">gone</a>'})
    _, _, broken = check(site, tmp_path)
    assert broken == ["d/index.html -> ../gone/: no such file"]


def test_an_unchanged_page_linking_to_an_anchor_that_went_away_is_reported(site, tmp_path):
    check(site, tmp_path)
    write_site(site, {"b": '<span id="elsewhere">moved</span> <a href="../">home</a>'})
    _, _, broken = check(site, tmp_path)
    # a/index.html did not change; our check and lychee both find its link broken (lychee worded its own way)
    assert "a/index.html -> ../b/#there: no element with id 'there'" in broken
    assert all(line.startswith("a/index.html -> ") for line in broken), broken


def test_an_unchanged_page_linking_to_a_file_that_went_away_is_reported(site, tmp_path):
    check(site, tmp_path)
    (site / "pic.png").unlink()
    (site / "c" / "index.html").unlink()
    (site / "c").rmdir()
    _, _, broken = check(site, tmp_path)
    ours = sorted(line for line in broken if "no such file" in line)
    assert ours == [
        "a/index.html -> ../c/: no such file",
        "d/index.html -> ../c/: no such file",
        "index.html -> c/: no such file",
    ]


def test_a_failed_check_leaves_the_record_of_the_last_clean_one(site, tmp_path):
    _, links, _ = check(site, tmp_path)
    original = (site / "b" / "index.html").read_text()
    write_site(site, {"b": "<p>no anchor</p>"})
    assert check(site, tmp_path)[2] != []
    assert check(site, tmp_path)[2] != []  # still found: the broken state was never recorded as clean
    (site / "b" / "index.html").write_text(original)
    assert check(site, tmp_path) == (0, links, [])  # back to the recorded state: nothing to look at


def test_without_the_cache_every_page_is_checked(site, tmp_path):
    with BuildCache(tmp_path) as cache:
        check_links(site, cache=cache)
    report = check_links(site)
    assert report.pages_checked == 5


def test_pages_are_listed_in_the_order_the_full_check_reads_them(tmp_path):
    from briefings.links import site_listing

    for rel in ("a/b.html", "a-b/c.html", "a.html", "a/index.html", "z/y/x.html", "a b/c.html", "feed.json"):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text("x")
    pages, files = site_listing(tmp_path)
    paths = sorted(p for p in tmp_path.rglob("*.html"))  # how paths sort: part by part
    assert pages == [p.relative_to(tmp_path).as_posix() for p in paths]
    assert "feed.json" in files and len(files) == 7


def test_a_feed_file_naming_a_page_that_went_away_is_reported_though_unchanged(site, tmp_path):
    base = "https://example.org/"
    (site / "feed.json").write_text(f'{{"home_page_url": "{base}", "items": [{{"url": "{base}a/"}}]}}')
    (site / "api").mkdir()
    (site / "api" / "d.json").write_text(f'{{"pages": ["{base}d/", "{base}c/"]}}')
    pages, links, broken = check(site, tmp_path)
    assert broken == [] and check(site, tmp_path) == (0, links, [])
    (site / "d" / "index.html").unlink()
    (site / "d").rmdir()
    write_site(site, {"home": SITE["home"].replace('<a href="d/">d</a>', "")})
    _, _, broken = check(site, tmp_path)
    assert broken == ["api/d.json -> https://example.org/d/: no such page in the built site"]
