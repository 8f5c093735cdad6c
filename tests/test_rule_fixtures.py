"""Every registered rule has a fixture with flagged and clean lines, and flags exactly
the marked spans on it."""

from __future__ import annotations

import pytest
from rule_fixtures import FIXTURES, load_fixture

from mtqc.checks import all_rules
from mtqc.checks._apply import apply_rule

RULES = all_rules()


def test_at_least_twenty_rules():
    assert len(RULES) >= 20, sorted(RULES)


@pytest.mark.parametrize("code", sorted(RULES))
def test_rule_has_fixture_with_flagged_and_clean_lines(code):
    path = FIXTURES / f"{code}.txt"
    assert path.exists(), f"rule {code} has no fixture {path}"
    fx = load_fixture(code)
    assert any(c.spans or c.ref_spans for c in fx.cases), f"{path}: no flagged line"
    assert any(not (c.spans or c.ref_spans) for c in fx.cases), f"{path}: no clean line"


@pytest.mark.parametrize("code", sorted(RULES))
def test_rule_flags_exactly_the_marked_spans(code):
    r = RULES[code]
    fx = load_fixture(code)
    for case in fx.cases:
        all_flags = apply_rule(r, case.segment, fx.options)
        for side, expected in (("mt", case.spans), ("ref", case.ref_spans)):
            text = getattr(case.segment, side) or ""
            got = sorted((f.start, f.end) for f in all_flags if f.side == side)
            assert got == sorted(expected), (
                f"{FIXTURES / (code + '.txt')}:{case.lineno}: {side} {text!r}\n"
                f"  expected {expected} {[text[s:e] for s, e in expected]}\n"
                f"  got      {got} {[text[s:e] for s, e in got]}"
            )
        for f in all_flags:
            assert f.text == (getattr(case.segment, f.side) or "")[f.start : f.end]
            assert f.message, f"{code}: empty message"


@pytest.mark.parametrize("code", sorted(RULES))
def test_rule_docstring_has_sections(code):
    doc = RULES[code].doc
    for section in ("What it flags", "Why it matters", "Example", "Use instead"):
        assert section in doc, f"rule {code} docstring lacks '{section}'"
