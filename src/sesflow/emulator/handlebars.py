"""The Handlebars subset SES renders stored templates with: variables and nested paths (``{{a.b}}``,
``{{this}}``, ``{{../x}}``, ``{{@index}}``), ``#if``/``#unless`` (with ``else`` and ``else if``), ``#each``
over lists and objects, ``#with``, inline partials (``{{#* inline "p"}}`` and ``{{> p}}``), comments and
``~`` whitespace control.

Why a small renderer rather than pybars3: SES's behaviour is narrower than Handlebars' — nothing is
HTML-escaped (``{{x}}`` equals ``{{{x}}}``), and a variable missing from the data is a rendering failure
rather than an empty string — and pybars3 implements neither rule, is unmaintained and LGPL.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

_TAG = re.compile(r"(\{\{\{~?.*?~?\}\}\}|\{\{!--.*?--\}\}|\{\{.*?\}\})", re.S)
_MISSING = object()


class TemplateSyntaxError(ValueError):
    """The template does not parse (an unclosed block, a stray ``{{/if}}``, ...)."""


class RenderError(ValueError):
    """Rendering failed: the data lacks an attribute the template prints, or a partial is unknown."""


@dataclass(slots=True)
class _Node:
    kind: str  # text | var | block | partial | inline
    value: str = ""
    arg: str = ""
    body: list[_Node] = field(default_factory=list)
    otherwise: list[_Node] = field(default_factory=list)


def _tokens(source: str) -> list[tuple[str, str]]:
    """(kind, content) pieces, with ``~`` trimming applied to the neighbouring text."""
    pieces: list[tuple[str, str]] = []
    for part in _TAG.split(source):
        if not part:
            continue
        if not part.startswith("{{"):
            pieces.append(("text", part))
            continue
        inner = part[3:-3] if part.startswith("{{{") else part[2:-2]
        trim_left, trim_right = inner.startswith("~"), inner.endswith("~")
        inner = inner.strip("~").strip()
        if trim_left and pieces and pieces[-1][0] == "text":
            pieces[-1] = ("text", pieces[-1][1].rstrip())
        pieces.append(("tag", inner))
        if trim_right:
            pieces.append(("trim", ""))
    out: list[tuple[str, str]] = []
    trim = False
    for kind, content in pieces:
        if kind == "trim":
            trim = True
            continue
        if kind == "text" and trim:
            content = content.lstrip()
        trim = False
        out.append((kind, content))
    return out


def parse(source: str) -> list[_Node]:
    """The template's syntax tree; raises ``TemplateSyntaxError``."""
    root: list[_Node] = []
    # (open block, the list it sits in, opened by {{else if}} and so closed with the block before it)
    stack: list[tuple[_Node, list[_Node], bool]] = []
    current = root
    for kind, content in _tokens(source):
        if kind == "text":
            current.append(_Node("text", content))
        elif content.startswith("!"):
            continue
        elif content.startswith("#*"):
            name = content[2:].strip()
            if not name.startswith("inline"):
                raise TemplateSyntaxError(f"Unknown decorator: {{{{{content}}}}}")
            node = _Node("inline", "inline", name[6:].strip().strip("\"'"))
            current.append(node)
            stack.append((node, current, False))
            current = node.body
        elif content.startswith("#"):
            node = _open(content[1:], ("if", "unless", "each", "with"))
            current.append(node)
            stack.append((node, current, False))
            current = node.body
        elif content == "else" or content.startswith("else "):
            if not stack or stack[-1][0].kind != "block":
                raise TemplateSyntaxError("{{else}} outside a block")
            block = stack[-1][0]
            current = block.otherwise
            if content != "else":  # {{else if x}}: a block in the else branch, closed by the same {{/if}}
                nested = _open(content[5:], ("if", "unless"))
                current.append(nested)
                stack.append((nested, current, True))
                current = nested.body
        elif content.startswith("/"):
            name = content[1:].strip()
            while stack and stack[-1][2]:
                stack.pop()
            if not stack or stack[-1][0].value != name:
                raise TemplateSyntaxError(f"{{{{/{name}}}}} does not close an open block")
            current = stack.pop()[1]
        elif content.startswith(">"):
            current.append(_Node("partial", content[1:].strip().strip("\"'")))
        else:
            current.append(_Node("var", content))
    if stack:
        raise TemplateSyntaxError(f"{{{{#{stack[-1][0].value}}}}} is not closed")
    return root


def _open(content: str, helpers: tuple[str, ...]) -> _Node:
    """A block node from ``if x`` / ``each items`` (the text after ``#`` or ``else``)."""
    helper, _, arg = content.strip().partition(" ")
    if helper not in helpers:
        raise TemplateSyntaxError(f"Unknown helper: {helper!r}")
    if not arg.strip():
        raise TemplateSyntaxError(f"{{{{#{helper}}}}} needs an argument")
    return _Node("block", helper, arg.strip())


@dataclass(slots=True)
class _Frame:
    value: Any
    index: int | None = None
    key: str | None = None
    first: bool = False
    last: bool = False


def _lookup(path: str, stack: list[_Frame]) -> Any:
    if path in ("this", "."):
        return stack[-1].value
    if path.startswith("@"):
        name = path[1:]
        if name.startswith("root"):
            return _walk(stack[0].value, name[5:]) if name != "root" else stack[0].value
        frame = stack[-1]
        return {"index": frame.index, "key": frame.key, "first": frame.first, "last": frame.last}.get(
            name, _MISSING
        )
    depth = len(stack) - 1
    while path.startswith("../"):
        path = path[3:]
        depth = max(depth - 1, 0)
    if path.startswith("this."):
        path = path[5:]
    elif path.startswith("./"):
        path = path[2:]
    return _walk(stack[depth].value, path)


def _walk(value: Any, path: str) -> Any:
    for name in path.split("."):
        if not name:
            continue
        if isinstance(value, dict) and name in value:
            value = value[name]
        elif isinstance(value, list) and name.isdigit() and int(name) < len(value):
            value = value[int(name)]
        else:
            return _MISSING
    return value


def _truthy(value: Any) -> bool:
    if value is _MISSING or value is None or value is False:
        return False
    if isinstance(value, int | float) and not isinstance(value, bool):
        return value != 0
    return not (isinstance(value, str | list | dict) and len(value) == 0)


def _text(value: Any) -> str:
    """A value printed as JavaScript would (``true``, ``1.5``, ``a,b``, ``[object Object]``)."""
    if value is None:
        return ""
    if value is True or value is False:
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, list):
        return ",".join(_text(v) for v in value)
    if isinstance(value, dict):
        return "[object Object]"
    return str(value)


def _render(
    nodes: list[_Node], stack: list[_Frame], partials: dict[str, list[_Node]], out: list[str]
) -> None:
    for node in nodes:
        if node.kind == "text":
            out.append(node.value)
        elif node.kind == "var":
            value = _lookup(node.value, stack)
            if value is _MISSING:
                raise RenderError(f"Attribute '{node.value}' is not present in the rendering data.")
            out.append(_text(value))
        elif node.kind == "inline":
            partials[node.arg] = node.body
        elif node.kind == "partial":
            if node.value not in partials:
                raise RenderError(f"The partial {node.value!r} could not be found.")
            _render(partials[node.value], stack, partials, out)
        else:
            _block(node, stack, partials, out)


def _block(node: _Node, stack: list[_Frame], partials: dict[str, list[_Node]], out: list[str]) -> None:
    value = _lookup(node.arg, stack)
    if node.value in ("if", "unless"):
        chosen = node.body if _truthy(value) == (node.value == "if") else node.otherwise
        _render(chosen, stack, partials, out)
    elif node.value == "with":
        if _truthy(value):
            _render(node.body, [*stack, _Frame(value)], partials, out)
        else:
            _render(node.otherwise, stack, partials, out)
    elif isinstance(value, list) and value:
        for i, item in enumerate(value):
            frame = _Frame(item, i, None, i == 0, i == len(value) - 1)
            _render(node.body, [*stack, frame], partials, out)
    elif isinstance(value, dict) and value:
        keys = list(value)
        for i, key in enumerate(keys):
            frame = _Frame(value[key], i, key, i == 0, i == len(keys) - 1)
            _render(node.body, [*stack, frame], partials, out)
    else:
        _render(node.otherwise, stack, partials, out)


def render(source: str, data: Any) -> str:
    """Render ``source`` with ``data``; ``TemplateSyntaxError`` or ``RenderError`` when SES would fail."""
    out: list[str] = []
    _render(parse(source), [_Frame(data)], {}, out)
    return "".join(out)


def check_syntax(source: str) -> None:
    """Raise ``TemplateSyntaxError`` when ``source`` does not parse."""
    parse(source)
