"""What an evidence file is, by its content: the formats the policy's kinds allow, how
each is recognised from its first bytes, and the refusals (an executable, a name that
says another format, a kind the policy does not allow, too large). Pure Python.

A file's name is only a claim: the format comes from the bytes (magic numbers), the
stored and served type is the format's, never what the client sent, and a name whose
extension belongs to another format than the content is refused.
"""
from __future__ import annotations

import unicodedata
import zipfile
from dataclasses import dataclass

from states.fields import unsafe_text
from workflow.domain.errors import FieldError, ValidationError

#: How many leading bytes `sniff` needs (an OOXML file is checked as a whole zip).
HEAD_BYTES = 64
#: Longest original file name kept, in characters.
MAX_NAME = 200


@dataclass(frozen=True)
class Format:
    """One accepted file format: its kind (a policy kind), MIME type, name and extensions."""

    code: str
    kind: str
    mime: str
    name_zh: str
    extensions: tuple[str, ...]


FORMATS: dict[str, Format] = {f.code: f for f in (
    Format("pdf", "pdf", "application/pdf", "PDF文件", (".pdf",)),
    Format("png", "image", "image/png", "PNG图片", (".png",)),
    Format("jpeg", "image", "image/jpeg", "JPEG图片", (".jpg", ".jpeg", ".jfif")),
    Format("gif", "image", "image/gif", "GIF图片", (".gif",)),
    Format("webp", "image", "image/webp", "WebP图片", (".webp",)),
    Format("mp3", "audio", "audio/mpeg", "MP3录音", (".mp3",)),
    Format("wav", "audio", "audio/wav", "WAV录音", (".wav",)),
    Format("amr", "audio", "audio/amr", "AMR录音", (".amr",)),
    Format("m4a", "audio", "audio/mp4", "M4A录音", (".m4a", ".mp4", ".aac", ".3gp")),
    Format("docx", "office", "application/vnd.openxmlformats-officedocument"
           ".wordprocessingml.document", "Word文档", (".docx",)),
    Format("xlsx", "office", "application/vnd.openxmlformats-officedocument"
           ".spreadsheetml.sheet", "Excel表格", (".xlsx",)),
    Format("pptx", "office", "application/vnd.openxmlformats-officedocument"
           ".presentationml.presentation", "PowerPoint演示文稿", (".pptx",)),
    Format("ole", "office", "application/vnd.ms-office", "Office文档（旧版）",
           (".doc", ".xls", ".ppt")),
)}
#: Every extension an accepted format has, to the format.
BY_EXTENSION = {ext: f for f in FORMATS.values() for ext in f.extensions}
#: Content that runs: refused whatever the name says.
EXECUTABLE_MAGIC = (b"MZ", b"\x7fELF", b"#!", b"\xfe\xed\xfa\xce", b"\xfe\xed\xfa\xcf",
                    b"\xce\xfa\xed\xfe", b"\xcf\xfa\xed\xfe", b"\xca\xfe\xba\xbe")
_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_M4A_BRANDS = (b"M4A ", b"M4B ", b"mp41", b"mp42", b"isom", b"3gp4", b"3gp5", b"3gp6",
               b"3gp7", b"3ge6", b"3gg6")
_OOXML = (("word/", "docx"), ("xl/", "xlsx"), ("ppt/", "pptx"))


def is_executable(head: bytes) -> bool:
    """Whether the bytes start like a program (Windows PE, ELF, Mach-O, a script; an AMR
    recording's "#!AMR" is not one)."""
    return head.startswith(EXECUTABLE_MAGIC) and not head.startswith(b"#!AMR")


def sniff(head: bytes, whole=None) -> Format | None:
    """The accepted format the content is, from its first bytes (`whole`: a seekable
    binary file of the whole content, needed to tell an office zip from any zip)."""
    if head.startswith(b"%PDF-"):
        return FORMATS["pdf"]
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return FORMATS["png"]
    if head.startswith(b"\xff\xd8\xff"):
        return FORMATS["jpeg"]
    if head.startswith((b"GIF87a", b"GIF89a")):
        return FORMATS["gif"]
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return FORMATS["webp"]
    if head[:4] == b"RIFF" and head[8:12] == b"WAVE":
        return FORMATS["wav"]
    if head.startswith(b"ID3") or (len(head) > 1 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0
                                   and head[1] & 0x06):
        return FORMATS["mp3"]
    if head.startswith(b"#!AMR"):
        return FORMATS["amr"]
    if head[4:8] == b"ftyp" and head[8:12] in _M4A_BRANDS:
        return FORMATS["m4a"]
    if head.startswith(_OLE):
        return FORMATS["ole"]
    if head.startswith(b"PK\x03\x04") and whole is not None:
        return _office_zip(whole)
    return None


def _office_zip(whole) -> Format | None:
    try:
        whole.seek(0)
        names = zipfile.ZipFile(whole).namelist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        return None
    finally:
        whole.seek(0)
    if "[Content_Types].xml" not in names:
        return None
    for prefix, code in _OOXML:
        if any(n.startswith(prefix) for n in names):
            return FORMATS[code]
    return None


def clean_name(name: str | None) -> str:
    """The original name as kept: no folders (a browser may send C:\\path\\x.pdf), Unicode
    NFC, surrounding spaces off; ValidationError when nothing is left or it is unsafe."""
    name = unicodedata.normalize("NFC", (name or "").replace("\\", "/").rsplit("/", 1)[-1]).strip()
    if unsafe_text(name):
        raise ValidationError({"file": FieldError("bad_characters")})
    if not name or name in (".", ".."):
        raise ValidationError({"file": FieldError("required")})
    if len(name) > MAX_NAME:
        raise ValidationError({"file": FieldError("file_name_too_long", max=MAX_NAME)})
    return name


def extension(name: str) -> str:
    """The name's extension in lower case with its dot ("" when it has none)."""
    stem, dot, ext = name.rpartition(".")
    return f".{ext.lower()}" if dot and stem else ""


def check(name: str, head: bytes, whole, size: int, policy) -> Format:
    """The format of an evidence file the policy accepts, or ValidationError on `file`
    saying why not (too large, empty, an executable, content that is not what the name
    says, a format or kind the policy does not accept)."""
    claimed = BY_EXTENSION.get(extension(name))
    named = claimed.code if claimed else "none"     # error parameters are format codes
    if size > policy.attachment_max_bytes:
        raise ValidationError({"file": FieldError("file_too_large",
                                                  max=size_text(policy.attachment_max_bytes))})
    if size == 0:
        raise ValidationError({"file": FieldError("file_empty")})
    if is_executable(head):
        raise ValidationError({"file": FieldError("file_executable", claimed=named)})
    found = sniff(head, whole)
    if found is None:
        raise ValidationError({"file": FieldError("file_unknown_type", claimed=named)})
    if extension(name) and extension(name) not in found.extensions:
        raise ValidationError({"file": FieldError("file_name_mismatch", claimed=named,
                                                  found=found.code)})
    if found.kind not in policy.attachment_kinds:
        raise ValidationError({"file": FieldError("file_kind_refused", found=found.code)})
    return found


def size_text(size: int) -> str:
    """A byte count as people read it: 20 MB, 340 KB, 12 B."""
    if size >= 1024 * 1024:
        value, unit = size / (1024 * 1024), "MB"
    elif size >= 1024:
        value, unit = size / 1024, "KB"
    else:
        return f"{size} B"
    return f"{value:.1f}".rstrip("0").rstrip(".") + f" {unit}"


def head_of(stream) -> bytes:
    """The first bytes of a seekable binary stream, leaving it at the start."""
    stream.seek(0)
    head = stream.read(HEAD_BYTES)
    stream.seek(0)
    return head
