"""One catalogue for every text (web/translations): every id the code and the templates
use has its Chinese and its English, the placeholders agree, the committed .mo files are
the compiled .po files, and a lookup of a missing id is logged (and fails a test)."""
from __future__ import annotations

import io
import logging
import re

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from web import clock_story, messages
from web.api.problems import STATUSES
from web.text import TRANSLATIONS, MissingText, _, pgettext
from workflow.domain import errors
from workflow.services.reports import figures
from workflow.store import reports as store_reports
from workflow.text import Text

ROOT = TRANSLATIONS.parent
LANGS = ("zh", "en")
PLACEHOLDER = re.compile(r"%\((\w+)\)[sr]")
#: How the code and the templates look texts up (babel's keyword specs).
KEYWORDS = {"_": None, "pgettext": ((1, "c"), 2), "text_in": ((2, "c"), 3)}
METHODS = [("**.py", "python"), ("templates/**.html", "jinja2")]


def _po(lang: str):
    with open(TRANSLATIONS / lang / "LC_MESSAGES" / "messages.po", "rb") as f:
        return read_po(f, locale=lang)


def _ids(catalog) -> set[tuple[str | None, str]]:
    return {(m.context, m.id) for m in catalog if m.id}


def _used() -> set[tuple[str | None, str]]:
    found = set()
    for _file, _line, message, _comments, context in extract_from_dir(
            ROOT, METHODS, keywords=KEYWORDS, comment_tags=()):
        found.add((context, message))
    return found


def test_the_code_and_the_templates_use_hundreds_of_texts_and_each_is_in_both_catalogues():
    used = _used()
    assert len(used) > 400
    for lang in LANGS:
        assert sorted(used - _ids(_po(lang)), key=str) == [], lang


def test_both_catalogues_hold_the_same_ids_each_with_a_text():
    zh, en = _po("zh"), _po("en")
    assert _ids(zh) == _ids(en)
    for catalog in (zh, en):
        assert [m.id for m in catalog if m.id and not m.string] == []
        assert [m.id for m in catalog if m.fuzzy and m.id] == []


def _error_classes(cls=errors.DomainError):
    for sub in cls.__subclasses__():
        yield sub
        yield from _error_classes(sub)


def test_every_domain_error_and_api_problem_code_has_its_text_in_both_languages():
    codes = {("field", c) for c in errors.FIELD_CODES} | {
        ("error", cls.code) for cls in _error_classes()} | {("problem", c) for c in STATUSES}
    assert len(codes) > 60
    for lang in LANGS:
        assert codes <= _ids(_po(lang))


def test_the_domain_errors_carry_codes_and_parameters_and_no_words():
    assert not [name for name in vars(errors) if name.isupper() and name != "FIELD_CODES"]
    assert str(errors.NotFound("complaint", 5)) == "not_found: kind='complaint', key=5"
    refused = errors.ValidationError({"comment": errors.FieldError("too_long", max=9)})
    assert str(refused) == "validation_error: comment=too_long(max=9)"
    assert refused.errors["comment"] == "too_long"


def test_a_chinese_id_and_its_english_fill_in_the_same_placeholders():
    zh, en = _po("zh"), _po("en")
    for message in zh:
        if message.id and re.search(r"[\u4e00-\u9fff]", message.id):
            assert message.string == message.id
            english = en.get(message.id, message.context).string
            assert PLACEHOLDER.findall(english) == PLACEHOLDER.findall(message.id), message.id


def test_the_committed_mo_files_are_the_compiled_po_files():
    for lang in LANGS:
        compiled = io.BytesIO()
        write_mo(compiled, _po(lang))
        committed = (TRANSLATIONS / lang / "LC_MESSAGES" / "messages.mo").read_bytes()
        assert compiled.getvalue() == committed, (
            f"{lang}: run .venv/bin/pybabel compile -d web/translations")


def test_the_same_chinese_words_mean_different_things_by_context(app):
    with app.test_request_context("/"):
        from flask import session
        session["lang"] = "en"
        assert pgettext("chart", "受理") == "Received"
        assert _("受理投诉") == "New complaint"
        assert pgettext("field", "too_long", max=5) == "at most 5 characters"


def test_a_missing_id_is_logged_and_fails_under_testing(app, caplog):
    with (app.test_request_context("/"), caplog.at_level(logging.ERROR, "web.text"),
          pytest.raises(MissingText)):
        _("没有这句话")
    assert "没有这句话" in caplog.text
    app.testing = False
    with app.test_request_context("/"):
        assert pgettext("field", "no_such_code") == "no_such_code"


def test_a_domain_error_reads_as_chinese_or_english_from_the_same_code():
    error = errors.ActionNotAllowed("close", "handling", ["contact"])
    assert messages.text(error, "zh") == "投诉当前为“处理中”，不能执行“结案”"
    assert messages.text(error, "en") == (
        "action 'close' is not allowed in state 'handling'; allowed now: contact")


def _data_ids() -> set[tuple[str, str]]:
    """The ids the code holds as data and looks up by a variable (the clock story's)."""
    held = [*clock_story.TRACKS.values(), *clock_story.WHY_MOVED.values(),
            *clock_story.ACTORS.values(), *clock_story.ESCALATED_TO.values(),
            *clock_story.EVENT_TEXTS.values()]
    reported = [*(f.zh for f in store_reports.FIGURES.values()),
                *(r[2] for r in store_reports.RATES.values()),
                *(p[1] for p in store_reports.PERCENTILES.values()),
                *figures.GROUPING_NAMES.values(), *figures.SEVERITY_NAMES.values()]
    return {("clock", text) for text in held} | {("report", text) for text in reported}


def test_the_texts_held_as_data_are_in_both_catalogues():
    held = _data_ids()
    assert len(held) > 50
    for lang in LANGS:
        assert sorted(held - _ids(_po(lang))) == [], lang


def test_the_workflow_reads_its_texts_in_either_language_from_the_same_ids():
    english = Text.load(TRANSLATIONS, "en")
    assert figures.column_name("reply_rate") == "及时答复率（%）"
    assert figures.column_name("reply_rate", english) == "Timely reply"
    assert figures.group_label("severity", "major", english) == "Major"
    assert figures.group_label("department", "", english) == "Not given"


def test_every_detail_the_api_raises_is_an_id_with_its_english_and_chinese():
    raised = {("api", message) for _f, _l, message, _c, _ctx in extract_from_dir(
        ROOT / "api", [("**.py", "python")], keywords={"ApiError": (2,)}, comment_tags=())}
    assert len(raised) > 10
    for lang in LANGS:
        assert sorted(raised - _ids(_po(lang))) == [], lang
