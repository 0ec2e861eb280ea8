"""PNG charts of benchmark results (matplotlib, Agg backend: no display needed)."""

from __future__ import annotations

from pathlib import Path


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def latency_chart(result: dict, path: Path) -> Path:
    """Latency distribution per concurrency (box plots, log scale) beside requests/s bars."""
    plt = _pyplot()
    levels = result["http"]
    labels = [str(level["concurrency"]) for level in levels]
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.2))
    left.boxplot(
        [level["latencies_ms"] for level in levels],
        tick_labels=labels,
        whis=(1, 99),
        showfliers=True,
        flierprops={"markersize": 2, "alpha": 0.4},
    )
    for i, level in enumerate(levels, 1):
        left.annotate(
            f"p50 {level['p50_ms']:.0f}\np99 {level['p99_ms']:.0f}",
            (i, level["p99_ms"]),
            textcoords="offset points",
            xytext=(14, 0),
            fontsize=8,
        )
    left.set_yscale("log")
    left.set_xlabel("concurrent clients")
    left.set_ylabel("POST /api/ask latency (ms, log)")
    left.set_title("Latency per concurrency (whiskers p1-p99)")
    bars = right.bar(labels, [level["requests_per_s"] for level in levels], color="#4c72b0")
    right.bar_label(bars, fmt="%.1f")
    right.set_xlabel("concurrent clients")
    right.set_ylabel("requests / s")
    right.set_title("Throughput")
    fig.suptitle(
        f"rag serve on BBC ({result['in_process']['chunks']} chunks), backend {result['backend']}"
    )
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def ingest_chart(result: dict, path: Path) -> Path:
    """Chunks/s: the whole ingestion, the embedder alone, sentence-transformers (torch)."""
    plt = _pyplot()
    names = [
        "pipeline\n(rag index)",
        f"{result['backend']}\nencode only",
        "sentence-transformers\ntorch encode",
    ]
    values = [
        result["chunks_per_s"],
        result["raw_backend_chunks_per_s"],
        result["raw_st_torch_chunks_per_s"],
    ]
    fig, ax = plt.subplots(figsize=(7, 4))
    bars = ax.bar(names, values, color=["#4c72b0", "#55a868", "#c44e52"])
    ax.bar_label(bars, fmt="%.1f")
    ax.set_ylabel("chunks / s")
    ax.set_title(
        f"BBC ingestion: {result['documents']} articles, {result['chunks']} chunks "
        f"in {result['seconds']:.0f} s"
    )
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def backends_chart(result: dict, path: Path) -> Path:
    """Encode throughput per embedding backend, with SciFact nDCG@10 where measured."""
    plt = _pyplot()
    rows = result["backends"]
    names = [r["backend"] for r in rows]
    fig, ax = plt.subplots(figsize=(7, 4))
    bars = ax.bar(names, [r["chunks_per_s"] for r in rows], color="#4c72b0")
    labels = []
    for r in rows:
        ndcg = r.get("scifact_hybrid_ndcg@10")
        labels.append(f"{r['chunks_per_s']:.0f}/s" + (f"\nnDCG {ndcg:.3f}" if ndcg else ""))
    ax.bar_label(bars, labels=labels)
    ax.set_ylabel("BBC chunks / s (encode)")
    ax.set_title("Embedding backends (SciFact train hybrid nDCG@10)")
    ax.margins(y=0.2)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
