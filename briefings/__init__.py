"""Briefings: turn validated situation-report data into a static MkDocs site."""

from __future__ import annotations

__version__ = "0.1.0"
