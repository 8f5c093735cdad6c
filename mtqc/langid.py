"""Source-language detection for when ``--src-lang`` is not given (langdetect, seeded)."""

from __future__ import annotations

from collections.abc import Iterable


def detect_language(texts: Iterable[str], *, sample_chars: int = 4000) -> str | None:
    """The most likely language code of ``texts`` taken together, or None if unsure.

    Deterministic: langdetect's random seed is fixed. Only a sample of the text is used
    (``sample_chars``) so detection stays cheap on long files.
    """
    from langdetect import DetectorFactory, detect_langs
    from langdetect.lang_detect_exception import LangDetectException

    DetectorFactory.seed = 0
    sample: list[str] = []
    size = 0
    for t in texts:
        if t:
            sample.append(t)
            size += len(t)
            if size >= sample_chars:
                break
    if not sample:
        return None
    try:
        best = detect_langs("\n".join(sample))[0]
    except LangDetectException:
        return None
    if best.prob < 0.6:
        return None
    return {"zh-cn": "zh", "zh-tw": "zh"}.get(best.lang, best.lang)
