"""XLIFF 1.2 and 2.0: the ``<target>`` is the MT, the ``<source>`` its source.

* 1.2: ``<file original source-language target-language>`` holding ``<trans-unit id>``
  with ``<source>`` and ``<target>``. When a unit is segmented (``<seg-source>`` and
  ``<mrk mtype="seg" mid>`` in the target, as SDLXLIFF does), each marked segment is one
  :class:`Segment` with id ``<unit>:<mid>`` (just ``<unit>`` when there is one).
* 2.0: ``srcLang``/``trgLang`` on the root, ``<unit id>`` holding ``<segment>`` elements;
  a unit with several segments gives ids ``<unit>:<segment id or number>``.

Inline markup is flattened to its plain text. ``segment.line`` is the line of the
``<target>`` element (where the MT text is); ``meta["unit_line"]`` that of the unit. When a
file holds several ``<file>`` elements, ids are prefixed with the file's name, since unit
ids are only unique within one ``<file>``. A unit without a target is an error: skipping
it would hide an untranslated text from the report.
"""

from __future__ import annotations

from xml.etree.ElementTree import Element

from mtqc.errors import InputError
from mtqc.model import Segment
from mtqc.readers.decode import Source
from mtqc.readers.xmlsafe import (
    XML_NS,
    XmlDoc,
    attributes,
    child,
    children,
    descendants,
    flatten,
    local,
    parse_document,
    preserves_space,
    tidy,
)

#: inline elements whose content is native code or a placeholder, not text
DROP = frozenset({"x", "bx", "ex", "ph", "bpt", "ept", "it", "sc", "ec", "sm", "em"})

_NO_TARGET_HINT = (
    "translate the unit, or remove it from the file: mtqc checks translated text, and "
    "skipping the unit would hide it from the report"
)


def read_xliff(source: Source) -> list[Segment]:
    """Read an XLIFF 1.2 or 2.0 document."""
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
    if not reader.segments:
        unit = "<unit>" if isinstance(reader, _Xliff2) else "<trans-unit>"
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

    def text(self, elem: Element | None, *context: Element | None) -> str | None:
        if elem is None:
            return None
        return tidy(flatten(elem, drop=DROP), preserve=preserves_space(elem, *context))

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
        return [flatten(n, drop=DROP).strip() for n in found]


class _Xliff12(_Reader):
    def read_file(self, file: Element, *, prefix: bool) -> None:
        doc_id = file.get("original") or self.source.stem
        src_lang = file.get("source-language") or None
        tgt_lang = file.get("target-language") or ""
        for unit in descendants(file, "trans-unit"):
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
            marks = _seg_marks(target)
            if marks:
                src_marks = _seg_marks(child(unit, "seg-source"))
                for mid, mark in marks.items():
                    seg_id = full_id if len(marks) == 1 else f"{full_id}:{mid}"
                    self.segments.append(
                        Segment(
                            id=seg_id,
                            mt=self.text(mark, target, unit, file) or "",
                            src=self.text(src_marks.get(mid), unit, file),
                            line=self.doc.line(mark),
                            meta={**meta, "mid": mid},
                            mt_column=None,
                            **common,
                        )
                    )
                continue
            self.segments.append(
                Segment(
                    id=full_id,
                    mt=self.text(target, unit, file) or "",
                    src=self.text(child(unit, "source"), unit, file),
                    line=self.doc.line(target),
                    meta=meta,
                    mt_column=None,
                    **common,
                )
            )


def _seg_marks(elem: Element | None) -> dict[str | None, Element]:
    """``<mrk mtype="seg" mid=...>`` elements under ``elem``, by mid, in order."""
    if elem is None:
        return {}
    return {m.get("mid"): m for m in descendants(elem, "mrk") if m.get("mtype") == "seg"}


class _Xliff2(_Reader):
    def read_file(self, file: Element, *, prefix: bool) -> None:
        root = self.doc.root
        doc_id = file.get("original") or file.get("id") or self.source.stem
        src_lang = root.get("srcLang") or None
        tgt_lang = root.get("trgLang") or ""
        for unit in descendants(file, "unit"):
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
                self.segments.append(
                    Segment(
                        id=full_id if len(segs) == 1 else f"{full_id}:{sid}",
                        mt=self.text(target, seg, unit, file) or "",
                        src=self.text(child(seg, "source"), seg, unit, file),
                        src_lang=src_lang,
                        tgt_lang=tgt_lang,
                        doc_id=doc_id,
                        line=self.doc.line(target),
                        source_file=self.source.name,
                        meta=seg_meta,
                        mt_column=None,
                    )
                )
