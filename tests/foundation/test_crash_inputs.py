"""Crashes and resource abuse of issue 12: hostile inputs end in one exit-2 line, fast, with nothing written.

YAML alias bombs (policy, --config), JSON and YAML nested thousands deep, --config values that
skipped the flags' checks, and size flags without an upper bound.
"""

from __future__ import annotations

import argparse
import json
import time

import pytest

from rai.core import config as K
from rai.core import documents as D
from rai.core import limits
from rai.cli.commands import ERR_TOO_LARGE, at_most, non_negative_int, positive_int
from rai.cli.main import build_parser

BOMB = "\n".join(["a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
                 + [f"{c}: &{c} [{', '.join([f'*{p}'] * 9)}]" for p, c in zip("abcdefgh", "bcdefghi")]) + "\n"
LIST_BOMB = "sensitive:\n" + "\n".join(  # the old config reader flattened this list into one 9^9-word string
    ["  - &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]"] + [f"  - &{c} [{', '.join([f'*{p}'] * 9)}]" for p, c in zip("abcdefgh", "bcdefghi")]) + "\n"
FAST = 10.0  # seconds, imports on a busy machine included; the bombs expand to 9^9 strings (gigabytes, minutes) when followed


def test_an_alias_bomb_policy_is_refused_at_once(rai, tmp_path):
    policy = tmp_path / "bomb.yaml"
    policy.write_text("name: bomb\nrules:\n  - metric: privacy.dp.epsilon\n    max: 8\n" + BOMB)
    for argv in (("policy", "check", policy), ("gate", tmp_path / "a.json", "--policy", policy)):
        (tmp_path / "a.json").write_text(json.dumps({"schema": "rai.audit/1", "created": "", "tool": {"name": "rai-suite", "version": "0"},
                                                    "subject": {}, "sections": {}, "metrics": [], "warnings": []}))
        started = time.perf_counter()
        code, out, err = rai(*argv)
        assert time.perf_counter() - started < FAST
        assert code == 2 and err == f"rai: error: {policy}:5: " + "invalid YAML: " + D.ERR_YAML_ALIAS + "\n", argv


def test_an_alias_bomb_config_is_refused_at_once(rai, tmp_path):
    cfg = tmp_path / "c.yaml"
    cfg.write_text(LIST_BOMB)
    started = time.perf_counter()
    code, _, err = rai("audit", "fairness", tmp_path / "p.csv", "--out", tmp_path / "a.json", "--config", cfg)
    assert time.perf_counter() - started < FAST
    assert code == 2 and err == f"rai: error: {cfg}:2: invalid YAML: {D.ERR_YAML_ALIAS}\n"
    assert not (tmp_path / "a.json").exists()
    run_cfg = tmp_path / "audit.yaml"
    run_cfg.write_text(f"out: {tmp_path / 'a.json'}\nfairness:\n  predictions: p.csv\n" + LIST_BOMB.replace("\n", "\n  ").rstrip() + "\n")
    code, _, err = rai("audit", "run", "--config", run_cfg)
    assert code == 2 and err == f"rai: error: {run_cfg}:5: invalid YAML: {D.ERR_YAML_ALIAS}\n"


@pytest.mark.parametrize("body, problem, line", [
    ("sensitive: [[sex, race], [age]]\n", K.ERR_BAD_VALUE.format(key="sensitive", problem=K.ERR_NOT_PLAIN.format(got="a list inside a list")), None),
    ("sensitive: [{a: 1}]\n", K.ERR_BAD_VALUE.format(key="sensitive", problem=K.ERR_NOT_PLAIN.format(got="a mapping")), None),
    ("sensitive: sex\nsensitive: race\n", "invalid YAML: " + D.ERR_DUPLICATE_KEY.format(key="sensitive"), 2),
    ("label_column: [a, b]\n", K.ERR_BAD_VALUE.format(key="label_column", problem=K.ERR_ONE_VALUE), None),
    ("label_column: {a: b}\n", K.ERR_BAD_VALUE.format(key="label_column", problem=K.ERR_NOT_PLAIN.format(got="a mapping")), None),
])
def test_config_lists_are_never_flattened_and_keys_are_unique(rai, tmp_path, body, problem, line):
    cfg = tmp_path / "c.yaml"
    cfg.write_text(body)
    code, _, err = rai("audit", "fairness", tmp_path / "p.csv", "--out", tmp_path / "a.json", "--config", cfg)
    where = f"{cfg}:{line}" if line else str(cfg)
    assert code == 2 and err == f"rai: error: {where}: {problem}\n"


def _deep_audit(depth: int) -> str:
    doc = {"schema": "rai.audit/1", "created": "", "tool": {"name": "rai-suite", "version": "0"}, "subject": {},
           "sections": {"x": {"deep": "@"}}, "metrics": [], "warnings": []}
    return json.dumps(doc).replace('"@"', "[" * depth + "]" * depth)


@pytest.mark.parametrize("argv", [("gate", "{a}", "--policy", "default"), ("report", "{a}", "--html", "{out}")])
@pytest.mark.parametrize("depth", [900, 5000, 100_000])
def test_deeply_nested_audits_are_input_errors(rai, tmp_path, argv, depth):
    audit, out = tmp_path / "deep.json", tmp_path / "r.html"
    audit.write_text(_deep_audit(depth))
    code, _, err = rai(*[a.format(a=audit, out=out) for a in argv])
    assert code == 2 and err == f"rai: error: {audit}: {D.ERR_JSON_DEPTH}\n"
    assert not out.exists()


def test_nesting_up_to_the_limit_is_read(tmp_path):
    from rai.audit.result import read_audit

    audit = tmp_path / "a.json"
    audit.write_text(_deep_audit(D.MAX_DEPTH - 3))  # the document, sections and x take 3 levels
    assert read_audit(audit).sections["x"]["deep"]
    assert D.json_depth('{"a": "[[[[[[", "b": ["\\"[["]}') == 2  # brackets inside strings do not count


def test_deeply_nested_yaml_is_an_input_error(rai, tmp_path):
    policy = tmp_path / "deep.yaml"
    policy.write_text("name: deep\nrules: " + "[" * 5000 + "]" * 5000 + "\n")
    code, _, err = rai("policy", "check", policy)
    assert code == 2 and err == f"rai: error: {policy}:2: invalid YAML: {D.ERR_YAML_DEPTH}\n"
    cfg = tmp_path / "deep-config.yaml"
    cfg.write_text("sensitive: " + "[" * 5000 + "]" * 5000 + "\n")
    code, _, err = rai("audit", "fairness", "p.csv", "--out", tmp_path / "a.json", "--config", cfg)
    assert code == 2 and err == f"rai: error: {cfg}:1: invalid YAML: {D.ERR_YAML_DEPTH}\n"


CONFIG_VALUES = [  # (audit argv, config body, the key, the problem the flag itself reports)
    (("fairness", "p.csv"), "sensitive: sex\nn-boot: -5\n", "n-boot", "must be 0 or more, got -5"),
    (("fairness", "p.csv"), "sensitive: sex\nconfidence: 7\n", "confidence", "must be strictly between 0 and 1, got 7"),
    (("fairness", "p.csv"), "sensitive: sex\nmin_group_size: -1\n", "min_group_size", "must be a positive integer, got -1"),
    (("fairness", "p.csv"), "sensitive: sex\nn_boot: lots\n", "n_boot", K.ERR_INVALID.format(type="non_negative_int", text="lots")),
    (("fairness", "p.csv"), "sensitive: sex\nn_boot: 100000000000\n", "n_boot",
     ERR_TOO_LARGE.format(limit=limits.MAX_BOOTSTRAP, got=100000000000)),
    (("pii", "t.csv"), "workers: -3\n", "workers", "must be a positive integer, got -3"),
    (("toxicity", "t.csv"), "backend: fast\n", "backend", K.ERR_CHOICE.format(value="fast", choices="detoxify, profanity-check, auto")),
]


@pytest.mark.parametrize("argv, body, key, problem", CONFIG_VALUES)
def test_config_values_get_the_flags_own_checks(rai, tmp_path, argv, body, key, problem):
    cfg = tmp_path / "c.yaml"
    cfg.write_text(body)
    code, _, err = rai("audit", *argv, "--out", tmp_path / "a.json", "--config", cfg)
    assert code == 2 and err == f"rai: error: {cfg}: " + K.ERR_BAD_VALUE.format(key=key, problem=problem) + "\n"
    flag = "--" + key.replace("_", "-")
    value = body.split(f"{key}: ")[1].split("\n")[0].strip("'")
    code, _, err = rai("audit", *argv, "--out", tmp_path / "a.json", flag, value, *(["--sensitive", "sex"] if "fairness" in argv else []))
    assert code == 2 and (problem in err or "invalid choice" in err)  # the same check on the command line


def test_config_switches_take_true_or_false(rai, tmp_path):
    cfg = tmp_path / "c.yaml"
    cfg.write_text("reveal: 'yes'\n")
    code, _, err = rai("audit", "pii", "t.csv", "--out", tmp_path / "a.json", "--config", cfg)
    assert code == 2 and err == f"rai: error: {cfg}: " + K.ERR_BAD_VALUE.format(key="reveal", problem=K.ERR_NOT_BOOLEAN.format(got="yes")) + "\n"


def test_config_keys_of_exclusive_flags_are_refused_together(rai, tmp_path):
    cfg = tmp_path / "c.yaml"
    cfg.write_text("sensitive: sex\nappend: true\nreplace: true\n")
    code, _, err = rai("audit", "fairness", "p.csv", "--out", tmp_path / "a.json", "--config", cfg)
    assert code == 2 and err == f"rai: error: {cfg}: " + K.ERR_EXCLUSIVE.format(keys="append and replace") + "\n"


def test_audit_run_sections_get_the_flags_own_checks(rai, tmp_path):
    cfg = tmp_path / "audit.yaml"
    cfg.write_text(f"out: {tmp_path / 'a.json'}\nfairness:\n  predictions: p.csv\n  sensitive: [sex]\n  n_boot: -5\n")
    code, _, err = rai("audit", "run", "--config", cfg)
    assert code == 2 and err == f"rai: error: {cfg}: section fairness: " + K.ERR_BAD_VALUE.format(
        key="n_boot", problem="must be 0 or more, got -5") + "\n"


@pytest.mark.parametrize("key, spelled", [("reference_grup", "reference_group"), ("reference-grup", "reference-group")])
def test_unknown_keys_are_listed_in_the_files_spelling(rai, tmp_path, key, spelled):
    cfg = tmp_path / "c.yaml"
    cfg.write_text(f"sensitive: sex\n{key}: sex=Male\n")
    code, _, err = rai("audit", "fairness", "p.csv", "--out", tmp_path / "a.json", "--config", cfg)
    assert code == 2 and f"unknown key(s) {key} (known: " in err and spelled in err.split("known: ")[1]
    assert ("n_boot" in err) == ("_" in key) and ("n-boot" in err) == ("-" in key)


def test_config_values_typed_as_on_the_command_line():
    p = argparse.ArgumentParser()
    p.add_argument("--n", type=at_most(positive_int, 10), default=1)
    p.add_argument("--cols", type=K.csv_list, default=[])
    p.add_argument("--paths", nargs="+")
    p.add_argument("--flag", action="store_true")
    K.apply_config(p, {"n": 3, "cols": ["a", "b"], "paths": ["x", 7], "flag": True}, where="c.yaml")
    assert vars(p.parse_args([])) == {"n": 3, "cols": ["a", "b"], "paths": ["x", "7"], "flag": True}
    K.apply_config(p, {"n": None}, where="c.yaml")  # null: the flag's default
    assert p.parse_args([]).n == 3


SIZE_FLAGS = [  # (argv before the flag, flag, limit); the inputs need not exist: the parser stops first
    (("audit", "fairness", "p.csv", "--sensitive", "s"), "--n-boot", limits.MAX_BOOTSTRAP),
    (("audit", "privacy", "run"), "--bootstrap", limits.MAX_BOOTSTRAP),
    (("audit", "privacy", "run"), "--canary-candidates", limits.MAX_CANARY_CANDIDATES),
    (("audit", "toxicity", "t.csv"), "--samples", limits.MAX_SAMPLES),
    (("audit", "pii", "t.csv"), "--workers", limits.MAX_WORKERS),
    (("train", "--data", "d.csv"), "--canaries", limits.MAX_CANARIES),
    (("train", "--data", "d.csv"), "--audit-canaries", limits.MAX_AUDIT_CANARIES),
    (("train", "--data", "d.csv"), "--epochs", limits.MAX_EPOCHS),
    (("train", "--data", "d.csv"), "--batch-size", limits.MAX_LOGICAL_BATCH_SIZE),
]


@pytest.mark.parametrize("argv, flag, limit", SIZE_FLAGS)
def test_huge_sizes_stop_at_once_naming_the_limit(rai, tmp_path, argv, flag, limit):
    out = tmp_path / "out"
    huge = "100000000000"
    started = time.perf_counter()
    code, _, err = rai(*argv, flag, huge, "--out", out)
    assert time.perf_counter() - started < FAST
    assert code == 2 and err.strip().endswith(f"argument {flag}: " + ERR_TOO_LARGE.format(limit=limit, got=huge))
    assert not out.exists()
    code, _, err = rai(*argv, flag, str(limit + 1), "--out", out)
    assert code == 2 and ERR_TOO_LARGE.format(limit=limit, got=limit + 1) in err


NOT_SIZES = {"seed", "min_group_size", "max_members", "max_non_members", "checkpoint_every", "stop_after_steps"}


def test_every_integer_flag_is_bounded_or_not_a_size():
    """A new size flag without a bound fails here (thresholds, seeds and sample caps are not sizes)."""
    _, leaf = build_parser()
    unbounded = sorted(f"{name} --{a.dest}" for name, p in leaf.items() for a in p._actions
                       if a.type in (int, positive_int, non_negative_int) and a.dest not in NOT_SIZES)
    assert unbounded == []


def test_the_training_api_has_the_flags_limits():
    from rai.core.errors import InputError
    from rai.training.config import ERR_AT_MOST, TrainConfig, validate_config

    with pytest.raises(InputError) as err:
        validate_config(TrainConfig(data="d", out="o", epochs=10**9, canaries=10**9, max_length=10**6))
    for flag, limit in (("epochs", limits.MAX_EPOCHS), ("canaries", limits.MAX_CANARIES), ("max-length", limits.MAX_LENGTH_TOKENS)):
        assert f"--{flag}: {ERR_AT_MOST.format(limit=limit)}" in str(err.value)
    validate_config(TrainConfig(data="d", out="o", epochs=limits.MAX_EPOCHS, canaries=limits.MAX_CANARIES))
