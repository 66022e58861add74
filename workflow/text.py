"""The workflow's texts as catalogue ids: what the reports and the monthly mail say is
looked up through a `Text` the caller passes in, so workflow/ and timers/ name their words
by id (Chinese, the source language, with a context) and never import web/.

`SOURCE` reads every id as itself, which is the Chinese text (the zh catalogue maps each
Chinese id to itself; `tests/web/test_text.py` holds this). `Text.load(directory, lang)`
reads a compiled gettext catalogue with babel, a plain library: web/ passes its own
catalogue (`web.text.text_for`), the command line passes web/translations to the timer
worker, which builds the monthly mail.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from babel import support


@dataclass(frozen=True)
class Text:
    """The texts of one language: `text(context, id, **values)`; `text.pick(pair)` chooses
    from a (Chinese, English) name pair held as data (`states.catalogue`)."""

    lang: str = "zh"
    translations: object | None = None

    def __call__(self, context: str, message: str, **values) -> str:
        found = (self.translations.pgettext(context, message) if self.translations
                 else message)
        return found % values if values else found

    def pick(self, pair) -> str:
        return pair[1] if self.lang == "en" else pair[0]

    @classmethod
    def load(cls, directory: Path | str, lang: str) -> Text:
        """The texts of `lang` from the compiled catalogue under `directory`."""
        return cls(lang, support.Translations.load(str(directory), [lang]))


#: The Chinese texts: every id as itself.
SOURCE = Text()
