"""A small labelled corpus written as CSV, JSONL and Parquet, shared by the PII CLI tests; the default scanner."""

import sys
from pathlib import Path

import pandas as pd
import pytest

# The checkout's `benchmarks` package (labelled corpora, the evaluation) before the one Opacus installs.
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from rai.audit.pii import Scanner, default_registry
from benchmarks.pii_corpus import generate_corpus

N_RECORDS = 300


@pytest.fixture(scope="session")
def labelled():
    """Records for the `text` column; the `reply` column holds one more email per tenth row."""
    return generate_corpus(N_RECORDS, seed=11)


def _frame(labelled) -> pd.DataFrame:
    replies = [f"reply from user{i}@example.org" if i % 10 == 0 else ("" if i % 7 else None) for i in range(len(labelled))]
    return pd.DataFrame({"id": range(len(labelled)), "text": [r.text for r in labelled], "reply": replies,
                         "label": [i % 2 for i in range(len(labelled))]})


@pytest.fixture(scope="session")
def data_files(tmp_path_factory, labelled):
    d = tmp_path_factory.mktemp("pii-data")
    df = _frame(labelled)
    paths = {"csv": d / "corpus.csv", "jsonl": d / "corpus.jsonl", "parquet": d / "corpus.parquet"}
    df.to_csv(paths["csv"], index=False)
    df.to_json(paths["jsonl"], orient="records", lines=True, force_ascii=False)
    df.to_parquet(paths["parquet"], index=False)
    return paths


@pytest.fixture(scope="session")
def raw_values(labelled):
    """Every labelled PII value in the corpus, plus the reply emails."""
    values = {r.text[lab.start:lab.end] for r in labelled for lab in r.labels}
    values |= {f"user{i}@example.org" for i in range(0, len(labelled), 10)}
    return values


@pytest.fixture(scope="module")
def scanner():
    """The scanner with every built-in recognizer and the default settings."""
    return Scanner(default_registry().recognizers)
