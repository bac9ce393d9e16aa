#!/usr/bin/env python3
"""Benchmark the generator against the floor MkDocs itself sets, at N = 10, 100, 1000 briefings.

Everything is measured in one run on the same machine and reported as ratios, since
absolute seconds vary between machines:

- full build: `build.py build` (validate, render, MkDocs strict via the hook); the
  link check is timed separately because the floor has none;
- floor: a bare `mkdocs build` of the same pre-rendered Markdown with the same nav (stock
  Python-Markdown: without the site's `Passthrough` extension, which the hook adds);
- plain floor: a bare `mkdocs build` of plain pages (a heading and prose) of the same word
  counts with the same nav: what MkDocs costs for the site's text alone;
- generator: load + validate + render in a fresh process, against raw Jinja rendering
  of the same pages from already-validated data;
- peak memory (max RSS) of the full build process; HTML bytes of one briefing page;
- edit-to-preview latency at the largest N: save a data file, poll the served page (and then
  the home page, which lists the edited headline: every changed page written), against a
  one-page Material site's `mkdocs build` in the same run;
- the largest page (HTML bytes) of each page kind, and the ratio largest at the largest N /
  at the smallest (and at the largest / the one before): a page kind that grows with the
  archive shows a ratio above 1;
- Python-Markdown conversion per page kind (the site's extensions, a sample of each kind's
  pages), against a plain page of the same word count.

Usage: python bench/run.py [--sizes 10,100,1000] [--preview mkdocs,fast,none] [--out bench/results/latest.json]
       [--preview-only] [--preview-timeout SECONDS]
"""

from __future__ import annotations

import argparse
import copy
import datetime as dt
import json
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from briefings.load import dump_yaml, parse_yaml  # noqa: E402
from briefings.model import Briefing  # noqa: E402
from briefings.reference import text_field_paths  # noqa: E402

SEED = ROOT / "data" / "briefings" / "2025-07-01-izhevsk-kupol-strike.yaml"
PARTS = ("mkdocs.yml", "lychee.toml", "briefings", "templates", "docs", "overrides")
WORDS = (
    "drone strike plant officials reported region forces attack according ministry statement talks village "
    "border missile defence air city governor damage hospital night troops front negotiations envoy sanctions "
    "industry report claims confirmed footage verified airport flights halted offensive eastern western"
).split()
TAGS = [f"topic-{i}" for i in range(20)]


def _words(rng: random.Random, length: int) -> str:
    out: list[str] = []
    while sum(len(w) + 1 for w in out) < length:
        out.append(rng.choice(WORDS))
    return " ".join(out).capitalize()


def _drop_lineage(node: Any) -> None:
    """Remove every `lineage` list (links to other briefings) from a briefing's data, in place."""
    if isinstance(node, dict):
        node.pop("lineage", None)
        for value in node.values():
            _drop_lineage(value)
    elif isinstance(node, list):
        for value in node:
            _drop_lineage(value)


def synthetic_briefings(n: int, seed: int = 1) -> list[dict[str, Any]]:
    """N valid briefings shaped like the seed (same sections and field sizes), text randomised."""
    doc, problems = parse_yaml(SEED, SEED.name)
    assert doc is not None and not problems
    base = doc.data
    paths = text_field_paths(Briefing, base)
    rng = random.Random(seed)
    start = dt.date(2025, 7, 1)
    out = []
    for i in range(n):
        data = copy.deepcopy(base)
        for path in paths:
            node = data
            for part in path[:-1]:
                node = node[part]
            node[path[-1]] = _words(rng, max(8, len(str(node[path[-1]]))))
        day = start - dt.timedelta(days=i)
        data["slug"] = f"{day.isoformat()}-synthetic-{i:04d}"
        data["published"] = day.isoformat()
        data["tags"] = rng.sample(TAGS, 3)
        for earlier in data["strike"]["earlier_strikes"]:
            earlier.pop("briefing", None)
        _drop_lineage(data)  # it names the seed's real predecessor, which the scratch project lacks
        out.append(data)
    return out


def make_project(dest: Path, n: int) -> Path:
    """A scratch project with the real code and templates and N synthetic briefings."""
    dest.mkdir(parents=True)
    for part in PARTS:
        src = ROOT / part
        if src.is_dir():
            shutil.copytree(src, dest / part, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(src, dest / part)
    (dest / "data" / "briefings").mkdir(parents=True)
    shutil.copy2(ROOT / "data" / "entities.yaml", dest / "data" / "entities.yaml")
    shutil.copytree(ROOT / "data" / "geo", dest / "data" / "geo")
    for data in synthetic_briefings(n):
        text = dump_yaml(data)
        (dest / "data" / "briefings" / f"{data['slug']}.yaml").write_text(text, encoding="utf-8")
    return dest


def run_measured(cmd: list[str], cwd: Path) -> tuple[float, int, str]:
    """Wall seconds, peak RSS in bytes of that one child, and its stdout."""
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    out, err = proc.communicate()
    seconds = time.perf_counter() - start
    # communicate() reaped the child; its rusage is gone, so measure with wait4 instead:
    if proc.returncode != 0:
        raise RuntimeError(f"{cmd} failed ({proc.returncode}): {err.decode()[-2000:]}")
    return seconds, 0, out.decode()


def run_with_rss(cmd: list[str], cwd: Path) -> tuple[float, int, str]:
    """Like run_measured, but reads the child's own peak RSS with os.wait4."""
    seconds, rss, _, out = run_with_usage(cmd, cwd)
    return seconds, rss, out


def run_with_usage(cmd: list[str], cwd: Path) -> tuple[float, int, float, str]:
    """Wall seconds, peak RSS in bytes, CPU seconds (user + system) of the child, and its stdout."""
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    out_file = tempfile.TemporaryFile()
    err_file = tempfile.TemporaryFile()
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=cwd, stdout=out_file, stderr=err_file, env=env)
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    out_file.seek(0)
    err_file.seek(0)
    if proc.returncode != 0:
        raise RuntimeError(f"{cmd} failed ({proc.returncode}): {err_file.read().decode()[-2000:]}")
    return seconds, usage.ru_maxrss * 1024, usage.ru_utime + usage.ru_stime, out_file.read().decode()


def edit_summary(project: Path, slug: str) -> str:
    """Give one briefing a new summary (text a reader sees on several pages); returns the file's old text."""
    path = project / "data" / "briefings" / f"{slug}.yaml"
    text = path.read_text(encoding="utf-8")
    marker = f"Edited summary {random.randint(0, 10**9)}"
    edited = re.sub(r'^"?summary"?: ".*"$', f'"summary": "{marker}"', text, count=1, flags=re.M)
    assert edited != text, f"no summary line in {path}"
    path.write_text(edited, encoding="utf-8")
    return text


def add_latest(project: Path) -> Path:
    """A new latest briefing, the daily case: a copy of the latest, published a day later; its file."""
    latest = dt.date(2025, 7, 1)
    text = (project / "data" / "briefings" / f"{latest.isoformat()}-synthetic-0000.yaml").read_text(encoding="utf-8")
    day = (latest + dt.timedelta(days=1)).isoformat()
    slug = f"{day}-synthetic-added"
    text = text.replace(f'"slug": "{latest.isoformat()}-synthetic-0000"', f'"slug": "{slug}"', 1)
    text = text.replace(f'"published": "{latest.isoformat()}"', f'"published": "{day}"', 1)
    text = re.sub(r'^"?title"?: "', '"title": "Added ', text, count=1, flags=re.M)
    assert f'"slug": "{slug}"' in text and f'"published": "{day}"' in text, "the latest briefing's shape changed"
    path = project / "data" / "briefings" / f"{slug}.yaml"
    path.write_text(text, encoding="utf-8")
    return path


GENERATOR_PROBE = r"""
import json, sys, time
from pathlib import Path
sys.path.insert(0, sys.argv[2])
from briefings.feeds import SiteInfo
from briefings.dataset import load_dataset
from briefings.locator import load_region
from briefings.render import render_pages
root = Path(sys.argv[1])
site = SiteInfo("https://briefings.example.org/", "Situation reports", "desk")
t0 = time.perf_counter()
dataset = load_dataset(root / "data", root)
t1 = time.perf_counter()
region = load_region(root / "data" / "geo" / "region.json")
pages = render_pages(dataset, root / "templates", site, region)
t2 = time.perf_counter()
pages = render_pages(dataset, root / "templates", site, region)  # raw rendering, templates compiled
t3 = time.perf_counter()
print(json.dumps({"load_validate": t1 - t0, "render_first": t2 - t1, "render_warm": t3 - t2, "pages": len(pages)}))
"""


def generator_timing(project: Path) -> dict[str, float]:
    """Load+validate+render in a fresh process (cold cache) against warm raw Jinja rendering."""
    _, _, out = run_measured([sys.executable, "-c", GENERATOR_PROBE, str(project), str(ROOT)], project)
    return json.loads(out)


def floor_build(project: Path, work: Path, plain: bool = False) -> tuple[float, int]:
    """A bare `mkdocs build` of the same pre-rendered pages and nav, without our hook.

    plain: instead of each generated page, a plain one of as many words (a heading and paragraphs of
    prose, as a hand-written page would be): what MkDocs costs for the site's text alone.
    """
    floor = work / ("floor-plain" if plain else "floor")
    shutil.copytree(project / "docs", floor / "docs")
    shutil.copytree(project / "overrides", floor / "overrides")
    probe = r"""
import json, random, re, sys
from pathlib import Path
sys.path.insert(0, sys.argv[3])
from briefings.feeds import SiteInfo
from briefings.pipeline import Project, generate
project = Project.at(Path(sys.argv[1]))
generated = generate(project, SiteInfo("https://briefings.example.org/", "Situation reports", "desk"))
docs = Path(sys.argv[2]) / "docs"
words = "the desk said officials reported a strike on the plant overnight and talks went on".split()
rng = random.Random(1)
for page in generated.pages:
    target = docs / page.src_uri
    target.parent.mkdir(parents=True, exist_ok=True)
    text = page.content
    if sys.argv[4] == "plain" and page.src_uri.endswith(".md"):
        left = len(re.sub(r"<[^>]*>|\{[^}]*\}|\([^)]*\)", " ", text).split())
        out = ["# A plain page", ""]
        while left > 0:
            out += [" ".join(rng.choice(words) for _ in range(min(60, left))) + ".", ""]
            left -= 60
        text = "\n".join(out)
    target.write_text(text, encoding="utf-8")
print(json.dumps(generated.nav))
"""
    mode = "plain" if plain else "same"
    _, _, nav = run_measured([sys.executable, "-c", probe, str(project), str(floor), str(ROOT), mode], project)
    config = yaml.safe_load((project / "mkdocs.yml").read_text())
    config.pop("hooks")
    config["watch"] = []
    config["nav"] = json.loads(nav)
    config["site_dir"] = str(work / ("floor-plain-site" if plain else "floor-site"))
    # Plain pages have none of the anchors the hand-written pages (docs/about.md) link to: not strict.
    config["strict"] = not plain
    strict = [] if plain else ["--strict"]
    (floor / "mkdocs.yml").write_text(yaml.safe_dump(config, sort_keys=False))
    seconds, rss, _ = run_with_rss([sys.executable, "-m", "mkdocs", "build", *strict], floor)
    return seconds, rss


def page_kind(rel: str) -> str:
    """The kind of a built file, from its path in the site (rel: posix path of an index.html or other file)."""
    parts = rel.split("/")[:-1] if rel.endswith("index.html") else rel.split("/")
    if not parts:
        return "home"
    top = parts[0]
    if top == "briefings":
        return "briefing overview" if len(parts) == 2 else "briefing section"
    if top in ("archive", "timeline"):
        return f"{top} index" if len(parts) == 1 else f"{top} year"
    if top == "tags":
        return "tags index" if len(parts) == 1 or parts[1] == "index" else "tag"
    if top == "entities":
        if len(parts) == 1:
            return "entities index"
        return "records of a kind" if len(parts) == 2 or parts[2] == "index" else "entity"
    if top == "api":
        return "api index" if rel == "api/briefings.json" else "api briefing"
    if top == "search":
        return "search index"
    if rel in ("feed.xml", "feed.json", "sitemap.xml"):
        return rel
    return "fixed page" if rel.endswith(".html") else "other file"


def largest_pages(site: Path) -> dict[str, dict[str, Any]]:
    """Per page kind: how many files, and the largest one's bytes and path."""
    out: dict[str, dict[str, Any]] = {}
    for path in sorted(site.rglob("*")):
        if not path.is_file() or path.suffix not in (".html", ".json", ".xml") or path.parts[-2:-1] == ("assets",):
            continue
        rel = path.relative_to(site).as_posix()
        if rel.startswith(("assets/", "schema/")) or rel.endswith(".xml.gz"):
            continue
        kind = page_kind(rel)
        size = path.stat().st_size
        row = out.setdefault(kind, {"files": 0, "largest_bytes": 0, "largest": ""})
        row["files"] += 1
        if size > row["largest_bytes"]:
            row.update(largest_bytes=size, largest=rel)
    return out


CONVERSION_PROBE = r"""
import json, random, re, sys, tempfile, time
from pathlib import Path
sys.path.insert(0, sys.argv[2])
import markdown
from briefings.feeds import SiteInfo
from briefings.pipeline import Project, engine_config, generate
root = Path(sys.argv[1])
kinds = json.loads(Path(sys.argv[3]).read_text())
sample = int(sys.argv[4])
project = Project.at(root)
generated = generate(project, SiteInfo("https://briefings.example.org/", "Situation reports", "desk"))
config = engine_config(project, Path(tempfile.mkdtemp()))
from briefings.passthrough import with_passthrough
md = markdown.Markdown(extensions=with_passthrough(config.markdown_extensions), extension_configs=config.mdx_configs)
words = "the desk said officials reported a strike on the plant overnight and talks went on".split()
rng = random.Random(1)


def convert(text):
    md.reset()
    start = time.perf_counter()
    md.convert(text)
    return time.perf_counter() - start


def plain(count):
    # Plain prose of `count` words, in paragraphs of 60, with a heading: what converts cheaply.
    out, left = ["# A plain page", ""], count
    while left > 0:
        out += [" ".join(rng.choice(words) for _ in range(min(60, left))) + ".", ""]
        left -= 60
    return "\n".join(out)


by_kind = {}
for page in generated.pages:
    if page.src_uri.endswith(".md"):
        by_kind.setdefault(kinds[page.src_uri], []).append(page.content)
result = {}
for kind, texts in sorted(by_kind.items()):
    texts.sort(key=len)
    step = max(1, len(texts) // sample)
    chosen = texts[::step][:sample] + [texts[-1]]  # spread over sizes, and the largest
    convert(chosen[0])  # warm up
    ours = [convert(t) for t in chosen]
    counts = [len(re.sub(r"<[^>]*>|\{[^}]*\}|\([^)]*\)", " ", t).split()) for t in chosen]
    theirs = [convert(plain(c)) for c in counts]
    result[kind] = {
        "pages": len(texts),
        "sampled": len(chosen),
        "ms_per_page": 1000 * sum(ours) / len(ours),
        "plain_ms_per_page": 1000 * sum(theirs) / len(theirs),
        "words_per_page": sum(counts) / len(counts),
        "vs_plain": sum(ours) / sum(theirs),
    }
print(json.dumps(result))
"""


def conversion_timing(project: Path, sample: int = 40) -> dict[str, Any]:
    """Python-Markdown conversion per page kind with the site's extensions, against plain pages of as many words."""
    probe = r"""
import json, sys
from pathlib import Path
sys.path.insert(0, sys.argv[2])
from briefings.feeds import SiteInfo
from briefings.pipeline import Project, generate
generated = generate(Project.at(Path(sys.argv[1])), SiteInfo("https://briefings.example.org/", "S", "d"))
print(json.dumps([p.src_uri for p in generated.pages if p.src_uri.endswith(".md")]))
"""
    _, _, out = run_measured([sys.executable, "-c", probe, str(project), str(ROOT)], project)
    kinds = {}
    for uri in json.loads(out):
        rel = uri[: -len("index.md")] if uri.endswith("index.md") else uri[: -len(".md")] + "/"
        kinds[uri] = page_kind(rel + "index.html")
    kinds_file = project.parent / "page-kinds.json"  # too long for a command-line argument at N=1000
    kinds_file.write_text(json.dumps(kinds))
    _, _, out = run_measured(
        [sys.executable, "-c", CONVERSION_PROBE, str(project), str(ROOT), str(kinds_file), str(sample)], project
    )
    return json.loads(out)


def one_page_build(work: Path, runs: int = 3) -> float:
    """The fastest of a few `mkdocs build`s of a one-page Material site (600 words): the floor of any preview."""
    site = work / "one-page"
    (site / "docs").mkdir(parents=True)
    rng = random.Random(2)
    (site / "docs" / "index.md").write_text("# One page\n\n" + _words(rng, 4000) + "\n", encoding="utf-8")
    (site / "mkdocs.yml").write_text("site_name: One page\ntheme:\n  name: material\n", encoding="utf-8")
    times = [run_measured([sys.executable, "-m", "mkdocs", "build", "--quiet"], site)[0] for _ in range(runs)]
    return min(times)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def fetch(url: str) -> str:
    with urllib.request.urlopen(url, timeout=120) as response:
        return response.read().decode("utf-8")


READY = "preview ready"  # what `build.py serve` logs once an edit rebuilds only what it changes


def preview_latency(
    project: Path, command: list[str], slug: str, timeout: float = 600, ready: bool = False
) -> dict[str, float]:
    """Seconds from start until a page is served ("startup") and until the preview is ready for edits
    ("ready": `build.py serve` may serve the published site meanwhile; ready: wait for it to say so before
    the edit), and from saving a data file until the served page shows the change."""
    port = free_port()
    cmd = [*command, "--dev-addr", f"127.0.0.1:{port}"]
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    # The child appends to a file of its own; the parent reads it by name (a shared file position would let a
    # read move where the child writes).
    log_dir = tempfile.TemporaryDirectory()
    log_path = Path(log_dir.name) / "preview.log"
    with log_path.open("ab") as log:
        proc = subprocess.Popen(cmd, cwd=project, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}/briefings/{slug}/strike/"

    def logged() -> bytes:
        return log_path.read_bytes()

    try:
        start = time.perf_counter()
        while True:
            try:
                if "The strike" in fetch(url):
                    break
            except OSError:
                pass
            if time.perf_counter() - start > timeout:
                raise TimeoutError("server did not come up")
            time.sleep(0.2)
        startup = time.perf_counter() - start
        while ready and READY.encode() not in logged():
            if time.perf_counter() - start > timeout:
                raise TimeoutError("the preview never got ready")
            time.sleep(0.05)
        got_ready = time.perf_counter() - start
        time.sleep(2)  # let the watcher settle
        path = project / "data" / "briefings" / f"{slug}.yaml"
        marker = f"Edited label {random.randint(0, 10**9)}"
        text = path.read_text()
        saved = time.perf_counter()
        # The headline shows on every page of the briefing (synthetic text is random, so edit by key).
        path.write_text(re.sub(r'^"?title"?: ".*"$', f'"title": "{marker}"', text, count=1, flags=re.M))
        while True:
            try:
                if marker in fetch(url):
                    break
            except OSError:  # the plain server may not answer while it rebuilds everything
                pass
            if time.perf_counter() - saved > timeout:
                raise TimeoutError("edit never showed")
            time.sleep(0.05)
        latency = time.perf_counter() - saved
        # The home page lists the latest briefing's title: with it, every page the edit changed is written
        # (the fast preview writes the edited briefing's pages first, then listings, neighbours and records).
        while marker not in fetch(f"http://127.0.0.1:{port}/"):
            if time.perf_counter() - saved > timeout:
                raise TimeoutError("the edit never reached the home page")
            time.sleep(0.05)
        everywhere = time.perf_counter() - saved
        path.write_text(text)
        return {"startup": startup, "ready": got_ready, "edit_to_preview": latency, "edit_to_every_page": everywhere}
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        log_dir.cleanup()


def measure(n: int, work: Path) -> dict[str, Any]:
    """Every figure for one N."""
    project = make_project(work / "project", n)
    # The project's own site/: the preview measured later starts from it, as a desk's preview starts from the
    # site its last build published.
    site = project / "site"
    build = [sys.executable, str(ROOT / "build.py"), "--project", str(project), "--json", "build"]
    # Cold: the project's .cache/ is empty (it is new). Then one older briefing's summary edited, cache warm.
    seconds, rss, cpu, out = run_with_usage(build, project)
    summary = json.loads(out)
    edited = f"{(dt.date(2025, 7, 1) - dt.timedelta(days=n // 2)).isoformat()}-synthetic-{n // 2:04d}"
    old_text = edit_summary(project, edited)
    print(f"N={n}: build after one edit, cache warm ...", file=sys.stderr, flush=True)
    warm_seconds, warm_rss, warm_cpu, warm_out = run_with_usage(build, project)
    (project / "data" / "briefings" / f"{edited}.yaml").write_text(old_text, encoding="utf-8")
    warm = json.loads(warm_out)
    print(f"N={n}: build after adding a briefing (the new latest), cache warm ...", file=sys.stderr, flush=True)
    run_with_usage(build, project)  # the edit undone: the cache as before it
    added = add_latest(project)
    add_seconds, _, add_cpu, add_out = run_with_usage(build, project)
    added.unlink()
    run_with_usage(build, project)  # the site as the figures below expect it
    floor_seconds, floor_rss = floor_build(project, work)
    plain_seconds, _ = floor_build(project, work, plain=True)
    gen = generator_timing(project)
    slug = f"{dt.date(2025, 7, 1).isoformat()}-synthetic-0000"
    html = site / "briefings" / slug / "strike" / "index.html"
    build_seconds = summary["seconds"]["build"] + summary["seconds"]["validate"]
    print(f"N={n}: page sizes and Markdown conversion ...", file=sys.stderr, flush=True)
    sizes = largest_pages(site)
    conversion = conversion_timing(project)
    return {
        "n": n,
        "pages": summary["pages"],
        "full_build_s": seconds,
        "full_build_cpu_s": cpu,
        "edit_build_s": warm_seconds,
        "edit_build_cpu_s": warm_cpu,
        "edit_build_rss_mib": warm_rss / 2**20,
        "edit_vs_cold": warm_seconds / seconds,
        "edit_vs_cold_cpu": warm_cpu / cpu,
        "edit_cache": warm.get("cache"),
        "add_build_s": add_seconds,
        "add_build_cpu_s": add_cpu,
        "add_vs_cold": add_seconds / seconds,
        "add_vs_cold_cpu": add_cpu / cpu,
        "add_cache": json.loads(add_out).get("cache"),
        "build_s": build_seconds,
        "check_s": summary["seconds"]["check"],
        "floor_s": floor_seconds,
        "build_vs_floor": build_seconds / floor_seconds,
        "plain_floor_s": plain_seconds,
        "build_vs_plain_floor": build_seconds / plain_seconds,
        "ms_per_page": 1000 * build_seconds / summary["pages"],
        "generator_s": gen["load_validate"] + gen["render_first"],
        "raw_jinja_s": gen["render_warm"],
        "generator_vs_jinja": (gen["load_validate"] + gen["render_first"]) / gen["render_warm"],
        "peak_rss_mib": rss / 2**20,
        "floor_rss_mib": floor_rss / 2**20,
        "briefing_page_bytes": html.stat().st_size,
        "links_checked": summary["links_checked"],
        "largest_page": sizes,
        "conversion": conversion,
        "project": str(project),
    }


def _write(out: Path, rows: list[dict[str, Any]], preview: dict[str, Any]) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    clean = [{k: v for k, v in r.items() if k != "project"} for r in rows]
    out.write_text(json.dumps({"rows": clean, "preview": preview, "partial": True}, indent=2) + "\n")


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark, print a table, write JSON."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="10,100,1000")
    parser.add_argument("--preview", default="mkdocs,fast", help="comma list of mkdocs, fast; or none")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "latest.json")
    parser.add_argument("--keep", action="store_true", help="keep the temporary projects")
    parser.add_argument("--preview-only", action="store_true", help="only edit-to-preview, at the largest N")
    parser.add_argument("--note", default="", help="a note kept in the results (e.g. the machine was shared)")
    parser.add_argument(
        "--preview-timeout", type=float, default=600, help="seconds to wait for a preview to start, or an edit to show"
    )
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",")]
    base = Path(tempfile.mkdtemp(prefix="briefings-bench-"))
    rows = []
    try:
        if args.preview_only:
            project = make_project(base / "preview" / "project", sizes[-1])
            largest = {"n": sizes[-1], "project": str(project)}
        else:
            for n in sizes:
                print(f"N={n}: generating and building ...", file=sys.stderr, flush=True)
                rows.append(measure(n, base / f"n{n}"))
                _write(args.out, rows, {})  # partial results survive a later failure
            largest = rows[-1]
        preview: dict[str, Any] = {}
        print("one-page MkDocs build ...", file=sys.stderr, flush=True)
        preview["one_page_build_s"] = one_page_build(base)
        slug = f"{dt.date(2025, 7, 1).isoformat()}-synthetic-0000"
        for kind in [k for k in args.preview.split(",") if k and k != "none"]:
            print(f"N={largest['n']}: edit-to-preview with {kind} ...", file=sys.stderr, flush=True)
            command = (
                [sys.executable, "-m", "mkdocs", "serve"]
                if kind == "mkdocs"
                else [sys.executable, str(ROOT / "build.py"), "serve"]
            )
            # `build.py serve` twice: first with site/ as the last build left it (it serves that at once), then
            # with a data file written since (the first run's edit, undone): it builds before serving.
            runs = [kind] if kind == "mkdocs" else [kind, f"{kind} (a data file written since)"]
            for name in runs:
                try:
                    preview[name] = preview_latency(
                        Path(largest["project"]), command, slug, args.preview_timeout, ready=kind != "mkdocs"
                    )
                except (OSError, RuntimeError) as exc:  # record it and keep the other figures
                    preview[name] = {"error": f"{type(exc).__name__}: {exc}"}
                _write(args.out, rows, preview)
    finally:
        if not args.keep:
            shutil.rmtree(base, ignore_errors=True)
    by_n = {r["n"]: r for r in rows}
    ratios: dict[str, Any] = {}
    if 1000 in by_n and 100 in by_n:
        ratios["per_page_1000_vs_100"] = by_n[1000]["ms_per_page"] / by_n[100]["ms_per_page"]
    if 1000 in by_n and 10 in by_n:
        ratios["page_bytes_1000_vs_10"] = by_n[1000]["briefing_page_bytes"] / by_n[10]["briefing_page_bytes"]
    if len(rows) > 1:
        small, before, large = rows[0], rows[-2], rows[-1]
        ratios["largest_page"] = {
            kind: {
                f"{large['n']}_vs_{small['n']}": row["largest_bytes"] / small["largest_page"][kind]["largest_bytes"],
                f"{large['n']}_vs_{before['n']}": row["largest_bytes"] / before["largest_page"][kind]["largest_bytes"],
            }
            for kind, row in large["largest_page"].items()
            if kind in small["largest_page"] and kind in before["largest_page"]
        }
    result = {
        "rows": rows,
        "preview": preview,
        "ratios": ratios,
        "python": sys.version.split()[0],
        "cpus": os.cpu_count(),
        "note": args.note,
    }
    print(
        f"{'N':>5} {'pages':>6} {'build s':>8} {'floor s':>8} {'x floor':>8} {'plain s':>8} {'x plain':>8} "
        f"{'ms/page':>8} {'gen/jinja':>9} {'RSS MiB':>8} {'page B':>8} {'check s':>8}"
    )
    for r in rows:
        print(
            f"{r['n']:>5} {r['pages']:>6} {r['build_s']:>8.2f} {r['floor_s']:>8.2f} {r['build_vs_floor']:>8.2f} "
            f"{r['plain_floor_s']:>8.2f} {r['build_vs_plain_floor']:>8.2f} "
            f"{r['ms_per_page']:>8.2f} {r['generator_vs_jinja']:>9.2f} {r['peak_rss_mib']:>8.0f} "
            f"{r['briefing_page_bytes']:>8} {r['check_s']:>8.2f}"
        )
    for r in rows:
        print(
            f"N={r['n']}: build after one edit (cache warm) {r['edit_build_s']:.2f}s = {r['edit_vs_cold']:.3f} of "
            f"the cold build's {r['full_build_s']:.2f}s (CPU {r['edit_vs_cold_cpu']:.3f}); {r['edit_cache']}"
        )
        if "add_build_s" in r:
            print(
                f"N={r['n']}: build after adding a briefing (the new latest) {r['add_build_s']:.2f}s = "
                f"{r['add_vs_cold']:.3f} of the cold build (CPU {r['add_vs_cold_cpu']:.3f}); {r['add_cache']}"
            )
    for key, value in ratios.items():
        if not isinstance(value, dict):
            print(f"{key}: {value:.3f}")
    if rows and "largest_page" in rows[0]:
        kinds = sorted({k for r in rows for k in r["largest_page"]})
        print(f"\n{'largest page (bytes)':<22}" + "".join(f"{'N=' + str(r['n']):>12}" for r in rows) + "   ratios")
        for kind in kinds:
            cells = "".join(f"{r['largest_page'].get(kind, {}).get('largest_bytes', 0):>12,}" for r in rows)
            ratio = ratios.get("largest_page", {}).get(kind, {})
            print(f"{kind:<22}{cells}   " + " ".join(f"{k}: {v:.2f}" for k, v in ratio.items()))
        head = f"{'N':>6}{'pages':>7}{'words':>7}{'ms/page':>9}{'plain ms':>9}{'x plain':>8}"
        print(f"\n{'Markdown conversion':<22}{head}")
        for r in rows:
            for kind, c in sorted(r["conversion"].items()):
                print(
                    f"{kind:<22}{r['n']:>6}{c['pages']:>7}{c['words_per_page']:>7.0f}{c['ms_per_page']:>9.2f}"
                    f"{c['plain_ms_per_page']:>9.2f}{c['vs_plain']:>8.2f}"
                )
    if "one_page_build_s" in preview:
        print(f"one-page MkDocs build: {preview['one_page_build_s']:.2f}s")
    for kind, figures in preview.items():
        if not isinstance(figures, dict):
            continue
        if "error" in figures:
            print(f"edit-to-preview ({kind}, N={largest['n']}): failed: {figures['error']}")
            continue
        print(
            f"edit-to-preview ({kind}, N={largest['n']}): {figures['edit_to_preview']:.2f}s, every changed page "
            f"{figures['edit_to_every_page']:.2f}s (first page served {figures['startup']:.1f}s, "
            f"ready for edits {figures['ready']:.1f}s)"
        )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    for r in rows:
        r.pop("project", None)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
