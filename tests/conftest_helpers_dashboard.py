"""Hand-made runs for the store and dashboard tests (no engine needed).

``make_report`` is a tiny stand-in checker: it flags the phrases of a small lexicon of
Dutch→English MT calques wherever they occur, with spans, reasons, evidence and fixes,
so tests get realistic Reports built only from ``mtqc.model`` dataclasses.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from mtqc.checks._apply import fingerprint
from mtqc.model import Flag, Mode, Report, Segment, SegmentResult, Severity

# code -> (name, severity, category, {phrase: suggestion}, reason)
LEXICON: dict[str, tuple[str, Severity, str, dict[str, str], str]] = {
    "T101": (
        "dutch-calque",
        Severity.MAJOR,
        "accuracy/mistranslation",
        {
            "in the framework of": "as part of",
            "since years": "for years",
            "make a photo": "take a photo",
            "on the hand of": "based on",
        },
        "word-for-word rendering of a Dutch phrase",
    ),
    "T102": (
        "false-friend",
        Severity.MINOR,
        "terminology/inappropriate",
        {"eventually": "possibly", "actual": "current"},
        "Dutch 'eventueel'/'actueel' do not mean English 'eventually'/'actual'",
    ),
    "U001": (
        "untranslated-word",
        Severity.CRITICAL,
        "accuracy/untranslated",
        {"burgemeester": "mayor", "schepen": "alderman"},
        "Dutch word left untranslated",
    ),
}

ARTICLES: dict[str, list[str]] = {
    "brussels-budget": [
        "In the framework of the new budget, the city will invest in cycling lanes.",
        "The burgemeester said the plan had been discussed since years.",
        "Residents can eventually apply for a grant from next month.",
    ],
    "antwerp-port": [
        "The port announced record volumes in the framework of its yearly review.",
        "Dock workers have complained since years about the night shifts.",
        "Visitors were not allowed to make a photo of the new terminal.",
    ],
    "ghent-festival": [
        "The festival drew 120,000 visitors, organisers said on Sunday.",
        "Stewards may make a photo of every car at the entrance <b>on the hand of</b> new rules.",
        "The actual programme is online <script>alert('mt')</script> since Friday.",
    ],
}

#: More articles for demo data (screenshots); the tests count on ARTICLES alone.
EXTRA_ARTICLES: dict[str, list[str]] = {
    "leuven-university": [
        "The university will eventually open a second campus in the framework of its growth plan.",
        "Students have asked for cheaper housing since years.",
        "The rector declined to comment on Tuesday.",
    ],
    "bruges-tourism": [
        "Tourists are asked not to make a photo inside the chapel.",
        "The schepen for tourism expects 8 million visitors this year.",
        "Hotels report full bookings for the summer.",
        "The actual figures will be published in September.",
    ],
    "liege-rail": [
        "Rail traffic was disrupted on Thursday after a power failure.",
        "Commuters were advised to check the timetable on the hand of the app.",
        "The operator apologised for the delays.",
    ],
    "mechelen-zoo": [
        "The zoo welcomed two red pandas on Monday.",
        "Keepers said the animals were settling in well.",
    ],
}


def check_line(seg: Segment, dismissed: Iterable[str] = ()) -> SegmentResult:
    """Flag every lexicon phrase in ``seg.mt``; drop flags whose fingerprint is dismissed."""
    dismissed = set(dismissed)
    flags: list[Flag] = []
    suppressed = 0
    for code, (name, sev, cat, phrases, reason) in LEXICON.items():
        for phrase, fix in phrases.items():
            for m in re.finditer(rf"\b{re.escape(phrase)}\b", seg.mt, flags=re.IGNORECASE):
                text = seg.mt[m.start() : m.end()]
                fp = fingerprint(code, text)
                if fp in dismissed:
                    suppressed += 1
                    continue
                flags.append(
                    Flag(
                        code=code,
                        name=name,
                        segment_id=seg.id,
                        start=m.start(),
                        end=m.end(),
                        text=text,
                        severity=sev,
                        category=cat,
                        message=f"'{text}': {reason}",
                        suggestions=[fix],
                        evidence={"lexicon": name, "entry": phrase},
                        fingerprint=fp,
                    )
                )
    flags.sort(key=lambda f: (f.start, f.code))
    score = min(1.0, sum(0.1 * (int(f.severity) + 1) for f in flags))
    return SegmentResult(segment=seg, flags=flags, score=round(score, 3), suppressed=suppressed)


def make_report(
    articles: Mapping[str, list[str]] | None = None,
    *,
    created: str = "",
    dismissed: Iterable[str] = (),
) -> Report:
    """A target-only run over ``articles`` (doc id -> lines), checked by :func:`check_line`."""
    articles = ARTICLES if articles is None else articles
    results = []
    for doc, lines in articles.items():
        for i, line in enumerate(lines, start=1):
            seg = Segment(
                id=f"{doc}:{i}",
                mt=line,
                tgt_lang="en",
                doc_id=doc,
                line=i,
                source_file=f"feeds/{doc}.txt",
            )
            results.append(check_line(seg, dismissed))
    return Report(
        results=results,
        mode=Mode.TARGET,
        version="0.1.0",
        signature="mtqc:0.1.0|rules:test",
        rules=sorted(LEXICON),
        created=created,
    )


def record_many(url: str, feed: str, n: int, start_barrier) -> list[int]:
    """Worker for the concurrency tests: wait for the others, then record ``n`` runs."""
    from mtqc.store import open_store

    store = open_store(url)
    try:
        start_barrier.wait(timeout=60)
        return [store.record_run(make_report(), feed) for _ in range(n)]
    finally:
        store.close()
