"""The application's JSON provider: responses encoded by orjson.

Flask's default provider runs the standard library's encoder with sorted keys; an API
action answers ~2 KB of JSON, which orjson encodes about ten times faster. Datetimes and
dataclasses are passed to Flask's own `default` so they come out exactly as Flask
would write them (HTTP dates, dicts); keys keep the order the code builds them in, and
non-ASCII text (the Chinese labels) is written as UTF-8 rather than \\u escapes.
orjson refuses a string holding a lone surrogate (which rows written before the input
check may hold): only then is the answer encoded again with such characters replaced
(`web.boundary.clean_deep`), so stored data never makes an answer fail.
Request bodies are still parsed by the standard library (its errors and number
handling are what the API's validation expects).
"""
from __future__ import annotations

import orjson
from flask.json.provider import DefaultJSONProvider

from web.boundary import clean_deep

_OPTIONS = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS


def encode(obj, default) -> bytes:
    """orjson's bytes for `obj`; strings it cannot encode are cleaned first."""
    try:
        return orjson.dumps(obj, default=default, option=_OPTIONS)
    except orjson.JSONEncodeError:
        return orjson.dumps(clean_deep(obj), default=default, option=_OPTIONS)


class OrjsonProvider(DefaultJSONProvider):
    """`DefaultJSONProvider` with orjson for `dumps` and `response`."""

    sort_keys = False

    def dumps(self, obj, **kwargs) -> str:
        if kwargs:   # options only the standard library understands (indent, ...)
            return super().dumps(obj, **kwargs)
        return encode(obj, self.default).decode()

    def response(self, *args, **kwargs):
        obj = self._prepare_response_obj(args, kwargs)
        if self._app.debug:   # pretty-printed, as Flask does in debug mode
            return super().response(obj)
        return self._app.response_class(
            encode(obj, self.default) + b"\n",
            mimetype=self.mimetype)
