"""The span reader: a MiniLM encoder with a trained start/end head that reads a question
against passages and proposes answer spans with scores.

The encoder is the packaged all-MiniLM-L6-v2, fine-tuned for span extraction on SQuAD v1.1 by
`python -m eval.train_reader`: rag/models/reader.safetensors holds its fine-tuned weights (all
but the word embeddings, which stay the packaged ones) and the start/end head (see
rag/models/READER_CARD.md). A reader trained with `--lora` stores low-rank updates instead,
merged into the weights at load; either way reading costs one plain MiniLM forward pass per
passage window.

The reader was trained with "no answer here" windows (labelled with the [CLS] position), so
`null_score` says how strongly a passage holds no answer; the answer ranker uses it.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import threading
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from rag.cache import LRU
from rag.config import DEFAULT_MODEL
from rag.embedders.model_files import resolve_model_path, transformers_auto

log = logging.getLogger(__name__)

READER_WEIGHTS = Path(__file__).resolve().parent.parent / "models" / "reader.safetensors"
MAX_LENGTH = 256  # wordpieces per window: MiniLM's trained sequence length
STRIDE = 64  # overlap between windows of a passage longer than one window
MAX_ANSWER_TOKENS = 30
SPAN_CACHE_SIZE = 4096  # (question, passage) pairs whose spans are kept
FULL_PREFIX = "encoder_weight."  # fine-tuned encoder weights stored whole, not as LoRA updates
# Linear layers of each BERT layer that carry a low-rank update.
LORA_TARGETS = (
    "attention.self.query",
    "attention.self.key",
    "attention.self.value",
    "attention.output.dense",
    "intermediate.dense",
    "output.dense",
)


@dataclass
class Span:
    passage: int  # index into the passages given to read()
    start: int  # character offsets into that passage
    end: int
    text: str
    score: float  # start logit + end logit
    null_score: float  # the window's [CLS] start + end logits ("no answer in this window")
    prob: float = 0.0  # softmax of `score` over every span proposed for the question


def load_full_weights(model, tensors: dict) -> None:
    """Replace the encoder weights stored whole (a reader trained with --full)."""
    import torch

    params = dict(model.named_parameters())
    with torch.no_grad():
        for name, value in tensors.items():
            if name.startswith(FULL_PREFIX):
                params[name[len(FULL_PREFIX) :]].copy_(value.float())


def keep_layers(model, layers: int) -> None:
    """Cut the encoder to its first `layers` layers (0 or more than it has: keep them all).

    A reader trained on fewer layers reads a window in proportionally less time.
    """
    if 0 < layers < len(model.encoder.layer):
        model.encoder.layer = model.encoder.layer[:layers]
        model.config.num_hidden_layers = layers


def merge_lora(model, tensors: dict, rank: int, alpha: float) -> None:
    """Add each stored low-rank update B @ A * (alpha / rank) to the encoder's weights."""
    import torch

    scale = alpha / rank
    params = dict(model.named_parameters())
    with torch.no_grad():
        for name, a in tensors.items():
            if not name.endswith(".lora_a"):
                continue
            base = name[: -len(".lora_a")]
            b = tensors[base + ".lora_b"]
            params[base + ".weight"].add_((b.float() @ a.float()) * scale)


_SHARED: dict[tuple[str, str, str], tuple] = {}
_SHARED_LOCK = threading.Lock()
BACKENDS = ("torch", "onnx", "onnx-int8")
ONNX_EXPORT_VERSION = 1


def _torch_model(model_name: str, weights: Path):
    """(tokenizer, module mapping input ids to start/end logits) with the trained weights."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    import torch
    from safetensors import safe_open

    AutoTokenizer = transformers_auto("AutoTokenizer")
    AutoModel = transformers_auto("AutoModel")
    path = resolve_model_path(model_name)
    log.info("loading span reader %s + %s", path, weights.name)
    tokenizer = AutoTokenizer.from_pretrained(path)
    model = AutoModel.from_pretrained(path, add_pooling_layer=False)
    # Eager attention exports as plain MatMul/Softmax, which the ONNX optimizer fuses.
    with contextlib.suppress(AttributeError, ValueError):
        model.set_attn_implementation("eager")
    with safe_open(str(weights), framework="pt") as fh:
        meta = fh.metadata() or {}
        tensors = {k: fh.get_tensor(k) for k in fh.keys()}  # noqa: SIM118
    keep_layers(model, int(meta.get("layers", 0)))
    load_full_weights(model, tensors)
    merge_lora(model, tensors, int(meta.get("rank", 16)), float(meta.get("alpha", 32)))
    head = torch.nn.Linear(model.config.hidden_size, 2)
    with torch.no_grad():
        head.weight.copy_(tensors["qa_head.weight"].float())
        head.bias.copy_(tensors["qa_head.bias"].float())

    class _Reader(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.encoder, self.head = model, head

        def forward(self, input_ids, attention_mask, token_type_ids):
            hidden = self.encoder(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            ).last_hidden_state
            return self.head(hidden)

    return tokenizer, _Reader().eval()


def _onnx_file(model_name: str, weights: Path, quantized: bool) -> Path:
    """The reader exported to ONNX (fused, optionally int8), cached by the weights' hash."""
    import torch

    from rag.embedders.onnx_backend import fuse_graph, quantize_int8

    root = Path(os.environ.get("RAG_ONNX_CACHE", Path.home() / ".cache" / "rag-onnx"))
    digest = hashlib.sha256(weights.read_bytes()).hexdigest()[:12]
    folder = root / f"reader-{digest}-v{ONNX_EXPORT_VERSION}"
    fp32, int8 = folder / "reader.onnx", folder / "reader-int8.onnx"
    target = int8 if quantized else fp32
    if target.exists():
        return target
    folder.mkdir(parents=True, exist_ok=True)
    if not fp32.exists():
        tokenizer, module = _torch_model(model_name, weights)
        log.info("exporting the span reader to ONNX in %s (once)", folder)
        sample = tokenizer(["a question?"], ["a short passage here."], return_tensors="pt")
        names = ["input_ids", "attention_mask", "token_type_ids"]
        plain = folder / f".reader-plain.{os.getpid()}.onnx"
        torch.onnx.export(
            module,
            tuple(sample[n] for n in names),
            str(plain),
            input_names=names,
            output_names=["logits"],
            dynamic_axes={n: {0: "batch", 1: "seq"} for n in [*names, "logits"]},
            opset_version=17,
            dynamo=False,
        )
        fused = folder / f".reader-fused.{os.getpid()}.onnx"
        if fuse_graph(plain, fused, module.encoder.config, tokenizer):
            os.replace(fused, fp32)
            plain.unlink()
        else:
            os.replace(plain, fp32)
    if quantized and not int8.exists():
        quantize_int8(fp32, int8)
    return target


def _load(model_name: str, weights: Path, backend: str) -> tuple:
    """(tokenizer, run) where run(feeds: dict of int64 arrays) -> logits [batch, seq, 2]."""
    if backend == "torch":
        import torch

        tokenizer, module = _torch_model(model_name, weights)

        def run_torch(feeds):
            with torch.inference_mode():
                return module(**{k: torch.from_numpy(v) for k, v in feeds.items()}).numpy()

        return tokenizer, run_torch
    import onnxruntime as ort

    AutoTokenizer = transformers_auto("AutoTokenizer")

    onnx = _onnx_file(model_name, weights, backend == "onnx-int8")
    cores = os.cpu_count() or 1

    def session(threads: int):
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        # Idle pool threads sleep instead of spinning: spinning would burn the cores that
        # spaCy and the other requests' reads need between runs.
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        return ort.InferenceSession(str(onnx), options, providers=["CPUExecutionProvider"])

    # A read alone uses every core; reads that overlap each take one, so concurrent questions
    # run side by side instead of queueing for one session's thread pool.
    sessions = {n: session(n) for n in {cores, 1}}
    in_flight = [0]
    lock = threading.Lock()
    tokenizer = AutoTokenizer.from_pretrained(resolve_model_path(model_name))

    def run_onnx(feeds):
        with lock:
            in_flight[0] += 1
            alone = in_flight[0] == 1
        try:
            return sessions[cores if alone else 1].run(None, feeds)[0]
        finally:
            with lock:
                in_flight[0] -= 1

    return tokenizer, run_onnx


class SpanReader:
    """Loads lazily (never at import), once per process; reads are thread-safe."""

    def __init__(
        self,
        model_name: str = DEFAULT_MODEL,
        weights: Path = READER_WEIGHTS,
        backend: str = "onnx",
        span_cache: int = SPAN_CACHE_SIZE,
    ) -> None:
        if backend not in BACKENDS:
            raise ValueError(f"unknown reader backend {backend!r}; use one of {BACKENDS}")
        self.model_name = model_name
        self.weights = weights
        self.backend = backend
        self._tokenizer = None
        self._run = None
        # The spans each (question, passage) gave: a passage read again for the same question
        # (a question asked again; a list or yes/no question reading a release once more) costs
        # no model run. The spans depend on nothing else, so the answers are the same.
        self._spans = LRU(span_cache)
        self._spans_lock = threading.Lock()

    @property
    def available(self) -> bool:
        return self.weights.is_file()

    def warm_up(self) -> None:
        self._load()

    def _load(self) -> None:
        if self._run is None:
            with _SHARED_LOCK:
                key = (self.model_name, str(self.weights), self.backend)
                if key not in _SHARED:
                    try:
                        _SHARED[key] = _load(self.model_name, self.weights, self.backend)
                    except Exception as exc:  # no ONNX export possible here: torch reads too
                        if self.backend == "torch":
                            raise
                        log.warning("span reader: ONNX unavailable (%s); using torch", exc)
                        _SHARED[key] = _load(self.model_name, self.weights, "torch")
                self._tokenizer, self._run = _SHARED[key]

    def read(self, question: str, passages: list[str], top_n: int = 5) -> list[Span]:
        """The best `top_n` spans of each passage window, best first, with `prob` set."""
        if not passages:
            return []
        self._load()
        by_passage: list[list[Span] | None] = []
        with self._spans_lock:
            for passage in passages:
                found = self._spans.get((question, passage, top_n))
                if found is not None:  # kept longest that are read most
                    self._spans.move_to_end((question, passage, top_n))
                by_passage.append(found)
        todo = [p for p, found in enumerate(by_passage) if found is None]
        if todo:
            read = self._read_windows(question, [passages[p] for p in todo], top_n)
            with self._spans_lock:
                for i, p in enumerate(todo):
                    by_passage[p] = read[i]
                    self._spans.put((question, passages[p], top_n), read[i])
        # Copies, numbered by this call's passages: `prob` is set per call, over all its spans.
        spans = [replace(s, passage=p) for p, found in enumerate(by_passage) for s in found or ()]
        return _with_probs(spans)

    def _read_windows(self, question: str, passages: list[str], top_n: int) -> list[list[Span]]:
        """The spans of each passage (its windows in order), read by the model."""
        enc = self._tokenizer(
            [question] * len(passages),
            passages,
            truncation="only_second",
            max_length=MAX_LENGTH,
            stride=STRIDE,
            return_overflowing_tokens=True,
            return_offsets_mapping=True,
        )
        out: list[list[Span]] = [[] for _ in passages]
        # One window per run, unpadded: on 2 cores that is faster than a padded batch, and a
        # window's scores never depend on what else was read with it.
        for w, p in enumerate(enc["overflow_to_sample_mapping"]):
            feeds = {
                k: np.asarray([enc[k][w]], dtype=np.int64)
                for k in ("input_ids", "attention_mask", "token_type_ids")
            }
            logits = self._run(feeds)[0]
            ctx = np.array([s == 1 for s in enc.sequence_ids(w)])
            offsets = np.asarray(enc["offset_mapping"][w])
            out[p].extend(
                _best_spans(logits[:, 0], logits[:, 1], ctx, offsets, passages[p], 0, top_n)
            )
        return out


def _best_spans(
    start_logits: np.ndarray,
    end_logits: np.ndarray,
    context: np.ndarray,
    offsets: np.ndarray,
    passage: str,
    index: int,
    top_n: int,
) -> list[Span]:
    null = float(start_logits[0] + end_logits[0])
    idx = np.flatnonzero(context)
    if not len(idx):
        return []
    s, e = start_logits[idx], end_logits[idx]
    # No span starts or ends inside a word or number the wordpieces split (cuts_a_word).
    starts, ends = offsets[idx, 0], offsets[idx, 1]
    s = np.where([_joined(passage, int(c) - 1, int(c)) for c in starts], -np.inf, s)
    e = np.where([_joined(passage, int(c) - 1, int(c)) for c in ends], -np.inf, e)
    # All (start, end) pairs with start <= end < start + MAX_ANSWER_TOKENS, scored s + e: a
    # band of the start x end table, row a holding the ends a, a + 1, ... (the whole table
    # and a full sort of it cost milliseconds a window; the band and a partial sort do not).
    n = len(idx)
    width = min(MAX_ANSWER_TOKENS, n)
    band = np.full((n, width), -np.inf)
    for d in range(width):
        band[: n - d, d] = s[: n - d] + e[d:]
    k = min(top_n * 3, band.size)
    best = np.argpartition(band, band.size - k, axis=None)[-k:]
    flat = best[np.argsort(band.ravel()[best], kind="stable")[::-1]]
    out: list[Span] = []
    seen: set[tuple[int, int]] = set()
    for f in flat:
        a, d = divmod(int(f), width)
        b = a + d
        score = float(band[a, d])
        if not np.isfinite(score):
            break
        cs, ce = int(offsets[idx[a]][0]), int(offsets[idx[b]][1])
        if ce <= cs or (cs, ce) in seen or "\n" in passage[cs:ce]:
            continue  # an answer never runs across a paragraph break
        seen.add((cs, ce))
        out.append(Span(index, cs, ce, passage[cs:ce], score, null))
        if len(out) >= top_n:
            break
    return out


def cuts_a_word(passage: str, start: int, end: int) -> bool:
    """Whether the span `passage[start:end]` begins or ends inside a word or a number.

    Wordpieces split "Gestingthorpe" and "£5.35" ("£", "5", ".", "35"), so the reader could
    propose "thorpe" or "£5"; an answer is whole words (of SQuAD's 18,389 gold answers, 55
    cut a word, none a number).
    """
    return _joined(passage, start - 1, start) or _joined(passage, end - 1, end)


def _joined(passage: str, left: int, right: int) -> bool:
    """Whether the characters at `left` and `right` (= left + 1) belong to one word or number."""
    if left < 0 or right >= len(passage):
        return False
    a, b = passage[left], passage[right]
    if a.isalnum() and b.isalnum():
        return True
    # a decimal point or a thousands separator inside a number: "5.35", "32,000"
    if a in ".," and b.isdigit():
        return left > 0 and passage[left - 1].isdigit()
    return b in ".," and a.isdigit() and passage[right + 1 : right + 2].isdigit()


def _with_probs(spans: list[Span]) -> list[Span]:
    if not spans:
        return spans
    scores = np.array([s.score for s in spans])
    probs = np.exp(scores - scores.max())
    probs /= probs.sum()
    for s, p in zip(spans, probs, strict=True):
        s.prob = float(p)
    return sorted(spans, key=lambda s: -s.score)
