"""N011: the particle of a Dutch or Flemish surname translated ("Bart The Wever").

Dutch and Flemish surnames carry particles — "De Wever", "de Groot", "Van Dijk", "Van
den Bossche" — that MT sometimes translates as English words ("The Wever", "the Groot",
"Of Dijk", "From the Bossche"). The pattern is visible without the source: a
capitalised first name, then an English article or preposition, then a capitalised word
that is not English.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from mtqc.checks._text import lang_base
from mtqc.checks.base import rule
from mtqc.checks.untranslated import word_list
from mtqc.model import Hit, Segment

PARTICLE_RE = re.compile(
    r"(?<![\w’'-])(?P<first>[A-Z][a-zà-ÿ]{1,14}) "
    r"(?P<particle>The|the|Of|Of the|From|From the|Of The) "
    r"(?P<surname>[A-Z][a-zà-ÿ]{2,}(?:-[A-Z][a-zà-ÿ]+)?)(?![\w’'-])"
)
#: Words that open a phrase, not first names ("In The Hague", "Of The Netherlands").
_NOT_FIRST_NAMES_TEXT = """
The A An In At On For Of From To By With And But Or As When If After Before During
Since Until Into Onto Over Under Through About Across Along Around Behind Between Near
Without Within Against Towards Toward Via Per Like Unlike Despite Visit Visiting Meet
Meets Met Join Joined Beat Beats Played Plays Watch Watched Read Reads Call Called
Welcome Dear Dr Mr Mrs Ms Sir Lady Lord Saint St King Queen Prince Princess Pope Emperor
Tsar Czar Sultan Shah President Minister Mayor Chief Captain General Brother Sister Father
Mother Uncle Aunt Grandpa Grandma
"""
NOT_FIRST_NAMES = frozenset(_NOT_FIRST_NAMES_TEXT.split())
#: Capitalised words after "The" that are English names, not Dutch surnames.
_ENGLISH_AFTER_TEXT = "Hague Netherlands Beatles Rolling Guardian Times Economist Telegraph"
ENGLISH_AFTER = frozenset(_ENGLISH_AFTER_TEXT.split())
#: The Dutch particle an English rendering comes from.
DUTCH_PARTICLE = {
    "the": "De",
    "of": "Van",
    "from": "Van",
    "of the": "Van der",
    "from the": "Van den",
}


@rule("N011", "name-particle-translated", "major", "accuracy/mistranslation")
def name_particle_translated(seg: Segment, opts: Mapping[str, Any]) -> Iterator[Hit]:
    """The particle of a Dutch surname translated: ‘Bart The Wever’, ‘Jan the Groot’.

    What it flags, in an English target (source Dutch or not given): a capitalised first
    name followed by ‘The’, ‘the’, ‘Of’ or ‘From (the)’ and a capitalised word that is
    not a common English word — the Dutch particles ‘De’, ‘de’, ‘Van’, ‘Van den’
    translated. Phrases that start with a preposition or a title (‘In The Hague’,
    ‘King Philippe’), epithets (‘Alexander the Great’: ‘great’ is English) and English
    names (‘The Beatles’) are not flagged. With a Dutch source, N008 (which reads the
    name in the source) takes over.
    Why it matters: a translated particle turns a person's name into nonsense; readers
    cannot look the person up.
    Example: ``Mayor Bart ⟦The Wever⟧ opened the bridge.``
    Use instead: the name as written in Dutch: ``Bart De Wever``, ``Jan de Groot``,
    ``Jan Van Dijk``.
    """
    if (lang_base(seg.tgt_lang) or "en") != "en" or lang_base(seg.src_lang) not in ("", "nl"):
        return
    if seg.src:
        return  # with the Dutch source, N008 sees the name itself: one flag, not two
    english = word_list("en_words.txt")
    for m in PARTICLE_RE.finditer(seg.mt):
        first, particle, surname = m["first"], m["particle"], m["surname"]
        if first in NOT_FIRST_NAMES or surname in ENGLISH_AFTER:
            continue
        if surname.split("-")[0].lower() in english:
            continue  # "Ivan the Terrible", "Florence The Machine"
        fix = DUTCH_PARTICLE[particle.lower()]
        if particle[0].islower():
            fix = fix.lower()
        yield Hit(
            m.start("particle"),
            m.end("surname"),
            f"‘{particle} {surname}’ looks like the Dutch surname ‘{fix} {surname}’ with its "
            "particle translated.",
            (f"{fix} {surname}",),
            evidence={"first_name": first, "particle": particle},
        )
