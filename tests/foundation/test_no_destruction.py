"""Issue 12, items 4, 5, 6, 10 (outputs) and 11: no command replaces, drops or deletes a user's file.

One output policy (`rai.core.outputs`) for every command: an output is never an input or another output,
an existing output is kept unless --append/--replace/--force says otherwise, directories are removed
only when the command made them, and a command's outputs appear together or not at all. Each case
here overwrote, deleted or crashed (exit 0 or 3) before that policy.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from pathlib import Path

import pytest

from rai.audit.result import AuditResult, write_audit


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _tree(root: Path) -> dict[str, str]:
    """Every file under root (hidden ones included) with its content hash."""
    return {str(p.relative_to(root)): _digest(p) for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture
def workdir(tmp_path, monkeypatch) -> Path:
    """A working directory with a predictions table, an audit, a policy file and an unrelated file."""
    monkeypatch.chdir(tmp_path)
    rows = ["label,prediction,sex"] + [f"{i % 2},{(i // 2) % 2},{'F' if i % 3 else 'M'}" for i in range(120)]
    (tmp_path / "good.csv").write_text("\n".join(rows) + "\n")
    (tmp_path / "texts.csv").write_text("text\nhello there\nyou are kind\n")
    r = AuditResult(subject={"model": "m", "inputs": []})
    r.add_section("pii", {"note": "kept"})
    r.add_section("toxicity", {"note": "kept"})
    write_audit(tmp_path / "audit.json", r)
    shutil.copy(Path(__file__).parents[2] / "policies" / "default.yaml", tmp_path / "policy.yaml")
    (tmp_path / "notes.txt").write_text("my notes, not rai's\n")
    return tmp_path


def _refused(result: tuple[int, str, str], before: dict[str, str], root: Path) -> str:
    """Exit 2, one line on stderr, and not one file created, changed or removed (temp files included)."""
    code, _, err = result
    assert code == 2, err
    assert err.count("\n") == 1 and err.startswith("rai: error: "), err
    assert _tree(root) == before
    return err.strip()


# --- item 4: an output that is an input, or another output -------------------------------------

@pytest.mark.parametrize("spelling", ["good.csv", "./good.csv", "{root}/good.csv", "sub/../good.csv"])
def test_audit_out_over_its_input_is_refused(rai, workdir, spelling):
    (workdir / "sub").mkdir()
    before = _tree(workdir)
    out = spelling.format(root=workdir)
    err = _refused(rai("audit", "fairness", "good.csv", "--sensitive", "sex", "--n-boot", "0", "--out", out, "--force"),
                   before, workdir)
    from rai.core.outputs import ERR_IS_INPUT

    assert err == f"rai: error: {out}: {ERR_IS_INPUT.format(flag='--out')}"


def test_an_input_reached_through_a_symlink_or_a_hard_link_is_still_an_input(rai, workdir):
    os.symlink(workdir / "good.csv", workdir / "alias.csv")
    os.link(workdir / "good.csv", workdir / "twin.csv")
    before = _tree(workdir)
    for out in ("alias.csv", "twin.csv"):
        _refused(rai("audit", "fairness", "good.csv", "--sensitive", "sex", "--n-boot", "0", "--out", out),
                 before, workdir)
    # and the other way round: the input given as the link, the output as the file itself
    _refused(rai("audit", "fairness", "twin.csv", "--sensitive", "sex", "--n-boot", "0", "--out", "good.csv"),
             before, workdir)


def test_a_file_an_audit_found_inside_an_input_folder_is_an_input_too(rai, workdir):
    run = workdir / "run"
    run.mkdir()
    shutil.copy(workdir / "good.csv", run / "predictions.csv")
    before = _tree(workdir)
    err = _refused(rai("audit", "fairness", "run", "--sensitive", "sex", "--n-boot", "0", "--out", "run/predictions.csv",
                       "--force", "--quiet"), before, workdir)
    from rai.core.outputs import ERR_IS_INPUT

    assert err.endswith(ERR_IS_INPUT.format(flag="--out"))


def test_toxicity_out_over_its_input_is_refused(rai, workdir):
    before = _tree(workdir)
    _refused(rai("audit", "toxicity", "texts.csv", "--backend", "profanity-check", "--bootstrap", "10", "--out", "texts.csv"),
             before, workdir)


def test_audit_run_out_over_an_input_of_a_section_is_refused(rai, workdir):
    (workdir / "audit.yaml").write_text("out: texts.csv\npii:\n  paths: [texts.csv]\n")
    before = _tree(workdir)
    _refused(rai("audit", "run", "--config", "audit.yaml"), before, workdir)
    (workdir / "audit2.yaml").write_text("out: audit2.yaml\npii:\n  paths: [texts.csv]\n")  # the config itself
    before = _tree(workdir)
    _refused(rai("audit", "run", "--config", "audit2.yaml", "--force"), before, workdir)


@pytest.mark.parametrize("argv", [
    ["report", "audit.json", "--html", "audit.json"],
    ["report", "audit.json", "--policy", "{root}/policy.yaml", "--junit", "{root}/policy.yaml"],
    ["report", "audit.json", "--markdown", "good.csv"],
    ["report", "audit.json", "--html", "r.x", "--markdown", "r.x"],
    ["report", "audit.json", "--html", "r.x", "--markdown", "./r.x"],
    ["gate", "audit.json", "--policy", "default", "--verdict", "audit.json"],
    ["gate", "audit.json", "--policy", "{root}/policy.yaml", "--verdict", "{root}/policy.yaml"],
    ["gate", "audit.json", "--policy", "default", "--verdict", "notes.txt"],
    ["audit", "pii", "texts.csv", "--out", "p.json", "--findings", "p.json"],
    ["audit", "pii", "texts.csv", "--out", "p.json", "--redact", "texts.csv"],
])
def test_report_gate_and_pii_outputs_never_replace_inputs_or_each_other(rai, workdir, argv):
    before = _tree(workdir)
    _refused(rai(*[a.format(root=workdir) for a in argv]), before, workdir)


@pytest.mark.parametrize("argv,flag", [
    (["report", "audit.json", "--html", "audit.json"], "--html"),
    (["report", "audit.json", "--policy", "{root}/policy.yaml", "--junit", "{root}/policy.yaml"], "--junit"),
    (["gate", "audit.json", "--policy", "{root}/policy.yaml", "--verdict", "{root}/policy.yaml"], "--verdict"),
    (["audit", "pii", "texts.csv", "--out", "p.json", "--redact", "texts.csv"], "--redact"),
    (["audit", "pii", "texts.csv", "--out", "texts.csv"], "--out"),
])
def test_force_never_lets_an_output_replace_an_input(rai, workdir, argv, flag):
    from rai.core.outputs import ERR_IS_INPUT

    before = _tree(workdir)
    err = _refused(rai(*[a.format(root=workdir) for a in argv], "--force"), before, workdir)
    assert err.endswith(ERR_IS_INPUT.format(flag=flag))


def test_train_out_that_is_its_data_file_is_refused(rai, workdir):
    before = _tree(workdir)
    _refused(rai("train", "--data", "texts.csv", "--out", "texts.csv", "--no-dp"), before, workdir)


# --- item 6: an existing output is never replaced or dropped silently --------------------------

def test_audit_out_on_an_existing_audit_needs_append_replace_or_force(rai, workdir):
    before = _tree(workdir)
    err = _refused(rai("audit", "pii", "texts.csv", "--out", "audit.json"), before, workdir)
    from rai.core.outputs import ERR_AUDIT_EXISTS

    assert err == f"rai: error: audit.json: {ERR_AUDIT_EXISTS.format(flag='--out')}"
    assert rai("audit", "pii", "texts.csv", "--out", "audit.json", "--replace", "--quiet")[0] == 0
    sections = json.loads((workdir / "audit.json").read_text())["sections"]
    assert sections["toxicity"] == {"note": "kept"} and sections["pii"] != {"note": "kept"}  # merged, nothing dropped
    assert rai("audit", "pii", "texts.csv", "--out", "audit.json", "--force", "--quiet")[0] == 0
    assert set(json.loads((workdir / "audit.json").read_text())["sections"]) == {"pii"}  # asked for: a new document


@pytest.mark.parametrize("flag,target", [("--findings", "notes.txt"), ("--redact", "good.csv")])
def test_findings_and_redact_keep_an_existing_file_without_force(rai, workdir, flag, target):
    shutil.copy(workdir / "texts.csv", workdir / "scan.csv")
    if target == "good.csv":
        target = "other.csv"
        shutil.copy(workdir / "good.csv", workdir / target)
    before = _tree(workdir)
    err = _refused(rai("audit", "pii", "scan.csv", "--out", "p.json", flag, target), before, workdir)
    from rai.core.outputs import ERR_EXISTS

    assert err == f"rai: error: {target}: {ERR_EXISTS.format(flag=flag)}"
    assert rai("audit", "pii", "scan.csv", "--out", "p.json", flag, target, "--force", "--quiet")[0] == 0
    assert _digest(workdir / target) != before[target]


def test_report_and_gate_keep_existing_files_without_force(rai, workdir):
    (workdir / "r.html").write_text("an older report I want to keep")
    before = _tree(workdir)
    _refused(rai("report", "audit.json", "--html", "r.html"), before, workdir)
    _refused(rai("gate", "audit.json", "--policy", "default", "--verdict", "r.html"), before, workdir)
    assert rai("report", "audit.json", "--html", "r.html", "--force", "--quiet")[0] == 0
    assert (workdir / "r.html").read_text().startswith("<!DOCTYPE html>")


# --- item 5: rai demo removes only what it wrote ------------------------------------------------

def _previous_demo(root: Path) -> Path:
    """A directory exactly as a finished `rai demo` leaves it (its marker lists every file's hash)."""
    from rai.demo import DEMO_MARKER
    from rai.core.outputs import fresh_output_dir, marker_text

    with fresh_output_dir(root / "demo", marker=DEMO_MARKER, command="rai demo") as out:
        (out / "data").mkdir()
        (out / "data" / "train.csv").write_text("text,label\nx,1\n")
        (out / "report.html").write_text("<html></html>")
        (out / DEMO_MARKER).write_text(marker_text(out, DEMO_MARKER, {"quick": True}))
    return root / "demo"


@pytest.mark.parametrize("tamper", ["extra_file", "changed_file", "no_manifest", "symlink", "extra_dir_file"])
def test_demo_never_removes_a_folder_that_holds_anything_it_did_not_write(rai, workdir, tamper):
    demo = _previous_demo(workdir)
    if tamper == "extra_file":
        (demo / "thesis.tex").write_text("two years of work")
    elif tamper == "changed_file":
        (demo / "report.html").write_text("<html>my edits</html>")
    elif tamper == "no_manifest":  # the old marker: any folder with a demo.json was deleted whole
        (demo / "demo.json").write_text(json.dumps({"quick": True}))
    elif tamper == "symlink":
        os.symlink(workdir / "notes.txt", demo / "notes-link.txt")
    else:
        (demo / "data" / "mine").mkdir()
        (demo / "data" / "mine" / "keep.csv").write_text("a\n1\n")
    before = _tree(workdir)
    err = _refused(rai("demo", "--quick", "--out", "demo"), before, workdir)
    assert "is not a complete previous output of `rai demo`" in err
    assert not [p for p in workdir.iterdir() if p.name.startswith(".demo")]


def test_demo_refuses_an_out_under_a_file_or_that_is_a_file(rai, workdir):
    before = _tree(workdir)
    _refused(rai("demo", "--quick", "--out", "notes.txt"), before, workdir)
    _refused(rai("demo", "--quick", "--out", "notes.txt/demo"), before, workdir)


def test_an_unchanged_previous_demo_is_replaced_and_restored_if_the_new_one_fails(workdir):
    from rai.demo import DEMO_MARKER
    from rai.core.outputs import fresh_output_dir

    demo = _previous_demo(workdir)
    old = _tree(demo)
    with pytest.raises(RuntimeError):
        with fresh_output_dir(demo, marker=DEMO_MARKER, command="rai demo") as out:
            assert list(out.iterdir()) == []
            (out / "half.txt").write_text("half")
            raise RuntimeError("a step failed")
    assert _tree(demo) == old and sorted(p.name for p in workdir.iterdir() if p.name.startswith(".")) == []
    with fresh_output_dir(demo, marker=DEMO_MARKER, command="rai demo") as out:
        (out / "new.txt").write_text("new")
    assert _tree(demo) == {"new.txt": _digest(demo / "new.txt")}
    assert not [p for p in workdir.iterdir() if p.name.startswith(".")]


def test_an_empty_folder_given_by_the_user_is_kept_on_failure(workdir):
    from rai.core.outputs import fresh_output_dir

    (workdir / "mine").mkdir()
    with pytest.raises(RuntimeError):
        with fresh_output_dir(workdir / "mine", marker="demo.json", command="rai demo") as out:
            (out / "sub").mkdir()
            (out / "sub" / "x").write_text("x")
            raise RuntimeError("boom")
    assert (workdir / "mine").is_dir() and list((workdir / "mine").iterdir()) == []


# --- item 10 (outputs): file-system errors are exit 2 naming the path --------------------------

@pytest.mark.parametrize("argv,path", [
    (["audit", "pii", "texts.csv", "--out", "good.csv/a.json"], "good.csv/a.json"),
    (["audit", "pii", "texts.csv", "--out", "/proc/rai-test/a.json"], "/proc/rai-test/a.json"),
    (["audit", "pii", "texts.csv", "--out", "/proc/rai-test.json"], "/proc/rai-test.json"),
    (["audit", "pii", "texts.csv", "--out", "p.json", "--findings", "."], "."),
    (["audit", "pii", "texts.csv", "--out", "p.json", "--findings", "good.csv/f.jsonl"], "good.csv/f.jsonl"),
    (["audit", "pii", "texts.csv", "--out", "."], "."),
    (["report", "audit.json", "--html", "notes.txt/r.html"], "notes.txt/r.html"),
    (["gate", "audit.json", "--policy", "default", "--verdict", "/proc/v.json"], "/proc/v.json"),
    (["train", "--data", "texts.csv", "--out", "notes.txt/run", "--no-dp"], "notes.txt/run"),
])
def test_output_file_system_errors_are_exit_2_naming_the_path(rai, workdir, argv, path):
    before = _tree(workdir)
    err = _refused(rai(*argv), before, workdir)
    assert err.startswith(f"rai: error: {path}: ")


def test_a_device_is_never_replaced_even_with_force(rai, workdir):
    from rai.core.outputs import ERR_NOT_REGULAR

    before = _tree(workdir)
    err = _refused(rai("report", "audit.json", "--markdown", "/dev/null", "--force"), before, workdir)
    assert err == f"rai: error: /dev/null: {ERR_NOT_REGULAR.format(flag='--markdown')}"
    assert Path("/dev/null").is_char_device()


def test_a_write_that_fails_part_way_is_exit_2_naming_the_output(workdir):
    """A streamed output that hits a size limit (as a full disk would) is exit 2 naming it; nothing is left."""
    import resource
    import signal
    import subprocess
    import sys

    with open(workdir / "big.csv", "w") as fh:
        fh.write("text\n" + "".join(f"mail user{i}@example.com now\n" for i in range(5000)))
    before = _tree(workdir)

    def limit():  # EFBIG instead of SIGXFSZ, past 64 KiB per file
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (64 * 1024, 64 * 1024))

    root = str(Path(__file__).parents[2])
    proc = subprocess.run([sys.executable, "-m", "rai.cli.main", "audit", "pii", "big.csv", "--out", "a.json", "--findings", "f.jsonl"],
                          cwd=workdir, env={**os.environ, "PYTHONPATH": root}, preexec_fn=limit, capture_output=True, text=True)
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.splitlines()[-1] == "rai: error: f.jsonl: cannot write (--findings / --redact): File too large"
    assert _tree(workdir) == before


@pytest.mark.parametrize("argv", [
    ["audit", "pii", "texts.csv", "--out", "p.json", "--seed", "-1"],
    ["audit", "fairness", "good.csv", "--sensitive", "sex", "--out", "p.json", "--seed", str(2**32)],
    ["train", "--data", "texts.csv", "--out", "run", "--seed", "-1"],
    ["demo", "--quick", "--out", "d", "--seed", "-1"],
])
def test_a_seed_numpy_cannot_take_is_a_usage_error(rai, workdir, argv):
    before = _tree(workdir)
    err = _refused(rai(*argv), before, workdir)
    assert "--seed" in err and "between 0 and 4294967295" in err


# --- item 11: all outputs or none -------------------------------------------------------------

def test_a_report_that_fails_on_its_second_output_leaves_no_first(rai, workdir):
    before = _tree(workdir)
    err = _refused(rai("report", "audit.json", "--policy", "default", "--html", "r.html", "--markdown", "/proc/rai-s.md"),
                   before, workdir)
    assert err.startswith("rai: error: /proc/rai-s.md: ")


def test_a_commit_that_fails_half_way_puts_back_what_it_had_replaced(workdir):
    from rai.core.errors import InputError
    from rai.core.outputs import CommandOutputs

    outputs = CommandOutputs(force=True)
    outputs.write_text(workdir / "notes.txt", "replaced", "--html")
    (workdir / "sub").mkdir()
    outputs.write_text(workdir / "sub" / "b.md", "new", "--markdown")
    shutil.rmtree(workdir / "sub")  # its temp file goes with it: the second rename fails
    with pytest.raises(InputError, match="sub/b.md"):
        outputs.commit()
    assert (workdir / "notes.txt").read_text() == "my notes, not rai's\n"
    assert not [p for p in workdir.iterdir() if p.name.startswith(".")]


def test_a_file_that_appears_while_the_command_runs_is_not_replaced(workdir):
    from rai.core.errors import InputError
    from rai.core.outputs import ERR_APPEARED, CommandOutputs

    outputs = CommandOutputs()
    outputs.write_text(workdir / "late.json", "rai's", "--verdict")
    (workdir / "late.json").write_text("someone else's")
    with pytest.raises(InputError) as exc:
        outputs.commit()
    assert str(exc.value) == f"{workdir / 'late.json'}: {ERR_APPEARED.format(flag='--verdict')}"
    assert (workdir / "late.json").read_text() == "someone else's"
    assert not [p for p in workdir.iterdir() if p.name.startswith(".")]
