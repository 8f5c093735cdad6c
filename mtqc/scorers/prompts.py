"""The text put before a segment when a causal LM scores it in context.

Two prompts, both plain text (no chat template, so any causal LM can read them):

* :func:`translation_prompt` — the source before the MT, for ``log P(mt | src)`` (M003);
* :func:`reference_prompt` — the MT before the reference, for ``log P(ref | mt)``: how
  well the MT lets the model predict a reference translation of the same text (the LM
  scorer's ``lm_ref_bits``, in the spirit of Prism, Thompson & Post 2020).

Standard library only.
"""

from __future__ import annotations

LANG_NAMES = {
    "ar": "Arabic", "de": "German", "en": "English", "es": "Spanish", "fr": "French",
    "it": "Italian", "ja": "Japanese", "ko": "Korean", "nl": "Dutch", "pl": "Polish",
    "pt": "Portuguese", "ru": "Russian", "tr": "Turkish", "uk": "Ukrainian", "zh": "Chinese",
}  # fmt: skip


def lang_name(code: str | None) -> str:
    """An English language name for a code (``zh-Hans`` → Chinese); the code if unknown."""
    if not code:
        return "the source language"
    return LANG_NAMES.get(code.split("-")[0].split("_")[0].lower(), code)


def translation_prompt(src: str, src_lang: str | None, tgt_lang: str = "en") -> str:
    """The prefix put before the MT when scoring it given the source."""
    tgt = lang_name(tgt_lang)
    return f"Translate from {lang_name(src_lang)} to {tgt}:\n{src}\n{tgt}: "


def reference_prompt(mt: str, tgt_lang: str | None = "en") -> str:
    """The prefix put before the reference when scoring it given the MT.

    Measured on the zh→en MQM benchmark (SmolLM2, 100 source sentences): this framing
    ("translation 1 … translation 2 (same meaning)") ranked the systems' translations of
    one sentence a little better than a paraphrase framing or the bare MT.
    """
    lang = lang_name(tgt_lang or "en")
    return f"{lang} translation 1: {mt}\n{lang} translation 2 (same meaning): "
