"""Reading what the privacy audit needs from a run directory and data files (the I/O edge).

Who is a member, by default (the founding design, "Run directory"):
- `split.json` present: the evaluation set was split from --data, so rows `train_rows` of the
  data file are members and rows `eval_rows` are non-members;
- otherwise, with an --eval file in config.yaml: every row of the data file is a member and
  every row of the eval file a non-member.
--members / --non-members override either side. Canaries are not members here: they are
measured by their exposure instead.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from rai.core import rundir
from rai.core.documents import load_yaml, loads_json
from rai.core.errors import InputError
from rai.core.io import read_table
from rai.training.audit_canaries import FILE as AUDIT_CANARIES_FILE
from rai.training.audit_canaries import AuditCanarySet, check_against_ledger, read_audit_canaries
from rai.training.canaries import CanarySet
from rai.training.labels import LabelMap

ERR_NO_RUN_DIR = "run directory not found"
ERR_NOT_DIR = "not a directory (expected a run directory written by rai train)"
ERR_MISSING_FILE = "missing {name} (expected in a run directory written by rai train)"
ERR_BAD_JSON = "not valid JSON: {why}"
ERR_BAD_YAML = "not a valid config.yaml: {why}"
ERR_LABELS_FILE = "labels.json must be an object with a non-empty 'labels' list (as rai train writes it)"
ERR_NO_SPLIT_SOURCE = ("cannot tell members from non-members: the run has no split.json and no eval file in config.yaml; "
                       "pass --non-members FILE")
ERR_DATA_MISSING = "the {what} named in config.yaml ({key}: {value}) is not found; pass {flag} FILE"
ERR_ROWS = "row {row} ({source}) is out of range: the file has {n} rows"
ERR_MISSING_LABELS = "{n} row(s) have no value in label column {column} (first at row {row})"
ERR_NO_ROWS = "no {what} to audit"
ERR_SPLIT_KEY = "split.json has no list of 0-based rows '{key}'"


@dataclass(frozen=True)
class Examples:
    """Texts with label indices (into the model's labels), and where they came from."""

    texts: list[str]
    label_ids: np.ndarray
    path: Path
    rows: np.ndarray  # 0-based rows of `path`
    source: str

    def __len__(self) -> int:
        return len(self.texts)

    def subset(self, keep: np.ndarray, note: str) -> "Examples":
        return Examples(texts=[self.texts[i] for i in keep], label_ids=self.label_ids[keep], path=self.path,
                        rows=self.rows[keep], source=f"{self.source}; {note}")


@dataclass(frozen=True)
class RunDir:
    path: Path
    privacy: dict[str, Any]
    labels: LabelMap
    config: dict[str, Any] = field(default_factory=dict)
    split: dict[str, Any] | None = None
    canaries: CanarySet | None = None
    audit_canaries: AuditCanarySet | None = None  # private/audit_canaries.json, with the secret inclusion bits

    @property
    def model_dir(self) -> Path:
        return self.path / rundir.MODEL_DIR


def _read_json(path: Path) -> Any:
    if not path.is_file():
        raise InputError(ERR_MISSING_FILE.format(name=path.name), where=str(path.parent))
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(ERR_BAD_JSON.format(why=exc), where=str(path)) from None
    return loads_json(text, where=str(path))  # duplicate keys, NaN and deep nesting refused (rai.core.documents)


def _labels(doc: Any, where: str) -> LabelMap:
    if not isinstance(doc, dict) or not isinstance(doc.get("labels"), list) or not doc["labels"]:
        raise InputError(ERR_LABELS_FILE, where=where)
    return LabelMap.from_json(doc)


def read_labels(directory: str | Path) -> LabelMap | None:
    """The labels.json of a run directory, or None when the directory has none (a bare model directory)."""
    p = Path(directory) / rundir.LABELS
    return _labels(_read_json(p), str(p)) if p.is_file() else None


def read_run_dir(path: str | Path) -> RunDir:
    """The run directory's ledger, labels, config, split, canaries and audit canaries, checked."""
    import yaml

    p = Path(path)
    if not p.exists():
        raise InputError(ERR_NO_RUN_DIR, where=str(path))
    if not p.is_dir():
        raise InputError(ERR_NOT_DIR, where=str(path))
    if not (p / rundir.MODEL_DIR / "config.json").is_file():
        raise InputError(ERR_MISSING_FILE.format(name=f"{rundir.MODEL_DIR}/ (save_pretrained output)"), where=str(p))
    privacy = rundir.check_privacy_ledger(_read_json(p / rundir.PRIVACY), where=str(p / rundir.PRIVACY))
    labels = _labels(_read_json(p / rundir.LABELS), str(p / rundir.LABELS))
    config: dict[str, Any] = {}
    if (p / rundir.CONFIG).is_file():
        try:
            config = load_yaml((p / rundir.CONFIG).read_text(encoding="utf-8")) or {}
        except yaml.YAMLError as exc:
            raise InputError(ERR_BAD_YAML.format(why=str(exc).splitlines()[0]), where=str(p / rundir.CONFIG)) from None
        if not isinstance(config, dict):
            raise InputError(ERR_BAD_YAML.format(why="expected a mapping"), where=str(p / rundir.CONFIG))
    split = _read_json(p / rundir.SPLIT) if (p / rundir.SPLIT).is_file() else None
    canaries = None
    if (p / rundir.CANARIES).is_file():
        canaries = CanarySet.from_json(_read_json(p / rundir.CANARIES), where=str(p / rundir.CANARIES))
    audit_canaries = read_audit_canaries(p)
    if audit_canaries is not None:
        check_against_ledger(audit_canaries, privacy, where=str(p / AUDIT_CANARIES_FILE))
    return RunDir(path=p, privacy=privacy, labels=labels, config=config, split=split, canaries=canaries,
                  audit_canaries=audit_canaries)


def _config_path(run: RunDir, key: str) -> Path | None:
    value = run.config.get(key)
    if value in (None, ""):
        return None
    p = Path(str(value))
    if not p.is_absolute() and not p.exists() and (run.path / p).exists():
        p = run.path / p  # written relative to the run directory
    return p


def load_examples(path: Path, *, text_column: str, label_column: str, labels: LabelMap,
                  rows: list[int] | None = None, source: str | None = None) -> Examples:
    """Texts and label indices from a table; every label must be one of the model's labels."""
    df = read_table(path, required_columns=[text_column, label_column])
    all_rows = np.arange(len(df))
    if rows is not None:
        bad = [r for r in rows if not (isinstance(r, int) and 0 <= r < len(df))]
        if bad:
            raise InputError(ERR_ROWS.format(row=bad[0], source=source, n=len(df)), where=str(path))
        df, all_rows = df.iloc[rows], np.asarray(rows, dtype=np.int64)
    raw = df[label_column].tolist()
    missing = [i for i, v in enumerate(raw) if v is None or (isinstance(v, float) and math.isnan(v))]
    if missing:
        raise InputError(ERR_MISSING_LABELS.format(n=len(missing), column=label_column, row=int(all_rows[missing[0]])),
                         where=str(path))
    label_ids = labels.encode(raw, where=f"{path}: column {label_column}")
    texts = ["" if t is None or (isinstance(t, float) and math.isnan(t)) else str(t) for t in df[text_column].tolist()]
    return Examples(texts=texts, label_ids=label_ids, path=Path(path),
                    rows=all_rows, source=source or str(path))


def _split_rows(run: RunDir, split: dict[str, Any], key: str) -> list[int]:
    rows = split.get(key)
    if not isinstance(rows, list):
        raise InputError(ERR_SPLIT_KEY.format(key=key), where=str(run.path / "split.json"))
    return rows


def resolve_examples(run: RunDir, *, members: str | Path | None, non_members: str | Path | None,
                     text_column: str, label_column: str) -> tuple[Examples, Examples]:
    """(members, non-members) from the flags, falling back to the run directory's split (module docstring)."""
    kw = {"text_column": text_column, "label_column": label_column, "labels": run.labels}
    data = _config_path(run, "data")
    eval_path = _config_path(run, "eval")

    def _data(flag: str) -> Path:
        if data is None or not data.exists():
            raise InputError(ERR_DATA_MISSING.format(what="training data", key="data", value=run.config.get("data"), flag=flag),
                             where=str(run.path / "config.yaml"))
        return data

    if members is not None:
        mem = load_examples(Path(members), **kw)
    elif run.split is not None:
        mem = load_examples(_data("--members"), rows=_split_rows(run, run.split, "train_rows"), source="training rows of the data file (split.json train_rows)", **kw)
    else:
        mem = load_examples(_data("--members"), source="every row of the training data file", **kw)

    if non_members is not None:
        non = load_examples(Path(non_members), **kw)
    elif run.split is not None:
        non = load_examples(_data("--non-members"), rows=_split_rows(run, run.split, "eval_rows"), source="held-out rows of the data file (split.json eval_rows)", **kw)
    elif eval_path is not None:
        if not eval_path.exists():
            raise InputError(ERR_DATA_MISSING.format(what="evaluation data", key="eval", value=run.config.get("eval"), flag="--non-members"),
                             where=str(run.path / "config.yaml"))
        non = load_examples(eval_path, source="the evaluation file", **kw)
    else:
        raise InputError(ERR_NO_SPLIT_SOURCE, where=str(run.path))
    for what, ex in (("members", mem), ("non-members", non)):
        if len(ex) == 0:
            raise InputError(ERR_NO_ROWS.format(what=what), where=ex.source)
    return mem, non
