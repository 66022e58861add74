"""An evidence file as an HTTP download, the same for the pages and the API.

`Content-Disposition: attachment` (with RFC 5987's `filename*=UTF-8''…` for a Chinese
name, and an ASCII fallback), the type found from the file's content (never what the
uploader sent), `X-Content-Type-Options: nosniff`, a CSP that sandboxes the file should a
browser open it anyway, and no caching (evidence holds personal data).
"""
from __future__ import annotations

from flask import Response, send_file

from workflow.services.attaching import Download


def attachment_response(found: Download) -> Response:
    """The file of `found` as a download."""
    row = found.attachment
    response = send_file(found.path, mimetype=row["content_type"], as_attachment=True,
                         download_name=row["original_name"], conditional=False, etag=False,
                         max_age=0)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = ("default-src 'none'; script-src 'none'; "
                                                   "frame-ancestors 'none'; sandbox")
    return response
