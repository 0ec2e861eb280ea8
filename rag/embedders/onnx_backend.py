"""ONNX Runtime embedding backend: fp32 or dynamically quantised int8, exported locally.

The first use exports the sentence-transformers model to ONNX with torch (offline, eager
attention), fuses it with ONNX Runtime's transformer optimizer (Attention, SkipLayerNorm,
BiasGelu: the fused graph is checked against the plain one and dropped if they disagree),
quantises it for int8 (per-channel weights: per-tensor scales cost MiniLM ~0.04 of cosine), and
caches the files under RAG_ONNX_CACHE (default ~/.cache/rag-onnx/<model>-<hash>-v2/). Later runs
load only the tokenizer and the ONNX file. fp32 vectors match torch (cosine > 0.9999); int8 ones
do not exactly (mean cosine ~0.992 on BBC chunks): the backend is part of the index spec.
Activations are quantised per run, so int8 encodes one text per run (a vector never depends on
what else was encoded with it).
Speed and quality per backend: `python -m eval.bench backends` (README, Benchmarks).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import threading
from pathlib import Path

import numpy as np

from rag.embedders.model_files import resolve_model_path, transformers_auto

log = logging.getLogger(__name__)
BACKENDS = ("torch", "onnx", "onnx-int8")
EXPORT_VERSION = 2  # bump when the exported files change: old caches are then ignored
# Part of the int8 index spec: bump when int8 vectors change (export, quantisation or batching),
# so that an index is rebuilt rather than searched with vectors made another way.
INT8_VECTORS_VERSION = 3


def _cache_dir(model_path: str) -> Path:
    root = Path(os.environ.get("RAG_ONNX_CACHE", Path.home() / ".cache" / "rag-onnx"))
    digest = hashlib.sha256(os.path.abspath(model_path).encode()).hexdigest()[:12]
    return root / f"{Path(model_path).name}-{digest}-v{EXPORT_VERSION}"


def export_onnx(model_path: str, quantized: bool) -> Path:
    """The cached ONNX file for the model, exporting (and quantising) it first if needed."""
    folder = _cache_dir(model_path)
    fp32, int8 = folder / "model.onnx", folder / "model-int8.onnx"
    target = int8 if quantized else fp32
    if target.exists():
        return target
    folder.mkdir(parents=True, exist_ok=True)
    if not fp32.exists():
        _export_fp32(model_path, folder, fp32)
    if quantized and not int8.exists():
        quantize_int8(fp32, int8)
    return target


def quantize_int8(fp32: Path, int8: Path) -> None:
    """Dynamic int8 quantisation with per-channel weight scales, written atomically."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    tmp = int8.parent / f".{int8.stem}.{os.getpid()}.onnx"
    quantize_dynamic(
        str(fp32),
        str(tmp),
        weight_type=QuantType.QInt8,
        per_channel=True,
        # Fused ops have no inferred output types; their outputs are float.
        extra_options={"DefaultTensorType": 1},
    )
    os.replace(tmp, int8)


def _export_fp32(model_path: str, folder: Path, target: Path) -> None:
    import torch
    from sentence_transformers import SentenceTransformer

    log.info("exporting %s to ONNX in %s (once)", model_path, folder)
    st = SentenceTransformer(model_path, device="cpu")
    hf, tok = st[0].auto_model, st[0].tokenizer
    try:  # eager attention exports as plain MatMul/Softmax, which the optimizer can fuse
        hf.set_attn_implementation("eager")
    except (AttributeError, ValueError) as exc:
        log.info("keeping the model's attention implementation (%s)", exc)

    class _Encoder(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.hf = hf

        def forward(self, input_ids, attention_mask, token_type_ids):
            return self.hf(
                input_ids=input_ids,
                attention_mask=attention_mask,
                token_type_ids=token_type_ids,
            ).last_hidden_state

    sample = tok(["an example", "a longer example sentence"], padding=True, return_tensors="pt")
    names = ["input_ids", "attention_mask", "token_type_ids"]
    plain = folder / f".model-plain.{os.getpid()}.onnx"
    torch.onnx.export(
        _Encoder().eval(),
        tuple(sample[n] for n in names),
        str(plain),
        input_names=names,
        output_names=["last_hidden_state"],
        dynamic_axes={n: {0: "batch", 1: "seq"} for n in [*names, "last_hidden_state"]},
        opset_version=17,
        dynamo=False,
    )
    fused = folder / f".model-fused.{os.getpid()}.onnx"
    if fuse_graph(plain, fused, hf.config, tok):
        os.replace(fused, target)
        plain.unlink()
    else:
        os.replace(plain, target)


def fuse_graph(plain: Path, fused: Path, config, tokenizer) -> bool:
    """Write the transformer-fused graph of `plain`; False (nothing kept) if it differs."""
    import onnxruntime as ort

    try:
        from onnxruntime.transformers import optimizer

        model = optimizer.optimize_model(
            str(plain),
            model_type="bert",
            num_heads=int(config.num_attention_heads),
            hidden_size=int(config.hidden_size),
            opt_level=1,
        )
        model.save_model_to_file(str(fused))
        enc = tokenizer(
            ["Fusion check.", "A somewhat longer sentence, padded beside the short one."],
            padding=True,
            return_tensors="np",
        )
        feeds = {
            k: enc[k].astype(np.int64) for k in ("input_ids", "attention_mask", "token_type_ids")
        }
        outs = [
            ort.InferenceSession(str(f), providers=["CPUExecutionProvider"]).run(None, feeds)[0]
            for f in (plain, fused)
        ]
        mask = enc["attention_mask"].astype(bool)
        if np.allclose(outs[0][mask], outs[1][mask], atol=1e-3):
            return True
        log.warning("the fused ONNX graph disagrees with the plain export; not using it")
    except Exception as exc:  # an architecture the optimizer does not know: keep the plain one
        log.warning("ONNX transformer fusion failed (%s); using the plain export", exc)
    fused.unlink(missing_ok=True)
    return False


class OnnxEmbedder:
    """Mean-pooled, normalised sentence embeddings from an ONNX Runtime session."""

    def __init__(self, name: str, batch_size: int = 64, quantized: bool = False) -> None:
        self.base_name = name
        # The name goes into the index spec: int8 vectors change with the quantisation recipe.
        self.name = f"{name}+onnx-int8.v{INT8_VECTORS_VERSION}" if quantized else f"{name}+onnx"
        self.batch_size = batch_size
        self.quantized = quantized
        self._session = None
        self._single = None
        self._tokenizer = None
        self._max_len = 256
        self._lock = threading.Lock()

    def warm_up(self) -> None:
        self._load()

    def _load(self):
        if self._session is None:
            with self._lock:
                if self._session is None:
                    os.environ.setdefault("HF_HUB_OFFLINE", "1")
                    import onnxruntime as ort

                    AutoTokenizer = transformers_auto("AutoTokenizer")

                    path = resolve_model_path(self.base_name)
                    pooling = json.loads((Path(path) / "1_Pooling" / "config.json").read_text())
                    if not pooling.get("pooling_mode_mean_tokens"):
                        raise ValueError("the ONNX backend supports mean-pooling models only")
                    cfg = Path(path) / "sentence_bert_config.json"
                    if cfg.exists():
                        self._max_len = int(json.loads(cfg.read_text()).get("max_seq_length", 256))
                    onnx_file = export_onnx(path, self.quantized)
                    self._tokenizer = AutoTokenizer.from_pretrained(path)

                    def session(threads: int):
                        options = ort.SessionOptions()
                        options.intra_op_num_threads = threads
                        return ort.InferenceSession(
                            str(onnx_file), options, providers=["CPUExecutionProvider"]
                        )

                    # A question is embedded on one thread: its few tokens gain nothing from
                    # a thread pool, whose idle threads would spin on the cores the rest of
                    # the answer path needs. Documents use every core.
                    self._single = session(1)
                    self._session = session(os.cpu_count() or 1)
        return self._session

    @property
    def dimension(self) -> int:
        path = resolve_model_path(self.base_name)
        pooling = json.loads((Path(path) / "1_Pooling" / "config.json").read_text())
        return int(pooling["word_embedding_dimension"])

    def encode(self, texts: list[str], *, show_progress: bool = False) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        session = self._load()
        if len(texts) == 1:
            session = self._single
        enc = self._tokenizer(texts, truncation=True, max_length=self._max_len)
        names = [k for k in ("input_ids", "attention_mask", "token_type_ids") if k in enc]
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        # Batches hold texts of one token length only: no padding, so a text's vector never
        # depends on its batch-mates (measured on 2 cores: padded batches of BBC chunks ran
        # 25% slower than one text at a time). int8 goes one text per run: its activations are
        # quantised with one scale per tensor, which a batch would share (cosine 0.95 for a
        # word batched vs alone), and answers would change with whatever else was encoded.
        per_run = 1 if self.quantized else self.batch_size
        by_length: dict[int, list[int]] = {}
        for i, ids in enumerate(enc["input_ids"]):
            by_length.setdefault(len(ids), []).append(i)
        batches = [
            idx[s : s + per_run] for idx in by_length.values() for s in range(0, len(idx), per_run)
        ]
        progress = None
        if show_progress:
            from tqdm import tqdm

            progress = tqdm(total=len(texts), desc="Embedding", unit="text")
        for idx in batches:
            feeds = {k: np.asarray([enc[k][i] for i in idx], dtype=np.int64) for k in names}
            hidden = session.run(None, feeds)[0]
            vecs = hidden.mean(axis=1)  # every token is real: no mask needed
            vecs /= np.maximum(np.linalg.norm(vecs, axis=1, keepdims=True), 1e-12)
            out[idx] = vecs
            if progress is not None:
                progress.update(len(idx))
        if progress is not None:
            progress.close()
        return out


def onnx_embedder(name: str, batch_size: int = 64) -> OnnxEmbedder:
    """RAG_EMBED_BACKEND=onnx (an entry point of rag.embedders)."""
    return OnnxEmbedder(name, batch_size)


def onnx_int8_embedder(name: str, batch_size: int = 64) -> OnnxEmbedder:
    """RAG_EMBED_BACKEND=onnx-int8 (an entry point of rag.embedders)."""
    return OnnxEmbedder(name, batch_size, quantized=True)
