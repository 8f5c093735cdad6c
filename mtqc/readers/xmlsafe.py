"""Safe XML parsing with element line numbers, and inline content: text and codes.

Parsing goes through :mod:`defusedxml`: entity declarations, external entity references
and document types with an internal subset (where entities are declared — the
"billion laughs" bomb lives there) are refused before anything is expanded. A bare
``<!DOCTYPE tmx SYSTEM "tmx14.dtd">``, which most TMX exports carry, is accepted: it
declares nothing and expat never fetches it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any
from xml.etree.ElementTree import Element, ParseError, TreeBuilder

from defusedxml import DefusedXmlException
from defusedxml.common import DTDForbidden
from defusedxml.ElementTree import XMLParser

from mtqc.errors import InputError
from mtqc.readers.decode import Source

XML_NS = "{http://www.w3.org/XML/1998/namespace}"
_UNSAFE_PROBLEM = "XML declares an entity/DTD, which mtqc refuses to expand for safety"
_UNSAFE_HINT = (
    "remove the <!DOCTYPE ...[...]> block and any <!ENTITY ...> declarations; "
    "XLIFF and TMX files need neither"
)


class _Parser(XMLParser):
    """defusedxml's parser, but a DOCTYPE without an internal subset is allowed."""

    def __init__(self, target: TreeBuilder):
        super().__init__(target=target, forbid_dtd=True, forbid_entities=True, forbid_external=True)

    def defused_start_doctype_decl(self, name, sysid, pubid, has_internal_subset):  # noqa: D102
        if has_internal_subset:
            raise DTDForbidden(name, sysid, pubid)


class XmlDoc:
    """A parsed document: ``root`` and :meth:`line` for any element of it."""

    def __init__(self, root: Element, lines: dict[int, int]):
        self.root = root
        self._lines = lines

    def line(self, elem: Element) -> int:
        """The 1-based line of ``elem``'s start tag."""
        return self._lines.get(id(elem), 0)


def parse(source: Source) -> XmlDoc:
    """Parse ``source.text`` safely; errors become :class:`InputError` with line/column.

    defusedxml's parser keeps its safety handlers (DOCTYPE, entity declarations,
    external references); the element handlers are replaced by lean ones that feed the
    C tree builder and record each element's line (``CurrentLineNumber`` at the start
    tag), which is about twice as fast as going through the pure-Python handlers.
    """
    builder = TreeBuilder()
    parser = _Parser(builder)
    expat = parser.parser
    lines: dict[int, int] = {}
    names: dict[str, str] = {}

    def fix(name: str) -> str:
        fixed = names.get(name)
        if fixed is None:
            fixed = names[name] = "{" + name if "}" in name else name
        return fixed

    def start(tag: str, attrs: list[str]) -> None:
        attrib = {fix(attrs[i]): attrs[i + 1] for i in range(0, len(attrs), 2)} if attrs else {}
        lines[id(builder.start(fix(tag), attrib))] = expat.CurrentLineNumber

    def end(tag: str) -> None:
        builder.end(fix(tag))

    expat.StartElementHandler = start
    expat.EndElementHandler = end
    try:
        parser.feed(source.text)
        root = parser.close()
    except DefusedXmlException:
        raise InputError(
            source.name, _UNSAFE_PROBLEM, line=expat.CurrentLineNumber, hint=_UNSAFE_HINT
        ) from None
    except ParseError as exc:
        line, column = exc.position
        reason = re.sub(r": line \d+, column \d+$", "", str(exc))
        raise InputError(
            source.name,
            f"is not well-formed XML: {reason} (line {line}, column {column + 1})",
            line=line,
            hint="fix the XML at that position (an unescaped & or <, or a tag left open?)",
        ) from None
    return XmlDoc(root, lines)


def parse_document(source: Source, root_name: str, kind: str) -> XmlDoc:
    """Parse ``source`` safely and check that its root element is ``<root_name>``."""
    doc = parse(source)
    found = local(doc.root.tag)
    if found != root_name:
        raise InputError(
            source.name,
            f"the root element is <{found}>, not <{root_name}>",
            line=doc.line(doc.root),
            hint=f"give {kind} file, or pass the right --input-format",
        )
    return doc


def local(tag: str) -> str:
    """The tag without its ``{namespace}``."""
    return tag.rpartition("}")[2]


def descendants(elem: Element, name: str) -> Iterator[Element]:
    """``elem`` and the elements under it whose local name is ``name``, in document order."""
    for e in elem.iter():
        if local(e.tag) == name:
            yield e


def attributes(elem: Element, *, skip: str) -> dict[str, str]:
    """``elem``'s attributes but ``skip``, for ``meta``; ``xml:`` names are written so."""
    return {
        ("xml:" + k[len(XML_NS) :] if k.startswith(XML_NS) else k): v
        for k, v in elem.attrib.items()
        if k != skip
    }


def children(elem: Element, name: str) -> list[Element]:
    """Direct children of ``elem`` whose local name is ``name``."""
    return [c for c in elem if local(c.tag) == name]


def child(elem: Element, name: str) -> Element | None:
    """The first direct child of ``elem`` whose local name is ``name``."""
    for c in elem:
        if local(c.tag) == name:
            return c
    return None


def _codepoint(hex_value: str) -> str:
    try:
        return chr(int(hex_value, 16))
    except (ValueError, OverflowError):
        return ""


def tidy(text: str, *, preserve: bool) -> str:
    """Undo pretty-printing unless ``xml:space="preserve"``.

    Whitespace around each line break becomes one space, and is dropped at the ends;
    spaces within a line are kept (a double space can be a real error to flag).
    """
    if preserve or "\n" not in text:
        return text
    lines = text.split("\n")
    last = len(lines) - 1
    pieces = []
    for i, line in enumerate(lines):
        if i > 0:
            line = line.lstrip()
        if i < last:
            line = line.rstrip()
        if line:
            pieces.append(line)
    return " ".join(pieces)


def preserves_space(*elems: Element | None) -> bool:
    """Whether the innermost of ``elems`` that sets ``xml:space`` says ``preserve``."""
    for elem in elems:
        if elem is not None:
            value = elem.get(XML_NS + "space")
            if value is not None:
                return value == "preserve"
    return False


# --------------------------------------------------------------------------- inline codes


@dataclass(frozen=True, slots=True)
class Code:
    """What to do with an inline element (see :func:`inline`).

    ``token`` set: the element is one opaque code, written as ``token`` in the text (its
    content, native code, is not text). ``token`` None: the element's text is kept, between
    ``open`` and ``close`` (either may be ``""``: a zero-width code, still recorded).
    ``drop``: the element and its content are not part of the text (a deleted change).
    """

    kind: str
    id: str | None = None
    token: str | None = None
    open: str | None = None
    close: str | None = None
    drop: bool = False


def placeholder(name: str, code_id: str | None) -> str:
    """The visible token of a code that says nothing else: ``{x:ID}`` (``{x}`` without id)."""
    return f"{{{name}:{code_id}}}" if code_id else f"{{{name}}}"


#: decides for one inline element: a :class:`Code`, or None (plain text: keep its content)
Classify = Callable[[Element], "Code | None"]


def inline(
    elem: Element, classify: Classify, *, preserve: bool
) -> tuple[str, list[dict[str, Any]]]:
    """The text of ``elem`` with its inline codes as opaque tokens, and the codes' spans.

    Each span is ``{"start", "end", "code", "id", "text"}`` (half-open code-point offsets
    into the returned text, which is tidied as :func:`tidy` does unless ``preserve``); a
    zero-width span marks a code written as nothing (a formatting wrapper without an
    ``equiv``). Iterative, so deep nesting is safe. XLIFF 2.0 ``<cp hex>`` becomes its
    code point.
    """
    pieces: list[str | tuple[str, Code]] = [elem.text or ""]
    stack = [(elem, iter(elem), None)]
    while stack:
        node, it, code = stack[-1]
        nxt = next(it, None)
        if nxt is None:
            stack.pop()
            if stack:
                if code is not None:
                    pieces.append((code.close or "", code))
                pieces.append(node.tail or "")
            continue
        name = local(nxt.tag)
        if name == "cp":
            pieces.append(_codepoint(nxt.get("hex", "")))
            pieces.append(nxt.tail or "")
            continue
        found = classify(nxt)
        if found is None or (found.token is None and not found.drop):
            if found is not None:
                pieces.append((found.open or "", found))
            pieces.append(nxt.text or "")
            stack.append((nxt, iter(nxt), found))
            continue
        if not found.drop:
            pieces.append((found.token or "", found))
        pieces.append(nxt.tail or "")
    return _assemble(pieces, preserve=preserve)


def _assemble(
    pieces: list[str | tuple[str, Code]], *, preserve: bool
) -> tuple[str, list[dict[str, Any]]]:
    codes = [p for p in pieces if isinstance(p, tuple)]
    if not codes:
        return tidy("".join(p for p in pieces if isinstance(p, str)), preserve=preserve), []
    everything = "".join(p if isinstance(p, str) else p[0] for p in pieces)
    free = (c for c in map(chr, range(0xE000, 0xF900)) if c not in everything)
    start_mark, end_mark = next(free), next(free)  # private-use marks absent from the text
    joined = "".join(p if isinstance(p, str) else f"{start_mark}{p[0]}{end_mark}" for p in pieces)
    tidied = tidy(joined, preserve=preserve)
    out: list[str] = []
    spans: list[dict[str, Any]] = []
    position = 0
    which = iter(codes)
    begin = 0
    for char in tidied:
        if char == start_mark:
            begin = position
        elif char == end_mark:
            code = next(which)[1]
            spans.append(
                {
                    "start": begin,
                    "end": position,
                    "code": code.kind,
                    "id": code.id,
                    "text": "".join(out[begin:position]),
                }
            )
        else:
            out.append(char)
            position += 1
    return "".join(out), spans
