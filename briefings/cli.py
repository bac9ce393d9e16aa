"""Command line: parse arguments, call one pipeline stage, print the result, set the exit code."""

from __future__ import annotations

import argparse
import atexit
import json
import logging
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

from . import __version__, engine
from .errors import BriefingError, DataError, UsageError, escape_log_output, printable, printable_lines
from .publish import PublishedInterrupt

if TYPE_CHECKING:
    from .pipeline import Project

EXIT_CODES = """exit codes:
  0  success
  1  build or link-check failure
  2  invalid data (every problem is listed as file:line: field: message),
     or a symbolic link, pipe or device in docs/, data/, templates/ or overrides/
     or in place of mkdocs.yml or lychee.toml
  3  usage error
"""


SITE_URL_ENV = "BRIEFINGS_SITE_URL"  # the site's public address, for CI (overridden by --site-url)


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:  # argparse would exit 2, which means "data error" here
        raise UsageError(f"{self.prog}: {message}")


def _global_options(parser: argparse.ArgumentParser, defaults: bool) -> None:
    """The options every command takes, before or after the command's name.

    The main parser holds the defaults; each subcommand's copy has none (SUPPRESS), so a
    value given after the command overrides the one before it and nothing resets it.
    """

    def default(value: object) -> object:
        return value if defaults else argparse.SUPPRESS

    parser.add_argument(
        "--project", type=Path, default=default(Path.cwd()), help="project folder (default: current folder)"
    )
    parser.add_argument("--debug", action="store_true", default=default(False), help="show a traceback on errors")
    parser.add_argument(
        "--quiet", "-q", action="store_true", default=default(False), help="print only errors and the final line"
    )
    parser.add_argument(
        "--json",
        action="store_true",
        default=default(False),
        help="print the build or check summary as one JSON object",
    )


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="build.py",
        description="Build the briefing site: load -> validate -> render -> MkDocs build -> link check -> publish.",
        epilog=EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"briefings {__version__}")
    _global_options(parser, defaults=True)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    def command(name: str, help_text: str) -> argparse.ArgumentParser:
        """A subcommand whose --help ends with the exit codes; it takes the global options too."""
        p = sub.add_parser(
            name, help=help_text, epilog=EXIT_CODES, formatter_class=argparse.RawDescriptionHelpFormatter
        )
        _global_options(p, defaults=False)
        return p

    b = command("build", "build the site into site/ (the default command)")
    b.add_argument("--site-dir", type=Path, help="output folder (default: PROJECT/site)")
    b.add_argument(
        "--site-url",
        metavar="URL",
        help=f"the site's public address, e.g. https://example.org/briefings/ (default: ${SITE_URL_ENV}, "
        "else site_url in mkdocs.yml); feeds, canonical URLs, the sitemap and robots.txt use it",
    )
    b.add_argument(
        "--no-cache",
        action="store_true",
        help="neither read nor write the build cache in PROJECT/.cache/ (the site is the same either way)",
    )
    b.add_argument(
        "--jobs",
        type=_jobs,
        metavar="N",
        help="cores that convert pages not in the build cache (default: every usable core; the site is the same)",
    )
    command("check", "validate the data files without building")
    n = command("new", "write a skeleton data file for a new briefing")
    n.add_argument("slug", help="the new briefing's slug, e.g. 2025-07-02-odesa-port-strike")
    n.add_argument("--from", dest="source", metavar="EXISTING", help="copy places, tags and sources from this slug")
    sv = command("serve", "fast live preview: rebuilds only the pages an edit changes")
    sv.add_argument("--dev-addr", default="127.0.0.1:8000", metavar="HOST:PORT", help="address to serve on")
    sv.add_argument(
        "--no-cache", action="store_true", help="start without the build cache in PROJECT/.cache/ (and fill it not)"
    )
    sc = command("schema", "write schema/*.json and the README data-format section from the model")
    sc.add_argument("--check", action="store_true", help="only verify they are current (exit 1 if not)")
    c = command("check-links", "check links and markup of a built site")
    c.add_argument("site", nargs="?", type=Path, help="built site folder (default: PROJECT/site)")
    c.add_argument("--external", action="store_true", help="also fetch external links (network; cached a day)")
    c.add_argument("--list-external", action="store_true", help="list external links with the pages using them")
    return parser


def _project(args: argparse.Namespace) -> Project:
    from .pipeline import Project

    return Project.at(args.project, getattr(args, "site_dir", None))


def _check(args: argparse.Namespace) -> int:
    from .pipeline import load_data

    project = _project(args)
    project.check_inputs()
    dataset, _ = load_data(project)
    for warning in dataset.warnings:
        print(warning.format(), file=sys.stderr)
    n = len(dataset.briefings)
    if args.json:
        print(json.dumps({"briefings": n, "warnings": [w.format() for w in dataset.warnings]}))
    else:
        print(f"ok: {n} briefing{'s' if n != 1 else ''} valid, {len(dataset.warnings)} warnings")
    return 0


def _new(args: argparse.Namespace) -> int:
    from .scaffold import new_briefing

    project = _project(args)
    path = new_briefing(project, args.slug, args.source)
    print(f"wrote {path.relative_to(project.root)}; fill in the TODOs, then run: python build.py check")
    return 0


def _serve(args: argparse.Namespace) -> int:
    from .preview import serve

    project = _project(args)
    host, _, port = args.dev_addr.rpartition(":")
    if not host or not port.isdigit():
        raise UsageError(f"--dev-addr must be HOST:PORT, not {args.dev_addr!r}")
    _site_url(None)  # a bad $BRIEFINGS_SITE_URL is named here, not deep in MkDocs
    project.check_inputs()  # later rebuilds refuse unsafe files in the MkDocs hook
    logging.getLogger("briefings").setLevel(logging.INFO)
    engine.logger().setLevel(logging.INFO)
    serve(project, host, int(port), cache=not args.no_cache)
    return 0


def _schema_command(args: argparse.Namespace) -> int:
    return _schema(_project(args).root, args.check)


def _check_links(args: argparse.Namespace) -> int:
    from .pipeline import check_links

    project = _project(args)
    site = (args.site or project.site_dir).resolve()
    if not site.is_dir():
        raise UsageError(f"no built site at {site}; run `python build.py` first")
    report = check_links(site, project, external=args.external)
    if args.list_external:
        for url, pages in sorted(report.external.items()):
            print(printable(f"{url} <- {', '.join(sorted(set(pages)))}"))
    print(report.summary())
    return 0


def _site_url(given: str | None) -> str | None:
    """--site-url, else $BRIEFINGS_SITE_URL, else None (mkdocs.yml's); a malformed one is a usage error."""
    from .feeds import site_url_problem

    for value, where in ((given, "--site-url"), (os.environ.get(SITE_URL_ENV), f"${SITE_URL_ENV}")):
        if value is None:
            continue
        problem = site_url_problem(value)
        if problem:
            raise UsageError(f"{where}: {problem}")
        return value if value.endswith("/") else value + "/"
    return None


def _jobs(value: str) -> int:
    """--jobs: a whole number of cores, at least 1."""
    try:
        jobs = int(value)
    except ValueError:
        jobs = 0
    if jobs < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number of cores, 1 or more, not {value!r}")
    return jobs


def _build(args: argparse.Namespace) -> int:
    from .pipeline import build_site

    project = _project(args)
    site_url = _site_url(getattr(args, "site_url", None))
    start = time.perf_counter()
    quiet = args.quiet or args.json
    progress = None if quiet else lambda message: print(f"  {message}", file=sys.stderr)
    cache = not getattr(args, "no_cache", False)
    result = build_site(project, progress, site_url=site_url, cache=cache, jobs=getattr(args, "jobs", None))
    total = time.perf_counter() - start
    warnings = [w.format() for w in result.dataset.warnings]
    for line in warnings:
        print(line, file=sys.stderr)
    summary = {
        "briefings": len(result.dataset.briefings),
        "pages": result.pages,
        "links_checked": result.links.checked,
        "links_broken": len(result.links.broken),
        "external_links": len(result.links.external),
        "warnings": len(warnings),
        "seconds": {**{k: round(v, 3) for k, v in result.timings.items()}, "total": round(total, 3)},
        "site": str(result.site_dir),
        "cache": None
        if result.cache is None
        else {
            "pages_reused": result.cache.reused,
            "pages_converted": result.cache.converted,
            "pages_parsed": result.cache.parsed,
            "pages_checked": result.cache.checked,
        },
    }
    if args.json:
        print(json.dumps(summary))
        return 0
    stages = " · ".join(f"{k} {v:.2f}s" for k, v in result.timings.items())
    if not quiet:
        print(f"briefings {summary['briefings']} · pages {result.pages} · warnings {len(warnings)}")
        print(result.links.summary())
        print(result.cache.summary() if result.cache is not None else "cache: not used (--no-cache)")
        print(f"stages: {stages} · total {total:.2f}s")
    print(f"built {result.pages} pages into {result.site_dir}")
    return 0


# One handler per command; no command means build.
HANDLERS: dict[str, Callable[[argparse.Namespace], int]] = {
    "build": _build,
    "check": _check,
    "new": _new,
    "serve": _serve,
    "schema": _schema_command,
    "check-links": _check_links,
}


def _run(args: argparse.Namespace) -> int:
    return HANDLERS[args.command or "build"](args)


def _schema(root: Path, check_only: bool) -> int:
    from .files import check_files_or_raise, check_folders_or_raise
    from .reference import json_schemas, with_reference

    wanted = {root / "schema" / name: text for name, text in json_schemas().items()}
    readme = root / "README.md"
    # Read and rewritten here: a link would be written through, a pipe would block the read.
    check_folders_or_raise(root, [root / "schema"])
    check_files_or_raise(root, [readme, *wanted])
    wanted[readme] = with_reference(readme.read_text(encoding="utf-8"))
    stale = [p for p, text in wanted.items() if not p.exists() or p.read_text(encoding="utf-8") != text]
    if check_only:
        for path in stale:
            print(f"out of date: {path.relative_to(root)} (run `python build.py schema`)", file=sys.stderr)
        return 1 if stale else 0
    for path in stale:
        path.parent.mkdir(exist_ok=True)
        path.write_text(wanted[path], encoding="utf-8")
        print(f"wrote {path.relative_to(root)}")
    return 0


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the exit code."""
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s: %(message)s")
    escape_log_output(logging.getLogger())
    debug = "--debug" in (argv if argv is not None else sys.argv[1:])
    try:
        try:
            args = _parser().parse_args(argv)
        except SystemExit as exc:  # --help and --version print and stop: that is success
            return exc.code if isinstance(exc.code, int) else 0
        engine.select()  # MkDocs or ProperDocs (BRIEFINGS_ENGINE), before anything imports either
        return _run(args)
    except DataError as exc:
        if debug:
            raise
        print(exc.format(), file=sys.stderr)
        return exc.exit_code
    except BriefingError as exc:
        if debug:
            raise
        print(printable_lines(f"error: {exc}"), file=sys.stderr)
        return exc.exit_code
    except Exception as exc:  # an unexpected failure is still reported in one line
        if debug:
            raise
        message = f"internal error: {type(exc).__name__}: {exc} (run with --debug for a traceback)"
        print(printable(message), file=sys.stderr)
        return 1
    except PublishedInterrupt:
        print("interrupted after the new site was published (the previous one is removed)", file=sys.stderr)
        return 130
    except KeyboardInterrupt:
        print("interrupted; the previous site was left as it was", file=sys.stderr)
        return 130


def run() -> NoReturn:
    """The command line as a program (build.py, the `briefings` script): main(), then exit at once.

    Tearing the interpreter down frees every object the build made one by one (two seconds at
    1,000 briefings, for nothing: the process ends). The exit handlers still run (temporary
    folders, logging) and the output is flushed; only that teardown is skipped.
    """
    code = main()
    atexit._run_exitfuncs()  # what a normal exit runs first; os._exit alone would skip it
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed pipe: nothing more can be said
            pass
    os._exit(code)
