import argparse

import pytest

from rai.core.config import apply_config, load_yaml_mapping
from rai.core.errors import InputError


def _parser():
    p = argparse.ArgumentParser()
    p.add_argument("--max-grad-norm", type=float, default=1.0)
    p.add_argument("--mode", choices=["hooks", "ghost"], default="hooks")
    p.add_argument("--out", required=True)
    return p


def test_config_keys_become_defaults_and_flags_win(tmp_path):
    p = _parser()
    apply_config(p, {"max-grad-norm": "0.5", "out": "x", "mode": "ghost"}, where="c.yaml")
    args = p.parse_args([])
    assert args.max_grad_norm == 0.5 and args.out == "x" and args.mode == "ghost"
    assert p.parse_args(["--max-grad-norm", "2"]).max_grad_norm == 2.0


def test_config_fails_closed():
    with pytest.raises(InputError, match="unknown key"):
        apply_config(_parser(), {"max_grad_nrom": 1}, where="c.yaml")
    with pytest.raises(InputError, match="choose from"):
        apply_config(_parser(), {"mode": "fast"}, where="c.yaml")


def test_yaml_errors_name_the_line(tmp_path):
    f = tmp_path / "c.yaml"
    f.write_text("a: 1\nb: [\n")
    with pytest.raises(InputError, match=r"c.yaml:\d+"):
        load_yaml_mapping(f)


def test_cli_usage_errors_exit_2_with_one_line(rai):
    code, out, err = rai("no-such-command")
    assert code == 2 and err.strip().startswith("rai: error:") and len(err.strip().splitlines()) == 1


def test_append_to_an_out_holding_the_section_fails_before_the_audit_runs(tmp_path, rai):
    from rai.audit.result import ERR_COLLISION, AuditResult, write_audit

    out = tmp_path / "audit.json"
    existing = AuditResult()
    existing.add_section("fairness", {"note": "already audited"})
    write_audit(out, existing)
    before = out.read_bytes()
    # The predictions file does not exist: only a check made before the audit runs can answer with the collision.
    code, _, err = rai("audit", "fairness", tmp_path / "missing.csv", "--sensitive", "sex", "--out", out, "--append")
    assert code == 2 and err == f"rai: error: {ERR_COLLISION.format(names='fairness', path=out)}\n"
    assert out.read_bytes() == before


def test_python_dash_m_rai_runs_the_command():
    """`python -m rai` is what torchrun launches (`torchrun … -m rai train …`)."""
    import subprocess
    import sys

    proc = subprocess.run([sys.executable, "-m", "rai", "policy", "list"], capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr
    assert "default" in proc.stdout.split()
