"""XLIFF 1.2 and 2.0: the ``<target>`` is the MT, the ``<source>`` its source.

* 1.2: ``<file original source-language target-language>`` holding ``<trans-unit id>``
  with ``<source>`` and ``<target>``. When a unit is segmented (``<seg-source>`` and
  ``<mrk mtype="seg" mid>`` in the target, as SDLXLIFF does), each marked segment is one
  :class:`Segment` with id ``<unit>:<mid>`` (just ``<unit>`` when there is one).
* 2.0: ``srcLang``/``trgLang`` on the root, ``<unit id>`` holding ``<segment>`` elements;
  a unit with several segments gives ids ``<unit>:<segment id or number>``.

Inline codes are content: a placeholder (1.2 ``<x/>``, ``<ph>``; 2.0 ``<ph/>``) is one
opaque token in the text, its ``equiv-text`` (1.2) or ``disp``/``equiv`` (2.0) where given,
else its native code (a 1.2 ``<ph>``'s content), else ``{x:ID}``/``{ph:ID}``; so
``Welcome, <x id="N" equiv-text="{{ name }}"/>!`` reads ``Welcome, {{ name }}!``. Paired
codes (``<g>``, ``<pc>``, ``<bx/>``/``<ex/>``, ``<bpt>``/``<ept>``, ``<it>``, ``<sc/>``/``<ec/>``)
keep the text they wrap and are written as their ``equiv-text``/``disp``/``equiv``
(``equivStart``/``dispStart``... for ``<pc>``) where given, else as nothing. Every code's
span is in ``meta["codes"]`` (``{"mt": [...], "src": [...]}``, each
``{"start", "end", "code", "id", "text"}``, a zero-width span for a code written as
nothing), so rules can skip or compare them. Trados tracked changes: text inside
``<mrk mtype="x-sdl-deleted">`` is not part of the translation, ``x-sdl-added`` text is.
``segment.line`` is the line of the ``<target>`` element (where the MT text is);
``meta["unit_line"]`` that of the unit. When a file holds several ``<file>`` elements, ids are prefixed with the file's name, since unit
ids are only unique within one ``<file>``. A unit without a target is an error: skipping
it would hide an untranslated text from the report.
"""

from __future__ import annotations

from collections.abc import Iterator
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
    descendants,
    inline,
    local,
    parse_document,
    placeholder,
    preserves_space,
)

#: ``skipped`` key: units marked ``translate="no"``
SKIPPED_NO = "translate=no"
#: Trados (SDLXLIFF) tracked changes: deleted text is not part of the translation
DELETED = "x-sdl-deleted"
#: standalone placeholders: one visible token each
PLACEHOLDERS = frozenset({"x", "ph"})
#: begin/end codes of paired formatting, and isolated ones: their content is native code
MARKERS = frozenset({"bx", "ex", "bpt", "ept", "it", "sc", "ec"})


def _attr(elem: Element, *names: str) -> str | None:
    for name in names:
        value = elem.get(name)
        if value:
            return value
    return None


def classify(elem: Element) -> Code | None:
    """How an XLIFF 1.2/2.0 inline element enters the text (see :func:`inline`)."""
    name = local(elem.tag)
    code_id = elem.get("id")
    if name in PLACEHOLDERS:
        native = (elem.text or "").strip() if name == "ph" else ""
        token = _attr(elem, "equiv-text", "disp", "equiv") or native or placeholder(name, code_id)
        return Code(name, code_id, token=token)
    if name in MARKERS:
        return Code(name, code_id, token=_attr(elem, "equiv-text", "disp", "equiv") or "")
    if name == "g":
        return Code(name, code_id, open=elem.get("equiv-text") or "", close="")
    if name == "pc":
        return Code(
            name,
            code_id,
            open=_attr(elem, "dispStart", "equivStart") or "",
            close=_attr(elem, "dispEnd", "equivEnd") or "",
        )
    if name in ("sm", "em"):  # 2.0 annotation markers: no content, no code
        return Code(name, code_id, drop=True)
    if name == "mrk" and elem.get("mtype") == DELETED:  # Trados: a tracked deletion
        return Code(name, code_id, drop=True)
    return None  # <mrk> and anything else: its text is text


_NO_TARGET_HINT = (
    "translate the unit, or remove it from the file: mtqc checks translated text, and "
    "skipping the unit would hide it from the report"
)


def read_xliff(source: Source, skipped: dict[str, int] | None = None) -> list[Segment]:
    """Read an XLIFF 1.2 or 2.0 document; units marked ``translate="no"`` (on the unit, or
    inherited from its ``<group>`` or ``<file>``) are not segments: they are counted in
    ``skipped["translate=no"]`` when ``skipped`` is given."""
    doc = parse_document(source, "xliff", "an XLIFF")
    root = doc.root
    version = root.get("version", "")
    if version.startswith("2") or ":2." in root.tag:
        reader = _Xliff2(source, doc)
    else:
        reader = _Xliff12(source, doc)
    files = children(root, "file")
    for file in files:
        reader.read_file(file, prefix=len(files) > 1)
    if reader.skipped and skipped is not None:
        skipped[SKIPPED_NO] = skipped.get(SKIPPED_NO, 0) + reader.skipped
    if not reader.segments:
        unit = "<unit>" if isinstance(reader, _Xliff2) else "<trans-unit>"
        if reader.skipped:
            raise InputError(
                source.name,
                f'no segments: all {reader.skipped} {unit} elements are marked translate="no"',
                hint="there is nothing to check in this file",
            )
        raise InputError(
            source.name,
            f"no segments: the file has no {unit} elements",
            hint="check that this is the exported translation file",
        )
    return reader.segments


class _Reader:
    def __init__(self, source: Source, doc: XmlDoc):
        self.source = source
        self.doc = doc
        self.segments: list[Segment] = []
        self.skipped = 0  # units marked translate="no"

    def units(self, file: Element, name: str) -> Iterator[Element]:
        """The ``<name>`` units under ``file`` in document order, but those marked
        ``translate="no"`` themselves or by a ``<file>``/``<group>`` around them, which
        are counted in ``skipped``. Iterative: deep nesting is safe."""
        stack = [(iter(file), file.get("translate") == "no")]
        while stack:
            it, no = stack[-1]
            elem = next(it, None)
            if elem is None:
                stack.pop()
                continue
            tag = local(elem.tag)
            translate = elem.get("translate")
            inner = no if translate is None else translate == "no"
            if tag == name:
                if inner:
                    self.skipped += 1
                else:
                    yield elem
            elif tag == "group" or len(elem):
                stack.append((iter(elem), inner if tag == "group" else no))

    def text(
        self, elem: Element | None, *context: Element | None, codes: dict | None = None, side="mt"
    ) -> str | None:
        """The text of ``elem``; its codes' spans go to ``codes[side]`` when there are any."""
        if elem is None:
            return None
        text, spans = inline(elem, classify, preserve=preserves_space(elem, *context))
        if spans and codes is not None:
            codes[side] = spans
        return text

    def unit_id(self, unit: Element, what: str) -> str:
        uid = (unit.get("id") or "").strip()
        if not uid:
            raise InputError(
                self.source.name,
                f"<{what}> has no id attribute",
                line=self.doc.line(unit),
                hint="every unit needs a unique id (the report and baselines key on it)",
            )
        return uid

    def no_target(self, what: str, line: int) -> InputError:
        return InputError(
            self.source.name, f"{what} has no <target>", line=line, hint=_NO_TARGET_HINT
        )

    def seg_marks(self, elem: Element | None, uid: str) -> dict[str | None, Element]:
        """``<mrk mtype="seg" mid=...>`` elements under ``elem``, by mid, in order; a mid
        used twice is an error (one of the two segments would be lost)."""
        marks: dict[str | None, Element] = {}
        if elem is None:
            return marks
        for mark in descendants(elem, "mrk"):
            if mark.get("mtype") != "seg":
                continue
            mid = mark.get("mid")
            first = marks.setdefault(mid, mark)
            if first is not mark:
                raise InputError(
                    self.source.name,
                    f"trans-unit {uid!r}: <{local(elem.tag)}> has two segments with mid "
                    f"{mid!r} (first on line {self.doc.line(first)})",
                    line=self.doc.line(mark),
                    hint="each segment of a unit needs its own mid: re-export the file from "
                    "the translation tool, or renumber the mids",
                )
        return marks

    @staticmethod
    def notes(elem: Element) -> list[str]:
        """``<note>`` texts of a unit (1.2: direct children; 2.0: in ``<notes>``)."""
        found = []
        for c in elem:
            name = local(c.tag)
            if name == "note":
                found.append(c)
            elif name == "notes":
                found.extend(children(c, "note"))
        return [inline(n, classify, preserve=True)[0].strip() for n in found]


class _Xliff12(_Reader):
    def read_file(self, file: Element, *, prefix: bool) -> None:
        doc_id = file.get("original") or self.source.stem
        src_lang = file.get("source-language") or None
        tgt_lang = file.get("target-language") or ""
        for unit in self.units(file, "trans-unit"):
            uid = self.unit_id(unit, "trans-unit")
            full_id = f"{doc_id}:{uid}" if prefix else uid
            target = child(unit, "target")
            if target is None:
                raise self.no_target(f"trans-unit {uid!r}", self.doc.line(unit))
            meta = attributes(unit, skip="id")
            if target.get("state"):
                meta["state"] = target.get("state")
            notes = self.notes(unit)
            if notes:
                meta["notes"] = notes
            meta["unit_line"] = self.doc.line(unit)
            common = {
                "src_lang": src_lang,
                "tgt_lang": target.get(XML_NS + "lang") or tgt_lang,
                "doc_id": doc_id,
                "source_file": self.source.name,
            }
            marks = self.seg_marks(target, uid)
            if marks:
                src_marks = self.seg_marks(child(unit, "seg-source"), uid)
                for mid, mark in marks.items():
                    seg_id = full_id if len(marks) == 1 else f"{full_id}:{mid}"
                    codes: dict = {}
                    mt = self.text(mark, target, unit, file, codes=codes) or ""
                    src = self.text(src_marks.get(mid), unit, file, codes=codes, side="src")
                    self.segments.append(
                        Segment(
                            id=seg_id,
                            mt=mt,
                            src=src,
                            line=self.doc.line(mark),
                            meta={**meta, "mid": mid, **({"codes": codes} if codes else {})},
                            mt_column=None,
                            **common,
                        )
                    )
                continue
            codes = {}
            mt = self.text(target, unit, file, codes=codes) or ""
            src = self.text(child(unit, "source"), unit, file, codes=codes, side="src")
            if codes:
                meta["codes"] = codes
            self.segments.append(
                Segment(
                    id=full_id,
                    mt=mt,
                    src=src,
                    line=self.doc.line(target),
                    meta=meta,
                    mt_column=None,
                    **common,
                )
            )


class _Xliff2(_Reader):
    def read_file(self, file: Element, *, prefix: bool) -> None:
        root = self.doc.root
        doc_id = file.get("original") or file.get("id") or self.source.stem
        src_lang = root.get("srcLang") or None
        tgt_lang = root.get("trgLang") or ""
        for unit in self.units(file, "unit"):
            uid = self.unit_id(unit, "unit")
            full_id = f"{doc_id}:{uid}" if prefix else uid
            segs = children(unit, "segment")
            if not segs:
                raise InputError(
                    self.source.name,
                    f"unit {uid!r} has no <segment>",
                    line=self.doc.line(unit),
                    hint="an XLIFF 2 unit holds its text in <segment><source>/<target>",
                )
            meta = attributes(unit, skip="id")
            notes = self.notes(unit)
            if notes:
                meta["notes"] = notes
            meta["unit_line"] = self.doc.line(unit)
            for number, seg in enumerate(segs, start=1):
                sid = seg.get("id") or str(number)
                target = child(seg, "target")
                if target is None:
                    what = f"unit {uid!r}" + (f" segment {sid!r}" if len(segs) > 1 else "")
                    raise self.no_target(what, self.doc.line(seg))
                seg_meta = dict(meta)
                if seg.get("state"):
                    seg_meta["state"] = seg.get("state")
                if len(segs) > 1:
                    seg_meta["segment"] = sid
                codes: dict = {}
                mt = self.text(target, seg, unit, file, codes=codes) or ""
                src = self.text(child(seg, "source"), seg, unit, file, codes=codes, side="src")
                if codes:
                    seg_meta["codes"] = codes
                self.segments.append(
                    Segment(
                        id=full_id if len(segs) == 1 else f"{full_id}:{sid}",
                        mt=mt,
                        src=src,
                        src_lang=src_lang,
                        tgt_lang=tgt_lang,
                        doc_id=doc_id,
                        line=self.doc.line(target),
                        source_file=self.source.name,
                        meta=seg_meta,
                        mt_column=None,
                    )
                )
