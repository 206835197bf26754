"""Counterfactual token fairness (Garg et al. 2019): swap identity terms, see whether the model notices.

For every text that contains a term of the pair list, the counterfactual swaps the terms
(he <-> she, his <-> her, ...) in both directions at once, on word boundaries, keeping the
case of each occurrence ("He" -> "She", "HIS" -> "HER"). Reported per term pair (only that
pair's terms swapped, over the texts that contain them) and overall (all terms swapped, over
the texts that contain any):

  flip rate        share of those texts whose predicted class (argmax) changes;
  mean |delta|     mean total-variation distance between the two class distributions
                   (for a binary model, |P(positive) - P'(positive)|).

Texts without any term are not counted. The model and tokenizer are passed in; scoring goes
through `rai.training.inference.predict_proba`, like every other part of rai.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from rai.audit.fairness.intervals import Estimate, leaf
from rai.core.errors import InputError
from rai.core.io import read_table
from rai.core.stats import bootstrap_replicates, resample_mean

if TYPE_CHECKING:
    from rai.audit.result import AuditResult

TERM_PAIRS_RESOURCE = "term_pairs.csv"
TERM_COLUMNS = ("term_a", "term_b")
ERR_TERM_EMPTY = "term pair on row {row} has an empty term"
ERR_TERM_SAME = "term pair on row {row} swaps {term!r} with itself"
ERR_NO_PAIRS = "the term-pair file lists no pairs"

Scorer = Callable[[Sequence[str]], np.ndarray]  # texts -> class probabilities (n, C)


@dataclass(frozen=True)
class TermPair:
    a: str
    b: str

    @property
    def name(self) -> str:
        return f"{self.a}/{self.b}"


def builtin_term_pairs() -> tuple[TermPair, ...]:
    """The shipped list (gender, and a few race, religion and sexuality pairs)."""
    with resources.as_file(resources.files("rai.audit.fairness").joinpath(TERM_PAIRS_RESOURCE)) as path:
        return load_term_pairs(path)


def load_term_pairs(path: str | Path) -> tuple[TermPair, ...]:
    """Pairs from a table with columns term_a, term_b (CSV, TSV, JSONL or Parquet); lowercased."""
    df = read_table(path, required_columns=TERM_COLUMNS)
    pairs = []
    for row, (a, b) in enumerate(zip(df["term_a"], df["term_b"])):
        a, b = ("" if pd.isna(x) else str(x).strip().lower() for x in (a, b))
        if not a or not b:
            raise InputError(ERR_TERM_EMPTY.format(row=row), where=str(path))
        if a == b:
            raise InputError(ERR_TERM_SAME.format(row=row, term=a), where=str(path))
        pairs.append(TermPair(a, b))
    if not pairs:
        raise InputError(ERR_NO_PAIRS, where=str(path))
    return tuple(dict.fromkeys(pairs))


def match_case(source: str, target: str) -> str:
    """`target` written in the case pattern of `source` (lower, Capitalised or UPPER)."""
    if len(source) > 1 and source.isupper():
        return target.upper()
    if source[:1].isupper():
        return target[:1].upper() + target[1:]
    return target


class Swapper:
    """Swaps terms both ways in one pass. A term in several pairs swaps as in its first pair."""

    def __init__(self, pairs: Sequence[TermPair]) -> None:
        mapping: dict[str, str] = {}
        for p in pairs:
            mapping.setdefault(p.a, p.b)
            mapping.setdefault(p.b, p.a)
        self.mapping = mapping
        self.ambiguous = sorted(t for t in mapping if sum(t in (p.a, p.b) for p in pairs) > 1)
        alternatives = "|".join(re.escape(t) for t in sorted(mapping, key=len, reverse=True))
        self.pattern = re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)", re.IGNORECASE)

    def contains(self, text: str) -> bool:
        return self.pattern.search(text) is not None

    def swap(self, text: str) -> str:
        return self.pattern.sub(lambda m: match_case(m.group(0), self.mapping[m.group(0).lower()]), text)


@dataclass(frozen=True)
class SwapStats:
    """Flip rate and mean |delta| over the texts that contain the swapped terms."""

    name: str
    n: int
    flip_rate: Estimate
    mean_abs_delta: Estimate
    rows: np.ndarray = field(repr=False)  # row numbers of the texts counted
    flips: np.ndarray = field(repr=False)
    deltas: np.ndarray = field(repr=False)

    def to_dict(self, confidence: float, *, top: int = 10) -> dict[str, Any]:
        """Plain JSON: numbers and row numbers only; the texts themselves never leave the input."""
        worst = np.argsort(-self.deltas, kind="stable")[:top]
        return {"name": self.name, "texts": self.n,
                "flip_rate": _stat(self.flip_rate, confidence), "mean_abs_delta": _stat(self.mean_abs_delta, confidence),
                "flipped_rows": [int(r) for r in self.rows[self.flips]][:top],
                "largest_delta_rows": [{"row": int(self.rows[i]), "delta": float(self.deltas[i])} for i in worst]}


def _stat(est: Estimate, confidence: float) -> dict[str, Any]:
    return est.stat(confidence, "no text contains these terms").to_dict()


def swap_stats(name: str, rows: np.ndarray, p_orig: np.ndarray, p_cf: np.ndarray, *, n_boot: int,
               rng: np.random.Generator, chunk: int = 2_000_000) -> SwapStats:
    """Flip rate and mean total-variation change, with a bootstrap over texts."""
    flips = p_orig.argmax(axis=1) != p_cf.argmax(axis=1)
    deltas = 0.5 * np.abs(p_orig - p_cf).sum(axis=1)
    n = len(rows)
    if n == 0:
        nan = Estimate(float("nan"), None)
        return SwapStats(name, 0, nan, nan, rows, flips, deltas)
    flip_reps = delta_reps = None
    if n_boot:
        flip_reps = rng.binomial(n, flips.mean(), size=n_boot) / n  # the bootstrap of a share is binomial
        delta_reps = bootstrap_replicates([deltas], resample_mean, n_resamples=n_boot, rng=rng, max_draws=chunk)
    return SwapStats(name, n, leaf(flips.mean(), flip_reps), leaf(deltas.mean(), delta_reps), rows, flips, deltas)


@dataclass(frozen=True)
class CounterfactualResult:
    texts: int
    texts_with_terms: int
    overall: SwapStats
    pairs: tuple[SwapStats, ...]


def counterfactual_audit(texts: Sequence[str], scorer: Scorer, pairs: Sequence[TermPair], *, n_boot: int = 1000,
                         seed: int = 0) -> CounterfactualResult:
    """Score each text and its counterfactuals (each distinct string once)."""
    texts = ["" if t is None or (isinstance(t, float) and np.isnan(t)) else str(t) for t in texts]
    full = Swapper(pairs)
    per_pair = [Swapper([p]) for p in pairs]
    jobs: list[tuple[str, np.ndarray, list[str]]] = []
    any_rows = np.array([i for i, t in enumerate(texts) if full.contains(t)], dtype=np.int64)
    jobs.append(("all", any_rows, [full.swap(texts[i]) for i in any_rows]))
    for p, sw in zip(pairs, per_pair):
        rows = np.array([i for i in any_rows if sw.contains(texts[i])], dtype=np.int64)
        jobs.append((p.name, rows, [sw.swap(texts[i]) for i in rows]))
    unique = list(dict.fromkeys([texts[i] for i in any_rows] + [t for _, _, cf in jobs for t in cf]))
    proba = scorer(unique) if unique else np.zeros((0, 0))
    index = {t: i for i, t in enumerate(unique)}
    rngs = [np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(len(jobs))]
    stats = []
    for (name, rows, cf), rng in zip(jobs, rngs):
        p_orig = proba[[index[texts[i]] for i in rows]] if len(rows) else np.zeros((0, 2))
        p_cf = proba[[index[t] for t in cf]] if len(rows) else np.zeros((0, 2))
        stats.append(swap_stats(name, rows, p_orig, p_cf, n_boot=n_boot, rng=rng))
    return CounterfactualResult(len(texts), len(any_rows), stats[0], tuple(stats[1:]))


SECTION = "counterfactual"


def assess_counterfactual(df: pd.DataFrame, columns: Sequence[str], scorer: Scorer, pairs: Sequence[TermPair], *,
                          pair_source: str = "builtin", n_boot: int = 1000, confidence: float = 0.95, seed: int = 0,
                          where: str = "texts") -> "AuditResult":
    """The counterfactual audit of the texts in `columns`: section "counterfactual" and metric records."""
    from rai.audit.result import AuditResult
    from rai.core.io import check_columns

    check_columns(list(df.columns), list(columns), where)
    result = AuditResult()
    swapper = Swapper(pairs)
    by_column = []
    for i, column in enumerate(columns):
        cr = counterfactual_audit(df[column].tolist(), scorer, pairs, n_boot=n_boot, seed=seed + i)
        details = {"column": column, "texts": cr.texts, "texts_without_terms": cr.texts - cr.texts_with_terms}
        why = None if cr.texts_with_terms else "no text contains a term of the pair list"
        for metric_id, est in (("fairness.counterfactual_flip_rate", cr.overall.flip_rate),
                               ("fairness.counterfactual_mean_abs_delta", cr.overall.mean_abs_delta)):
            result.add_metric(metric_id, est.value, section=SECTION, ci=est.interval(confidence), n=cr.texts_with_terms,
                              details=details, why_null=why)
        by_column.append({"column": column, "texts": cr.texts, "texts_with_terms": cr.texts_with_terms,
                          "texts_without_terms": cr.texts - cr.texts_with_terms, "overall": cr.overall.to_dict(confidence),
                          "pairs": [p.to_dict(confidence) for p in cr.pairs if p.n]})
    result.add_section(SECTION, {
        "term_pairs": {"source": pair_source, "count": len(pairs), "pairs": [p.name for p in pairs],
                       "ambiguous_terms": {t: swapper.mapping[t] for t in swapper.ambiguous}},
        "settings": {"n_boot": n_boot, "confidence": confidence, "seed": seed,
                     "delta": "total variation distance between the class distributions (binary: |change of P(positive)|)"},
        "columns": by_column,
    })
    return result
