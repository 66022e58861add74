"""Evidence files: their content in a folder, named by SHA-256, and their rows.

The folder (`Runtime.attachments_dir`) holds `ab/cd/<sha256>` content files and, while an
upload is being received, `.incoming-*` temporary files in the folder itself (the same
file system, so the rename into place is atomic). An upload is written to a temporary
file, flushed and fsynced, then renamed to its content name and the folder fsynced;
only then does the caller insert the row, in the transaction of the complaint's
`attach` event. So a row never exists without its file, and a file without a row (a
crash after the rename, a refused action) is never served: every download goes through
a row (`get`). Two uploads of the same content share one file; the same name twice
keeps two rows. `orphans` / `remove_orphans` clean up what a crash left behind.
"""
from __future__ import annotations

import hashlib
import os
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import bindparam, select

from workflow.domain.errors import FieldError, ValidationError
from workflow.domain.evidence import size_text
from workflow.store.schema import attachments as t

#: Bytes read and written at a time.
CHUNK = 1024 * 1024
INCOMING = ".incoming-"


@dataclass
class Received:
    """A file written to the folder's temporary name: its size, hash and first bytes."""

    path: Path
    size: int
    sha256: str
    head: bytes


class FileStore:
    """The content files of one attachments folder."""

    def __init__(self, root: str | os.PathLike):
        self.root = Path(root)

    def path_for(self, sha256: str) -> Path:
        """Where the content with this SHA-256 lives."""
        if len(sha256) != 64 or not all(c in "0123456789abcdef" for c in sha256):
            raise ValueError(f"not a SHA-256 in hex: {sha256!r}")
        return self.root / sha256[:2] / sha256[2:4] / sha256

    def receive(self, stream, max_bytes: int) -> Received:
        """Copy `stream` to a temporary file in the folder, hashing it, fsynced; more than
        `max_bytes` is refused (ValidationError on `file`) and nothing is kept."""
        self.root.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(prefix=INCOMING, dir=self.root)
        digest, size, head = hashlib.sha256(), 0, b""
        try:
            with os.fdopen(fd, "wb") as out:
                while chunk := stream.read(CHUNK):
                    size += len(chunk)
                    if size > max_bytes:
                        raise ValidationError({"file": FieldError("file_too_large",
                                                                  max=size_text(max_bytes))})
                    if len(head) < 64:
                        head += chunk[:64 - len(head)]
                    digest.update(chunk)
                    out.write(chunk)
                out.flush()
                os.fsync(out.fileno())
        except BaseException:
            Path(name).unlink(missing_ok=True)
            raise
        return Received(Path(name), size, digest.hexdigest(), head)

    def discard(self, received: Received) -> None:
        """Remove a received file that will not be kept."""
        received.path.unlink(missing_ok=True)

    def keep(self, received: Received) -> Path:
        """Rename a received file to its content name (the same content already there
        stays, and the new copy goes) and fsync the folders; return the path."""
        final = self.path_for(received.sha256)
        final.parent.mkdir(parents=True, exist_ok=True)
        if final.exists() and final.stat().st_size == received.size:
            received.path.unlink(missing_ok=True)
            os.utime(final)      # young again: the orphan cleanup's grace period covers it
        else:
            os.replace(received.path, final)
        for folder in (final.parent, final.parent.parent, self.root):
            _fsync_dir(folder)
        return final

    def has(self, sha256: str, size: int) -> bool:
        """Whether the content file is there, whole."""
        try:
            return self.path_for(sha256).stat().st_size == size
        except OSError:
            return False

    def content_files(self):
        """(sha256, path) of every content file in the folder."""
        if not self.root.is_dir():
            return
        for path in self.root.glob("??/??/*"):
            if path.is_file() and len(path.name) == 64:
                yield path.name, path

    def incoming_files(self):
        """Temporary files of uploads being received (or abandoned by a crash)."""
        return [p for p in self.root.glob(INCOMING + "*") if p.is_file()] if self.root.is_dir() else []


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


_OF_COMPLAINT = (select(t).where(t.c.complaint_id == bindparam("cid")).order_by(t.c.id))
_ONE = select(t).where(t.c.id == bindparam("id"), t.c.complaint_id == bindparam("cid"))


def add(conn, row: dict) -> int:
    """Insert an attachment's row; return its id."""
    return conn.execute(t.insert().values(row)).inserted_primary_key[0]


def of_complaint(conn, complaint_id: int) -> list:
    """The complaint's attachments, in the order they came."""
    return conn.execute(_OF_COMPLAINT, {"cid": complaint_id}).mappings().all()


def get(conn, complaint_id: int, attachment_id: int):
    """One attachment of this complaint (None when there is none by that id)."""
    return conn.execute(_ONE, {"id": attachment_id, "cid": complaint_id}).mappings().first()


def referenced(conn) -> set[str]:
    """Every SHA-256 some row refers to."""
    return set(conn.execute(select(t.c.sha256).distinct()).scalars())


def orphans(store: FileStore, known: set[str], *, older_than: float, now: float | None = None):
    """Content files no row refers to and temporary files, last changed more than
    `older_than` seconds ago (younger ones may belong to an upload in progress)."""
    now = time.time() if now is None else now
    found = [p for sha, p in store.content_files() if sha not in known]
    found += store.incoming_files()
    return sorted(p for p in found if now - p.stat().st_mtime > older_than)


def remove_orphans(store: FileStore, paths) -> int:
    """Delete the given orphan files; return how many went."""
    gone = 0
    for path in paths:
        try:
            path.unlink()
            gone += 1
        except FileNotFoundError:
            pass
    return gone
