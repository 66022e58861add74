"""The pages' language: Chinese first, English by the user's switch (`web.text`, one
gettext catalogue), and the names of domain codes from `states.catalogue`."""
from __future__ import annotations

from flask import has_request_context
from flask_babel import get_locale

from web.text import LANGUAGES, _, pgettext, select_locale

__all__ = ["LANGUAGES", "_", "is_english", "name", "pgettext", "select_locale"]


def is_english() -> bool:
    """True when this request is shown in English."""
    return has_request_context() and str(get_locale()) == "en"


def name(table: dict[str, tuple[str, str]], code: str | None) -> str:
    """The zh or en name of a catalogue code (the code itself when unknown)."""
    if code is None:
        return ""
    names = table.get(code)
    if not names:
        return code
    return names[1] if is_english() else names[0]
