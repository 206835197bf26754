"""`rai audit pii` end to end: formats, findings file, redaction, workers, chunking, bad input, secrecy."""

import json

import pandas as pd
import pytest

from rai.audit.pii import BUILTIN_ENTITIES
from rai.audit.pii.outputs import ERR_COMPRESSION
from rai.audit.pii.stream import ERR_REDACT_FORMAT
from rai.audit.result import ERR_COLLISION
from benchmarks.pii_eval import score
from rai.cli.audit_pii import REVEAL_WARNING
from rai.core.io import ERR_EMPTY, ERR_FORMAT, ERR_NO_FILE
from rai.core.outputs import ERR_IS_INPUT

FINDING_KEYS = {"file", "record", "column", "start", "end", "entity", "score", "preview"}


def _findings(path):
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def _run(rai, tmp_path, data, *extra, name="a"):
    """Run the CLI on `data` (a path or a list of paths) and return (audit, findings, terminal output)."""
    out, findings = tmp_path / f"{name}.json", tmp_path / f"{name}.jsonl"
    paths = data if isinstance(data, list) else [data]
    code, stdout, stderr = rai("audit", "pii", *paths, "--columns", "text,reply", "--out", out,
                               "--findings", findings, "--quiet", *extra)
    assert code == 0, stderr
    return json.loads(out.read_text()), _findings(findings), stdout + stderr


def _key(f):
    return {k: v for k, v in f.items() if k != "file"}


def test_csv_end_to_end_matches_labels(rai, tmp_path, data_files, labelled):
    audit, findings, _ = _run(rai, tmp_path, data_files["csv"])
    assert findings and all(set(f) == FINDING_KEYS for f in findings)
    predicted = [[] for _ in labelled]
    for f in findings:
        if f["column"] == "text":
            predicted[f["record"]].append((f["start"], f["end"], f["entity"]))
    scores = score(labelled, predicted)
    assert all(scores.precision(e) >= 0.99 and scores.recall(e) >= 0.99 for e in scores.entities)

    section = audit["sections"]["pii"]
    replies = [f for f in findings if f["column"] == "reply"]
    assert len(replies) == 30 and {f["entity"] for f in replies} == {"email"}
    assert section["records"] == len(labelled)
    with_pii = {f["record"] for f in findings}
    assert section["records_with_pii"] == len(with_pii)
    assert section["by_column"]["reply"]["email"] == 30
    assert section["by_entity"]["email"]["findings"] == sum(f["entity"] == "email" for f in findings)
    metrics = {m["id"]: m for m in audit["metrics"]}
    assert metrics["pii.records_with_pii"]["value"] == len(with_pii)
    assert metrics["pii.records_with_pii_rate"]["value"] == pytest.approx(len(with_pii) / len(labelled))
    for entity in BUILTIN_ENTITIES:
        assert metrics[f"pii.findings.{entity}"]["value"] == sum(f["entity"] == entity for f in findings)
    assert audit["subject"]["inputs"][0]["rows"] == len(labelled)


def test_every_entity_type_gets_a_metric_even_at_zero(rai, tmp_path):
    data = tmp_path / "one.csv"
    data.write_text("text\nwrite to jane@example.com\nnothing here\n")
    audit, findings, _ = _run(rai, tmp_path, data, "--columns", "text")
    values = {m["id"]: m["value"] for m in audit["metrics"]}
    assert values == {"pii.records_with_pii": 1, "pii.records_with_pii_rate": 0.5,
                      **{f"pii.findings.{e}": int(e == "email") for e in BUILTIN_ENTITIES}}
    assert findings == [{"file": str(data), "record": 0, "column": "text", "start": 9, "end": 25, "entity": "email",
                         "score": 0.9, "preview": "j***@e******.com"}]
    only_email, _, _ = _run(rai, tmp_path, data, "--columns", "text", "--entities", "email", name="b")
    assert {m["id"] for m in only_email["metrics"]} == {"pii.records_with_pii", "pii.records_with_pii_rate", "pii.findings.email"}


def test_formats_agree_and_redacted_copies_keep_their_format(rai, tmp_path, data_files, raw_values):
    results = {}
    for fmt, data in data_files.items():
        red = tmp_path / f"red.{data.name.split('.', 1)[1]}"
        _, findings, _ = _run(rai, tmp_path, data, "--redact", red, name=fmt)
        results[fmt] = [_key(f) for f in findings]
        copy = {"csv": pd.read_csv, "jsonl": lambda p: pd.read_json(p, lines=True), "parquet": pd.read_parquet}[fmt](red)
        original = {"csv": pd.read_csv, "jsonl": lambda p: pd.read_json(p, lines=True), "parquet": pd.read_parquet}[fmt](data)
        assert list(copy.columns) == list(original.columns) and len(copy) == len(original)
        assert (copy["id"] == original["id"]).all() and (copy["label"] == original["label"]).all()
        text = copy.to_csv(index=False)
        assert "[EMAIL]" in text and "[CREDIT_CARD]" in text and "[IBAN]" in text
        assert not [v for v in raw_values if v in text]
        unchanged = [i for i in range(len(original)) if not any(f["record"] == i and f["column"] == "text" for f in findings)]
        assert (copy["text"].iloc[unchanged] == original["text"].iloc[unchanged]).all()
    assert results["csv"] == results["jsonl"] == results["parquet"]


def test_raw_values_appear_nowhere_unless_revealed(rai, tmp_path, data_files, raw_values):
    audit_text_parts = []
    _, findings, output = _run(rai, tmp_path, data_files["csv"], "--redact", tmp_path / "r.csv")
    audit_text_parts.append((tmp_path / "a.json").read_text())
    everything = "\n".join(audit_text_parts + [(tmp_path / "a.jsonl").read_text(), output])
    assert len(raw_values) > 200
    assert [v for v in raw_values if v in everything] == []

    out, fpath = tmp_path / "rev.json", tmp_path / "rev.jsonl"
    code, stdout, stderr = rai("audit", "pii", data_files["csv"], "--out", out, "--findings", fpath, "--reveal", "--quiet")
    assert code == 0
    assert REVEAL_WARNING.format(where=f"{out} and {fpath}") in stderr
    revealed = _findings(fpath)
    assert all(f["value"] and f["preview"] != f["value"] for f in revealed)
    audit = json.loads(out.read_text())
    assert audit["sections"]["pii"]["revealed"] is True and any("--reveal" in w for w in audit["warnings"])


@pytest.mark.slow  # starts two worker processes
def test_workers_and_chunk_boundaries_do_not_change_results(rai, tmp_path, data_files):
    base_audit, base, _ = _run(rai, tmp_path, data_files["jsonl"], "--redact", tmp_path / "base.red.jsonl", name="base")
    for extra, name in ((("--chunk-rows", "7"), "chunked"), (("--workers", "2", "--chunk-rows", "40"), "workers")):
        red = tmp_path / f"{name}.red.jsonl"
        audit, findings, _ = _run(rai, tmp_path, data_files["jsonl"], "--redact", red, *extra, name=name)
        assert findings == base
        assert red.read_bytes() == (tmp_path / "base.red.jsonl").read_bytes()
        expected = {**base_audit["sections"]["pii"], "findings_file": str(tmp_path / f"{name}.jsonl"), "redacted": [str(red)]}
        assert audit["sections"]["pii"] == expected
        assert audit["metrics"] == base_audit["metrics"]


def test_parquet_redaction_across_chunk_boundaries(rai, tmp_path, data_files):
    _, base, _ = _run(rai, tmp_path, data_files["parquet"], "--redact", tmp_path / "a.parquet", name="one")
    _, chunked, _ = _run(rai, tmp_path, data_files["parquet"], "--redact", tmp_path / "b.parquet", "--chunk-rows", "7", name="two")
    assert chunked == base
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "a.parquet"), pd.read_parquet(tmp_path / "b.parquet"))


def test_several_inputs_and_a_redaction_directory(rai, tmp_path, data_files):
    audit, findings, _ = _run(rai, tmp_path, [data_files["csv"], data_files["parquet"]], "--redact", tmp_path / "clean")
    section = audit["sections"]["pii"]
    assert set(section["by_file"]) == {str(data_files["csv"]), str(data_files["parquet"])}
    assert section["records"] == 2 * section["by_file"][str(data_files["csv"])]["records"]
    assert sorted(p.name for p in (tmp_path / "clean").iterdir()) == ["corpus.csv", "corpus.parquet"]
    assert [f["file"] for f in findings][0] == str(data_files["csv"]) and findings[-1]["file"] == str(data_files["parquet"])


def _nothing_written(tmp_path, *names):
    return not any((tmp_path / n).exists() for n in names) and not list(tmp_path.glob(".*.tmp"))


@pytest.mark.parametrize("case", ["missing_file", "unknown_format", "missing_column", "bad_second_file", "empty"])
def test_bad_input_exits_2_and_writes_nothing(rai, tmp_path, data_files, case):
    good = data_files["csv"]
    bad = {"missing_file": tmp_path / "nope.csv", "unknown_format": tmp_path / "data.txt",
           "missing_column": good, "bad_second_file": tmp_path / "second.csv", "empty": tmp_path / "empty.csv"}[case]
    (tmp_path / "data.txt").write_text("text\nhello\n")
    (tmp_path / "second.csv").write_text("body\njane@example.com\n")
    (tmp_path / "empty.csv").write_text("text\n")
    columns = "body" if case == "missing_column" else "text"
    inputs = [good, bad] if case == "bad_second_file" else [bad]
    red = tmp_path / ("red" if len(inputs) > 1 else "red.csv")
    code, _, stderr = rai("audit", "pii", *inputs, "--columns", columns, "--out", tmp_path / "o.json",
                          "--findings", tmp_path / "o.jsonl", "--redact", red)
    expected = {"missing_file": f"{bad}: {ERR_NO_FILE}", "unknown_format": f"{bad}: {ERR_FORMAT}",
                "missing_column": f"{good}: missing column(s) body (columns present: id, text, reply, label)",
                "bad_second_file": f"{bad}: missing column(s) text (columns present: body)",
                "empty": f"{bad}: {ERR_EMPTY}"}[case]
    assert code == 2 and stderr == f"rai: error: {expected}\n"
    assert _nothing_written(tmp_path, "o.json", "o.jsonl", "red", "red.csv")


def test_output_mistakes_are_refused_before_scanning(rai, tmp_path, data_files):
    csv = data_files["csv"]
    code, _, err = rai("audit", "pii", csv, "--out", tmp_path / "o.json", "--redact", tmp_path / "red.parquet")
    assert code == 2 and err.strip().endswith(ERR_REDACT_FORMAT.format(fmt="csv", example="red.csv"))
    code, _, err = rai("audit", "pii", csv, "--out", tmp_path / "o.json", "--findings", csv)
    assert code == 2 and err.strip().endswith(ERR_IS_INPUT.format(flag="--findings"))
    code, _, err = rai("audit", "pii", csv, "--out", tmp_path / "o.json", "--redact", tmp_path / "red.csv.zst")
    assert code == 2 and ERR_COMPRESSION.format(suffix=".zst") in err
    assert _nothing_written(tmp_path, "o.json", "red.parquet")


def test_append_collision_is_detected_before_writing_findings(rai, tmp_path, data_files):
    one = tmp_path / "one.csv"
    one.write_text("text\njane@example.com\n")
    out = tmp_path / "audit.json"
    assert rai("audit", "pii", one, "--out", out, "--quiet")[0] == 0
    code, _, err = rai("audit", "pii", one, "--out", out, "--append", "--findings", tmp_path / "f.jsonl")
    assert code == 2 and err == f"rai: error: {ERR_COLLISION.format(names='pii', path=out)}\n"
    assert not (tmp_path / "f.jsonl").exists()
    code, _, _ = rai("audit", "pii", one, "--out", out, "--replace", "--quiet")
    assert code == 0


def test_gzip_csv_redacts_to_gzip(rai, tmp_path):
    import gzip

    src = tmp_path / "in.csv.gz"
    with gzip.open(src, "wt") as fh:
        fh.write("id,text\n1,call +44 20 7946 0958\n")
    code, _, err = rai("audit", "pii", src, "--out", tmp_path / "o.json", "--redact", tmp_path / "out.csv.gz", "--quiet")
    assert code == 0, err
    with gzip.open(tmp_path / "out.csv.gz", "rt") as fh:
        assert fh.read() == "id,text\n1,call [PHONE]\n"


def test_usage_errors_are_one_line_and_exact(rai, tmp_path, data_files):
    from rai.audit.pii.config import ERR_NEEDS_PRESIDIO
    from rai.audit.pii.registry import ERR_UNKNOWN_ENTITY, ERR_UNKNOWN_REGION
    from rai.audit.pii.stream import ERR_DUPLICATE_INPUT, ERR_REDACT_NAMES
    from rai.cli.audit_pii import ERR_SPACY_WITHOUT_PRESIDIO
    from rai.core.outputs import ERR_TWO_OUTPUTS

    csv = data_files["csv"]
    other = tmp_path / "x" / "corpus.csv"
    other.parent.mkdir()
    other.write_text("text\nhello\n")
    out = tmp_path / "o.json"
    cases = [
        ((csv, csv), f"{csv}: {ERR_DUPLICATE_INPUT}"),
        ((csv, other, "--redact", tmp_path / "red"), f"{tmp_path / 'red'}: {ERR_REDACT_NAMES.format(name='corpus.csv')}"),
        ((csv, "--entities", "email,passport"),
         ERR_UNKNOWN_ENTITY.format(names="passport", known=", ".join(BUILTIN_ENTITIES))),
        ((csv, "--entities", "location"), ERR_NEEDS_PRESIDIO.format(names="location")),
        ((csv, "--phone-regions", "XX"), ERR_UNKNOWN_REGION.format(names="XX")),
        ((csv, "--spacy-model", "en_core_web_sm"), ERR_SPACY_WITHOUT_PRESIDIO),
        ((csv, "--findings", out), f"{out}: {ERR_TWO_OUTPUTS.format(first='--out', second='--findings')}"),
    ]
    for argv, message in cases:
        code, _, err = rai("audit", "pii", *argv, "--out", out)
        assert (code, err) == (2, f"rai: error: {message}\n"), argv
    assert _nothing_written(tmp_path, "o.json", "red")
