"""Normalising flagged phrases so that the same artifact groups across documents."""

from __future__ import annotations

import unicodedata

#: Longer spans are sentences or paragraphs (length, omission flags), not phrases.
MAX_PHRASE_WORDS = 8


def normalize_phrase(text: str) -> str:
    """Lowercase, drop punctuation and symbols, collapse whitespace.

    Returns ``""`` for spans that are not a phrase (empty after cleaning, or longer than
    :data:`MAX_PHRASE_WORDS` words), so they stay out of the recurring-artifact list.
    """
    cleaned = "".join(
        " " if unicodedata.category(ch)[0] in "PSZC" else ch for ch in text.casefold()
    )
    words = cleaned.split()
    if not words or len(words) > MAX_PHRASE_WORDS:
        return ""
    return " ".join(words)
