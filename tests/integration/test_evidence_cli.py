"""`complaints attach` keeps a file by content like the pages do, and `complaints
attachments cleanup` removes only files no row names (never one a row serves)."""
from __future__ import annotations

import os
import time

from tests.conftest import DESK, complaint_values, make_runtime
from tests.integration.test_cli import run
from workflow import services
from workflow.admin.directory import create_user
from workflow.store.schema import utcnow


def test_the_command_line_attaches_by_content_and_the_cleanup_removes_only_orphans(tmp_path):
    db = tmp_path / "complaints.db"
    run(db, "db", "upgrade")
    rt = make_runtime(f"sqlite:///{db}")
    with rt.uow() as uow:
        create_user(uow.conn, "major_desk", "陈建国", "major_desk", "customer_service", None,
                    now=utcnow())
        uow.commit()
    services.intake(rt, DESK, complaint_values(), now=utcnow())
    rt.engine.dispose()
    pdf = tmp_path / "通管局来函.pdf"
    pdf.write_bytes(b"%PDF-1.7\n1 0 obj <<>> endobj\n%%EOF\n")
    out = run(db, "attach", "1", str(pdf), "--as", "major_desk", "--comment", "来函").stdout
    assert "attachment 1 通管局来函.pdf (application/pdf" in out
    fake = tmp_path / "说明.pdf"
    fake.write_bytes(b"MZ\x90\x00" + bytes(64))
    refused = run(db, "attach", "1", str(fake), "--as", "major_desk", check=False)
    assert refused.exit_code != 0 and "program" in refused.output
    folder = tmp_path / "attachments"                  # beside the SQLite file by default
    kept = [p for p in folder.rglob("*") if p.is_file()]
    orphan = folder / "ab" / "cd" / ("abcd" + "0" * 60)
    orphan.parent.mkdir(parents=True)
    orphan.write_bytes(b"left by a crash")
    old = time.time() - 7200
    for path in (*kept, orphan):
        os.utime(path, (old, old))
    listed = run(db, "attachments", "cleanup", "--dry-run").stdout
    assert str(orphan) in listed and "1 orphan files" in listed and orphan.exists()
    assert "1 removed" in run(db, "attachments", "cleanup").stdout
    assert not orphan.exists() and all(p.exists() for p in kept) and len(kept) == 1
