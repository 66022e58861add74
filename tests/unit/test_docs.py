"""The README stays a newcomer's page and the docs stay inside the repository: short, every
page in the MkDocs nav, every relative link pointing at a file that exists."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PAGES = sorted((ROOT / "docs").glob("*.md"))
LINK = re.compile(r"\]\(([^)\s]+)\)")


def test_the_readme_is_at_most_250_lines():
    assert len((ROOT / "README.md").read_text(encoding="utf-8").splitlines()) <= 250


def test_every_docs_page_is_in_the_mkdocs_nav_and_every_nav_entry_exists():
    nav = set(re.findall(r"^\s+- [^:]+: (\S+\.md)\s*$", (ROOT / "mkdocs.yml").read_text(encoding="utf-8"),
                         re.MULTILINE))
    assert nav == {p.name for p in PAGES}


@pytest.mark.parametrize("page", [ROOT / "README.md", *PAGES], ids=lambda p: p.name)
def test_links_stay_inside_the_repository_and_name_files_that_exist(page):
    for target in LINK.findall(page.read_text(encoding="utf-8")):
        assert not re.match(r"[a-z]+:", target), f"{page.name} links outside the repository: {target}"
        path = target.split("#")[0]
        if path:
            assert (page.parent / path).exists(), f"{page.name} links to a missing file: {target}"
