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

from rai.core import rundir
from rai.core.errors import EXIT_GATE_FAILED, EXIT_OK, Interrupted
from rai.core.io import atomic_write_text
from rai.core.outputs import fresh_output_dir, marker_text

HELDOUT_SHARE = 0.3  # of the balanced pool, kept out of training as membership-inference non-members
ERR_DEMO_STOPPED = "rai demo: stopped by a signal; nothing was left in {out} (run `rai demo` again)"
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
    """Sizes chosen to finish in under 10 minutes on 2 CPU cores (see docs/demo.md).

    Training rows are balanced by label (every positive of the sample, as many negatives): at
    ε = 8 the noise drowns a 24% minority class and a model trained on the raw mix predicts the
    majority class only. Only the head is trained (the Opacus BERT recipe): fewer noisy
    coordinates, and the step cost is one forward pass of the frozen encoder.
    """

    train_rows: int  # sampled from the shipped rows before balancing
    eval_rows: int
    epochs: int
    max_length: int
    train_layers: str
    batch_size: int
    physical_batch_size: int
    learning_rate: float
    canaries: int
    audit_canaries: int  # one-run audit: short random texts, each trained on with probability 1/2
    canary_candidates: int
    n_boot: int
    privacy_bootstrap: int


FULL = DemoPlan(train_rows=3000, eval_rows=1000, epochs=4, max_length=48, train_layers="head", batch_size=256,
                physical_batch_size=64, learning_rate=5e-3, canaries=10, audit_canaries=200, canary_candidates=300, n_boot=1000,
                privacy_bootstrap=500)
QUICK = DemoPlan(train_rows=400, eval_rows=120, epochs=2, max_length=24, train_layers="head", batch_size=64,
                 physical_batch_size=64, learning_rate=5e-3, canaries=3, audit_canaries=64, canary_candidates=20, n_boot=50,
                 privacy_bootstrap=30)


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


@dataclass(frozen=True)
class DemoData:
    train: Path  # members: the model is trained on these
    heldout: Path  # non-members from the same (balanced) distribution, for membership inference
    evaluation: Path  # the natural distribution, for accuracy and fairness


def prepare_data(out: Path, plan: DemoPlan, seed: int) -> DemoData:
    """Sample the shipped Adult text, balance it by label, split members from held-out non-members,
    plant the synthetic PII records in the training rows, and write the CSVs.

    Members and non-members must come from one distribution, or a membership attack measures the
    difference between the distributions instead of memorisation.
    """
    pool = pd.read_csv(_shipped("train.csv")).sample(n=plan.train_rows, random_state=seed)
    positives = pool[pool["label"] == 1]
    negatives = pool[pool["label"] == 0].sample(n=len(positives), random_state=seed)
    pool = pd.concat([positives, negatives]).sample(frac=1.0, random_state=seed)
    n_heldout = int(round(len(pool) * HELDOUT_SHARE))
    heldout, train = pool.iloc[:n_heldout].sort_index(), pool.iloc[n_heldout:].sort_index()
    evaluation = pd.read_csv(_shipped("eval.csv")).sample(n=plan.eval_rows, random_state=seed).sort_index()
    planted = pd.DataFrame([{"id": f"planted-{i}", "text": t, "label": y, "sex": s, "race": r, "age_band": "unknown"}
                            for i, (t, y, s, r) in enumerate(PLANTED_PII)])
    train = pd.concat([train, planted], ignore_index=True)
    data = out / "data"
    data.mkdir(parents=True, exist_ok=True)
    files = DemoData(train=data / "train.csv", heldout=data / "heldout.csv", evaluation=data / "eval.csv")
    train.to_csv(files.train, index=False)
    heldout.to_csv(files.heldout, index=False)
    evaluation.to_csv(files.evaluation, index=False)
    return files


def _train_argv(plan: DemoPlan, train: Path, evaluation: Path, out: Path, seed: int, *, dp: bool) -> list[str]:
    argv = ["train", "--data", str(train), "--eval", str(evaluation), "--group-columns", "sex,race",
            "--epochs", str(plan.epochs), "--max-length", str(plan.max_length), "--train-layers", plan.train_layers,
            "--batch-size", str(plan.batch_size), "--max-physical-batch-size", str(plan.physical_batch_size),
            "--learning-rate", str(plan.learning_rate),
            "--canaries", str(plan.canaries), "--audit-canaries", str(plan.audit_canaries), "--seed", str(seed), "--out", str(out)]
    return argv + (["--epsilon", "8"] if dp else ["--no-dp"])


def audit_config(plan: DemoPlan, run: Path, data: DemoData, out: Path, seed: int, *, full: bool) -> dict[str, Any]:
    """The `rai audit run` config: every audit for the release candidate, privacy only for the baseline."""
    train = data.train
    privacy = {"run_dir": str(run), "non_members": str(data.heldout), "canary_candidates": plan.canary_candidates,
               "bootstrap": plan.privacy_bootstrap}
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


def _run_dirs(out: Path) -> tuple[Path, Path]:
    """The DP run and the non-DP baseline run inside the demo output."""
    return out / "runs" / "dp-eps8", out / "runs" / "baseline-nodp"


def run_demo(out: str | Path, *, quick: bool = False, seed: int = 0, quiet: bool = False,
             echo: Callable[[str], None] = print) -> DemoOutcome:
    """Run every step into `out` and return what it found.

    `out` must be new, empty, or a previous demo output that nobody changed: its demo.json lists the
    SHA-256 of every file, and a folder holding anything else is refused and left alone
    (`rai.core.outputs.fresh_output_dir`). A demo that fails part-way, or is stopped by a signal, removes
    what it wrote and puts the previous demo back: no half-written demo is left behind.
    """
    try:
        with fresh_output_dir(out, marker=DEMO_MARKER, command="rai demo") as path:
            return _run_steps(path, QUICK if quick else FULL, quick=quick, seed=seed, quiet=quiet, echo=echo)
    except Interrupted as exc:  # the training step's checkpoint went with the rest: say so, not "--resume"
        raise Interrupted(ERR_DEMO_STOPPED.format(out=out), signum=exc.signum) from None


def _run_steps(out: Path, plan: DemoPlan, *, quick: bool, seed: int, quiet: bool, echo: Callable[[str], None]) -> DemoOutcome:
    q = ["--quiet"] if quiet else []
    steps = _Steps(echo)
    dp_run, base_run = _run_dirs(out)
    data = steps.run("prepare data (UCI Adult as text, planted PII)", lambda: prepare_data(out, plan, seed))
    steps.run("DP fine-tuning of the packaged MiniLM at epsilon = 8",
              lambda: steps.rai(_train_argv(plan, data.train, data.evaluation, dp_run, seed, dp=True) + q))
    steps.run("non-DP baseline: same model, same data",
              lambda: steps.rai(_train_argv(plan, data.train, data.evaluation, base_run, seed, dp=False) + q))
    configs = {"audit.yaml": audit_config(plan, dp_run, data, out / "audit.json", seed, full=True),
               "audit-baseline.yaml": audit_config(plan, base_run, data, out / "audit-baseline.json", seed, full=False)}
    for name, config in configs.items():
        atomic_write_text(out / name, yaml.safe_dump(config, sort_keys=False))
    steps.run("audits of the DP model: fairness (sex, race, sex&race), PII, membership inference, canaries, toxicity",
              lambda: steps.rai(["audit", "run", "--config", str(out / "audit.yaml")] + q))
    steps.run("membership inference and canaries on the baseline",
              lambda: steps.rai(["audit", "run", "--config", str(out / "audit-baseline.yaml")] + q))
    steps.run("gate with the default policy",
              lambda: steps.rai(["gate", str(out / "audit.json"), "--policy", "default", "--verdict", str(out / "verdict.json")] + q,
                                ok=(EXIT_OK, EXIT_GATE_FAILED)))
    steps.run("report: HTML (beside the baseline), Markdown summary, JUnit",
              lambda: steps.rai(["report", str(out / "audit.json"), "--policy", "default",
                                 "--compare", str(out / "audit-baseline.json"), "--html", str(out / "report.html"),
                                 "--markdown", str(out / "summary.md"), "--junit", str(out / "junit.xml")] + q))
    atomic_write_text(out / "commands.sh", "#!/bin/sh\n# The commands `rai demo` ran, in order.\nset -e\n" + "\n".join(steps.commands) + "\n")
    verdict = json.loads((out / "verdict.json").read_text(encoding="utf-8"))
    outcome = DemoOutcome(out=out, passed=bool(verdict["passed"]), verdict=verdict,
                          audit=json.loads((out / "audit.json").read_text(encoding="utf-8")),
                          baseline_audit=json.loads((out / "audit-baseline.json").read_text(encoding="utf-8")),
                          timings=steps.timings)
    atomic_write_text(out / DEMO_MARKER, marker_text(out, DEMO_MARKER, {"quick": quick, "seed": seed, "passed": outcome.passed,
                                                                        "timings": steps.timings}))
    return outcome


# --- explaining the numbers ------------------------------------------------------------------
# The sentences about each finding come from the report (rai.reports.explain), so every report has them;
# the demo adds what only it knows: the accuracy of both runs, and where its data's findings come from.

def _accuracy(run: Path) -> float | None:
    metrics = json.loads((run / rundir.METRICS).read_text(encoding="utf-8"))
    return metrics.get("eval", metrics).get("accuracy")


def _accuracy_sentence(dp: float | None, base: float | None) -> str:
    if dp is None or base is None:
        return "Accuracy on held-out rows is not available."
    verdict = ("the gap is the price of the guarantee" if dp < base - 0.005 else
               "here the guarantee costs no measurable accuracy (the difference is within noise for this evaluation set)")
    return f"Accuracy on held-out rows: DP {dp:.3f}, non-DP baseline {base:.3f}; {verdict}."


DEMO_CONTEXT = {
    "privacy": "Non-members are held-out rows of the same balanced pool, so the attack measures memorisation, not a shift "
               "between data sets; the proven epsilon bounds what any attack could ever reach.",
    "fairness": "The labels themselves carry the gap: about 31% of men and 11% of women in UCI Adult earn over 50K (a label "
                "ratio near 0.4), so a model that learns the labels inherits it. A failing fairness rule here is a finding "
                "about the data and the task, not a defect of the demo.",
    "pii": "These are the synthetic records the demo planted (email, phone, card, IBAN, SSN).",
    "toxicity": "",
}


def explain(outcome: DemoOutcome) -> str:
    """A paragraph per finding, saying what the numbers mean (printed at the end of the demo)."""
    from rai.audit.gate import evaluate, load_policy
    from rai.audit.result import read_audit
    from rai.reports.explain import paragraphs

    out = outcome.out
    dp_run, base_run = _run_dirs(out)
    audit, baseline = read_audit(out / "audit.json"), read_audit(out / "audit-baseline.json")
    found = paragraphs(audit, evaluate(load_policy("default"), audit), baseline)
    lines = [found["verdict"], ""]
    if "privacy" in found:
        lines.append(f"{found['privacy']} {_accuracy_sentence(_accuracy(dp_run), _accuracy(base_run))} {DEMO_CONTEXT['privacy']}")
    lines += [found[k] for k in ("one_run",) if k in found]
    lines += [f"{found[area]} {DEMO_CONTEXT[area]}".strip() for area in ("fairness", "pii", "toxicity") if area in found]
    lines += [
        "",
        f"Report: {outcome.report} (the DP model beside the non-DP baseline)   Summary: {out / 'summary.md'}   "
        f"JUnit: {out / 'junit.xml'}",
        f"The demo exits 0 because it ran; `rai gate {out / 'audit.json'} --policy default` would exit "
        f"{0 if outcome.passed else 1}, which is what CI enforces. The commands it ran are in {out / 'commands.sh'}.",
    ]
    return "\n".join(lines)
