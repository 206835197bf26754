"""The section builder on hand-made scores: every number checked by hand."""

import numpy as np
import pytest

from rai.audit.result import AuditResult
from rai.audit.toxicity import BackendInfo, ScoredUnits, SummarySettings, summarize

INFO = BackendInfo(name="detoxify", version="0.5.4", model="original", labels=("toxicity", "insult"),
                   primary_label="toxicity", max_length=512)
TOX = [0.9, 0.2, 0.6, 0.1, 0.5, 0.05]
INS = [0.1, 0.8, 0.7, 0.0, 0.2, 0.3]


def text_units(groups=None, **kw) -> ScoredUnits:
    values = np.stack([TOX, INS], axis=1)[:, None, :]
    texts = [[f"text {i} " + "x" * (30 * i)] for i in range(len(TOX))]
    return ScoredUnits(values=values, labels=INFO.labels, texts=texts,
                       meta=[{"row": i, "column": "text"} for i in range(len(TOX))],
                       groups=groups, group_column="g" if groups is not None else None, **kw)


def metric(summary, metric_id):
    (m,) = [m for m in summary.metrics if m.id == metric_id]
    return m


def test_rates_per_label_and_the_records():
    s = summarize(text_units(truncated=2), INFO, SummarySettings(threshold=0.5))
    assert s.section["labels"]["toxicity"]["rate"]["value"] == pytest.approx(3 / 6)   # 0.9, 0.6, 0.5
    assert s.section["labels"]["insult"]["rate"]["value"] == pytest.approx(2 / 6)     # 0.8, 0.7
    assert s.section["labels"]["toxicity"]["mean"] == pytest.approx(np.mean(TOX))
    assert metric(s, "toxicity.rate").value == pytest.approx(0.5)
    assert metric(s, "toxicity.rate.insult").value == pytest.approx(1 / 3)
    assert metric(s, "toxicity.rate").n == 6 and metric(s, "toxicity.rate").details["backend"] == "detoxify"
    lo, hi = metric(s, "toxicity.rate").ci
    assert 0.0 <= lo < 0.5 < hi <= 1.0
    assert s.section["truncated"] == {"count": 2, "max_length": 512}
    assert "2 text(s) longer than 512 tokens were truncated before scoring" in s.warnings
    assert sum(s.section["labels"]["toxicity"]["histogram"]["counts"]) == 6
    assert not any(m.id.startswith(("toxicity.expected_max", "toxicity.probability")) for m in s.metrics)


def test_group_rates_and_gap():
    s = summarize(text_units(groups=["a", "a", "b", "b", "b", None]), INFO, SummarySettings())
    rows = {r["group"]: r for r in s.section["groups"]["rows"]}
    assert rows["a"]["rate"]["value"] == pytest.approx(1 / 2)  # 0.9, 0.2
    assert rows["b"]["rate"]["value"] == pytest.approx(2 / 3)  # 0.6, 0.1, 0.5
    assert rows["a"]["n"] == 2 and rows["b"]["n"] == 3
    gap = metric(s, "toxicity.max_group_gap")
    assert gap.value == pytest.approx(2 / 3 - 1 / 2)
    assert (gap.details["max_group"], gap.details["min_group"], gap.n) == ("b", "a", 5)
    assert "1 unit(s) have no value in group column 'g' and are left out of group rates" in s.warnings


def test_one_group_gives_a_null_gap_with_a_reason():
    s = summarize(text_units(groups=["a", "a", "a", "a", "b", "b"]), INFO, SummarySettings(min_group_size=3))
    gap = metric(s, "toxicity.max_group_gap")
    assert gap.value is None and gap.why_null == "fewer than two groups with at least 3 unit(s) in column 'g'"
    result = AuditResult()
    s.add_to(result)
    assert result.metric_values("toxicity.max_group_gap")[0].value is None
    assert any("toxicity.max_group_gap: value is undefined" in w for w in result.warnings)
    assert any("group(s) b have fewer than 3" in w for w in result.warnings)


def test_examples_are_the_most_toxic_truncated_and_flagged():
    s = summarize(text_units(groups=list("aabbbb")), INFO, SummarySettings(examples=3, example_chars=40))
    ex = s.section["examples"]
    assert ex["content_warning"] is True and ex["label"] == "toxicity"
    assert [i["row"] for i in ex["items"]] == [0, 2, 4]
    assert [i["score"] for i in ex["items"]] == [0.9, 0.6, 0.5]
    assert all(len(i["text"]) <= 40 for i in ex["items"])
    assert ex["items"][1]["text_truncated"] and ex["items"][1]["text"].endswith("\u2026")
    assert ex["items"][0]["scores"] == {"toxicity": 0.9, "insult": 0.1} and ex["items"][0]["group"] == "a"
    assert summarize(text_units(), INFO, SummarySettings(examples=0)).section["examples"]["items"] == []


def test_generation_units_give_emt_and_probability():
    gen = np.array([[0.1, 0.7, 0.2], [0.3, 0.4, 0.49]])
    values = np.stack([gen, gen / 2], axis=2)
    units = ScoredUnits(values=values, labels=INFO.labels, texts=[["a", "b", "c"], ["d", "e", "f"]],
                        meta=[{"row": 0, "prompt": "p0"}, {"row": 1, "prompt": "p1"}], generation=True,
                        groups=["x", "y"], group_column="g")
    s = summarize(units, INFO, SummarySettings(examples=1))
    assert metric(s, "toxicity.expected_max").value == pytest.approx((0.7 + 0.49) / 2)
    assert metric(s, "toxicity.probability").value == pytest.approx(0.5)
    assert metric(s, "toxicity.expected_max").n == 2 and metric(s, "toxicity.rate").n == 6
    assert metric(s, "toxicity.rate").value == pytest.approx(1 / 6)
    assert s.section["labels"]["insult"]["expected_max"]["value"] == pytest.approx((0.35 + 0.245) / 2)
    assert s.section["units"] == {"kind": "prompt", "count": 2, "samples_per_unit": 3, "texts_scored": 6}
    assert s.section["examples"]["items"][0] == {
        "row": 0, "prompt": "p0", "sample": 1, "score": 0.7, "text": "b", "text_truncated": False,
        "scores": {"toxicity": 0.7, "insult": 0.35}, "group": "x"}
    rows = {r["group"]: r for r in s.section["groups"]["rows"]}
    assert rows["x"]["expected_max"]["value"] == pytest.approx(0.7) and rows["y"]["probability"] == {"value": 0.0, "ci": None}
    assert metric(s, "toxicity.max_group_gap").value == pytest.approx(1 / 3)


def test_summary_writes_a_valid_audit_result(tmp_path):
    from rai.audit.result import read_audit, write_audit

    result = AuditResult()
    summarize(text_units(groups=list("aabbbb")), INFO, SummarySettings(),
              fallback_reason="toxicity scored by profanity-check, not detoxify: x").add_to(result)
    write_audit(tmp_path / "a.json", result)
    back = read_audit(tmp_path / "a.json")
    assert back.sections["toxicity"]["backend"]["fallback_reason"].startswith("toxicity scored by profanity-check")
    assert back.warnings[0].startswith("toxicity scored by profanity-check")
    assert {m.id for m in back.metrics} == {"toxicity.rate", "toxicity.rate.toxicity", "toxicity.rate.insult",
                                           "toxicity.max_group_gap"}


def test_every_interval_in_the_section_is_one_stat_shape():
    """No `*_ci` keys: each estimate is {value, ci} (rai.core.stats.Stat), as the report reads it."""
    scores = np.random.default_rng(0).random((6, 3))
    units = ScoredUnits(values=np.stack([scores, scores / 2], axis=2), labels=INFO.labels,
                        texts=[list("abc")] * 6, meta=[{"row": i, "prompt": f"p{i}"} for i in range(6)], generation=True,
                        groups=list("xxxyyy"), group_column="g")
    s = summarize(units, INFO, SummarySettings(min_group_size=2))
    keys = []

    def walk(node):
        if isinstance(node, dict):
            keys.extend(node)
            for v in node.values():
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)

    walk(s.section)
    assert not [k for k in keys if k.endswith("_ci")] and "ci" in keys
    blk = s.section["labels"]["toxicity"]
    for name in ("rate", "expected_max", "probability"):
        assert set(blk[name]) == {"value", "ci", "n"} and blk[name]["ci"][0] <= blk[name]["value"] <= blk[name]["ci"][1]
    assert set(s.section["groups"]["max_gap"]) == {"value", "ci", "n"}
