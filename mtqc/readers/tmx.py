"""TMX: ``<tu>`` holding one ``<tuv xml:lang><seg>`` per language.

The header's ``srclang`` names the source variant; the other one is the MT. When the
header says ``*all*`` (or nothing), ``src_lang`` must be given; when a unit holds several
non-source variants, ``tgt_lang`` picks the MT. Language codes match case-insensitively,
and ``en`` matches ``en-GB`` when there is no exact match. ``segment.line`` is the line of
the MT's ``<seg>``; ``meta["unit_line"]`` that of the ``<tu>``; ``<prop>`` values go to
``meta["props"]``. A ``<tu>`` without ``tuid`` gets the id ``<file stem>:<line>``, and
``<file stem>:<line>:<n>`` when several such units share a line (a one-line export).

Inline codes are content: a ``<ph>`` (or ``<ut>``) is one opaque token, its native code
(``<ph>{0}</ph>`` reads ``{0}``), else ``{ph:X}``; paired ``<bpt>``/``<ept>`` and ``<it>``
keep the text around them and are written as nothing; ``<hi>`` keeps its text. The codes'
spans go to ``meta["codes"]`` as in :mod:`mtqc.readers.xliff`.
"""

from __future__ import annotations

from collections import Counter
from typing import Any
from xml.etree.ElementTree import Element

from mtqc.errors import InputError
from mtqc.model import Segment
from mtqc.readers.decode import Source
from mtqc.readers.xmlsafe import (
    XML_NS,
    Code,
    XmlDoc,
    attributes,
    child,
    children,
    inline,
    local,
    parse_document,
    placeholder,
    preserves_space,
)


def classify(elem: Element) -> Code | None:
    """How a TMX inline element enters the text (see :func:`~mtqc.readers.xmlsafe.inline`)."""
    name = local(elem.tag)
    code_id = elem.get("x") or elem.get("i")
    if name in ("ph", "ut"):
        token = (elem.text or "").strip() or placeholder(name, code_id)
        return Code(name, code_id, token=token)
    if name in ("bpt", "ept", "it"):
        return Code(name, code_id, token="")
    return None  # <hi>, <sub> outside codes: text


def read_tmx(source: Source, *, src_lang: str | None, tgt_lang: str | None) -> list[Segment]:
    """Read a TMX document; ``src_lang``/``tgt_lang`` resolve ambiguous variants."""
    doc = parse_document(source, "tmx", "a TMX")
    root = doc.root
    header = child(root, "header")
    srclang = (header.get("srclang") if header is not None else None) or ""
    if srclang.lower() in ("", "*all*"):
        srclang = src_lang or ""
    body = child(root, "body")
    segments: list[Segment] = []
    units = [] if body is None else children(body, "tu")
    # a <tu> without tuid is named by its line; several on one line are numbered too
    per_line = Counter(doc.line(tu) for tu in units if not (tu.get("tuid") or "").strip())
    numbered: Counter[int] = Counter()
    for tu in units:
        seg = _unit(source, doc, tu, srclang, tgt_lang)
        line = seg.meta["unit_line"]
        if not (tu.get("tuid") or "").strip() and per_line[line] > 1:
            numbered[line] += 1
            seg.id = f"{seg.id}:{numbered[line]}"
        segments.append(seg)
    if not segments:
        raise InputError(
            source.name,
            "no segments: the file has no <tu> elements in its <body>",
            hint="check that this is the exported translation memory",
        )
    return segments


def _lang(tuv: Element) -> str:
    return (tuv.get(XML_NS + "lang") or tuv.get("lang") or "").strip()


def _pick(tuvs: list[Element], lang: str) -> Element | None:
    """The variant in ``lang``: exact match first, then same primary language."""
    want = lang.lower()
    for tuv in tuvs:
        if _lang(tuv).lower() == want:
            return tuv
    primary = want.split("-")[0]
    matches = [t for t in tuvs if _lang(t).lower().split("-")[0] == primary]
    return matches[0] if len(matches) == 1 else None


def _unit(source: Source, doc: XmlDoc, tu: Element, srclang: str, tgt_lang: str | None) -> Segment:
    name = source.name
    tu_line = doc.line(tu)
    tuid = (tu.get("tuid") or "").strip()
    label = f"<tu> {tuid!r}" if tuid else "<tu>"
    tuvs = children(tu, "tuv")
    if not srclang and len(tuvs) > 1:
        raise InputError(
            name,
            "the TMX header does not say which language is the source (srclang is missing "
            "or *all*)",
            line=tu_line,
            hint="give the source language (src_lang), e.g. --src-lang nl",
        )
    src_tuv = _pick(tuvs, srclang) if srclang else None
    others = [t for t in tuvs if t is not src_tuv]
    if not others:
        raise InputError(
            name,
            f"{label} has no translation: only its source ({srclang or 'no'} variant)",
            line=tu_line,
            hint="translate the unit or remove it: skipping it would hide it from the report",
        )
    if len(others) == 1:
        mt_tuv = others[0]
    else:
        mt_tuv = _pick(others, tgt_lang) if tgt_lang else None
        if mt_tuv is None:
            langs = ", ".join(_lang(t) or "?" for t in others)
            raise InputError(
                name,
                f"{label} has several translations ({langs}) and mtqc cannot tell which is the MT",
                line=tu_line,
                hint="give the target language (tgt_lang), e.g. --tgt-lang en",
            )
    mt_seg = child(mt_tuv, "seg")
    if mt_seg is None:
        raise InputError(
            name, f"{label}: the {_lang(mt_tuv)} <tuv> has no <seg>", line=doc.line(mt_tuv)
        )
    meta: dict[str, Any] = attributes(tu, skip="tuid")
    props: dict[str, Any] = {}
    for prop in children(tu, "prop"):
        key, value = prop.get("type", ""), prop.text or ""
        if key in props:
            old = props[key]
            props[key] = [*old, value] if isinstance(old, list) else [old, value]
        else:
            props[key] = value
    if props:
        meta["props"] = props
    notes = [(n.text or "").strip() for n in children(tu, "note")]
    if notes:
        meta["notes"] = notes
    meta["unit_line"] = tu_line
    src_seg = child(src_tuv, "seg") if src_tuv is not None else None
    codes: dict[str, Any] = {}
    mt = _text(mt_seg, codes, "mt", mt_tuv, tu)
    src = _text(src_seg, codes, "src", src_tuv, tu) if src_seg is not None else None
    if codes:
        meta["codes"] = codes
    return Segment(
        id=tuid or f"{source.stem}:{tu_line}",
        mt=mt,
        src=src,
        src_lang=(_lang(src_tuv) if src_tuv is not None else None) or None,
        tgt_lang=_lang(mt_tuv),
        doc_id=source.stem,
        line=doc.line(mt_seg),
        source_file=name,
        meta=meta,
        mt_column=None,
    )


def _text(seg: Element, codes: dict[str, Any], side: str, *context: Element | None) -> str:
    text, spans = inline(seg, classify, preserve=preserves_space(seg, *context))
    if spans:
        codes[side] = spans
    return text
