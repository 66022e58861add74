"""Chinese first, English by a switch: the locale choice and an in-code zh -> en table.

Texts are written in Chinese in the code and the templates; `_()` returns the English
of the table in `web.pages.english` when the user switched to English. Keeping the
table in code means a fresh clone needs no message-catalogue compile step. Names of
domain codes (states, departments, causes...) come from `states.catalogue`.
"""
from __future__ import annotations

from flask import has_request_context, session

from web.pages.english import EN

LANGUAGES = ("zh", "en")


def select_locale() -> str:
    """The user's language: their switch (`POST /lang/<code>`), Chinese by default."""
    lang = session.get("lang") if has_request_context() else None
    return lang if lang in LANGUAGES else "zh"


def is_english() -> bool:
    """True when this request is shown in English."""
    return has_request_context() and select_locale() == "en"


def _(text: str, **values) -> str:
    """The text in the user's language, with %(name)s placeholders filled in."""
    if is_english():
        text = EN.get(text, text)
    return text % values if values else text


def name(table: dict[str, tuple[str, str]], code: str | None) -> str:
    """The zh or en name of a catalogue code (the code itself when unknown)."""
    if code is None:
        return ""
    names = table.get(code)
    if not names:
        return code
    return names[1] if is_english() else names[0]
