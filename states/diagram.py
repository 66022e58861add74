"""The process definition rendered three ways from the one transition table:
JSON (for the API), Mermaid `stateDiagram-v2` text, and a self-contained SVG (for the
web page, with the current state highlighted; no Graphviz or JavaScript needed).
"""
from __future__ import annotations

from html import escape

from states.catalogue import ACTION_NAMES, STATE_NAMES
from states.fields import ACTION_FIELDS
from states.process import INTAKE_ROLES, TRANSITIONS, State, guard_names


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
            "conditions": guard_names(t.get("conditions")),
            "unless": guard_names(t.get("unless")),
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


_STEP = 230
_Y, _Y2 = 160, 370          # the top row, and the reopened box below it
_POS = {"received": (95, _Y), "assigned": (95 + _STEP, _Y), "handling": (95 + 2 * _STEP, _Y),
        "replied": (95 + 3 * _STEP, _Y), "closed": (95 + 4 * _STEP, _Y),
        "reopened": (95 + 2.5 * _STEP, _Y2)}
_W = 140                    # box width; the gap between neighbours holds a label
_WIDTH, _HEIGHT = 95 * 2 + 4 * _STEP, _Y2 + 70


def _names(actions: list[str], lang: str) -> list[str]:
    return [ACTION_NAMES[a][1 if lang == "en" else 0] for a in actions]


def _label(actions: list[str], lang: str = "zh") -> str:
    return (", " if lang == "en" else "、").join(_names(actions, lang))


def _loop_lines(actions: list[str], lang: str) -> list[str]:
    """The actions that keep a state, written inside its box: two a line in Chinese, one
    a line in English, so that no line is wider than the box."""
    names, per = _names(actions, lang), (1 if lang == "en" else 2)
    sep = ", " if lang == "en" else "、"
    return [sep.join(names[i:i + per]) for i in range(0, len(names), per)]


def _box_height(loops: dict[str, list[str]], lang: str) -> int:
    lines = max((len(_loop_lines(a, lang)) for a in loops.values()), default=0)
    return 44 + 13 * lines


def _edge_path(a, b, h):
    (x1, y1), (x2, y2) = _POS[a], _POS[b]
    if y1 == y2:                                   # along the top row
        span = (x2 - x1) / _STEP
        if abs(span) == 1:                         # neighbours: straight
            sx = x1 + _W / 2 * (1 if span > 0 else -1)
            ex = x2 - _W / 2 * (1 if span > 0 else -1)
            if span < 0:                           # backward neighbour: below the row
                # its label sits in the gap between the boxes, under the forward arrow
                return (f"M{x1 - 30},{y1 + h / 2} Q{(x1 + x2) / 2},{y1 + h / 2 + 60} "
                        f"{x2 + 30},{y2 + h / 2}", ((x1 + x2) / 2, y1 + 18))
            return f"M{sx},{y1} L{ex},{y2}", ((x1 + x2) / 2, y1 - 8)
        ctrl = y1 - h / 2 - 40 - 30 * abs(span)   # longer jumps arc higher above
        apex = (y1 - h / 2 + ctrl) / 2
        return (f"M{x1},{y1 - h / 2} Q{(x1 + x2) / 2},{ctrl} {x2},{y2 - h / 2}",
                ((x1 + x2) / 2, apex - 6))
    sy = y1 + (h / 2 if y2 > y1 else -h / 2)
    ey = y2 - (h / 2 if y2 > y1 else -h / 2)
    # up from the lower box: the label near its start, where the lines are apart
    at = 0.3 if y1 > y2 else 0.5
    lx, ly = x1 + (x2 - x1) * at, sy + (ey - sy) * at
    return f"M{x1},{sy} L{x2},{ey}", (lx + (8 if x2 >= x1 else -8), ly)


def _text_lines(x: float, y: float, lines: list[str], size: int, **attrs) -> str:
    anchor = attrs.pop("anchor", "middle")
    extra = " ".join(f'{k.replace("_", "-")}="{v}"' for k, v in attrs.items())
    spans = "".join(f'<tspan x="{x:.0f}" dy="{0 if i == 0 else size + 2}">{escape(line)}</tspan>'
                    for i, line in enumerate(lines))
    return (f'<text x="{x:.0f}" y="{y:.0f}" text-anchor="{anchor}" font-size="{size}" {extra}>'
            f'{spans}</text>')


def svg(highlight: str | None = None, lang: str = "zh") -> str:
    """A standalone SVG of the process in `lang` ("zh" or "en"); the `highlight` state is
    drawn filled. Labels between neighbours fit their gap; a long one is split in lines,
    and the actions that keep a state are written inside its box, a few a line."""
    edges = _edges()
    loops = {a: actions for (a, b), actions in edges.items() if a == b}
    h = _box_height(loops, lang)
    title = "Complaint process" if lang == "en" else "投诉处理流程图"
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {_WIDTH} {_HEIGHT}" '
           f'role="img" aria-label="{title}" class="process-diagram" '
           'font-family="sans-serif" font-size="12">',
           '<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" '
           'markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" '
           'fill="#475569"/></marker></defs>']
    gap = _STEP - _W - 8
    for (a, b), actions in edges.items():
        if a == b:
            continue
        path, (lx, ly) = _edge_path(a, b, h)
        out.append(f'<path d="{path}" fill="none" stroke="#475569" stroke-width="1.4" '
                   f'marker-end="url(#arrow)"><title>{escape(_label(actions, lang))}</title></path>')
        names = _names(actions, lang)
        one_line = _label(actions, lang)
        neighbours = _POS[a][1] == _POS[b][1] and abs(_POS[a][0] - _POS[b][0]) == _STEP
        width = sum(7 if ord(ch) < 128 else 12 for ch in one_line)
        lines = names if neighbours and width > gap else [one_line]
        top = ly - (len(lines) - 1) * 13 if neighbours and _POS[a][0] < _POS[b][0] else ly
        diagonal = _POS[a][1] != _POS[b][1]
        anchor = ("start" if _POS[b][0] >= _POS[a][0] else "end") if diagonal else "middle"
        out.append(_text_lines(lx, top, lines, 11, fill="#1e293b", anchor=anchor))
    for state, (x, y) in _POS.items():
        current = state == highlight
        fill, stroke = ("#fde68a", "#b45309") if current else ("#f8fafc", "#334155")
        label = STATE_NAMES[state][1 if lang == "en" else 0]
        inner = _loop_lines(loops[state], lang) if state in loops else []
        title_y = y - (len(inner) * 13) / 2 + 5
        out.append(f'<g class="state{" current" if current else ""}" data-state="{state}">'
                   f'<rect x="{x - _W / 2}" y="{y - h / 2}" width="{_W}" height="{h}" rx="10" '
                   f'fill="{fill}" stroke="{stroke}" stroke-width="{3 if current else 1.5}"/>'
                   f'<text x="{x}" y="{title_y:.0f}" text-anchor="middle" '
                   f'font-size="14" font-weight="{"bold" if current else "normal"}">'
                   f'{escape(label)}</text>')
        if inner:   # actions that keep the state, written inside the box
            out.append(_text_lines(x, title_y + 16, [("↻ " if i == 0 else "") + line
                                                     for i, line in enumerate(inner)],
                                   10, fill="#64748b"))
        out.append('</g>')
    out.append("</svg>")
    return "\n".join(out)
