"""Every benchmark script still imports against the current layout (they run only by
hand, so a moved module would otherwise break them unnoticed)."""
from __future__ import annotations

import importlib
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench"


@pytest.mark.parametrize("script", sorted(p.stem for p in BENCH.glob("*.py") if p.stem != "__init__"))
def test_a_benchmark_script_imports_and_runs_nothing_on_import(script):
    module = importlib.import_module(f"bench.{script}")
    assert module.__doc__, f"bench/{script}.py has no docstring saying what it measures"
