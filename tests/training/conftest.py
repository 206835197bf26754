"""Fixtures of the training tests: a small learnable text data set and private copies of the tiny BERT."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from training_testdata import sentiment_data


@pytest.fixture
def bert_dir(tiny_bert_dir, tmp_path) -> Path:
    """A private copy of the session's tiny BERT (training must never touch the shared one)."""
    return Path(shutil.copytree(tiny_bert_dir, tmp_path / "bert"))


@pytest.fixture(scope="module")
def module_bert(tiny_bert_dir, tmp_path_factory) -> Path:
    return Path(shutil.copytree(tiny_bert_dir, tmp_path_factory.mktemp("bert") / "bert"))


@pytest.fixture(scope="module")
def data_csv(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("data") / "train.csv"
    sentiment_data(64).to_csv(path, index=False)
    return path
