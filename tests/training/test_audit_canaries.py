"""`rai train --audit-canaries M`: the one-run audit's canaries, their secret bits, and where they are written."""

from __future__ import annotations

import json
import re
import shutil
from collections import Counter
from pathlib import Path

import pytest

from rai.core.errors import InputError
from rai.training import audit_canaries as ac
from rai.training.config import TrainConfig
from rai.training.trainer import train


def test_contents_follow_the_seed_and_the_bits_do_not():
    a = ac.make_audit_canaries(64, 3, ["neg", "pos"])
    b = ac.make_audit_canaries(64, 3, ["neg", "pos"])
    assert [(c.id, c.text, c.label) for c in a.canaries] == [(c.id, c.text, c.label) for c in b.canaries]
    assert len({c.text for c in a.canaries}) == 64
    assert Counter(c.label for c in a.canaries) == {"neg": 32, "pos": 32}  # balanced: labels carry nothing
    # 64 fair coins from OS entropy: the two runs' bits agree with probability 2^-64
    assert [c.included for c in a.canaries] != [c.included for c in b.canaries]
    assert 10 < sum(c.included for c in a.canaries) < 54
    assert [c.text for c in ac.make_audit_canaries(64, 4, ["neg", "pos"]).canaries] != [c.text for c in a.canaries]


def test_json_round_trip_and_bad_files():
    cs = ac.make_audit_canaries(5, 0, [0, 1], included=[True, False, True, False, False])
    back = ac.AuditCanarySet.from_json(json.loads(json.dumps(cs.to_json())), where="f")
    assert back == cs and cs.ledger_entry()["included"] == 2 and "text" not in json.dumps(cs.ledger_entry())
    for doc, why in (([], "expected a JSON object"), ({"schema": "x"}, "unknown schema 'x' (expected rai.audit_canaries/1)"),
                     ({"schema": ac.SCHEMA, "canaries": []}, "'canaries' must be a non-empty list"),
                     ({"schema": ac.SCHEMA, "canaries": [{"id": 1, "text": "a", "label": 0, "included": 1}]},
                      "canary 0 needs id, text (a string), label and included (true/false)")):
        with pytest.raises(InputError, match=re.escape(ac.ERR_JSON.format(why=why))):
            ac.AuditCanarySet.from_json(doc, where="f")


def _cfg(data: Path, model: Path, out: Path, **kw) -> TrainConfig:
    return TrainConfig(data=str(data), model=str(model), out=str(out), epochs=2, batch_size=16, max_physical_batch_size=16,
                       max_length=16, noise_multiplier=1.0, checkpoint_every=100, audit_canaries=30, **kw)


def _releasable_bytes(run: Path) -> dict[str, bytes]:
    return {str(p.relative_to(run)): p.read_bytes() for p in run.rglob("*")
            if p.is_file() and "private" not in p.relative_to(run).parts and "checkpoint" not in p.relative_to(run).parts}


def test_planted_written_privately_and_resumed_with_the_same_bits(tmp_path, data_csv, module_bert):
    part = tmp_path / "part"
    assert train(_cfg(data_csv, module_bert, part, stop_after_steps=1)) == part
    saved = json.loads((part / ac.FILE).read_text())  # written with the first checkpoint: --resume needs the bits
    assert saved["schema"] == ac.SCHEMA and len(saved["canaries"]) == 30
    kept = tmp_path / "kept"
    shutil.copytree(part, kept)

    train(_cfg(data_csv, module_bert, part, resume=True))
    assert json.loads((part / ac.FILE).read_text()) == saved  # same canaries, same secret bits
    included = sum(c["included"] for c in saved["canaries"])
    ledger = json.loads((part / "privacy.json").read_text())
    assert ledger["audit_canaries"] == {**ac.AuditCanarySet.from_json(saved, where="x").ledger_entry(), "included": included}
    split = json.loads((part / "split.json").read_text())
    assert ledger["dataset_size"] == len(split["train_rows"]) + included
    # no canary text, and so no trace of which were included, in any releasable file
    for name, content in _releasable_bytes(part).items():
        for c in saved["canaries"]:
            assert c["text"].encode() not in content, name

    # resuming needs the file, and the same M
    (kept / ac.FILE).unlink()
    with pytest.raises(InputError, match=re.escape(ac.ERR_RESUME_MISSING.format(file="private/audit_canaries.json"))):
        train(_cfg(data_csv, module_bert, kept, resume=True))
    (kept / ac.FILE).write_text(json.dumps(saved))
    cfg = _cfg(data_csv, module_bert, kept, resume=True)
    cfg.audit_canaries = 31
    with pytest.raises(InputError, match=re.escape(ac.ERR_RESUME_COUNT.format(saved=30, asked=31))):
        train(cfg)
