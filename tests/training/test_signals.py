"""SIGTERM or Ctrl-C during `rai train`: the step in progress ends, a checkpoint is written, --resume finishes."""

from __future__ import annotations

import json
import os
import signal
import time

import pytest

from rai.training import checkpoint as ckpt
from rai.training import trainer
from rai.training.signals import StopRequests

ARGS = ["--epochs", "2", "--batch-size", "16", "--max-physical-batch-size", "8", "--max-length", "16", "--quiet",
        "--noise-multiplier", "1.0", "--checkpoint-every", "100"]


def _deliver(signum: int) -> None:
    """Send `signum` to this process and let Python run its handler (handlers run between bytecodes)."""
    os.kill(os.getpid(), signum)
    time.sleep(0.05)


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_signal_stops_after_the_step_with_a_checkpoint_and_resume_finishes(signum, rai, tmp_path, module_bert, data_csv,
                                                                           monkeypatch):
    finish_step = ckpt.LoopState.finish_step

    def finish_and_signal(self, *args):
        finish_step(self, *args)
        if self.global_step == 2 and not self.resumed_at_steps:
            _deliver(signum)

    monkeypatch.setattr(ckpt.LoopState, "finish_step", finish_and_signal)
    before = signal.getsignal(signum)
    out = tmp_path / "run"
    code, _, err = rai("train", "--data", data_csv, "--model", module_bert, "--out", out, *ARGS)
    assert code == 128 + signum
    assert err == trainer.ERR_STOPPED.format(signal=signal.Signals(signum).name, step=2, total=8,
                                             checkpoint=out / ckpt.CHECKPOINT_DIR) + "\n"
    assert signal.getsignal(signum) is before  # the handler is put back
    assert {p.name for p in out.iterdir()} == {"config.yaml", "private"}
    assert json.loads((out / ckpt.CHECKPOINT_DIR / ckpt.SUMMARY_FILE).read_text())["global_step"] == 2

    code, _, err = rai("train", "--data", data_csv, "--model", module_bert, "--out", out, *ARGS, "--resume")
    assert code == 0, err
    ledger = json.loads((out / "privacy.json").read_text())
    assert ledger["steps"] == 8 and ledger["resumed_at_steps"] == [2]
    assert not (out / ckpt.CHECKPOINT_DIR).exists() and (out / ckpt.PRIVATE_DIR / ckpt.PRIVATE_README).is_file()


def test_a_second_signal_acts_at_once():
    before = signal.signal(signal.SIGINT, signal.default_int_handler)  # Python's own, whatever ran before
    try:
        with StopRequests() as stop:
            _deliver(signal.SIGINT)
            assert stop.received == signal.SIGINT
            with pytest.raises(KeyboardInterrupt):
                _deliver(signal.SIGINT)
        assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    finally:
        signal.signal(signal.SIGINT, before)
