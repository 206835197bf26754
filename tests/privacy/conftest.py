"""Fixtures of the privacy tests: run directories around an untrained tiny model."""

from __future__ import annotations

from pathlib import Path

import pytest

from privacy_runs import write_run_dir


@pytest.fixture
def fake_run(tmp_path, tiny_bert_dir) -> Path:
    return write_run_dir(tmp_path, tiny_bert_dir)
