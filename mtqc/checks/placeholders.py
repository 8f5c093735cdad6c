"""P008: placeholders and markup that differ between the source (or reference) and the MT.

Software strings and CMS content carry placeholders that the program fills in (``{0}``,
``{appName}``, ``{{ name }}``, ``%d``, ``%1$s``, ``%(count)s``) and inline markup
(``<b>…</b>``). A translation must keep every one of them, unchanged and balanced: a
missing ``{0}`` drops the user's name, a renamed ``{nomApp}`` shows up verbatim, an
unclosed ``<b>`` bolds the rest of the page.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator, Mapping
from typing import Any

from mtqc.checks.base import rule
from mtqc.model import Hit, Segment

#: Placeholders: ICU/.NET/Python braces, Angular/Jinja double braces, printf (positional
#: and named), and HTML/XML tags.
PLACEHOLDER_RE = re.compile(
    r"\{\{\s*[^{}\s][^{}]{0,40}?\s*\}\}"  # {{ name }}
    r"|\{[\w.:$-]{1,40}(?:,[^{}]{0,40})?\}"  # {0}, {appName}, {x:2}, {n, plural, …}
    r"|%\(\w{1,40}\)[sdifr]"  # %(count)s
    r"|%\d+\$[-+ 0#]?\d*(?:\.\d+)?[sdifuxXeEgGc]"  # %1$s
    r"|%[-+ 0#]?\d*(?:\.\d+)?[sdifuxXeEgGc](?![\w])"  # %d, %s, %.2f
    r"|</?[a-zA-Z][\w-]{0,20}(?:\s[^<>]{0,200})?/?>"  # <b>, </b>, <br/>, <a href="…">
)
_TAG_RE = re.compile(r"<(/?)([a-zA-Z][\w-]*)[^<>]*?(/?)>")


def _key(token: str) -> str:
    """What must match: tags by name and direction (attributes may be translated)."""
    m = _TAG_RE.fullmatch(token)
    if m:
        return f"<{m.group(1)}{m.group(2).lower()}{m.group(3)}>"
    return re.sub(r"\s+", "", token)


def _tokens(text: str) -> list[re.Match[str]]:
    return list(PLACEHOLDER_RE.finditer(text))


def _unbalanced_tags(text: str) -> Iterator[re.Match[str]]:
    """Opening tags never closed and closing tags never opened (void tags ignored)."""
    stack: list[re.Match[str]] = []
    void = {"br", "img", "hr", "input", "meta", "link", "wbr", "x", "ph", "bx", "ex"}
    for m in _TAG_RE.finditer(text):
        closing, name, selfclose = m.group(1), m.group(2).lower(), m.group(3)
        if selfclose or name in void:
            continue
        if not closing:
            stack.append(m)
        elif stack and stack[-1].group(2).lower() == name:
            stack.pop()
        else:
            yield m
    yield from stack


@rule(
    "P008",
    "placeholder-mismatch",
    "major",
    "accuracy/mistranslation",
    options={},
)
def placeholder_mismatch(seg: Segment, opts: Mapping[str, Any]) -> Iterator[Hit]:
    """A placeholder or markup tag missing, added, renamed or unbalanced in the MT.

    What it flags, against the source (or, without a source, the reference): placeholders
    ``{0}``, ``{appName}``, ``{{ name }}``, ``%d``, ``%1$s``, ``%(count)s`` and tags
    ``<b>…</b>`` that the other text has and the MT lacks (flagged on the other text,
    ``side="src"``/``"ref"``), that the MT has and the other text lacks (a renamed
    ``{nomApp}`` is flagged in the MT, with the source's unmatched placeholder as the
    fix), and tags the MT opens without closing or closes without opening. Tags compare
    by name and direction (attributes may be translated); placeholders compare exactly,
    spaces inside ``{{ }}`` ignored. Text without placeholders on either side is skipped.
    Why it matters: the program fills placeholders in by name or position; a missing or
    renamed one loses data or shows raw code to the reader, an unclosed tag breaks the
    layout.
    Example: source "Bonjour {0}, vous avez %d messages." → MT ``Hello, you have %d
    messages.`` flags ``{0}`` in the source.
    Use instead: keep every placeholder and tag as it is: "Hello {0}, you have %d
    messages."
    """
    side = "src" if seg.src else ("ref" if seg.ref else None)
    other = (seg.src or seg.ref or "") if side else ""
    mt = seg.mt
    if not side or not (
        ("{" in mt or "%" in mt or "<" in mt) or ("{" in other or "%" in other or "<" in other)
    ):
        return
    mt_tokens, other_tokens = _tokens(mt), _tokens(other)
    if not mt_tokens and not other_tokens:
        return
    missing = Counter(_key(t.group()) for t in other_tokens)
    missing.subtract(_key(t.group()) for t in mt_tokens)
    extra_keys = Counter({k: -n for k, n in missing.items() if n < 0})
    lacking = [t for t in other_tokens if missing[_key(t.group())] > 0]
    unmatched_other = [t.group() for t in lacking]
    reported: set[int] = set()
    for t in mt_tokens:
        k = _key(t.group())
        if extra_keys[k] > 0:
            extra_keys[k] -= 1
            reported.add(t.start())
            fix = tuple(x for x in unmatched_other if not x.startswith("<"))[:1]
            yield Hit(
                t.start(),
                t.end(),
                f"“{t.group()}” is not in the {'source' if side == 'src' else 'reference'}: a "
                "placeholder or tag the MT added or renamed.",
                fix,
                evidence={"placeholder": t.group(), "other": unmatched_other},
            )
    for t in lacking:
        if missing[_key(t.group())] <= 0:
            continue
        missing[_key(t.group())] -= 1
        yield Hit(
            t.start(),
            t.end(),
            f"“{t.group()}” is missing from the MT: every placeholder and tag must be kept.",
            (t.group(),),
            evidence={"placeholder": t.group()},
            side=side,
        )
    for m in _unbalanced_tags(mt):
        if m.start() in reported:
            continue
        yield Hit(
            m.start(),
            m.end(),
            f"Tag “{m.group()}” is not balanced in the MT (opened without closing, or the "
            "reverse).",
            evidence={"tag": m.group(2)},
        )
