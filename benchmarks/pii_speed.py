"""Speed and accuracy of `rai audit pii` against Microsoft Presidio on one labelled corpus.

    python benchmarks/pii_speed.py [--records 3000] [--seed 0] [--no-presidio]

Both scanners see the same generated corpus (`benchmarks/pii_corpus.py`: Maestro, 19-digit Visa and
Mastercard 2-series cards, phones in several international formats, IBANs, IPv4/IPv6 whose digits
look like phone numbers, secrets, and hard negatives). Presidio runs its pattern recognizers only
(email, phone, credit card, US SSN, IBAN, IP), on a blank spaCy pipeline, so no model is needed.
Prints throughput in MB of UTF-8 text per CPU-second of this process (one core; the wall-clock
figure is printed too, but on a shared machine it measures the neighbours), the same for the whole
`rai audit pii` file path (CSV reading, findings, aggregation), and precision/recall per entity
type (exact span and type). Targets (issue 4): >= 5 MB/s per core, P and R >= 0.99 for every type.
Presidio needs the optional extra: pip install 'rai-suite[presidio]'.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make `audit` and `benchmarks` importable from the checkout
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from audit.pii import Scanner, default_registry
from benchmarks.pii_corpus import generate_corpus
from benchmarks.pii_eval import (
    PRESIDIO_ENTITIES,
    LabelledRecord,
    Scores,
    predict_presidio,
    score,
)

TARGET_MB_S = 5.0
TARGET_PR = 0.99
Predict = Callable[[Sequence[str]], list[list[tuple[int, int, str]]]]


def ours() -> Predict:
    scanner = Scanner(default_registry().recognizers)

    def predict(texts: Sequence[str]) -> list[list[tuple[int, int, str]]]:
        out: list[list[tuple[int, int, str]]] = []
        for i in range(0, len(texts), 10_000):  # the CLI's chunk size
            out += [[(f.start, f.end, f.entity) for f in fs] for fs in scanner.scan(texts[i:i + 10_000])]
        return out

    return predict


def timed(predict: Predict, texts: Sequence[str], repeats: int) -> tuple[float, float, list[list[tuple[int, int, str]]]]:
    """(best CPU seconds, best wall seconds, predictions) over `repeats` runs."""
    cpu, wall, out = float("inf"), float("inf"), []
    for _ in range(repeats):
        c0, w0 = time.process_time(), time.perf_counter()
        out = predict(texts)
        cpu, wall = min(cpu, time.process_time() - c0), min(wall, time.perf_counter() - w0)
    return cpu, wall, out


def file_scan_seconds(texts: Sequence[str]) -> tuple[float, float]:
    """(MB of CSV, CPU seconds) of the `rai audit pii` library path on the corpus written as CSV."""
    import tempfile
    from pathlib import Path

    import pandas as pd

    from audit.pii import ScanRequest, scan_files

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "corpus.csv"
        pd.DataFrame({"id": range(len(texts)), "text": texts}).to_csv(path, index=False)
        start = time.process_time()
        scan_files(ScanRequest(paths=(path,), findings_path=Path(tmp) / "findings.jsonl"))
        return path.stat().st_size / 1e6, time.process_time() - start


def _fmt(x: float | None) -> str:
    return "  n/a" if x is None else f"{x:.3f}"


def report(records: Sequence[LabelledRecord], results: dict[str, tuple[float, float, Scores, set[str]]], megabytes: float) -> bool:
    names = list(results)
    entities = sorted({lab.entity for r in records for lab in r.labels})
    print(f"\n{'entity':16s}" + "".join(f" | {n:>8s} P {n:>8s} R" for n in names))
    ok = True
    for e in entities:
        cells = []
        for name in names:
            _, _, s, supported = results[name]
            p, r = (s.precision(e), s.recall(e)) if e in supported else (None, None)
            cells.append(f" | {_fmt(p):>10s} {_fmt(r):>10s}")
            if name == "rai" and not (p is not None and p >= TARGET_PR and r is not None and r >= TARGET_PR):
                ok = False
        print(f"{e:16s}" + "".join(cells))
    print()
    for name in names:
        cpu, wall, s, supported = results[name]
        print(f"{name:9s} {megabytes / cpu:8.3f} MB/s per core ({cpu:.2f} CPU-s, wall {megabytes / wall:.3f} MB/s)  "
              f"micro-F1 {s.micro_f1():.4f} on its {len(supported)} types")
    if "presidio" in results:
        print(f"speed-up of rai over presidio (CPU time, same corpus): {results['presidio'][0] / results['rai'][0]:.0f}x")
    speed = megabytes / results["rai"][0]
    print(f"targets: >= {TARGET_MB_S} MB/s per core: {'met' if speed >= TARGET_MB_S else 'NOT met'} ({speed:.2f}); "
          f"P/R >= {TARGET_PR} per type: {'met' if ok else 'NOT met'}")
    return ok and speed >= TARGET_MB_S


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=3000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--repeats", type=int, default=3, help="timing runs of our scanner (best is kept)")
    parser.add_argument("--no-presidio", action="store_true")
    args = parser.parse_args(argv)

    records = generate_corpus(args.records, seed=args.seed)
    texts = [r.text for r in records]
    megabytes = sum(len(t.encode("utf-8")) for t in texts) / 1e6
    n_labels = sum(len(r.labels) for r in records)
    print(f"corpus: {len(records)} records, {megabytes:.2f} MB, {n_labels} labelled entities (seed {args.seed})")

    results: dict[str, tuple[float, float, Scores, set[str]]] = {}
    cpu, wall, ours_predicted = timed(ours(), texts, args.repeats)
    results["rai"] = (cpu, wall, score(records, ours_predicted), set(default_registry().entities))
    csv_mb, csv_cpu = file_scan_seconds(texts)
    print(f"rai audit pii file path (CSV {csv_mb:.2f} MB, read + scan + findings file): {csv_mb / csv_cpu:.2f} MB/s per core")
    if not args.no_presidio:
        try:
            predict = predict_presidio()
        except ImportError:
            print("presidio is not installed (pip install 'rai-suite[presidio]'): skipped")
        else:
            shared = set(PRESIDIO_ENTITIES)
            p_records = [LabelledRecord(r.text, tuple(lab for lab in r.labels if lab.entity in shared)) for r in records]
            cpu, wall, predicted = timed(predict, texts, 1)
            results["presidio"] = (cpu, wall, score(p_records, predicted), shared)
            same_types = score(p_records, [[p for p in ps if p[2] in shared] for ps in ours_predicted])
            print(f"on Presidio's {len(shared)} types: rai micro-F1 {same_types.micro_f1():.4f}, "
                  f"presidio {results['presidio'][2].micro_f1():.4f}")
    return 0 if report(records, results, megabytes) else 1


if __name__ == "__main__":
    raise SystemExit(main())
