"""The benchmark table in docs/benchmarks.md is what bench/table.py makes of
bench/results.txt, so a figure cannot be edited in one place and not the other."""
from __future__ import annotations

from datetime import date

import pytest

from bench import table


def test_the_benchmark_page_holds_the_table_made_from_the_saved_results():
    page = table.PAGE.read_text(encoding="utf-8")
    results = table.read_results(table.RESULTS.read_text(encoding="utf-8"))
    assert table.replace_table(page, table.render(results, table.scripts_with_results())) == page


def test_every_saved_result_names_a_bench_script_that_prints_a_result_line():
    results = table.read_results(table.RESULTS.read_text(encoding="utf-8"))
    assert {r.script for r in results} <= set(table.scripts_with_results())


def test_a_result_line_gives_its_date_command_and_figures_in_order():
    result = table.parse_line("2026-12-02 bench/million.py --rows 10 --pg x result: a_ms=1.5 rows=10")
    assert result.measured == date(2026, 12, 2)
    assert result.command == "bench/million.py --rows 10 --pg x"
    assert result.script == "bench/million.py"
    assert result.figures == (("a_ms", "1.5"), ("rows", "10"))


@pytest.mark.parametrize("line", ["bench/engine.py result: a=1", "2026-12-02 bench/engine.py a=1",
                                  "2026-12-02 bench/engine.py result: a"])
def test_a_malformed_result_line_is_refused(line):
    with pytest.raises(ValueError):
        table.parse_line(line)


def test_the_last_line_of_a_script_is_its_figure_and_a_row_is_one_figure():
    text = ("# comment\n2026-12-01 bench/engine.py result: x=1 y=2\n"
            "2026-12-02 bench/engine.py result: x=3\n")
    results = table.read_results(text)
    assert [r.figures for r in results] == [(("x", "3"),)]
    rendered = table.render(results, ["bench/engine.py", "bench/web.py"])
    assert "| `x` | 3 | `.venv/bin/python bench/engine.py` | 2026-12-02 |" in rendered
    assert "Not measured yet: `bench/web.py`." in rendered


def test_recording_a_run_appends_its_last_result_line_with_the_date():
    text = table.record("2026-12-01 bench/web.py result: q=1\n", "bench/web.py",
                        "seeding\nresult: q=2 rows=5\n", date(2026, 12, 8))
    assert text.splitlines()[-1] == "2026-12-08 bench/web.py result: q=2 rows=5"
    with pytest.raises(ValueError):
        table.record(text, "bench/web.py", "no figures\n", date(2026, 12, 8))
