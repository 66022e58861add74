"""The API's evidence files: upload (multipart/form-data), list, download.

`POST /complaints/{id}/attachments` takes a `file` part and an optional `comment` part,
and `If-Match` like any action; the answer (201) is the attachment with the complaint's
new version as its ETag. The file's limits (size, kinds) are the policy's; its type is
found from its content. Downloads are sent as in the pages (`web.downloads`). A
complaint the token's user may not see has no attachments either (404).
"""
from __future__ import annotations

from flask import current_app, g, jsonify, request

from web.api import schemas
from web.api.blueprint import PREFIX, api
from web.api.problems import ApiError
from web.api.represent import iso
from web.boundary import check_form
from web.current import runtime_of
from web.downloads import attachment_response
from workflow.services import attaching
from workflow.services.read import utcnow

ID = "<int(min=1, max=9223372036854775807):complaint_id>"
AID = "<int(min=1, max=9223372036854775807):attachment_id>"
#: Room for the comment part and the multipart framing around the file.
FORM_OVERHEAD = 64 * 1024


def attachment(row) -> dict:
    """One attachment as the API shows it, with its download link."""
    return {"id": row["id"], "complaint_id": row["complaint_id"], "name": row["original_name"],
            "size": row["size"], "content_type": row["content_type"], "format": row["format"],
            "sha256": row["sha256"], "uploaded_by": row["uploaded_by"],
            "uploaded_at": iso(row["uploaded_at"]), "comment": row["comment"],
            "download": f"{request.script_root}{PREFIX}/complaints/{row['complaint_id']}"
                        f"/attachments/{row['id']}"}


@api.route(f"/complaints/{ID}/attachments", methods=["GET", "POST"])
def attachments_of(complaint_id: int):
    """GET: the complaint's evidence files; POST: attach one. One rule for both methods:
    with two, Werkzeug answers an id out of range with 405 instead of 404."""
    if request.method == "POST":
        return upload_attachment(complaint_id)
    return list_attachments(complaint_id)


def upload_attachment(complaint_id: int):
    """Attach an evidence file (multipart/form-data: `file`, optional `comment`)."""
    schemas.query(set())
    rt, actor = runtime_of(current_app), g.api_actor
    expected = schemas.expected_version()
    request.max_content_length = rt.policy.attachment_max_bytes + FORM_OVERHEAD
    if request.mimetype != "multipart/form-data":
        raise ApiError("unsupported_media_type", "multipart_expected",
                       params={"sent": repr(request.mimetype or "nothing")})
    unknown = set(request.form) - {"comment"} | set(request.files) - {"file"}
    if unknown:
        raise ApiError("validation_error", "unknown_parts",
                       params={"parts": ", ".join(sorted(unknown))},
                       errors=dict.fromkeys(sorted(unknown), "unknown field"))
    check_form(request.form)        # UnsafeInput: 422 naming the part
    sent = request.files.get("file")
    attached = attaching.attach(
        rt, complaint_id, actor, name=sent.filename if sent else None,
        stream=sent.stream if sent and sent.filename else None, now=utcnow(),
        comment=(request.form.get("comment") or "").strip(), expected_version=expected)
    body = attachment(attached.attachment)
    response = jsonify(body)
    response.status_code = 201
    response.headers["Location"] = body["download"]
    response.headers["ETag"] = f'"{attached.complaint.version}"'
    return response


def list_attachments(complaint_id: int):
    """The complaint's evidence files, oldest first."""
    schemas.query(set())
    rows = attaching.listed(runtime_of(current_app), complaint_id, g.api_actor)
    return {"complaint_id": complaint_id, "items": [attachment(r) for r in rows]}


@api.get(f"/complaints/{ID}/attachments/{AID}")
def download_attachment(complaint_id: int, attachment_id: int):
    """One evidence file's content, as a download."""
    schemas.query(set())
    found = attaching.download(runtime_of(current_app), complaint_id, attachment_id,
                               g.api_actor)
    return attachment_response(found)
