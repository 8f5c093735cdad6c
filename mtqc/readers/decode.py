"""Turn an input (a path or stdin) into checked, normalised text.

Every reader starts here, so every format gets the same checks with the same messages:
missing file, directory, binary data, UTF-16, invalid UTF-8 (with byte offset and line),
empty input. The text that comes out has no byte-order mark and only ``\\n`` line ends
(CRLF and lone CR are converted), so line numbers agree with what an editor shows.
XML documents are decoded as their declaration says (:func:`decode_xml`).
"""

from __future__ import annotations

import codecs
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, TextIO

from mtqc.errors import InputError

#: the longest text (mt, src, ref or bt) one segment may hold, in characters
MAX_SEGMENT_CHARS = 100_000

STDIN = "-"
STDIN_NAME = "<stdin>"

_BINARY_HINT = (
    "mtqc reads text: plain text, TSV, CSV, JSONL, XLIFF, TMX or gettext PO; "
    "export word-processor or spreadsheet files to one of these first"
)


@dataclass(frozen=True, slots=True)
class Source:
    """A decoded input: ``name`` is what messages call it, ``stem`` names ids and docs."""

    name: str
    stem: str
    text: str


def check_path(path: str) -> None:
    """Fail early, before anything else is asked of ``path``, if it is not a file."""
    if path == STDIN:
        return
    p = Path(path)
    if p.is_dir():
        raise _directory(path)
    if not p.exists():
        raise _missing(path)


def _directory(path: str) -> InputError:
    return InputError(
        path,
        "is a directory, not a file",
        hint="give one input file per run (e.g. loop over the directory's files in the shell)",
    )


def _missing(path: str) -> InputError:
    return InputError(path, "no such file", hint="check the path and the spelling")


def load(path: str, *, stdin: TextIO | BinaryIO | None = None, xml: bool = False) -> Source:
    """Read ``path`` (or stdin for ``"-"``) and return its checked, normalised text.

    ``xml``: the input is an XML document, decoded as its declaration says
    (:func:`decode_xml`) rather than as UTF-8 only.
    """
    decoder = decode_xml if xml else decode
    if path == STDIN:
        stream = stdin if stdin is not None else _default_stdin()
        data = stream.read()
        return Source(STDIN_NAME, "stdin", decoder(STDIN_NAME, data))
    p = Path(path)
    try:
        data = p.read_bytes()
    except FileNotFoundError:
        raise _missing(path) from None
    except IsADirectoryError:
        raise _directory(path) from None
    except PermissionError:
        raise InputError(
            path, "cannot be read: permission denied", hint="check the file's permissions"
        ) from None
    except OSError as exc:
        if p.is_dir():
            raise _directory(path) from None
        raise InputError(path, f"cannot be read: {exc.strerror or exc}") from None
    return Source(path, p.stem, decoder(path, data))


def _default_stdin() -> TextIO | BinaryIO:
    if sys.stdin is None:  # pragma: no cover - only when the process has no stdin at all
        raise InputError(STDIN_NAME, "no standard input is available")
    return getattr(sys.stdin, "buffer", sys.stdin)  # a replaced stdin may be text-only


def decode(name: str, data: bytes | str) -> str:
    """Decode ``data`` as UTF-8 (BOM optional) and normalise line ends to ``\\n``.

    Raises :class:`InputError` for UTF-16/32, binary data (NUL bytes) and invalid UTF-8.
    A ``str`` (text-mode stdin) gets the same NUL, BOM and line-end treatment.
    """
    if isinstance(data, str):
        text = data
        nul = text.find("\0")
        if nul >= 0:
            raise _binary(name, nul, _line_at(text[:nul]))
    else:
        if data.startswith((b"\xff\xfe", b"\xfe\xff")):
            raise InputError(
                name,
                "is encoded as UTF-16 (or UTF-32), not UTF-8",
                line=1,
                hint=_iconv_hint(name, "utf-16"),
            )
        nul = data.find(b"\0")
        if nul >= 0:
            raise _binary(name, nul, _line_at(data[:nul]))
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise _not_utf8(name, data, exc) from None
    if text.startswith("\ufeff"):
        text = text[1:]
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text


_XML_DECL = re.compile(rb"""\A<\?xml[^>]*?\sencoding\s*=\s*["']([A-Za-z0-9._:-]+)["']""")


def decode_xml(name: str, data: bytes | str) -> str:
    """Decode an XML document as its declaration says (``<?xml ... encoding="X"?>``).

    UTF-8 (the XML default) gets :func:`decode`'s checks and messages. Another declared
    encoding (``windows-1252``, ``ISO-8859-1``, ``Shift_JIS`` ...) is decoded strictly as
    declared; a UTF-16 byte-order mark means UTF-16, whatever the declaration. An unknown
    encoding name, or bytes that are not valid in the declared encoding, are errors naming
    the byte offset and the line. The text that comes out is what :func:`decode` gives:
    no BOM, no NUL, ``\n`` line ends.
    """
    if isinstance(data, str):
        return decode(name, data)
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        encoding = "utf-16"
    else:
        declared = _XML_DECL.match(data.removeprefix(b"\xef\xbb\xbf"))
        encoding = declared.group(1).decode("ascii") if declared else "utf-8"
    try:
        info = codecs.lookup(encoding)
        if not getattr(info, "_is_text_encoding", True):  # base64, zlib, rot13 ...
            raise LookupError(encoding)
    except LookupError:
        raise InputError(
            name,
            f"declares the encoding {encoding!r}, which mtqc does not know",
            line=1,
            hint=_iconv_hint(name, encoding) + " and change the declaration to UTF-8",
        ) from None
    if info.name == "utf-8":
        return decode(name, data)
    try:
        text = data.decode(info.name)
    except UnicodeDecodeError as exc:
        offset = exc.start
        raise InputError(
            name,
            f"is not valid {encoding}, the encoding its XML declaration names: byte "
            f"0x{data[offset : offset + 1].hex()} at byte offset {offset} cannot be decoded",
            line=_line_at(data[:offset]),
            hint="fix the encoding in the <?xml ...?> declaration, or re-save the file as UTF-8",
        ) from None
    return decode(name, text)


def _line_at(prefix: bytes | str) -> int:
    """1-based line number of the position right after ``prefix`` (any line ending)."""
    if isinstance(prefix, bytes):
        return prefix.count(b"\n") + prefix.count(b"\r") - prefix.count(b"\r\n") + 1
    return prefix.count("\n") + prefix.count("\r") - prefix.count("\r\n") + 1


def _iconv_hint(name: str, encoding: str) -> str:
    if name == STDIN_NAME:
        return f"convert it to UTF-8 on the way in, e.g. `... | iconv -f {encoding} -t utf-8 | mtqc ...`"
    p = Path(name)
    out = f"{p.stem or 'out'}.utf8{p.suffix or '.txt'}"
    return f"re-save it as UTF-8, e.g. `iconv -f {encoding} -t utf-8 {name} > {out}`"


def _binary(name: str, offset: int, line: int) -> InputError:
    return InputError(
        name,
        f"looks like a binary file (NUL byte at byte offset {offset}), not UTF-8 text",
        line=line,
        hint=_BINARY_HINT,
    )


def _not_utf8(name: str, data: bytes, exc: UnicodeDecodeError) -> InputError:
    offset = exc.start
    bad = data[offset : offset + 1].hex()
    hint = _iconv_hint(name, "latin1")
    return InputError(
        name,
        f"is not valid UTF-8: byte 0x{bad} at byte offset {offset} cannot be decoded "
        "(the file is probably in another encoding, such as Latin-1 or Windows-1252)",
        line=_line_at(data[:offset]),
        hint=hint,
    )


class Lines:
    """An input read line by line: the same checks and normalisation as :func:`load`,
    without holding the file.

    Iterating gives ``(line number, line)`` for every line, each ending in ``\\n`` except
    a last one without it (CRLF and lone CR read as LF, the BOM dropped). Errors name the
    byte offset and the line as :func:`decode` does. ``has_text`` says, once iterated,
    whether any line held more than whitespace. A line is read whole (the segment length
    limit applies after reading). Iterate once.
    """

    def __init__(self, path: str, *, stdin: TextIO | BinaryIO | None = None):
        self.path = path
        self.name = STDIN_NAME if path == STDIN else path
        self.stem = "stdin" if path == STDIN else Path(path).stem
        self.has_text = False
        self._stdin = stdin

    def _chunks(self) -> Iterator[bytes | str]:
        if self.path == STDIN:
            stream = self._stdin if self._stdin is not None else _default_stdin()
            yield from stream
            return
        p = Path(self.path)
        try:
            fh = p.open("rb")
        except FileNotFoundError:
            raise _missing(self.path) from None
        except IsADirectoryError:
            raise _directory(self.path) from None
        except PermissionError:
            raise InputError(
                self.path, "cannot be read: permission denied", hint="check the file's permissions"
            ) from None
        except OSError as exc:
            if p.is_dir():
                raise _directory(self.path) from None
            raise InputError(self.path, f"cannot be read: {exc.strerror or exc}") from None
        with fh:
            try:
                yield from fh
            except IsADirectoryError:
                raise _directory(self.path) from None
            except OSError as exc:
                raise InputError(self.path, f"cannot be read: {exc.strerror or exc}") from None

    def __iter__(self) -> Iterator[tuple[int, str]]:
        name = self.name
        offset = 0  # bytes (characters for text-mode stdin) before this chunk
        number = 1  # the line the chunk starts on
        first = True
        chunks = self._chunks()
        for raw in chunks:
            if isinstance(raw, bytes):
                if first and raw.startswith((b"\xff\xfe", b"\xfe\xff")):
                    raise InputError(
                        name,
                        "is encoded as UTF-16 (or UTF-32), not UTF-8",
                        line=1,
                        hint=_iconv_hint(name, "utf-16"),
                    )
                nul = raw.find(b"\0")
                if nul >= 0:
                    raise _binary(name, offset + nul, number + _line_at(raw[:nul]) - 1)
                try:
                    text = raw.decode("utf-8")
                except UnicodeDecodeError as exc:
                    # a NUL anywhere makes it a binary file, as load() says
                    _find_nul(name, chunks, offset + len(raw), number + _line_at(raw) - 1)
                    raise InputError(
                        name,
                        f"is not valid UTF-8: byte 0x{raw[exc.start : exc.start + 1].hex()} at "
                        f"byte offset {offset + exc.start} cannot be decoded (the file is "
                        "probably in another encoding, such as Latin-1 or Windows-1252)",
                        line=number + _line_at(raw[: exc.start]) - 1,
                        hint=_iconv_hint(name, "latin1"),
                    ) from None
            else:
                text = raw
                nul = text.find("\0")
                if nul >= 0:
                    raise _binary(name, offset + nul, number + _line_at(text[:nul]) - 1)
            offset += len(raw)
            if first:
                first = False
                if text.startswith("\ufeff"):
                    text = text[1:]
            if not self.has_text and text.strip():
                self.has_text = True
            if "\r" in text:
                text = text.replace("\r\n", "\n").replace("\r", "\n")
                *pieces, last = text.split("\n")
                for piece in pieces:
                    yield number, piece + "\n"
                    number += 1
                if last:
                    yield number, last
                continue
            yield number, text
            number += 1


def _find_nul(name: str, chunks: Iterator[bytes | str], offset: int, number: int) -> None:
    """Raise the binary-file error for the first NUL in the rest of the input, if any."""
    for raw in chunks:
        nul = raw.find(b"\0" if isinstance(raw, bytes) else "\0")
        if nul >= 0:
            raise _binary(name, offset + nul, number + _line_at(raw[:nul]) - 1)
        offset += len(raw)
        number += _line_at(raw) - 1


def text_lines(text: str) -> Iterator[tuple[int, str]]:
    """``(line number, line)`` over already decoded text, as :class:`Lines` gives them."""
    *pieces, last = text.split("\n")
    for number, piece in enumerate(pieces, start=1):
        yield number, piece + "\n"
    if last:
        yield len(pieces) + 1, last
