"""Evidence files on both databases: attached from the page and the API under the
complaint's access rules, checked by content, kept by SHA-256 outside the database,
never half-done after a crash; and the customer's other complaints on the page."""
from __future__ import annotations

import io
import re
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage, MultiDict
from werkzeug.test import encode_multipart

from tests.web.conftest import actor, file, page, sign_in, token
from workflow import services
from workflow.admin import policy as policy_admin
from workflow.admin import tokens
from workflow.domain.errors import NotFound, ValidationError
from workflow.services import attaching
from workflow.store import attachments as files
from workflow.store import queries
from workflow.store.complaints import load
from workflow.store.schema import attachments, events, utcnow

#: On both databases: evidence rows and the refusals are written on each database.
pytestmark = pytest.mark.both_databases

PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(64))
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00" + bytes(200)


def bearer(rt, username: str) -> dict:
    with rt.uow() as uow:
        plain = tokens.create(uow.conn, username, "tests", now=utcnow())[1]
        uow.commit()
    return {"Authorization": f"Bearer {plain}"}


def multipart(fields: dict) -> dict:
    """A multipart/form-data body encoded in memory (the test client's own encoder puts
    a large one in a temporary file it never closes)."""
    boundary, body = encode_multipart(MultiDict(fields))
    return {"data": body, "content_type": f"multipart/form-data; boundary={boundary}"}


def api_upload(app, headers, cid, name, content, comment="", **extra):
    return app.test_client().post(
        f"/api/v1/complaints/{cid}/attachments", headers={**headers, **extra},
        **multipart({"file": FileStorage(io.BytesIO(content), name), "comment": comment}))


def page_upload(client, cid, name, content, comment="", version=None):
    data = {"file": FileStorage(io.BytesIO(content), name), "comment": comment,
            "csrf_token": token(client)}
    if version is not None:
        data["version"] = str(version)
    return client.post(f"/complaints/{cid}/attachments", **multipart(data))


def fetch(client, url, headers=None):
    """GET a download and close it (a file response holds its file open until then)."""
    response = client.get(url, headers=headers or {})
    response.get_data()
    response.close()
    return response


def rows(rt, cid=None) -> list:
    with rt.engine.connect() as conn:
        query = select(attachments).order_by(attachments.c.id)
        if cid is not None:
            query = query.where(attachments.c.complaint_id == cid)
        return conn.execute(query).mappings().all()


def attach_events(rt, cid) -> int:
    with rt.engine.connect() as conn:
        return conn.execute(select(func.count()).where(
            events.c.complaint_id == cid, events.c.action == "attach")).scalar()


def stored_files(rt) -> list[Path]:
    root = Path(rt.attachments_dir)
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def version(rt, cid) -> int:
    with rt.uow(write=False) as uow:
        return load(uow, cid).version


def test_a_file_attached_through_the_api_is_kept_by_its_hash_with_an_event_and_served_as_sent(
        rt, app):
    cid = file(rt).id
    before = version(rt, cid)
    headers = bearer(rt, "net")
    answer = api_upload(app, headers, cid, "话单截图.png", PNG, comment="客户提供的话单")
    assert answer.status_code == 201, answer.get_data(as_text=True)
    body = answer.get_json()
    assert body["content_type"] == "image/png" and body["size"] == len(PNG)
    assert answer.headers["ETag"] == f'"{before + 1}"' and version(rt, cid) == before + 1
    import hashlib
    digest = hashlib.sha256(PNG).hexdigest()
    assert body["sha256"] == digest
    assert stored_files(rt) == [Path(rt.attachments_dir) / digest[:2] / digest[2:4] / digest]
    history = app.test_client().get(f"/api/v1/complaints/{cid}/history", headers=headers)
    last = history.get_json()["items"][-1]
    assert (last["action"], last["actor"], last["from_state"], last["to_state"]) == (
        "attach", "net", "received", "received")
    assert last["data"]["attachment"]["name"] == "话单截图.png"
    assert last["comment"] == "客户提供的话单"
    got = fetch(app.test_client(), answer.headers["Location"], headers)
    assert got.status_code == 200 and got.data == PNG
    assert got.headers["Content-Type"] == "image/png"
    assert got.headers["X-Content-Type-Options"] == "nosniff"
    assert got.headers["Cache-Control"] == "no-store"
    assert "sandbox" in got.headers["Content-Security-Policy"]
    disposition = got.headers["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert "filename*=UTF-8''%E8%AF%9D%E5%8D%95%E6%88%AA%E5%9B%BE.png" in disposition
    listed = app.test_client().get(f"/api/v1/complaints/{cid}/attachments", headers=headers)
    assert [a["id"] for a in listed.get_json()["items"]] == [body["id"]]


def test_a_user_who_may_not_see_the_complaint_gets_404_for_its_attachments_by_url_and_api(
        rt, app):
    cid = file(rt).id                                  # routed to network
    headers = bearer(rt, "net")
    aid = api_upload(app, headers, cid, "账单.pdf", PDF).get_json()["id"]
    outsider = bearer(rt, "mkt")                       # marketing: not its complaint
    api = app.test_client()
    assert fetch(api, f"/api/v1/complaints/{cid}/attachments/{aid}", outsider).status_code == 404
    assert api.get(f"/api/v1/complaints/{cid}/attachments", headers=outsider).status_code == 404
    assert api_upload(app, outsider, cid, "x.pdf", PDF).status_code == 404
    other = file(rt, cause="tariff").id                # the file asked for under another complaint
    assert api.get(f"/api/v1/complaints/{other}/attachments/{aid}",
                   headers=bearer(rt, "desk")).status_code == 404
    browser = sign_in(app.test_client(), "mkt")
    assert browser.get(f"/complaints/{cid}/attachments/{aid}").status_code == 404
    assert page_upload(browser, cid, "x.pdf", PDF).status_code == 404
    assert len(rows(rt, cid)) == 1
    # Those who may see it get it: the auditor reads, the handler's page links it.
    auditor = sign_in(app.test_client(), "audit")
    assert fetch(auditor, f"/complaints/{cid}/attachments/{aid}").data == PDF
    assert auditor.get(f"/complaints/{cid}").status_code == 200
    assert page_upload(auditor, cid, "y.pdf", PDF).status_code == 403     # reads, never acts


def test_an_executable_named_as_a_pdf_is_refused_in_chinese_and_nothing_is_kept(rt, app):
    cid = file(rt).id
    before = version(rt, cid)
    answer = api_upload(app, bearer(rt, "net"), cid, "回复函.pdf", EXE)
    assert answer.status_code == 422
    assert "program" in answer.get_json()["errors"]["file"]
    browser = sign_in(app.test_client(), "net")
    shown = page_upload(browser, cid, "回复函.pdf", EXE, version=before)
    assert shown.status_code == 422
    assert "文件内容是可执行程序，不是文件名所示的PDF文件，已拒收" in page(shown)
    for content in (b"#!/bin/sh\nrm -rf /\n", b"\x7fELF\x02\x01\x01" + bytes(40)):
        assert api_upload(app, bearer(rt, "net"), cid, "a.pdf", content).status_code == 422
    # A real PNG named .pdf is refused too: the name must say what the content is.
    mismatch = page_upload(browser, cid, "账单.pdf", PNG, version=before)
    assert mismatch.status_code == 422 and "与文件名不符" in page(mismatch)
    assert rows(rt) == [] and stored_files(rt) == [] and version(rt, cid) == before


def test_two_uploads_of_the_same_name_keep_both_files(rt, app):
    cid = file(rt).id
    headers = bearer(rt, "net")
    first = api_upload(app, headers, cid, "录音.pdf", PDF).get_json()
    second = api_upload(app, headers, cid, "录音.pdf", PDF + b"% second\n").get_json()
    again = api_upload(app, headers, cid, "录音.pdf", PDF).get_json()      # same bytes again
    assert len({first["id"], second["id"], again["id"]}) == 3
    assert first["sha256"] == again["sha256"] != second["sha256"]
    assert len(stored_files(rt)) == 2                  # content-addressed: one file per content
    api = app.test_client()
    assert fetch(api, first["download"], headers).data == PDF
    assert fetch(api, second["download"], headers).data == PDF + b"% second\n"
    assert attach_events(rt, cid) == 3


def test_a_crash_between_writing_the_file_and_inserting_its_row_leaves_nothing_served(
        rt, app, monkeypatch):
    cid = file(rt).id
    before = version(rt, cid)

    def crash(conn, row):
        raise OSError("the process died here")
    monkeypatch.setattr(files, "add", crash)
    with pytest.raises(OSError):
        attaching.attach(rt, cid, actor(rt, "net"), name="账单.pdf", stream=io.BytesIO(PDF),
                         now=utcnow())
    monkeypatch.undo()
    assert len(stored_files(rt)) == 1                  # the file was in place ...
    assert rows(rt) == [] and attach_events(rt, cid) == 0 and version(rt, cid) == before
    headers = bearer(rt, "net")
    assert app.test_client().get(f"/api/v1/complaints/{cid}/attachments",
                                 headers=headers).get_json()["items"] == []
    assert app.test_client().get(f"/api/v1/complaints/{cid}/attachments/1",
                                 headers=headers).status_code == 404
    # ... and only the cleanup sees it: past the grace period it goes.
    assert attaching.orphans(rt) == []
    assert attaching.orphans(rt, older_than=-1) == stored_files(rt)
    assert attaching.remove_orphans(rt, older_than=-1) == 1 and stored_files(rt) == []


def test_a_crash_between_the_rename_and_the_commit_rolls_back_the_row_and_the_event(
        rt, app, monkeypatch):
    cid = file(rt).id
    before = version(rt, cid)
    real = attaching.apply_action

    def dies_before_commit(*args, **kwargs):
        real(*args, **kwargs)                          # row and event written, not committed
        raise RuntimeError("the process died before the commit")
    monkeypatch.setattr(attaching, "apply_action", dies_before_commit)
    with pytest.raises(RuntimeError):
        attaching.attach(rt, cid, actor(rt, "net"), name="账单.pdf", stream=io.BytesIO(PDF),
                         now=utcnow())
    monkeypatch.undo()
    assert rows(rt) == [] and attach_events(rt, cid) == 0 and version(rt, cid) == before
    with pytest.raises(NotFound):
        attaching.download(rt, cid, 1, actor(rt, "net"))
    # A file stays: no row names it, so nothing serves it; a later upload of the same
    # bytes reuses it and is served whole.
    later = attaching.attach(rt, cid, actor(rt, "net"), name="账单.pdf", stream=io.BytesIO(PDF),
                             now=utcnow())
    assert attaching.download(rt, cid, later.attachment["id"], actor(rt, "net")).path.read_bytes() == PDF
    assert attaching.orphans(rt, older_than=-1) == []


def test_a_crash_while_receiving_the_upload_leaves_only_a_temporary_file_never_served(rt, app):
    cid = file(rt).id

    class Breaks(io.BytesIO):
        def read(self, size=-1):
            if self.tell() > 0:
                raise ConnectionResetError("the client went away")
            return super().read(4)
    with pytest.raises(ConnectionResetError):
        attaching.attach(rt, cid, actor(rt, "net"), name="a.pdf", stream=Breaks(PDF),
                         now=utcnow())
    assert rows(rt) == [] and stored_files(rt) == []   # the temporary file was removed


def test_the_policy_size_limit_refuses_a_larger_file_with_the_limit_in_its_words(rt, app):
    text = Path("states/default_policy.toml").read_text("utf-8").replace(
        'max_size = "20 MB"', 'max_size = "1 KB"')
    stored = policy_admin.store(rt, text, source="small.toml", by="root", now=utcnow())
    policy_admin.activate(rt, stored.number, by="root", now=utcnow())
    cid = file(rt).id
    browser = sign_in(app.test_client(), "net")
    big = PDF + b"0" * 2048
    shown = page_upload(browser, cid, "大文件.pdf", big, version=version(rt, cid))
    assert shown.status_code == 422 and "文件超过处理规范允许的大小（最大 1 KB）" in page(shown)
    assert "不超过 1 KB" in page(browser.get(f"/complaints/{cid}"))
    answer = api_upload(app, bearer(rt, "net"), cid, "大文件.pdf", big)
    assert answer.status_code == 422 and "1 KB" in answer.get_json()["errors"]["file"]
    far_too_big = api_upload(app, bearer(rt, "net"), cid, "大文件.pdf", PDF + b"0" * 80_000)
    assert far_too_big.status_code == 413
    assert page_upload(browser, cid, "小文件.pdf", PDF).status_code == 302
    assert [r["original_name"] for r in rows(rt)] == ["小文件.pdf"]
    assert len(stored_files(rt)) == 1


def test_attaching_follows_the_process_table_closed_complaints_take_no_files(rt, app):
    cid = file(rt).id
    op, desk = actor(rt, "op"), actor(rt, "desk")
    services.act(rt, cid, "reply", op, now=utcnow(), comment="已答复客户")
    services.act(rt, cid, "close", op, now=utcnow(), satisfaction="satisfied")
    with pytest.raises(Exception) as refused:
        attaching.attach(rt, cid, desk, name="a.pdf", stream=io.BytesIO(PDF), now=utcnow())
    assert type(refused.value).__name__ == "ActionNotAllowed"
    # The generic action routes refuse `attach` without a file: nothing is attached.
    open_one = file(rt).id
    answer = app.test_client().post(f"/api/v1/complaints/{open_one}/actions/attach", json={},
                                    headers=bearer(rt, "net"))
    assert answer.status_code == 422 and "file" in answer.get_json()["errors"]
    with pytest.raises(ValidationError):
        attaching.attach(rt, open_one, desk, name="a.pdf", stream=None, now=utcnow())
    assert rows(rt) == [] and stored_files(rt) == []


def test_the_page_uploads_lists_and_shows_the_file_in_the_history(rt, app):
    cid = file(rt).id
    browser = sign_in(app.test_client(), "net")
    html = page(browser.get(f"/complaints/{cid}"))
    assert 'id="evidence"' in html and 'enctype="multipart/form-data"' in html
    done = page_upload(browser, cid, "通管局来函.pdf", PDF, comment="越级投诉来函",
                       version=version(rt, cid))
    assert done.status_code == 302 and done.headers["Location"].endswith("#evidence")
    html = page(browser.get(f"/complaints/{cid}"))
    aid = rows(rt, cid)[0]["id"]
    link = f"/complaints/{cid}/attachments/{aid}"
    assert html.count(f'href="{link}"') == 2           # in the evidence list and the history
    assert 'data-action="attach"' in html and "越级投诉来函" in html
    assert fetch(browser, link).data == PDF
    stale = page_upload(browser, cid, "again.pdf", PDF, version=version(rt, cid) - 1)
    assert stale.status_code == 409 and len(rows(rt, cid)) == 1


def test_the_customers_history_lists_exactly_the_visible_complaints_on_the_number_newest_first(
        rt, app):
    start = utcnow() - timedelta(days=40)
    mobile, other = "13900001111", "13900002222"
    older = file(rt, now=start, mobile=mobile).id                         # network
    marketing = file(rt, now=start + timedelta(days=1), mobile=mobile, cause="tariff").id
    newer = file(rt, now=start + timedelta(days=2), mobile=mobile, cause="roaming").id
    file(rt, now=start + timedelta(days=3), mobile=other)                  # another customer
    current = file(rt, now=start + timedelta(days=4), mobile=mobile).id
    services.act(rt, older, "reply", actor(rt, "op"), now=start + timedelta(days=1),
                 comment="已答复")
    services.act(rt, older, "close", actor(rt, "op"), now=start + timedelta(days=1),
                 satisfaction="unsatisfied")

    def listed(username):
        shown = sign_in(app.test_client(), username).get(f"/complaints/{current}")
        if shown.status_code == 404:
            return None
        html = page(shown)
        section = html[html.index('id="customer-history"'):]
        return [int(n) for n in re.findall(r'<tr data-complaint="(\d+)"', section)]
    assert listed("desk") == [newer, marketing, older]
    assert listed("net") == [newer, older]             # the tariff complaint is marketing's
    assert listed("mkt") is None                       # the current one is not theirs: 404
    with rt.uow(write=False) as uow:
        found, more = queries.customer_history(uow, load(uow, current), actor(rt, "desk"),
                                               limit=2)
    assert [r["id"] for r in found] == [newer, marketing] and more
    html = page(sign_in(app.test_client(), "desk").get(f"/complaints/{current}"))
    assert "不满意" in html[html.index('id="customer-history"'):]


def test_a_file_over_the_apps_form_limit_is_accepted_up_to_the_policy_size(rt, app):
    cid = file(rt).id
    big = PDF + b"%" * (600 * 1024)                    # over 256 KiB, far under 20 MB
    answer = api_upload(app, bearer(rt, "net"), cid, "录音转写.pdf", big)
    assert answer.status_code == 201 and answer.get_json()["size"] == len(big)
    browser = sign_in(app.test_client(), "net")
    assert page_upload(browser, cid, "录音转写.pdf", big).status_code == 302
    assert len(rows(rt, cid)) == 2 and len(stored_files(rt)) == 1
    # every other form keeps the app's limit
    assert browser.post(f"/complaints/{cid}", data={"do": "contact", "comment": "x" * 300_000,
                                                    "csrf_token": token(browser)}).status_code == 413
