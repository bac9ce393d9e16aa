"""Link checking of the built bundled site: our resolver, lychee, and the counts that prove work was done."""

from __future__ import annotations

import pytest
from bs4 import BeautifulSoup

from briefings.links import check_site, html_pages
from briefings.lychee import run_lychee
from conftest import ROOT


def internal_links_by_parse(site) -> int:
    """Count internal href/src with an independent parser (BeautifulSoup + lxml)."""
    count = 0
    for path in html_pages(site):
        soup = BeautifulSoup(path.read_text(encoding="utf-8"), "lxml")
        for tag in soup.find_all(True):
            for attr in ("href", "src"):
                url = tag.get(attr)
                if url and not url.startswith(("http://", "https://", "mailto:", "//")):
                    count += 1
    return count


@pytest.mark.slow
def test_every_internal_link_and_anchor_resolves(built_site):
    report = check_site(built_site)
    assert report.broken == []
    assert report.checked == internal_links_by_parse(built_site)
    assert report.checked > 300


@pytest.mark.slow
def test_lychee_checks_at_least_what_a_parse_counts(built_site):
    report = run_lychee(built_site, ROOT / "lychee.toml")
    assert report.broken == []
    assert report.checked >= internal_links_by_parse(built_site)
