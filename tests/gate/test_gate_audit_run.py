"""`rai audit run --config audit.yaml`: configured audits run through the registry, merge into one
audit.json with provenance; bad configs fail before anything runs (exit 2, nothing written)."""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path

import pytest

from rai.cli import audit_run
from rai.cli.commands import AuditCommand
from rai.core.config import ERR_SECTION_ONLY
from rai.core.io import sha256_file

TEXTS = "text,group\nhello there friend,a\nyou are an idiot,b\nhave a nice day,a\nwhat a stupid thing,b\nlovely weather,a\nshut up fool,b\n"


@pytest.fixture
def texts(tmp_path):
    p = tmp_path / "texts.csv"
    p.write_text(TEXTS)
    return p


def config(tmp_path, body: str):
    p = tmp_path / "audit.yaml"
    p.write_text(body)
    return p


def test_runs_a_real_audit_with_provenance_and_is_deterministic(rai, tmp_path, texts):
    body = (f"out: {tmp_path / 'audit.json'}\nseed: 3\ntoxicity:\n  path: {texts}\n  backend: profanity-check\n"
            "  group_column: group\n  bootstrap: 50\n")
    cfg = config(tmp_path, body)
    code, _, err = rai("audit", "run", "--config", cfg)
    assert code == 0, err
    assert "rai audit run: 1/1 toxicity\n" in err and re.search(r"rai audit run: toxicity done in \d+\.\d s\n", err)  # progress
    d = json.loads((tmp_path / "audit.json").read_text())
    assert set(d["sections"]) == {"toxicity"} and any(m["id"] == "toxicity.rate" for m in d["metrics"])
    assert d["subject"]["inputs"] == [{"path": str(texts), "sha256": sha256_file(texts), "rows": 6}]
    prov = d["provenance"]
    assert prov["seed"] == 3 and prov["libraries"]["torch"] and prov["python"]
    (run,) = prov["runs"]
    assert run["audit"] == "toxicity" and run["seconds"] >= 0 and run["config"]["backend"] == "profanity-check" and run["config"]["seed"] == 3
    assert prov["audit_run"]["audits"] == ["toxicity"] and prov["audit_run"]["config"]["sha256"] == sha256_file(cfg)
    assert d["tool"]["name"] == "rai-suite"
    first = d["metrics"]
    cfg.write_text(body.replace("audit.json", "again.json"))
    assert rai("audit", "run", "--config", cfg)[0] == 0
    assert json.loads((tmp_path / "again.json").read_text())["metrics"] == first


def _fake(name: str, *, fail_import: bool = False) -> AuditCommand:
    """A minimal audit in the registry's shape: counts the rows of a CSV (for the orchestration tests)."""

    def add_arguments(p: argparse.ArgumentParser) -> None:
        p.add_argument("data", metavar="DATA")
        p.add_argument("--limit", type=int, default=10)

    def run(args: argparse.Namespace):
        from rai.audit.result import AuditResult

        if fail_import:
            raise ModuleNotFoundError("No module named 'detoxify_weights'")
        r = AuditResult()
        rows = Path(args.data).read_text().strip().count("\n")
        r.add_section(name, {"rows": rows, "limit": args.limit, "seed": args.seed})
        r.add_metric("pii.records_with_pii", rows, section=name, details={"audit": name})
        return r

    return AuditCommand(name=name, help=f"fake {name}", add_arguments=add_arguments, run=run)


@pytest.fixture
def fake_registry(monkeypatch):
    audits = [_fake("alpha"), _fake("beta"), _fake("gamma", fail_import=True)]
    monkeypatch.setattr(audit_run, "other_audits", lambda: audits)
    return audits


def test_merges_several_audits_in_config_order(rai, tmp_path, texts, fake_registry):
    cfg = config(tmp_path, f"out: {tmp_path / 'a.json'}\nseed: 7\nbeta:\n  data: {texts}\nalpha:\n  data: {texts}\n  limit: 2\n")
    code, _, err = rai("audit", "run", "--config", cfg)
    assert code == 0, err
    d = json.loads((tmp_path / "a.json").read_text())
    assert d["sections"]["alpha"] == {"rows": 6, "limit": 2, "seed": 7} and d["sections"]["beta"]["limit"] == 10
    assert [r["audit"] for r in d["provenance"]["runs"]] == ["alpha", "beta"]  # registry order
    assert [m["details"]["audit"] for m in d["metrics"]] == ["alpha", "beta"]
    assert d["subject"]["inputs"] == [{"path": str(texts), "sha256": sha256_file(texts), "rows": 6}]


@pytest.mark.parametrize("body, message", [
    ("delta:\n  data: x.csv\n", "unknown key(s) delta"),
    ("alpha: [1, 2]\n", "section alpha must be a mapping of that audit's flags to values"),
    ("alpha:\n  data: {texts}\n  limt: 3\n", "section alpha: unknown key(s) limt"),
    ("alpha:\n  limit: 3\n", "the following arguments are required: DATA"),
    ("seed: 1\n", audit_run.ERR_NO_AUDITS.format(known="alpha, beta, gamma")),
    ("gamma:\n  data: {texts}\n", audit_run.ERR_UNAVAILABLE.format(name="gamma", error="No module named 'detoxify_weights'")),
    ("alpha:\n  data: {texts}\nbeta:\n  data: {texts}\n  limit: lots\n", "bad value for limit"),
])
def test_bad_configs_exit_2_and_write_nothing(rai, tmp_path, texts, fake_registry, body, message):
    out = tmp_path / "a.json"
    cfg = config(tmp_path, f"out: {out}\n" + body.format(texts=texts))
    code, _, err = rai("audit", "run", "--config", cfg)
    errors = [line for line in err.splitlines() if line.startswith("rai: error:")]
    assert code == 2 and len(errors) == 1 and message in errors[0], err
    assert not out.exists()


def test_audit_settings_only_from_the_config_file(rai, tmp_path, fake_registry):
    code, _, err = rai("audit", "run", "--out", tmp_path / "a.json", "--alpha", "data=x")
    assert code == 2 and ERR_SECTION_ONLY in err
    code, _, err = rai("audit", "run")
    assert code == 2 and "--out" in err
