#!/usr/bin/env python3
"""Build the briefing site. See `python build.py --help`."""

from __future__ import annotations

from briefings.cli import run

if __name__ == "__main__":
    run()
