"""Every bad input of `rai train` exits 2 with one line that says what and where, and writes nothing."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from rai.core import io as rio
from rai.training import bookkeeping, compat, config, data, labels, models, trainer
from training_testdata import sentiment_data


def _tiny_model(path: Path, bert_dir: Path, arch: str, **sizes) -> Path:
    """A tiny random `arch` classifier with the tiny BERT's tokenizer files."""
    import shutil

    import transformers
    from transformers.utils import logging as hf_logging

    path.mkdir()
    for name in ("vocab.txt", "tokenizer.json", "tokenizer_config.json"):
        if (bert_dir / name).exists():
            shutil.copy(bert_dir / name, path / name)
    config_ = getattr(transformers, f"{arch}Config")(vocab_size=200, hidden_size=32, num_attention_heads=2,
                                                     intermediate_size=37, pad_token_id=0, **sizes)
    hf_logging.disable_progress_bar()
    getattr(transformers, f"{arch}ForSequenceClassification")(config_).save_pretrained(path)
    hf_logging.enable_progress_bar()
    return path


def _tiny_ibert(path: Path, bert_dir: Path) -> Path:
    """A real Hugging Face encoder DP-SGD cannot train: I-BERT's quantised layers update their buffers from the data."""
    return _tiny_model(path, bert_dir, "IBert", num_hidden_layers=1)


def _tiny_albert(path: Path, bert_dir: Path) -> Path:
    """ALBERT shares one layer's parameters across its layers: per-example norms need hooks mode."""
    return _tiny_model(path, bert_dir, "Albert", num_hidden_layers=2, embedding_size=16)


CASES = {
    # name: (how to break the input, expected message, expected "where")
    "missing file": (lambda t, d, m: ["--data", t / "nope.csv"], rio.ERR_NO_FILE, "nope.csv"),
    "missing column": (lambda t, d, m: ["--data", d, "--text-column", "body"], "missing column(s) body", "train.csv"),
    "missing group column": (lambda t, d, m: ["--data", d, "--group-columns", "sex,age"], "missing column(s) age", "train.csv"),
    "empty data": (lambda t, d, m: ["--data", _write(t / "empty.csv", "text,label\n")], rio.ERR_EMPTY, "empty.csv"),
    "single class": (lambda t, d, m: ["--data", _frame(t / "one.csv", label=1)], labels.ERR_SINGLE_CLASS.format(label=1), "one.csv"),
    "NaN labels": (lambda t, d, m: ["--data", _frame(t / "nan.csv", nan_rows=[3, 7])],
                   data.ERR_MISSING_LABELS.format(n=2, rows="3, 7"), "nan.csv, column 'label'"),
    "eval label unseen": (lambda t, d, m: ["--data", d, "--eval", _frame(t / "ev.csv", label=5)],
                          labels.ERR_UNSEEN_LABELS.format(labels="5"), "ev.csv"),
    "unknown model path": (lambda t, d, m: ["--data", d, "--model", t / "no-model"], models.ERR_NO_MODEL, "no-model"),
    "epsilon zero": (lambda t, d, m: ["--data", d, "--epsilon", "0"], f"--epsilon: {config.ERR_POSITIVE}", "rai train"),
    "epsilon negative": (lambda t, d, m: ["--data", d, "--epsilon", "-1"], f"--epsilon: {config.ERR_POSITIVE}", "rai train"),
    "audit canaries negative": (lambda t, d, m: ["--data", d, "--audit-canaries", "-1"],
                                f"--audit-canaries: {config.ERR_NOT_NEGATIVE}", "rai train"),
    "delta at 1/n": (lambda t, d, m: ["--data", d, "--delta", "0.05"], data.ERR_DELTA_TOO_BIG.format(bound=1 / 52, n=52, delta=0.05), "--delta"),
    "layers that change with the data": (lambda t, d, m: ["--data", d, "--model", _tiny_ibert(t / "ibert", m)],
                                         compat.ERR_STATEFUL_LAYERS.split("{layers}")[1][:60], "--model"),
    "ghost with shared layers": (lambda t, d, m: ["--data", d, "--model", _tiny_albert(t / "albert", m), "--grad-sample-mode", "ghost",
                                                    "--quiet"],  # found at the first step, after the status line
                                 trainer.ERR_GHOST_TIED, "--grad-sample-mode"),
    "bookkeeping with shared layers": (lambda t, d, m: ["--data", d, "--model", _tiny_albert(t / "albert", m),
                                                        "--grad-sample-mode", "bookkeeping", "--quiet"],
                                       bookkeeping.ERR_REUSED.format(layer="a Linear layer"), "--grad-sample-mode"),
    "too many layers": (lambda t, d, m: ["--data", d, "--train-layers", "last:3"], "the model has only 2 encoder layers", "--train-layers"),
    "output exists": (lambda t, d, m: ["--data", d, "--out", _write(t / "full" / "x.txt", "x").parent], trainer.ERR_OUT_EXISTS, "full"),
}


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def _frame(path: Path, *, label=None, nan_rows=()) -> Path:
    df = sentiment_data(20)
    if label is not None:
        df["label"] = label
    df["label"] = df["label"].astype(float)
    df.loc[list(nan_rows), "label"] = np.nan
    df.to_csv(path, index=False)
    return path


@pytest.mark.parametrize("case", list(CASES))
def test_bad_input_exits_2_with_its_message_and_writes_nothing(case, rai, tmp_path, data_csv, bert_dir):
    make, message, where = CASES[case]
    args = [str(a) for a in make(tmp_path, data_csv, bert_dir)]
    out = tmp_path / "run"
    base = {"--model": str(bert_dir), "--out": str(out)}
    for flag, value in base.items():
        if flag not in args:
            args += [flag, value]
    before = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*"))
    code, stdout, err = rai("train", *args, "--max-length", "16", "--epochs", "1")
    assert code == 2, err
    assert err.count("\n") == 1 and err.startswith("rai: error: ")
    assert message in err and where in err
    assert not out.exists() or case == "output exists"
    assert sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*")) == before  # nothing written anywhere


def test_unsupported_model_names_the_layers(rai, tmp_path, data_csv, bert_dir):
    """Frozen or not: I-BERT's activation quantisers move their ranges with every training batch."""
    for extra in ([], ["--train-layers", "head"]):
        out = tmp_path / f"o{len(extra)}"
        code, _, err = rai("train", "--data", data_csv, "--model", _tiny_ibert(out.with_suffix(".ibert"), bert_dir),
                           "--out", out, *extra)
        first = f"layer ibert.embeddings.embeddings_act1 (QuantAct) {compat.WHY_BUFFER_CHANGED.format(buffer='x_min')}"
        assert code == 2 and err.startswith(f"rai: error: --model: {first}; ") and "more:" in err and "--no-dp" in err
        assert not out.exists()


def test_bad_settings_are_reported_together(rai, tmp_path, data_csv):
    code, _, err = rai("train", "--data", data_csv, "--out", tmp_path / "o", "--epsilon", "-2", "--batch-size", "0",
                       "--train-layers", "middle", "--no-dp")
    assert code == 2 and not (tmp_path / "o").exists()
    for part in (f"--epsilon: {config.ERR_POSITIVE}", f"--batch-size: {config.ERR_AT_LEAST_ONE}",
                 f"--train-layers: {config.ERR_TRAIN_LAYERS}", config.ERR_NO_DP_WITH_BUDGET.format(flags="--epsilon")):
        assert part in err


def test_labels_json_records_string_labels_exactly(tmp_path):
    lm = labels.LabelMap.from_values(["<=50K", ">50K", ">50K"])
    assert json.loads(json.dumps(lm.to_json()))["positive_label"] == ">50K"
    assert pd.Series(lm.decode([0, 1])).tolist() == ["<=50K", ">50K"]
