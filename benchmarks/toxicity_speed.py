"""Our Detoxify batch scorer vs `Detoxify.predict` in fixed batches of 32, on the same checkpoint.

The checkpoint is a randomly initialised model of bert-base size (12 layers, hidden 768) saved
in Detoxify's file format: speed does not depend on the weights. Texts have mixed lengths,
10 to 300 tokens. Both sides run in this process, one after the other, on the same texts.

    python benchmarks/toxicity_speed.py                       # ~4 minutes of CPU time on 2 cores
    python benchmarks/toxicity_speed.py --lengths loguniform  # a long tail of lengths, like comments
    python benchmarks/toxicity_speed.py --texts 64            # quicker, noisier
    python benchmarks/toxicity_speed.py --repeats 3           # on a busy machine: the best run of each side

Target: at least 2x the throughput of Detoxify.predict, with scores identical to 1e-6.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from tiny_models import WORDS, make_tiny_bert  # noqa: E402  (its WordPiece tokenizer: one token per word)

CLASSES = ["toxic", "severe_toxic", "obscene", "threat", "insult", "identity_hate"]


def build_checkpoint(folder: Path) -> tuple[Path, Path]:
    """A bert-base-size random model as a Detoxify checkpoint, and its config/tokenizer folder."""
    from transformers import BertConfig, BertForSequenceClassification

    hf_dir = make_tiny_bert(folder / "hf", num_labels=len(CLASSES), max_position=512)
    config = BertConfig.from_pretrained(hf_dir, hidden_size=768, num_hidden_layers=12, num_attention_heads=12,
                                        intermediate_size=3072, num_labels=len(CLASSES))
    torch.manual_seed(0)
    model = BertForSequenceClassification(config)
    model.config.save_pretrained(hf_dir)
    path = folder / "bert-base-random.ckpt"
    torch.save({"config": {"arch": {"args": {"model_type": str(hf_dir), "model_name": "BertForSequenceClassification",
                                             "tokenizer_name": "BertTokenizer", "num_classes": len(CLASSES)}},
                           "dataset": {"args": {"classes": CLASSES}}},
                "state_dict": model.state_dict()}, path)
    return path, hf_dir


def make_texts(n: int, seed: int, lengths: str) -> list[str]:
    """Texts of 10 to 300 tokens, random words (one token each) plus [CLS] and [SEP].

    uniform: every length equally likely (the hardest case for length sorting);
    loguniform: many short texts and a long tail, closer to comments and model outputs.
    """
    rng = np.random.default_rng(seed)
    if lengths == "uniform":
        sizes = rng.integers(8, 299, size=n)
    else:
        sizes = np.exp(rng.uniform(np.log(8), np.log(299), size=n)).astype(int)
    return [" ".join(rng.choice(WORDS, size=int(k))) for k in sizes]


def detoxify_scores(det, texts: list[str], batch: int) -> np.ndarray:
    out = []
    for s in range(0, len(texts), batch):
        res = det.predict(texts[s:s + batch])
        out.append(np.array([np.atleast_1d(res[c]) for c in det.class_names]).T)
    return np.vstack(out)


def timed(fn):
    """((wall seconds, process CPU seconds), result): CPU time is steadier on a shared machine."""
    wall, cpu = time.perf_counter(), time.process_time()
    result = fn()
    return (time.perf_counter() - wall, time.process_time() - cpu), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--texts", type=int, default=128, help="number of texts (default 128)")
    parser.add_argument("--batch-size", type=int, default=32, help="batch size of both sides (default 32)")
    parser.add_argument("--lengths", choices=["uniform", "loguniform"], default="uniform",
                        help="distribution of text lengths over 10-300 tokens (default uniform)")
    parser.add_argument("--repeats", type=int, default=1,
                        help="timed runs of each side, alternating; the fastest of each counts (default 1)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    from detoxify import Detoxify

    from rai.audit.toxicity import BackendOptions, load_backend

    with tempfile.TemporaryDirectory() as tmp:
        checkpoint, hf_dir = build_checkpoint(Path(tmp))
        det = Detoxify(checkpoint=str(checkpoint), huggingface_config_path=str(hf_dir))
        ours = load_backend("detoxify", BackendOptions(checkpoint=checkpoint, hf_config=hf_dir,
                                                       batch_size=args.batch_size)).backend
    texts = make_texts(args.texts, args.seed, args.lengths)
    lengths = [len(ids) for ids in det.tokenizer(texts)["input_ids"]]
    detoxify_scores(det, texts[:4], 4), ours.predict_all(texts[:4])  # warm-up

    runs_ref, runs_ours = [], []
    for _ in range(max(1, args.repeats)):  # alternating, so a burst of load on the machine hits both sides
        runs_ref.append(timed(lambda: detoxify_scores(det, texts, args.batch_size)))
        runs_ours.append(timed(lambda: ours.predict_all(texts)))
    (wall_ref, _), reference = min(runs_ref, key=lambda r: r[0][0])
    (wall_ours, _), scored = min(runs_ours, key=lambda r: r[0][0])
    cpu_ref, cpu_ours = min(r[0][1] for r in runs_ref), min(r[0][1] for r in runs_ours)

    delta = float(np.abs(scored.values - reference).max())
    padded = sum(max(lengths[s:s + args.batch_size]) * len(lengths[s:s + args.batch_size])
                 for s in range(0, len(lengths), args.batch_size))
    ours_tokens = sum(sum(lengths[i] for i in b) if ours.padding_free else len(b) * max(lengths[i] for i in b)
                      for b in ours.batches(lengths))
    print(f"texts: {len(texts)} ({args.lengths} lengths), tokens per text {min(lengths)}-{max(lengths)} "
          f"(mean {np.mean(lengths):.0f}), batch size {args.batch_size}, torch threads {torch.get_num_threads()}, "
          f"best of {max(1, args.repeats)} run(s) per side")
    print(f"tokens computed  : Detoxify.predict {padded}, rai {ours_tokens} ({ours.info.details['forward']} forward), "
          f"in the texts {sum(lengths)} (Detoxify's padding overhead {padded / sum(lengths):.2f}x)")
    print(f"Detoxify.predict : wall {wall_ref:7.2f} s  cpu {cpu_ref:7.2f} s  {len(texts) / wall_ref:7.2f} texts/s")
    print(f"rai scorer       : wall {wall_ours:7.2f} s  cpu {cpu_ours:7.2f} s  {len(texts) / wall_ours:7.2f} texts/s")
    print(f"throughput ratio : {wall_ref / wall_ours:.2f}x wall, {cpu_ref / cpu_ours:.2f}x cpu time (target >= 2x)")
    print(f"max |delta score|: {delta:.2e} (target <= 1e-6)")


if __name__ == "__main__":
    main()
