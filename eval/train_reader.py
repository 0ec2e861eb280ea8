"""Train the span reader: the packaged MiniLM fine-tuned (all weights but the word embeddings;
or, with --lora, low-rank updates) plus a start/end head.

    python -m eval.train_reader [--data ../shared/data/squad/dev-v1.1-part-a.json]

Deterministic (fixed seeds, one fixed batch order). Trains on the `train` articles of
eval.squad_data only; writes rag/models/reader.safetensors and prints dev-split span EM/F1
with the gold paragraph given (the open-retrieval figures come from `python -m eval.bench squad`).
Each question is trained on its own paragraph and, for every second question, on another
paragraph of the same article labelled "no answer" ([CLS]), so the reader learns to say when a
passage does not answer: what retrieval over many releases needs. With --answerless, every
other question is also trained on its own paragraph with the sentence holding the answer taken
out, labelled "no answer" (unless the answer is still in what remains): a passage on the very
subject of the question that lacks the asked fact (tried, not shipped: READER_CARD.md). With
--news-repeat N, the project's own BBC fact questions (eval.news_qa) join the SQuAD ones, each
read N times an epoch (tried, not shipped either). With --news-train, the news questions of
the odd-numbered writers of eval/news_train.jsonl (eval.news_calib: 420 answerable, asked of
the run of paragraphs holding their sentence; 180 their article does not answer, asked of the
run most like them, labelled "no answer") are read once an epoch beside SQuAD's, and the
even-numbered writers' are left to calibrate the confidence (tried, not shipped yet).
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import random
import time
from pathlib import Path

import numpy as np

from eval.metrics import squad_em, squad_f1
from eval.squad_data import DEFAULT_SQUAD, load_articles
from rag.answering.reader import (
    FULL_PREFIX,
    LORA_TARGETS,
    MAX_LENGTH,
    READER_WEIGHTS,
    STRIDE,
    SpanReader,
    keep_layers,
)
from rag.config import DEFAULT_MODEL
from rag.embedders.model_files import resolve_model_path
from rag.ingestion.chunking import split_sentences

log = logging.getLogger("train_reader")


def _lora_layers(model, rank: int, alpha: float):
    import torch
    from torch import nn

    class LoRALinear(nn.Module):
        def __init__(self, base: nn.Linear) -> None:
            super().__init__()
            self.base = base
            self.lora_a = nn.Parameter(torch.randn(rank, base.in_features) / math.sqrt(rank * 8))
            self.lora_b = nn.Parameter(torch.zeros(base.out_features, rank))
            self.scale = alpha / rank

        def forward(self, x):
            return self.base(x) + (x @ self.lora_a.T @ self.lora_b.T) * self.scale

    wrapped = {}
    for name, module in list(model.named_modules()):
        if any(name.endswith(t) for t in LORA_TARGETS) and isinstance(module, nn.Linear):
            parent = model.get_submodule(name.rsplit(".", 1)[0])
            layer = LoRALinear(module)
            setattr(parent, name.rsplit(".", 1)[1], layer)
            wrapped[name] = layer
    return wrapped


def without_answer_sentence(paragraph: str, answer_start: int, answer: str) -> str | None:
    """The paragraph less the sentence(s) the answer lies in; None when nothing is left or the
    answer still occurs in what is left."""
    answer_end = answer_start + len(answer)
    kept = [
        paragraph[s.start : s.end]
        for s in split_sentences(paragraph)
        if s.end <= answer_start or s.start >= answer_end
    ]
    rest = " ".join(kept)
    if not rest.strip() or answer.lower() in rest.lower():
        return None
    return rest


def retrieved_negatives(articles) -> dict[str, str]:
    """Question id -> the paragraph the product's own retrieval (hybrid search, the sentence
    re-rank) ranks first among those that are not the question's own and hold none of its
    answers, over the paragraphs of `articles` only: the passage on the subject, without the
    answer, that the reader will be handed beside the right one."""
    from eval.bench import temp_engine

    texts = {f"{q.article:03d}-{q.paragraph:03d}": "" for a in articles for q in a.questions}
    records = []
    for art in articles:
        article = art.questions[0].article if art.questions else -1
        for pi, text in enumerate(art.paragraphs):
            texts[f"{article:03d}-{pi:03d}"] = text
            records.append({"id": f"{article:03d}-{pi:03d}", "title": art.title, "text": text})
    lines = "\n".join(json.dumps(r) for r in records) + "\n"
    out = {}
    with temp_engine("rag-negatives-", lambda src: (src / "squad.jsonl").write_text(lines)) as (
        engine,
        _,
        _,
    ):
        for art in articles:
            for q in art.questions:
                own = f"{q.article:03d}-{q.paragraph:03d}"
                answers = [a.lower() for a in q.answers]
                for hit in engine.search(q.question, 5):
                    pid = hit.chunk.source.split(":", 1)[1]
                    text = texts[pid]
                    if pid != own and not any(a in text.lower() for a in answers):
                        out[q.qid] = text
                        break
    return out


def build_features(
    tokenizer,
    articles,
    rng: random.Random,
    answerless: bool = False,
    negatives: dict[str, str] | None = None,
):
    """(input_ids, attention, token_type, start, end) per window, answers as token positions.
    Every second question is also read against a paragraph without its answer, labelled "no
    answer": from `negatives` when given (retrieved_negatives), else another paragraph of the
    same article drawn at random."""
    feats = []
    for art in articles:
        for qi, q in enumerate(art.questions):
            paragraph = art.paragraphs[q.paragraph]
            pairs = [(paragraph, q.answer_starts[0], q.answers[0])]
            if qi % 2 == 0 and negatives is not None:
                if q.qid in negatives:
                    pairs.append((negatives[q.qid], -1, ""))
            elif qi % 2 == 0 and len(art.paragraphs) > 1:
                other = rng.choice([i for i in range(len(art.paragraphs)) if i != q.paragraph])
                pairs.append((art.paragraphs[other], -1, ""))
            if qi % 2 == 1 and answerless and q.answer_starts[0] >= 0:
                rest = without_answer_sentence(paragraph, q.answer_starts[0], q.answers[0])
                if rest is not None:
                    pairs.append((rest, -1, ""))
            for context, a_start, a_text in pairs:
                enc = tokenizer(
                    q.question,
                    context,
                    truncation="only_second",
                    max_length=MAX_LENGTH,
                    stride=STRIDE,
                    return_overflowing_tokens=True,
                    return_offsets_mapping=True,
                )
                for w in range(len(enc["input_ids"])):
                    seq = enc.sequence_ids(w)
                    offs = enc["offset_mapping"][w]
                    start = end = 0
                    if a_start >= 0:
                        a_end = a_start + len(a_text)
                        ctx = [i for i, s in enumerate(seq) if s == 1]
                        if offs[ctx[0]][0] <= a_start and offs[ctx[-1]][1] >= a_end:
                            start = next(i for i in ctx if offs[i][1] > a_start)
                            end = next(i for i in reversed(ctx) if offs[i][0] < a_end)
                    feats.append(
                        (
                            enc["input_ids"][w],
                            enc["token_type_ids"][w],
                            start,
                            end,
                        )
                    )
    return feats


def _batches(feats, batch_size: int, rng: random.Random):
    order = sorted(range(len(feats)), key=lambda i: len(feats[i][0]))
    batches = [order[i : i + batch_size] for i in range(0, len(order), batch_size)]
    rng.shuffle(batches)
    return batches


def _collate(feats, idx):
    import torch

    width = max(len(feats[i][0]) for i in idx)
    ids = torch.zeros((len(idx), width), dtype=torch.long)
    types = torch.zeros_like(ids)
    mask = torch.zeros_like(ids)
    for r, i in enumerate(idx):
        n = len(feats[i][0])
        ids[r, :n] = torch.tensor(feats[i][0])
        types[r, :n] = torch.tensor(feats[i][1])
        mask[r, :n] = 1
    starts = torch.tensor([feats[i][2] for i in idx])
    ends = torch.tensor([feats[i][3] for i in idx])
    return ids, types, mask, starts, ends


def train(args: argparse.Namespace) -> dict:
    import torch
    from safetensors.torch import save_file
    from transformers import AutoModel, AutoTokenizer

    torch.manual_seed(args.seed)
    rng = random.Random(args.seed)
    path = resolve_model_path(DEFAULT_MODEL)
    tokenizer = AutoTokenizer.from_pretrained(path)
    model = AutoModel.from_pretrained(path, add_pooling_layer=False)
    keep_layers(model, args.layers)
    # --full: every encoder weight trains except the word embeddings (half the model's
    # parameters; few questions would move only the rows of words they contain).
    tuned = {
        name: p
        for name, p in model.named_parameters()
        if args.full and not name.startswith("embeddings.word_embeddings")
    }
    for name, p in model.named_parameters():
        p.requires_grad_(name in tuned)
    lora = {} if args.full else _lora_layers(model, args.rank, args.alpha)
    head = torch.nn.Linear(model.config.hidden_size, 2)
    params = [p for m in lora.values() for p in (m.lora_a, m.lora_b)] + list(head.parameters())
    params += list(tuned.values())
    train_articles = load_articles(args.data, "train")
    if args.limit:
        train_articles = train_articles[: args.limit]
    negatives = retrieved_negatives(train_articles) if args.retrieved_negatives else None
    feats = build_features(
        tokenizer, train_articles, rng, answerless=args.answerless, negatives=negatives
    )
    news_questions = 0
    if args.news_repeat or args.news_train:
        # BBC questions (eval.news_qa) read beside SQuAD's, the only ones in news style: the
        # reader's half of eval/news_train.jsonl (--news-train; its answerable and unanswerable
        # questions once an epoch) or the project's own eval questions (--news-repeat N).
        from eval.news_calib import load_news
        from eval.news_qa import eval_set_rows, news_articles

        rows = load_news(half="reader") if args.news_train else eval_set_rows()
        news = news_articles(rows)
        news_questions = sum(len(a.questions) for a in news)
        for _ in range(args.news_repeat or 1):
            feats += build_features(tokenizer, news, rng)
        log.info("%d BBC questions from %d articles", news_questions, len(news))
    # Phase 1 (optional): one pass over cloze questions made from news (eval.synthetic_qa);
    # phase 2: the SQuAD train articles, `epochs` times. One learning-rate schedule over both.
    phases = []
    if args.synthetic_articles:
        from eval.synthetic_qa import cloze_articles

        synthetic = cloze_articles(args.synthetic_articles, seed=args.seed)
        log.info(
            "%d cloze questions from %d news articles",
            sum(len(a.questions) for a in synthetic),
            len(synthetic),
        )
        phases.append(build_features(tokenizer, synthetic, rng))
    phases += [feats] * args.epochs
    steps = sum(math.ceil(len(f) / args.batch_size) for f in phases)
    opt = torch.optim.AdamW(params, lr=args.lr, weight_decay=0.01)
    warm = max(1, steps // 10)
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: min((s + 1) / warm, max(0.0, (steps - s) / (steps - warm)))
    )
    log.info("%d windows from %d articles; %d steps", len(feats), len(train_articles), steps)
    model.train()
    t0 = time.perf_counter()
    step = 0
    loss_fn = torch.nn.CrossEntropyLoss()
    for epoch, phase in enumerate(phases):
        for idx in _batches(phase, args.batch_size, rng):
            ids, types, mask, starts, ends = _collate(phase, idx)
            hidden = model(input_ids=ids, token_type_ids=types, attention_mask=mask)
            logits = head(hidden.last_hidden_state)
            logits = logits.masked_fill(mask[..., None] == 0, -1e4)
            loss = (loss_fn(logits[..., 0], starts) + loss_fn(logits[..., 1], ends)) / 2
            loss.backward()
            torch.nn.utils.clip_grad_norm_(params, 1.0)
            opt.step()
            sched.step()
            opt.zero_grad()
            step += 1
            if step % 20 == 0 or step == steps:
                rate = step / (time.perf_counter() - t0)
                log.info(
                    "epoch %d step %d/%d loss %.3f (%.2f steps/s, %.0f s left)",
                    epoch + 1,
                    step,
                    steps,
                    loss.item(),
                    rate,
                    (steps - step) / rate,
                )
    tensors = {}
    for name, layer in lora.items():
        tensors[f"{name}.lora_a"] = layer.lora_a.detach().to(torch.float16).contiguous()
        tensors[f"{name}.lora_b"] = layer.lora_b.detach().to(torch.float16).contiguous()
    for name, p in tuned.items():
        tensors[f"{FULL_PREFIX}{name}"] = p.detach().to(torch.float16).contiguous()
    tensors["qa_head.weight"] = head.weight.detach().to(torch.float16).contiguous()
    tensors["qa_head.bias"] = head.bias.detach().to(torch.float16).contiguous()
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    meta = {"rank": str(args.rank), "alpha": str(args.alpha), "base": DEFAULT_MODEL}
    meta["mode"] = "full" if args.full else "lora"
    meta["layers"] = str(model.config.num_hidden_layers)
    save_file(tensors, str(out), metadata=meta)
    seconds = time.perf_counter() - t0
    result = {
        "windows": len(feats),
        "synthetic_windows": len(phases[0]) if args.synthetic_articles else 0,
        "train_questions": sum(len(a.questions) for a in train_articles),
        "news_questions": news_questions,
        "news_repeat": args.news_repeat,
        "steps": steps,
        "train_seconds": round(seconds, 1),
        "bytes": out.stat().st_size,
    }
    result.update(evaluate_given_paragraph(args.data, out, args.eval_limit, args.eval_split))
    return result


def evaluate_given_paragraph(data: Path, weights: Path, limit: int = 0, split: str = "dev") -> dict:
    """EM/F1 on a split (dev; calib to compare training settings without touching dev) when the
    reader is handed the gold paragraph (the SQuAD paper's setting)."""
    reader = SpanReader(weights=weights)
    em = f1 = n = 0.0
    for art in load_articles(data, split):
        for q in art.questions:
            spans = reader.read(q.question, [art.paragraphs[q.paragraph]], top_n=1)
            pred = spans[0].text if spans else ""
            em += squad_em(pred, q.answers)
            f1 += squad_f1(pred, q.answers)
            n += 1
            if limit and n >= limit:
                break
        if limit and n >= limit:
            break
    return {
        f"{split}_given_paragraph_em": round(em / n, 4),
        f"{split}_given_paragraph_f1": round(f1 / n, 4),
        f"{split}_questions": int(n),
    }


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--data", type=Path, default=DEFAULT_SQUAD)
    ap.add_argument("--out", type=Path, default=READER_WEIGHTS)
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--batch-size", type=int, default=16)
    ap.add_argument(
        "--lr", type=float, default=None, help="default 1e-4 (full fine-tuning), 1e-3 with --lora"
    )
    ap.add_argument("--rank", type=int, default=16)
    ap.add_argument("--alpha", type=float, default=32.0)
    ap.add_argument(
        "--lora",
        action="store_true",
        help="train low-rank updates (--rank, --alpha) instead of the encoder's weights",
    )
    ap.add_argument(
        "--layers",
        type=int,
        default=0,
        help="keep only the encoder's first N layers (a faster reader); 0: all six",
    )
    ap.add_argument("--seed", type=int, default=13)
    ap.add_argument("--limit", type=int, default=0, help="train on the first N train articles")
    ap.add_argument(
        "--synthetic-articles",
        type=int,
        default=0,
        help="first train on cloze questions from N BBC articles (eval.synthetic_qa); 0: none",
    )
    ap.add_argument(
        "--answerless",
        action="store_true",
        help="also train on paragraphs with the answer's sentence taken out, as 'no answer'",
    )
    ap.add_argument(
        "--retrieved-negatives",
        action="store_true",
        help="'no answer' paragraphs from the product's retrieval over the train articles "
        "(the best-ranked one that is not the question's own) instead of random ones",
    )
    ap.add_argument(
        "--news-repeat",
        type=int,
        default=0,
        help="also train on the project's own BBC fact questions (eval.news_qa), each this "
        "many times an epoch (tried, not shipped: READER_CARD.md); 0: SQuAD only",
    )
    ap.add_argument(
        "--news-train",
        action="store_true",
        help="also train on the reader's half of eval/news_train.jsonl (eval.news_calib), then "
        "calibrate with `python -m eval.train_ranker --news-half confidence` (tried, not "
        "shipped: READER_CARD.md)",
    )
    ap.add_argument("--eval-limit", type=int, default=0, help="score only N questions")
    ap.add_argument(
        "--eval-split",
        choices=("dev", "calib"),
        default="dev",
        help="the split the last step scores (calib: compare settings without touching dev)",
    )
    args = ap.parse_args()
    args.full = not args.lora
    args.lr = args.lr or (1e-3 if args.lora else 1e-4)
    np.random.seed(args.seed)
    result = train(args)
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
