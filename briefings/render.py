"""Rendering the page plan: every page of the site in memory, reusing those an edit leaves as they were."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache, partial
from pathlib import Path
from typing import Any, Protocol

from jinja2 import Environment, Template

from .dataset import Dataset
from .environment import make_environment, render_error
from .feeds import SiteInfo
from .locator import Region
from .passthrough import resolve_links
from .plan import PageSpec, briefing_specs, page_plan
from .relations import Relations, relate
from .routes import PageLinks


@dataclass(frozen=True)
class Page:
    """One generated file: where it goes (relative to docs), its content and what it depends on."""

    src_uri: str
    content: str
    title: str
    briefing: str | None = None  # slug of the briefing the page shows, if any
    meta: dict[str, Any] | None = None  # JSON-LD and OpenGraph values for the theme
    depends: frozenset[str] | None = None  # slugs whose data it shows; None: every briefing
    inputs: tuple[int, ...] = ()  # what else it shows that an edit can change: its page number and count


def render_pages(
    dataset: Dataset,
    templates_dir: Path,
    site: SiteInfo,
    region: Region | None = None,
    previous: dict[str, Page] | None = None,
    changed: set[str] | None = None,
    env: Environment | None = None,
    store: RenderStore | None = None,
    jobs: int = 1,
) -> list[Page]:
    """Every generated page and file of the site, in memory.

    With `previous` pages and the set of `changed` briefing slugs, a page that depended on the same
    briefings before and now, none of them changed, and whose page number and count are the same,
    is reused, not rendered. env: a `make_environment(templates_dir)` kept from an earlier call.
    store: the build cache's rendered pages (cache.RenderCache), the same rule across processes.
    jobs: cores that fill the pages to render (`fill_shared`); the same pages as on one.
    """

    def reusable(spec: PageSpec) -> Page | None:
        if previous is None or changed is None or spec.depends is None or spec.src_uri not in previous:
            return None
        old = previous[spec.src_uri]
        # Other briefings than before (a listing's page whose items shifted) show other data too.
        if old.depends != spec.depends or old.inputs != spec.inputs or spec.depends & changed:
            return None
        return old

    env = env or make_environment(templates_dir)  # a kept one has its templates compiled already
    # One lookup per template per build: auto_reload would stat the file on every get_template.
    template_named = lru_cache(maxsize=None)(env.get_template)
    rel = relate(dataset)
    specs = page_plan(dataset, rel, site, region)
    found = [reusable(spec) or (store.find(spec) if store is not None else None) for spec in specs]
    todo = [spec for spec, page in zip(specs, found, strict=True) if page is None]
    made = iter(fill_shared(todo, jobs, lambda spec: fill_page(spec, template_named, rel, templates_dir)))
    pages = []
    for page in found:
        if page is None:
            page = next(made)
            if store is not None:
                store.keep(page)
        pages.append(page)
    return pages


MIN_SHARE = 32  # pages to fill per core, at least, before a helper is worth forking


def fill_shared(specs: list[PageSpec], jobs: int, fill: Callable[[PageSpec], Page]) -> list[Page]:
    """fill(spec) for every spec, in order, on up to `jobs` cores: forked helpers fill every `jobs`-th spec.

    A helper sends its pages back as JSON (Markdown and metadata as the build cache keeps them,
    `encode_meta`), never pickled. If anything fails, in a helper or here, every spec is filled
    again here in order, so an error is the one a single core meets first, said the same way.
    """
    from .cache import decode_meta, encode_meta
    from .forked import Forked, shares

    mine, *theirs = shares(len(specs), jobs, MIN_SHARE)
    if not theirs:
        return [fill(spec) for spec in specs]

    def share_of(positions: range) -> list[list[Any] | None]:
        """In a helper: its share filled, each [content, encoded metadata], or None where this process must fill it."""
        sent: list[list[Any] | None] = []
        for spec in (specs[i] for i in positions):
            page = fill(spec)
            try:
                sent.append([page.content, encode_meta(page.meta)])
            except TypeError:  # metadata the JSON form cannot hold: made again in the parent
                sent.append(None)
        return sent

    forked: list[Forked] = []
    try:
        for positions in theirs:
            forked.append(Forked(partial(share_of, positions)))
        made: list[Page | None] = [None] * len(specs)
        for i in mine:
            made[i] = fill(specs[i])
        for positions, helper in zip(theirs, forked, strict=True):
            for i, sent in zip(positions, helper.items(), strict=True):
                spec = specs[i]
                if sent is None:
                    made[i] = fill(spec)
                    continue
                meta = decode_meta(sent[1])
                made[i] = Page(spec.src_uri, sent[0], spec.title, spec.briefing, meta, spec.depends, spec.inputs)
    except Exception:  # a helper's error (ForkedError), this process's, or a fork refused
        for helper in forked:
            helper.stop()
        return [fill(spec) for spec in specs]  # raises the error one core meets first
    finally:
        for helper in forked:
            helper.stop()
    assert all(page is not None for page in made)
    return [page for page in made if page is not None]


class RenderStore(Protocol):
    """Rendered pages kept between processes (cache.RenderCache)."""

    def find(self, spec: PageSpec) -> Page | None:
        """The page made from this spec before, if nothing it was made of changed."""

    def keep(self, page: Page) -> None:
        """Keep a page just rendered."""


def briefing_pages(
    dataset: Dataset, slugs: set[str], templates_dir: Path, site: SiteInfo, region: Region | None, env: Environment
) -> list[Page]:
    """The pages of some briefings (their sections and JSON exports) exactly as render_pages makes them.

    The fast preview writes these first after an edit of the briefings, without planning the
    whole site; render_pages then makes every page.
    """
    rel = relate(dataset)
    chosen = [b for b in dataset.briefings if b.slug in slugs]
    specs = [spec for b in chosen for spec in briefing_specs(b, dataset, rel, site, region)]
    return [fill_page(spec, env.get_template, rel, templates_dir) for spec in specs]


def fill_page(spec: PageSpec, template_named: Callable[[str], Template], rel: Relations, templates_dir: Path) -> Page:
    """One page of the plan, made: its template filled (or its text made) and its metadata."""
    if spec.text is not None:
        content = spec.text()
    else:
        assert spec.template is not None
        try:
            content = template_named(spec.template).render(to=PageLinks(spec.src_uri), rel=rel, **spec.context)
            content = resolve_links(content, spec.src_uri)  # links in the HTML blocks, as MkDocs would make them
        except Exception as exc:  # a template bug or data it cannot show: say where, never a traceback
            raise render_error(exc, templates_dir, spec.template, spec.src_uri, spec.data_file) from exc
    meta = spec.meta() if spec.meta is not None else None
    return Page(spec.src_uri, content, spec.title, spec.briefing, meta, spec.depends, spec.inputs)
