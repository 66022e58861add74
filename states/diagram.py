"""The process definition rendered three ways from the one transition table:
JSON (for the API), Mermaid `stateDiagram-v2` text, and a self-contained SVG (for the
web page, with the current state highlighted; no Graphviz or JavaScript needed).
"""
from __future__ import annotations

from html import escape

from states.catalogue import ACTION_NAMES, STATE_NAMES
from states.fields import ACTION_FIELDS
from states.process import INTAKE_ROLES, TRANSITIONS, State


def definition() -> dict:
    """The process as JSON-ready data: states, transitions (with roles and guards), fields."""
    return {
        "initial": State.received.value,
        "states": [{"name": s.value, "label_zh": STATE_NAMES[s.value][0],
                    "label_en": STATE_NAMES[s.value][1], "final": s is State.closed}
                   for s in State],
        "intake_roles": sorted(r.value for r in INTAKE_ROLES),
        "transitions": [{
            "action": t["trigger"],
            "source": [s.value for s in t["source"]],
            "dest": t["dest"].value if t["dest"] else None,
            "roles": [r.value for r in t["roles"]],
            "conditions": [t["conditions"]] if t.get("conditions") else [],
            "unless": [t["unless"]] if t.get("unless") else [],
            "fields": list(ACTION_FIELDS[t["trigger"]]),
        } for t in TRANSITIONS],
    }


def _edges() -> dict[tuple[str, str], list[str]]:
    """(source, dest) -> actions; an internal action is an edge from a state to itself."""
    edges: dict[tuple[str, str], list[str]] = {}
    for t in TRANSITIONS:
        for source in t["source"]:
            dest = (t["dest"] or source).value
            names = edges.setdefault((source.value, dest), [])
            if t["trigger"] not in names:
                names.append(t["trigger"])
    return edges


def mermaid(highlight: str | None = None) -> str:
    """Mermaid stateDiagram-v2 text; `highlight` marks the current state."""
    lines = ["stateDiagram-v2", f"    [*] --> {State.received.value}: intake"]
    for (source, dest), actions in _edges().items():
        lines.append(f"    {source} --> {dest}: {', '.join(actions)}")
    lines.append(f"    {State.closed.value} --> [*]")
    if highlight:
        lines += ["    classDef current fill:#fde68a,stroke:#b45309,stroke-width:3px",
                  f"    class {highlight} current"]
    return "\n".join(lines) + "\n"


_STEP = 200
_POS = {"received": (80, 150), "assigned": (280, 150), "handling": (480, 150),
        "replied": (680, 150), "closed": (880, 150), "reopened": (580, 330)}
_W, _H = 150, 56


def _label(actions: list[str]) -> str:
    return "、".join(ACTION_NAMES[a][0] for a in actions)


def _edge_path(a, b):
    (x1, y1), (x2, y2) = _POS[a], _POS[b]
    if y1 == y2:                                   # along the top row
        span = (x2 - x1) / _STEP
        if abs(span) == 1:                         # neighbours: straight
            sx = x1 + _W / 2 * (1 if span > 0 else -1)
            ex = x2 - _W / 2 * (1 if span > 0 else -1)
            if span < 0:                           # backward neighbour: below the row
                return (f"M{x1 - 30},{y1 + _H / 2} Q{(x1 + x2) / 2},{y1 + 80} "
                        f"{x2 + 30},{y2 + _H / 2}", ((x1 + x2) / 2, y1 + 72))
            return f"M{sx},{y1} L{ex},{y2}", ((x1 + x2) / 2, y1 - 6)
        ctrl = y1 - _H / 2 - 50 - 40 * abs(span)  # longer jumps arc higher above
        apex = (y1 - _H / 2 + ctrl) / 2
        return (f"M{x1},{y1 - _H / 2} Q{(x1 + x2) / 2},{ctrl} {x2},{y2 - _H / 2}",
                ((x1 + x2) / 2, apex - 6))
    sy = y1 + (_H / 2 if y2 > y1 else -_H / 2)
    ey = y2 - (_H / 2 if y2 > y1 else -_H / 2)
    return f"M{x1},{sy} L{x2},{ey}", ((x1 + x2) / 2 + (14 if x2 >= x1 else -14), (sy + ey) / 2)


def svg(highlight: str | None = None) -> str:
    """A standalone SVG of the process; the `highlight` state is drawn filled."""
    out = ['<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 960 380" '
           'role="img" aria-label="投诉处理流程图" class="process-diagram" '
           'font-family="sans-serif" font-size="12">',
           '<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" '
           'markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" '
           'fill="#475569"/></marker></defs>']
    loops: dict[str, list[str]] = {}
    for (a, b), actions in _edges().items():
        if a == b:
            loops[a] = actions
            continue
        path, (lx, ly) = _edge_path(a, b)
        out.append(f'<path d="{path}" fill="none" stroke="#475569" stroke-width="1.4" '
                   f'marker-end="url(#arrow)"><title>{escape(", ".join(actions))}</title></path>')
        out.append(f'<text x="{lx:.0f}" y="{ly:.0f}" text-anchor="middle" fill="#1e293b" '
                   f'font-size="11">{escape(_label(actions))}</text>')
    for state, (x, y) in _POS.items():
        current = state == highlight
        fill, stroke = ("#fde68a", "#b45309") if current else ("#f8fafc", "#334155")
        out.append(f'<g class="state{" current" if current else ""}" data-state="{state}">'
                   f'<rect x="{x - _W / 2}" y="{y - _H / 2}" width="{_W}" height="{_H}" rx="10" '
                   f'fill="{fill}" stroke="{stroke}" stroke-width="{3 if current else 1.5}"/>'
                   f'<text x="{x}" y="{y - 4 if state in loops else y + 5}" text-anchor="middle" '
                   f'font-size="14" font-weight="{"bold" if current else "normal"}">'
                   f'{escape(STATE_NAMES[state][0])}</text>')
        if state in loops:   # actions that keep the state, written inside the box
            out.append(f'<text x="{x}" y="{y + 15}" text-anchor="middle" fill="#64748b" '
                       f'font-size="9">↻ {escape(_label(loops[state]))}</text>')
        out.append('</g>')
    out.append("</svg>")
    return "\n".join(out)
