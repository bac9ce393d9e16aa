"""Measure the chrome of every briefing overview of a built site.

    .venv/bin/python bench/overview_chrome.py [SITE]      # default: site/

Chrome is text on the page that is not the report's content: status badges (the label, and
the explanation that stays hidden until hover or focus but that screen readers announce),
"Source:" lines and reference numbers, the briefing's section navigation and pager,
"Disputed: see every side" links and heading permalinks (¶). For each overview it prints the
words of chrome (visible chrome is chrome_words - badge_explanation_words), the words of the
article, the number of badges, the number of "Source:" lines and the page height on a
390x844 phone viewport in screens (document height / 844), measured in Debian's Chromium
through Playwright on a loopback server.
"""

from __future__ import annotations

import functools
import http.server
import json
import os
import sys
import threading
from pathlib import Path

CHROME = ".bf-badge, .bf-cite, .bf-refs, .bf-sections, .bf-pager, .bf-disputed, .headerlink"
CHROMIUM = os.environ.get("BRIEFINGS_CHROMIUM", "/usr/bin/chromium")

_MEASURE = """(sel) => {
  const art = document.querySelector('article.md-content__inner');
  const words = (t) => t.split(/\\s+/).filter(Boolean).length;
  const all = [...art.querySelectorAll(sel)];
  const outer = all.filter(n => !all.some(o => o !== n && o.contains(n)));
  const badges = art.querySelectorAll('.bf-badge');
  return {
    chrome_words: outer.reduce((n, e) => n + words(e.textContent), 0),
    badge_explanation_words: [...badges].reduce(
      (n, b) => n + words((b.querySelector('.bf-badge__explain') || {textContent: ''}).textContent), 0),
    article_words: words(art.textContent),
    badges: badges.length,
    source_lines: [...art.querySelectorAll('.bf-cite')].length,
    screens: Math.round(document.documentElement.scrollHeight / 844 * 10) / 10,
  };
}"""


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass


def measure(site: Path) -> dict[str, dict[str, float]]:
    from playwright.sync_api import sync_playwright

    slugs = sorted(p.name for p in (site / "briefings").iterdir() if (p / "index.html").is_file())
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=str(site)))
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{httpd.server_address[1]}/"
    out = {}
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
            context = browser.new_context(viewport={"width": 390, "height": 844}, service_workers="block")
            page = context.new_page()
            for slug in slugs:
                page.goto(f"{base}briefings/{slug}/", wait_until="networkidle")
                out[slug] = page.evaluate(_MEASURE, CHROME)
            browser.close()
    finally:
        httpd.shutdown()
        httpd.server_close()
    return out


if __name__ == "__main__":
    site = Path(sys.argv[1] if len(sys.argv) > 1 else "site")
    print(json.dumps(measure(site), indent=2))
