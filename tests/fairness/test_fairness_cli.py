"""`rai audit fairness`: inputs (file formats, run directory), output, one-line errors, append, config."""

from __future__ import annotations

import json

import pytest

from rai.cli.audit_fairness import ERR_LABELS_FILE, ERR_NO_PREDICTIONS


def _records(path, metric_id):
    doc = json.loads(path.read_text())
    return [m for m in doc["metrics"] if m["id"] == metric_id], doc


@pytest.fixture
def csv_file(predictions, tmp_path):
    f = tmp_path / "predictions.csv"
    predictions.to_csv(f, index=False)
    return f


def test_csv_jsonl_parquet_and_run_directory_give_the_same_metrics(rai, predictions, csv_file, tmp_path):
    predictions.to_json(tmp_path / "p.jsonl", orient="records", lines=True)
    predictions.to_parquet(tmp_path / "p.parquet")
    values = []
    for src in (csv_file, tmp_path / "p.jsonl", tmp_path / "p.parquet", tmp_path):  # tmp_path is a run directory
        out = tmp_path / f"audit-{len(values)}.json"
        code, _, err = rai("audit", "fairness", src, "--sensitive", "sex,race", "--n-boot", "100", "--out", out, "--quiet")
        assert code == 0, err
        recs, doc = _records(out, "fairness.demographic_parity_ratio")
        values.append([(r["details"]["attribute"], r["value"], tuple(r["ci"])) for r in recs])
    assert all(v == values[0] for v in values)
    assert [r[0] for r in values[0]] == ["sex", "race", "sex&race"]
    assert doc["subject"]["inputs"][0]["path"] == str(csv_file) and doc["subject"]["inputs"][0]["rows"] == len(predictions)
    assert "fairness" in doc["sections"]


def test_a_run_directory_brings_its_positive_label(rai, predictions, tmp_path):
    """labels.json (as rai train writes it) says which class is positive: no --positive-label needed for text labels."""
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    text = predictions.assign(label=predictions["label"].map({0: "<=50K", 1: ">50K"}),
                              prediction=predictions["prediction"].map({0: "<=50K", 1: ">50K"}))
    text.to_csv(run_dir / "predictions.csv", index=False)
    (run_dir / "labels.json").write_text(json.dumps({"labels": ["<=50K", ">50K"], "positive_label": ">50K"}))
    numeric, from_run = tmp_path / "numeric.json", tmp_path / "run.json"
    assert rai("audit", "fairness", run_dir, "--sensitive", "sex", "--n-boot", "0", "--out", from_run, "--quiet")[0] == 0
    predictions.to_csv(tmp_path / "p.csv", index=False)
    assert rai("audit", "fairness", tmp_path / "p.csv", "--sensitive", "sex", "--n-boot", "0", "--out", numeric, "--quiet")[0] == 0
    assert json.loads(from_run.read_text())["sections"]["fairness"]["positive_label"] == ">50K"
    assert _records(from_run, "fairness.demographic_parity_ratio")[0][0]["value"] == \
        _records(numeric, "fairness.demographic_parity_ratio")[0][0]["value"]
    (run_dir / "labels.json").write_text("[1]")
    code, _, err = rai("audit", "fairness", run_dir, "--sensitive", "sex", "--out", tmp_path / "bad.json")
    assert (code, err.strip()) == (2, f"rai: error: {run_dir / 'labels.json'}: {ERR_LABELS_FILE}")


def test_null_disparities_are_said_on_stderr_one_line_per_attribute(rai, csv_file, tmp_path):
    """Groups too small for any disparity: the audit says so when it writes the nulls, not only the gate later."""
    out = tmp_path / "a.json"
    code, _, err = rai("audit", "fairness", csv_file, "--sensitive", "sex,race", "--n-boot", "0", "--min-group-size", "1000",
                       "--out", out)
    assert code == 0, err
    lines = [x for x in err.splitlines() if "disparities written as null" in x]
    assert [x.split(": ")[3] for x in lines] == ["race"], err  # two groups of sex, and of sex&race, are large enough
    assert lines[0].startswith("rai audit fairness: warning: fairness: race: 12 of 12 disparities written as null (all): ")
    assert "fewer than two groups with enough rows" in lines[0]
    doc = json.loads(out.read_text())
    assert lines[0].removeprefix("rai audit fairness: warning: ") in doc["warnings"]
    race = [m for m in doc["metrics"] if m["details"].get("attribute") == "race" and m["id"] != "fairness.small_groups"
            and "auc" not in m["id"]]
    assert len(race) == 12 and all(m["value"] is None for m in race)


def test_defaults_from_the_issue(rai, csv_file, tmp_path):
    out = tmp_path / "a.json"
    code, _, err = rai("audit", "fairness", csv_file, "--sensitive", "sex", "--out", out, "--quiet", "--seed", "5")
    assert code == 0, err
    doc = json.loads(out.read_text())
    settings = doc["sections"]["fairness"]["settings"]
    assert (settings["n_boot"], settings["confidence"], settings["min_group_size"], settings["seed"]) == (1000, 0.95, 30, 5)
    assert doc["sections"]["fairness"]["columns"]["score"] == {"1": "score"}  # used because present
    (dp,) = [m for m in doc["metrics"] if m["id"] == "fairness.demographic_parity_ratio"]
    assert dp["better"] == "higher" and dp["ci"][0] <= dp["ci"][1] and dp["details"]["worst_group"] == "Female"


def test_errors_are_one_line_exit_2_and_leave_no_file(rai, csv_file, tmp_path):
    out = tmp_path / "a.json"
    cases = [
        (["--sensitive", "religion"], "missing column(s) religion"),
        (["--sensitive", "sex", "--label-column", "y"], "missing column(s) y"),
        (["--sensitive", "sex", "--reference-group", "sex=Martian"], "reference group 'Martian' does not occur in sex"),
        (["--sensitive", "sex", "--confidence", "1.5"], "must be strictly between 0 and 1"),
        ([], "--sensitive"),
    ]
    for extra, needle in cases:
        code, _, err = rai("audit", "fairness", csv_file, *extra, "--out", out)
        assert code == 2 and needle in err and len(err.strip().splitlines()) == 1, (extra, err)
    code, _, err = rai("audit", "fairness", tmp_path / "empty-run", "--sensitive", "sex", "--out", out)
    assert code == 2  # not found
    (tmp_path / "run").mkdir()
    code, _, err = rai("audit", "fairness", tmp_path / "run", "--sensitive", "sex", "--out", out)
    assert code == 2 and err.strip() == f"rai: error: {tmp_path / 'run'}: {ERR_NO_PREDICTIONS}"
    assert not out.exists()


def test_append_and_config_file(rai, csv_file, tmp_path):
    out = tmp_path / "a.json"
    cfg = tmp_path / "fair.yaml"
    cfg.write_text("sensitive: [race]\nn-boot: 50\nmin-group-size: 40\nreference-group: race=Black\n")
    assert rai("audit", "fairness", csv_file, "--config", cfg, "--out", out, "--quiet")[0] == 0
    doc = json.loads(out.read_text())
    block = doc["sections"]["fairness"]["views"][0]["attributes"][0]
    assert block["attribute"] == "race" and block["reference_group"] == "Black"
    assert doc["sections"]["fairness"]["settings"]["min_group_size"] == 40
    code, _, err = rai("audit", "fairness", csv_file, "--sensitive", "sex", "--out", out, "--append", "--quiet")
    assert code == 2 and "already in" in err  # same section twice: explicit collision
    assert rai("audit", "fairness", csv_file, "--sensitive", "sex", "--out", out, "--replace", "--quiet")[0] == 0
    doc = json.loads(out.read_text())
    assert {m["details"]["attribute"] for m in doc["metrics"] if m["section"] == "fairness"} == {"sex"}
