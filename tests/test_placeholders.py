"""P008 on the issue's examples: the flag's side and span, and the fix."""

from __future__ import annotations

from mtqc.checks import all_rules
from mtqc.checks._apply import apply_rule
from mtqc.model import Segment

P008 = all_rules()["P008"]


def flags(mt: str, src: str):
    return [(f.side, f.text) for f in apply_rule(P008, Segment("s", mt, src=src, src_lang="fr"))]


def test_a_missing_placeholder_is_flagged_in_the_source():
    got = flags("Hello, you have %d messages.", "Bonjour {0}, vous avez %d messages.")
    assert got == [("src", "{0}")]


def test_a_renamed_placeholder_is_flagged_in_the_mt_with_the_source_name_as_fix():
    seg = Segment("s", "Version 2.0 of {nomApp}", src="Version 2.0 de {appName}")
    (renamed, missing) = apply_rule(P008, seg)
    assert (renamed.side, renamed.text, renamed.suggestions) == ("mt", "{nomApp}", ["{appName}"])
    assert (missing.side, missing.text) == ("src", "{appName}")


def test_an_unclosed_tag_is_flagged_in_both_texts():
    got = flags("Click <b>Save.", "Cliquez sur <b>Enregistrer</b>.")
    assert got == [("src", "</b>"), ("mt", "<b>")]
