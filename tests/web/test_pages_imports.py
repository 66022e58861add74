"""The pages meet the timer worker in the database only."""
from __future__ import annotations

from pathlib import Path

import web

ROOT = Path(web.__file__).parent


def test_the_pages_never_import_the_timer_worker():
    for path in ROOT.rglob("*.py"):
        source = path.read_text("utf-8")
        assert "import timers" not in source and "from timers" not in source, path
