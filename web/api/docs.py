"""The OpenAPI document as JSON and as a server-rendered reference page (no scripts, no CDN)."""
from __future__ import annotations

import json
from functools import lru_cache

from flask import jsonify, render_template_string

from web.api.blueprint import api
from web.api.openapi import document
from web.api.problems import PROBLEMS
from web.headers import csp_with_style

#: The page's one stylesheet, inline (the page is self-contained); the CSP allows it by hash.
STYLE = """body{font-family:sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#1e293b}
code,pre{background:#f1f5f9;border-radius:4px}pre{padding:.6rem;overflow:auto;font-size:.8rem}
.op{border:1px solid #cbd5e1;border-radius:6px;margin:1rem 0;padding:.4rem 1rem}
.method{font-weight:bold;text-transform:uppercase;margin-right:.5rem}
table{border-collapse:collapse}td,th{border:1px solid #e2e8f0;padding:.2rem .5rem;text-align:left}
"""
PAGE = """<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8">
<title>{{ doc.info.title }} {{ doc.info.version }}</title>
<style>{{ style }}</style></head><body>
<h1>{{ doc.info.title }} <small>{{ doc.info.version }}</small></h1>
<p>OpenAPI 3.1: <a href="openapi.json">openapi.json</a> · base URL <code>{{ doc.servers[0].url }}</code></p>
<pre>{{ doc.info.description }}</pre>
<h2>接口 / Operations</h2>
{% for path, item in doc.paths.items() %}{% for method, op in item.items() %}
<section class="op" id="{{ op.operationId }}">
<h3><span class="method">{{ method }}</span><code>{{ doc.servers[0].url }}{{ path }}</code></h3>
<p>{{ op.summary }}{% if op.security == [] %} (no token needed){% endif %}</p>
{% if op.description %}<p>{{ op.description }}</p>{% endif %}
{% if op.parameters %}<table><tr><th>parameter</th><th>in</th><th>required</th><th>schema</th><th>meaning</th></tr>
{% for p in op.parameters %}<tr><td><code>{{ p.name }}</code></td><td>{{ p["in"] }}</td>
<td>{{ "yes" if p.required else "no" }}</td><td><code>{{ p.schema | tojson }}</code></td>
<td>{{ p.description or "" }}</td></tr>{% endfor %}</table>{% endif %}
{% if op.requestBody %}<p>Body ({{ "required" if op.requestBody.required else "optional" }}):
{% for media, c in op.requestBody.content.items() %}<code>{{ media }}</code>
<a href="#schema-{{ c.schema['$ref'].split('/')[-1] }}">{{ c.schema['$ref'].split('/')[-1] }}</a>{% endfor %}</p>{% endif %}
<table><tr><th>status</th><th>meaning</th></tr>
{% for status, r in op.responses.items() %}<tr><td>{{ status }}</td><td>{{ r.description }}</td></tr>{% endfor %}
</table></section>{% endfor %}{% endfor %}
<h2>错误类型 / Problem types</h2>
<table><tr><th>type</th><th>status</th><th>title</th></tr>
{% for code, (status, title) in problems.items() %}
<tr id="problem-{{ code }}"><td><code>/api/v1/docs#problem-{{ code }}</code></td><td>{{ status }}</td><td>{{ title }}</td></tr>
{% endfor %}</table>
<h2>数据结构 / Schemas</h2>
{% for name, schema in doc.components.schemas.items() %}
<h3 id="schema-{{ name }}">{{ name }}</h3><pre>{{ pretty(schema) }}</pre>{% endfor %}
</body></html>
"""


@lru_cache(maxsize=1)
def cached_document() -> dict:
    """The document, built once per process (it depends only on code)."""
    return document()


@api.get("/openapi.json")
def openapi():
    """The OpenAPI 3.1 document."""
    return jsonify(cached_document())


@api.get("/docs")
def docs():
    """The API reference page, rendered on the server from the OpenAPI document."""
    body = render_template_string(PAGE, doc=cached_document(), problems=PROBLEMS, style=STYLE,
                                  pretty=lambda s: json.dumps(s, ensure_ascii=False, indent=2))
    return body, 200, {"Content-Security-Policy": csp_with_style(STYLE)}
