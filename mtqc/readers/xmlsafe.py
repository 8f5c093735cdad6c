"""Safe XML parsing with element line numbers, and inline-markup flattening.

Parsing goes through :mod:`defusedxml`: entity declarations, external entity references
and document types with an internal subset (where entities are declared — the
"billion laughs" bomb lives there) are refused before anything is expanded. A bare
``<!DOCTYPE tmx SYSTEM "tmx14.dtd">``, which most TMX exports carry, is accepted: it
declares nothing and expat never fetches it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
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


def flatten(elem: Element, *, drop: frozenset[str]) -> str:
    """The plain text inside ``elem``, with inline markup removed.

    Elements named in ``drop`` (placeholders and native codes such as ``<ph>``,
    ``<bpt>``) lose their content; others (``<g>``, ``<pc>``, ``<mrk>``, ``<hi>``) keep it.
    XLIFF 2.0 ``<cp hex="..."/>`` becomes its code point. Iterative, so deep nesting is safe.
    """
    if not len(elem):
        return elem.text or ""
    parts = [elem.text or ""]
    stack = [(elem, iter(elem))]
    while stack:
        node, it = stack[-1]
        nxt = next(it, None)
        if nxt is None:
            stack.pop()
            if stack:
                parts.append(node.tail or "")
            continue
        name = local(nxt.tag)
        if name == "cp":
            parts.append(_codepoint(nxt.get("hex", "")))
        elif name not in drop:
            parts.append(nxt.text or "")
            stack.append((nxt, iter(nxt)))
            continue
        parts.append(nxt.tail or "")
    return "".join(parts)


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
