"""`rai demo`: the whole suite on shipped data, offline, on a CPU.

Trains the packaged MiniLM on a text rendering of UCI Adult with DP (ε = 8) and without (the
baseline), audits fairness, PII, memorisation and toxicity, gates the DP model with the `default`
policy and renders the report. Every step is an ordinary `rai` command line run in-process
(`rai.cli.main.execute`), so the demo is also a worked example of the CLI; `plan.commands` are
written to `commands.sh` in the output directory.
"""

from __future__ import annotations

import json
import shlex
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from rai.errors import EXIT_GATE_FAILED, EXIT_OK, InputError
from rai.io import atomic_write_text

ERR_OUT_NOT_DEMO = "exists and is not a previous demo output (choose another --out)"
DEMO_MARKER = "demo.json"

# Synthetic PII planted in the training data (reserved example domains, test card and IBAN numbers),
# so the PII audit has something real to find. Never real people.
PLANTED_PII = (
    ("A 41-year-old White female, married civ spouse, works in sales. Contact: maria.lopez@example.org.", 1, "Female", "White"),
    ("A 36-year-old Black male, never married, works in tech support, call +44 20 7946 0958 for details.", 0, "Male", "Black"),
    ("A 52-year-old White male, divorced, works in exec managerial, paid with card 4111 1111 1111 1111.", 1, "Male", "White"),
    ("A 29-year-old Asian-Pac-Islander female, never married, salary to IBAN GB82 WEST 1234 5698 7654 32.", 0, "Female", "Asian-Pac-Islander"),
    ("A 47-year-old White male, married civ spouse, SSN 536-22-1498 on file, works in craft repair.", 1, "Male", "White"),
)


@dataclass(frozen=True)
class DemoPlan:
    """Sizes chosen to finish in under 10 minutes on 2 CPU cores (see docs/demo.md)."""

    train_rows: int
    eval_rows: int
    epochs: int
    max_length: int
    train_layers: str
    batch_size: int
    learning_rate: float
    canaries: int
    canary_candidates: int
    n_boot: int
    privacy_bootstrap: int


FULL = DemoPlan(train_rows=3000, eval_rows=1000, epochs=2, max_length=48, train_layers="last:2", batch_size=64,
                learning_rate=1e-3, canaries=10, canary_candidates=500, n_boot=1000, privacy_bootstrap=500)
QUICK = DemoPlan(train_rows=300, eval_rows=200, epochs=1, max_length=32, train_layers="last:1", batch_size=32,
                 learning_rate=1e-3, canaries=3, canary_candidates=50, n_boot=100, privacy_bootstrap=50)


@dataclass
class DemoOutcome:
    out: Path
    passed: bool
    verdict: dict[str, Any]
    audit: dict[str, Any]
    baseline_audit: dict[str, Any]
    timings: list[tuple[str, float]] = field(default_factory=list)

    @property
    def report(self) -> Path:
        return self.out / "report.html"


def _shipped(name: str) -> Path:
    return Path(str(resources.files("rai").joinpath(f"data/adult/{name}")))


def prepare_data(out: Path, plan: DemoPlan, seed: int) -> tuple[Path, Path]:
    """Sample the shipped Adult text, plant the synthetic PII records, write train/eval CSVs."""
    train = pd.read_csv(_shipped("train.csv")).sample(n=plan.train_rows, random_state=seed).sort_index()
    evaluation = pd.read_csv(_shipped("eval.csv")).sample(n=plan.eval_rows, random_state=seed).sort_index()
    planted = pd.DataFrame([{"id": f"planted-{i}", "text": t, "label": y, "sex": s, "race": r, "age_band": "unknown"}
                            for i, (t, y, s, r) in enumerate(PLANTED_PII)])
    train = pd.concat([train, planted], ignore_index=True)
    data = out / "data"
    data.mkdir(parents=True, exist_ok=True)
    train.to_csv(data / "train.csv", index=False)
    evaluation.to_csv(data / "eval.csv", index=False)
    return data / "train.csv", data / "eval.csv"


def _train_argv(plan: DemoPlan, train: Path, evaluation: Path, out: Path, seed: int, *, dp: bool) -> list[str]:
    argv = ["train", "--data", str(train), "--eval", str(evaluation), "--group-columns", "sex,race",
            "--epochs", str(plan.epochs), "--max-length", str(plan.max_length), "--train-layers", plan.train_layers,
            "--batch-size", str(plan.batch_size), "--learning-rate", str(plan.learning_rate),
            "--canaries", str(plan.canaries), "--seed", str(seed), "--out", str(out)]
    return argv + (["--epsilon", "8"] if dp else ["--no-dp"])


def audit_config(plan: DemoPlan, run: Path, train: Path, out: Path, seed: int, *, full: bool) -> dict[str, Any]:
    """The `rai audit run` config: every audit for the release candidate, privacy only for the baseline."""
    privacy = {"run_dir": str(run), "canary_candidates": plan.canary_candidates, "bootstrap": plan.privacy_bootstrap}
    config: dict[str, Any] = {"out": str(out), "seed": seed, "privacy": privacy}
    if full:
        config["fairness"] = {"predictions": str(run), "sensitive": "sex,race", "reference_group": "sex=Male",
                              "n_boot": plan.n_boot}
        config["pii"] = {"paths": [str(train)], "columns": "text"}
        config["toxicity"] = {"path": str(train), "columns": "text", "group_column": "sex", "backend": "auto"}
    return config


class _Steps:
    """Runs named steps, printing each one's elapsed time."""

    def __init__(self, echo: Callable[[str], None]) -> None:
        self.echo = echo
        self.timings: list[tuple[str, float]] = []
        self.commands: list[str] = []

    def run(self, name: str, fn: Callable[[], Any]) -> Any:
        self.echo(f"[{len(self.timings) + 1}] {name} ...")
        started = time.perf_counter()
        value = fn()
        seconds = time.perf_counter() - started
        self.timings.append((name, seconds))
        self.echo(f"    done in {seconds:.1f} s")
        return value

    def rai(self, argv: list[str], *, ok: tuple[int, ...] = (EXIT_OK,)) -> int:
        from rai.cli.main import execute

        self.commands.append("rai " + shlex.join(argv))
        code = execute(argv)
        if code not in ok:
            raise RuntimeError(f"step `rai {' '.join(argv[:2])}` exited {code}")
        return code


def _check_out(out: Path) -> None:
    if out.exists() and any(out.iterdir()) and not (out / DEMO_MARKER).exists():
        raise InputError(ERR_OUT_NOT_DEMO, where=str(out))


def run_demo(out: str | Path, *, quick: bool = False, seed: int = 0, quiet: bool = False,
             echo: Callable[[str], None] = print) -> DemoOutcome:
    """Run every step into `out` (a previous demo there is replaced) and return what it found."""
    import shutil

    out = Path(out)
    _check_out(out)
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    plan = QUICK if quick else FULL
    q = ["--quiet"] if quiet else []
    steps = _Steps(echo)
    dp_run, base_run = out / "runs" / "dp-eps8", out / "runs" / "baseline-nodp"
    train, evaluation = steps.run("prepare data (UCI Adult as text, planted PII)", lambda: prepare_data(out, plan, seed))
    steps.run("DP fine-tuning of the packaged MiniLM at epsilon = 8",
              lambda: steps.rai(_train_argv(plan, train, evaluation, dp_run, seed, dp=True) + q))
    steps.run("non-DP baseline: same model, same data",
              lambda: steps.rai(_train_argv(plan, train, evaluation, base_run, seed, dp=False) + q))
    configs = {"audit.yaml": audit_config(plan, dp_run, train, out / "audit.json", seed, full=True),
               "audit-baseline.yaml": audit_config(plan, base_run, train, out / "audit-baseline.json", seed, full=False)}
    for name, config in configs.items():
        atomic_write_text(out / name, yaml.safe_dump(config, sort_keys=False))
    steps.run("audits of the DP model: fairness (sex, race, sex&race), PII, membership inference, canaries, toxicity",
              lambda: steps.rai(["audit", "run", "--config", str(out / "audit.yaml")] + q))
    steps.run("membership inference and canaries on the baseline",
              lambda: steps.rai(["audit", "run", "--config", str(out / "audit-baseline.yaml")] + q))
    steps.run("gate with the default policy",
              lambda: steps.rai(["gate", str(out / "audit.json"), "--policy", "default", "--verdict", str(out / "verdict.json")] + q,
                                ok=(EXIT_OK, EXIT_GATE_FAILED)))
    steps.run("report: HTML, Markdown summary, JUnit",
              lambda: steps.rai(["report", str(out / "audit.json"), "--policy", "default", "--html", str(out / "report.html"),
                                 "--markdown", str(out / "summary.md"), "--junit", str(out / "junit.xml")] + q))
    atomic_write_text(out / "commands.sh", "#!/bin/sh\n# The commands `rai demo` ran, in order.\nset -e\n" + "\n".join(steps.commands) + "\n")
    verdict = json.loads((out / "verdict.json").read_text(encoding="utf-8"))
    outcome = DemoOutcome(out=out, passed=bool(verdict["passed"]), verdict=verdict,
                          audit=json.loads((out / "audit.json").read_text(encoding="utf-8")),
                          baseline_audit=json.loads((out / "audit-baseline.json").read_text(encoding="utf-8")),
                          timings=steps.timings)
    atomic_write_text(out / DEMO_MARKER, json.dumps({"quick": quick, "seed": seed, "passed": outcome.passed,
                                                     "timings": steps.timings}, indent=2) + "\n")
    return outcome


# --- explaining the numbers ------------------------------------------------------------------

def _metric(audit: dict[str, Any], metric_id: str, **details: str) -> dict[str, Any] | None:
    for m in audit.get("metrics", []):
        if m["id"] == metric_id and all(str(m.get("details", {}).get(k)) == v for k, v in details.items()):
            return m
    return None


def _fmt(m: dict[str, Any] | None, digits: int = 2) -> str:
    if m is None or m.get("value") is None:
        return "n/a"
    text = f"{m['value']:.{digits}f}" if isinstance(m["value"], float) else str(m["value"])
    ci = m.get("ci")
    if ci and ci[0] is not None and ci[1] is not None:
        text += f" [{ci[0]:.{digits}f}, {ci[1]:.{digits}f}]"
    return text


def _ledger(run: Path) -> dict[str, Any]:
    return json.loads((run / "privacy.json").read_text(encoding="utf-8"))


def _accuracy(run: Path) -> str:
    metrics = json.loads((run / "metrics.json").read_text(encoding="utf-8"))
    evaluation = metrics.get("eval", metrics)
    acc = evaluation.get("accuracy")
    return "n/a" if acc is None else f"{acc:.3f}"


def explain(outcome: DemoOutcome) -> str:
    """A paragraph per finding, saying what the numbers mean (printed at the end of the demo)."""
    a, b, out = outcome.audit, outcome.baseline_audit, outcome.out
    dp_run, base_run = out / "runs" / "dp-eps8", out / "runs" / "baseline-nodp"
    ledger = _ledger(dp_run)
    failed = [r for r in outcome.verdict["rules"] if r["status"] in ("fail", "missing")]
    warned = [r for r in outcome.verdict["rules"] if r["status"] == "warn"]
    lines = [
        f"Verdict: {'PASS' if outcome.passed else 'FAIL'} under the `default` policy"
        + (f" ({len(failed)} blocking rule(s): {', '.join(r['rule'] for r in failed)})" if failed else "")
        + (f"; {len(warned)} warning(s)" if warned else "") + ".",
        "",
        f"Privacy guarantee: the DP model is ({ledger['epsilon']:.2f}, {ledger['delta']:.1e})-differentially private "
        f"per example ({ledger['accountant']} accountant, noise multiplier {ledger['noise_multiplier']:.2f}, "
        f"{ledger['steps']} steps). Accuracy on held-out rows: DP {_accuracy(dp_run)}, non-DP baseline {_accuracy(base_run)}; "
        "the gap is the price of the guarantee.",
        f"Measured memorisation: membership-inference AUC {_fmt(_metric(a, 'privacy.mia.auc'))} for the DP model vs "
        f"{_fmt(_metric(b, 'privacy.mia.auc'))} for the baseline (0.5 = the attacker guesses); canary exposure (bits, "
        f"higher = memorised) mean {_fmt(_metric(a, 'privacy.canary.exposure_mean'))} vs {_fmt(_metric(b, 'privacy.canary.exposure_mean'))}. "
        "The empirical bound can only be below the proven epsilon; a small model trained briefly memorises little either way.",
        f"Fairness: demographic-parity ratio by sex {_fmt(_metric(a, 'fairness.demographic_parity_ratio', attribute='sex'))} "
        "(the four-fifths rule asks for at least 0.80). The labels themselves carry the gap: about 31% of men and 11% of "
        "women in UCI Adult earn over 50K (a label ratio near 0.4), so a model that learns the labels inherits it. "
        "A failing fairness rule here is a finding about the data and the task, not a defect of the demo.",
        f"PII: {_fmt(_metric(a, 'pii.records_with_pii'), 0)} training record(s) hold PII: the synthetic records the demo "
        "planted (email, phone, card, IBAN, SSN). Values are masked everywhere; clean the data with "
        "`rai audit pii --redact` before training.",
        f"Toxicity: rate {_fmt(_metric(a, 'toxicity.rate'))} of training texts at or above 0.5 "
        f"(backend: {a.get('sections', {}).get('toxicity', {}).get('backend', {}).get('name', 'n/a') if isinstance(a.get('sections', {}).get('toxicity', {}).get('backend'), dict) else a.get('sections', {}).get('toxicity', {}).get('backend', 'n/a')}).",
        "",
        f"Report: {outcome.report}   Summary: {out / 'summary.md'}   JUnit: {out / 'junit.xml'}",
        f"The demo exits 0 because it ran; `rai gate {out / 'audit.json'} --policy default` would exit "
        f"{0 if outcome.passed else 1}, which is what CI enforces. The commands it ran are in {out / 'commands.sh'}.",
    ]
    return "\n".join(lines)
