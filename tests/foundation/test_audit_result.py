import json
from pathlib import Path

import pytest

from rai.audit.metric_ids import lookup, markdown_table
from rai.audit.result import AuditResult, read_audit, write_audit
from rai.core.errors import InputError


def _result(section="fairness", value=0.5):
    r = AuditResult()
    r.add_section(section, {"groups": [{"name": "A", "rate": float("nan")}]})
    r.add_metric("fairness.demographic_parity_ratio", value, section=section, ci=(0.4, 0.6), n=10,
                 details={"attribute": "sex"})
    return r


def test_round_trip_and_nan_becomes_null_with_warning(tmp_path):
    r = _result(value=float("nan"))
    p = tmp_path / "audit.json"
    write_audit(p, r)
    d = json.loads(p.read_text())
    assert d["schema"] == "rai.audit/1"
    assert d["metrics"][0]["value"] is None and d["metrics"][0]["better"] == "higher"
    assert d["sections"]["fairness"]["groups"][0]["rate"] is None
    assert any("fairness.demographic_parity_ratio" in w for w in d["warnings"])
    assert any("fairness.groups[0].rate" in w for w in d["warnings"])
    again = read_audit(p)
    assert again.to_dict() == d


def test_unknown_metric_id_is_a_programming_error():
    with pytest.raises(ValueError, match="not documented"):
        AuditResult().add_metric("fairness.made_up", 1.0, section="fairness")


def test_pattern_ids():
    assert lookup("pii.findings.email").id == "pii.findings.<type>"
    assert lookup("pii.findings") is None
    assert lookup("pii.findings.a.b") is None


def test_merge_is_explicit_about_collisions():
    a, b = _result(value=0.5), _result(value=0.9)
    with pytest.raises(InputError, match="--replace"):
        a.merge(b)
    merged = a.merge(b, replace=True)
    assert [m.value for m in merged.metrics] == [0.9]
    assert any("replaced" in w for w in merged.warnings)
    c = AuditResult()
    c.add_section("pii", {"n": 1})
    c.add_metric("pii.records_with_pii", 1, section="pii")
    both = a.merge(c)
    assert set(both.sections) == {"fairness", "pii"} and len(both.metrics) == 2


def test_invalid_file_is_an_input_error(tmp_path):
    p = tmp_path / "a.json"
    p.write_text('{"schema": "other"}')
    with pytest.raises(InputError, match="not a valid rai audit result"):
        read_audit(p)
    p.write_text("{")
    with pytest.raises(InputError, match="not valid JSON"):
        read_audit(p)
    p.write_text(json.dumps(_result().to_dict()).replace('"value": 0.5', '"value": NaN'))
    with pytest.raises(InputError, match="non-standard JSON number NaN"):
        read_audit(p)


def test_docs_metric_table_is_current():
    docs = Path(__file__).parents[2] / "docs" / "metrics.md"
    assert docs.read_text(encoding="utf-8") == markdown_table(), "regenerate: python -m rai.audit.metric_ids > docs/metrics.md"


def test_why_null_is_written_read_and_only_beside_a_null(tmp_path):
    from rai.core.stats import Stat

    r = _result()
    r.add_stat("privacy.dp.epsilon", Stat.of(float("nan"), why_null="trained without differential privacy"), section="privacy")
    r.add_metric("privacy.dp.delta", 1e-5, section="privacy", why_null="ignored: the value is defined")
    path = tmp_path / "audit.json"
    write_audit(path, r)
    back = {m.id: m for m in read_audit(path).metrics}
    assert back["privacy.dp.epsilon"].why_null == "trained without differential privacy"
    assert back["privacy.dp.delta"].why_null is None
    d = json.loads(path.read_text())
    d["metrics"][-1]["why_null"] = "a reason beside a number"
    path.write_text(json.dumps(d))
    with pytest.raises(InputError, match="why_null is given but the value 1e-05 is defined"):
        read_audit(path)
