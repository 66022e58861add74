"""An evidence file's format comes from its bytes: every accepted format is recognised,
programs and content that is not what the name says are refused, the policy's kinds
and size hold, and names are kept without folders."""
from __future__ import annotations

import dataclasses
import io
import zipfile

import pytest

from states.policy import load_policy, parse_policy_text, size_bytes
from workflow.domain import evidence
from workflow.domain.errors import ValidationError


def office_zip(*names: str) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        for name in names:
            z.writestr(name, "<x/>")
    return out.getvalue()


SAMPLES = {
    "pdf": b"%PDF-1.7\n%\xe2\xe3\n",
    "png": b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",
    "jpeg": b"\xff\xd8\xff\xe0\x00\x10JFIF\x00",
    "gif": b"GIF89a\x01\x00\x01\x00",
    "webp": b"RIFF\x24\x00\x00\x00WEBPVP8 ",
    "mp3": b"ID3\x04\x00\x00\x00\x00\x00\x00",
    "wav": b"RIFF\x24\x00\x00\x00WAVEfmt ",
    "amr": b"#!AMR\n\x3c\x48",
    "m4a": b"\x00\x00\x00\x20ftypM4A \x00\x00\x00\x00",
    "ole": b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(24),
    "docx": office_zip("[Content_Types].xml", "word/document.xml"),
    "xlsx": office_zip("[Content_Types].xml", "xl/workbook.xml"),
    "pptx": office_zip("[Content_Types].xml", "ppt/presentation.xml"),
}
POLICY = load_policy()


@pytest.mark.parametrize("code", sorted(SAMPLES))
def test_every_accepted_format_is_recognised_by_its_content(code):
    content = SAMPLES[code]
    found = evidence.sniff(content[:evidence.HEAD_BYTES], io.BytesIO(content))
    assert found is evidence.FORMATS[code]
    name = "证据" + found.extensions[0]
    assert evidence.check(name, content[:64], io.BytesIO(content), len(content), POLICY) is found
    # without an extension the content alone decides
    assert evidence.check("录音", content[:64], io.BytesIO(content), len(content), POLICY) is found


@pytest.mark.parametrize("content", [b"MZ\x90\x00", b"\x7fELF\x02\x01", b"#!/bin/sh\n",
                                     b"\xcf\xfa\xed\xfe\x07\x00"])
def test_a_program_is_refused_whatever_its_name_says(content):
    with pytest.raises(ValidationError) as refused:
        evidence.check("账单.pdf", content, io.BytesIO(content), 100, POLICY)
    error = refused.value.errors["file"]
    assert error.code == "file_executable" and error.params["claimed"] == "pdf"


def test_a_zip_that_is_not_an_office_document_and_text_are_refused():
    for content in (office_zip("a.txt"), office_zip("[Content_Types].xml", "other/x.xml"),
                    b"<html><script>alert(1)</script>", b"PK\x03\x04broken"):
        with pytest.raises(ValidationError) as refused:
            evidence.check("文档.docx", content[:64], io.BytesIO(content), len(content), POLICY)
        assert refused.value.errors["file"].code == "file_unknown_type"


def test_content_that_is_not_what_the_name_says_is_refused():
    with pytest.raises(ValidationError) as refused:
        evidence.check("账单.pdf", SAMPLES["png"], io.BytesIO(SAMPLES["png"]), 20, POLICY)
    assert refused.value.errors["file"].code == "file_name_mismatch"
    with pytest.raises(ValidationError):
        evidence.check("run.exe", SAMPLES["pdf"], io.BytesIO(SAMPLES["pdf"]), 20, POLICY)


def test_the_policy_names_the_kinds_and_the_size():
    text = POLICY.text.replace('kinds = ["audio", "image", "pdf", "office"]', 'kinds = ["pdf"]')
    text = text.replace('max_size = "20 MB"', 'max_size = "512 KB"')
    only_pdf = parse_policy_text(text)
    assert only_pdf.attachment_kinds == {"pdf"} and only_pdf.attachment_max_bytes == 512 * 1024
    with pytest.raises(ValidationError) as refused:
        evidence.check("a.png", SAMPLES["png"], None, 20, only_pdf)
    assert refused.value.errors["file"].code == "file_kind_refused"
    with pytest.raises(ValidationError) as refused:
        evidence.check("a.pdf", SAMPLES["pdf"], None, 512 * 1024 + 1, only_pdf)
    assert refused.value.errors["file"].params["max"] == "512 KB"
    assert size_bytes("20 MB") == 20 * 1024 * 1024 and size_bytes(100) == 100
    with pytest.raises(ValueError):
        size_bytes("twenty")
    assert dataclasses.replace(POLICY).attachment_max_bytes == 20 * 1024 * 1024


def test_a_policy_without_the_attachments_section_has_the_defaults_and_bad_keys_are_named():
    text = POLICY.text
    start = text.index("[attachments]")
    bare = parse_policy_text(text[:start] + text[text.index("[deadlines.normal]"):])
    assert bare.attachment_max_bytes == 20 * 1024 * 1024
    assert bare.attachment_kinds == {"audio", "image", "pdf", "office"}
    from states.policy import PolicyError
    with pytest.raises(PolicyError) as bad:
        parse_policy_text(text.replace('"office"]', '"video"]').replace('"20 MB"', '"lots"'))
    assert any("attachments.kinds" in p for p in bad.value.problems)
    assert any("attachments.max_size" in p for p in bad.value.problems)


def test_names_are_kept_without_folders_and_unsafe_ones_are_refused():
    assert evidence.clean_name("C:\\Users\\王丽\\话单.png") == "话单.png"
    assert evidence.clean_name("../../etc/账单.pdf") == "账单.pdf"
    for bad in ("", "   ", "..", "a\x00.pdf", "x" * 201 + ".pdf"):
        with pytest.raises(ValidationError):
            evidence.clean_name(bad)
    assert evidence.size_text(20 * 1024 * 1024) == "20 MB" and evidence.size_text(1536) == "1.5 KB"
