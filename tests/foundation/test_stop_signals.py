"""Issue 12, item 11: SIGTERM or Ctrl-C part-way leaves nothing behind: no hidden temp file of
`rai audit pii`, no half-made output folder that blocks the next `rai demo`. Real signals, sent to
real subprocesses while they work.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[2]


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(ROOT), "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}


def _wait_for(predicate, proc: subprocess.Popen, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if proc.poll() is not None:
            out, err = proc.communicate()
            pytest.fail(f"the command ended (exit {proc.returncode}) before the signal: {err.decode()[-2000:]}")
        if time.monotonic() > deadline:
            proc.kill()
            pytest.fail("the command never reached the point where the signal is sent")
        time.sleep(0.02)


def test_sigterm_during_audit_pii_leaves_no_file_behind(tmp_path):
    signum = signal.SIGTERM
    data = tmp_path / "big.csv"
    with open(data, "w") as fh:  # about 4 MB: a few seconds of scanning, time enough to be stopped
        fh.write("text\n")
        for i in range(60_000):
            fh.write(f"row {i}: mail user{i}@example.com or call (415) 555-{i % 10_000:04d}, thanks\n")
    proc = subprocess.Popen([sys.executable, "-m", "rai.cli.main", "audit", "pii", str(data), "--out", str(tmp_path / "a.json"),
                             "--findings", str(tmp_path / "f.jsonl"), "--redact", str(tmp_path / "r.csv")],
                            cwd=tmp_path, env=_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    _wait_for(lambda: sum(p.name.endswith(".tmp") for p in tmp_path.iterdir()) >= 2, proc)  # both temps are filling
    time.sleep(0.2)
    proc.send_signal(signum)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 128 + signum, err.decode()
    from rai.cli.main import ERR_STOPPED

    assert err.decode().endswith(ERR_STOPPED.format(signum=int(signum)) + "\n")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["big.csv"]


_DEMO_LIKE = textwrap.dedent("""
    import sys, time
    from rai.core.errors import Stopped
    from rai.core.outputs import fresh_output_dir, stop_on_signals
    try:
        with stop_on_signals(), fresh_output_dir(sys.argv[1], marker="demo.json", command="rai demo") as out:
            (out / "data").mkdir()
            (out / "data" / "train.csv").write_text("half of a demo")
            print("working", flush=True)
            time.sleep(60)
    except Stopped as exc:
        sys.exit(exc.exit_code)
""")


@pytest.mark.parametrize("previous,signum", [(False, signal.SIGTERM), (True, signal.SIGTERM), (False, signal.SIGINT)])
def test_a_signal_while_building_the_demo_folder_leaves_no_half_folder(tmp_path, previous, signum):
    """The output-folder logic `rai demo` runs (`fresh_output_dir` under `stop_on_signals`), stopped for real."""
    from rai.core.outputs import fresh_output_dir, marker_text

    out = tmp_path / "demo"
    if previous:  # a finished earlier demo must come back as it was
        with fresh_output_dir(out, marker="demo.json", command="rai demo") as d:
            (d / "report.html").write_text("the previous report")
            (d / "demo.json").write_text(marker_text(d, "demo.json", {}))
    before = sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*"))
    proc = subprocess.Popen([sys.executable, "-c", _DEMO_LIKE, str(out)], cwd=tmp_path, env=_env(),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout is not None and proc.stdout.readline() == b"working\n"
    assert (out / "data" / "train.csv").exists()
    proc.send_signal(signum)
    proc.communicate(timeout=60)
    assert proc.returncode == 128 + signum
    assert sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*")) == before
    if previous:
        assert (out / "report.html").read_text() == "the previous report"
