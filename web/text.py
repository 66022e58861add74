"""Every text the web shows, from one gettext catalogue (Flask-Babel): `web/translations`.

Chinese is the source language: a page's text is looked up by its Chinese words, with a
context where the same words mean two things (`pgettext("chart", "受理")` is "Received",
the action 受理 is "Intake"); an error by its code (`pgettext("field", "too_long")`).
Placeholders are `%(name)s`. Both catalogues (zh and en) hold every id; a lookup of an id
they lack is logged as an error (and raises under testing), never silently shown in
another language. `tests/web/test_text.py` checks the catalogues against the code.

The .mo files are committed beside their .po; after editing a .po run
`.venv/bin/pybabel compile -d web/translations` (a test fails while they differ).
"""
from __future__ import annotations

import gettext
import logging
from functools import cache
from pathlib import Path

from babel import support
from flask import Flask, current_app, g, has_request_context, session
from flask_babel import Babel, get_locale, get_translations

from workflow.text import SOURCE, Text

log = logging.getLogger(__name__)
LANGUAGES = ("zh", "en")
TRANSLATIONS = Path(__file__).parent / "translations"


def select_locale() -> str:
    """The user's language: their switch (`POST /lang/<code>`), Chinese by default."""
    lang = session.get("lang") if has_request_context() else None
    return lang if lang in LANGUAGES else "zh"


def init_text(app: Flask) -> None:
    """Install Flask-Babel with the catalogue and the locale choice."""
    Babel(app, locale_selector=select_locale, default_locale="zh",
          default_translation_directories=str(TRANSLATIONS), configure_jinja=False)


class MissingText(LookupError):
    """An id the catalogue lacks (raised only when the app is testing)."""


class _Missing(gettext.NullTranslations):
    """The last fallback of a loaded catalogue: an id that reaches it is missing."""

    def __init__(self, locale: str):
        super().__init__()
        self.locale = locale

    def _missing(self, context: str | None, message: str) -> str:
        log.error("no %s text for %r (context %r) in the catalogue", self.locale, message, context)
        if current_app and current_app.testing:
            raise MissingText(f"{self.locale}: {context!r} {message!r}")
        return message

    def gettext(self, message):
        return self._missing(None, message)

    def pgettext(self, context, message):
        return self._missing(context, message)


def _checked(translations, locale: str):
    if not getattr(translations, "missing_is_logged", False):
        translations.add_fallback(_Missing(locale))
        translations.missing_is_logged = True
    return translations


def _translations():
    """The user's catalogue, looked up once per request (Flask-Babel's lookup goes through
    several context proxies: ~20 us a text, against ~1 us from `g`)."""
    translations = g.get("text_catalogue")
    if translations is None:
        translations = g.text_catalogue = _checked(get_translations(), str(get_locale()))
    return translations


@cache
def catalogue(lang: str):
    """The catalogue of one language, read once (for a text in a given language)."""
    return _checked(support.Translations.load(str(TRANSLATIONS), [lang]), lang)


@cache
def text_for(lang: str) -> Text:
    """The catalogue of `lang` as the workflow's `Text` (report headings, labels)."""
    return Text(lang, catalogue(lang))


def user_text() -> Text:
    """The user's language as a `Text`; Chinese outside a request."""
    return text_for(select_locale()) if has_request_context() else SOURCE


def _fill(text: str, values: dict) -> str:
    return text % values if values else text


def _(text: str, **values) -> str:
    """The text in the user's language, its %(name)s placeholders filled in."""
    if not has_request_context():
        return _fill(text, values)
    return _fill(_translations().gettext(text), values)


def pgettext(context: str, text: str, **values) -> str:
    """The text of `context` in the user's language, its placeholders filled in."""
    if not has_request_context():
        return _fill(text, values)
    return _fill(_translations().pgettext(context, text), values)


def text_in(lang: str, context: str, text: str, **values) -> str:
    """The text of `context` in `lang` ("zh" or "en") whatever the user's language, also
    outside a request (the API's English `detail`, the command line)."""
    return _fill(catalogue(lang).pgettext(context, text), values)


def joined(lang: str, words: list[str], joiner: str) -> str:
    """Words joined in `lang` by the catalogue's `joiner` ("%(a)s、%(b)s" reads "%(a)s, %(b)s")."""
    if not words:
        return ""
    out = words[0]
    for word in words[1:]:
        out = text_in(lang, "list", joiner, a=out, b=word)
    return out


def span_words(seconds: float | None, lang: str, *, minutes_after_days: bool = True,
               minute: str = "%(n)s分钟") -> str:
    """A span as days, hours and minutes in `lang`: 1天3小时 or 1d 3h."""
    minutes = int(abs(seconds or 0) // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    show_minutes = (mins and (minutes_after_days or not days)) or not (days or hours)
    parts = [text_in(lang, "span", unit, n=n) for unit, n, shown in (
        ("%(n)s天", days, days), ("%(n)s小时", hours, hours), (minute, mins, show_minutes))
        if shown]
    return joined(lang, parts, "%(a)s%(b)s")
