"""JUnit XML: valid against the (strict, Ant) JUnit schema; one test case per rule; failures and
warnings told apart; hostile strings cannot break the XML."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import xmlschema

from rai.audit.gate import evaluate, policy_from_dict
from rai.audit.result import AuditResult
from rai.reports import render_junit

SCHEMA = Path(__file__).with_name("junit.xsd")
DPR = "fairness.demographic_parity_ratio"


@pytest.fixture(scope="module")
def schema() -> xmlschema.XMLSchema:
    return xmlschema.XMLSchema(SCHEMA)


def every_status() -> tuple[AuditResult, object]:
    a = AuditResult()
    a.add_metric(DPR, 0.9, section="fairness")
    a.add_metric("fairness.equalized_odds_difference", 0.3, section="fairness")
    a.add_metric("pii.records_with_pii", 2, section="pii")
    a.add_metric("toxicity.rate", 0.5, section="toxicity")
    policy = policy_from_dict({"name": "all", "rules": [
        {"metric": DPR, "min": 0.8},                                                     # pass
        {"metric": "fairness.equalized_odds_difference", "max": 0.1, "severity": "warn"},  # warn
        {"metric": "pii.records_with_pii", "max": 0},                                     # fail
        {"metric": "privacy.dp.epsilon", "max": 8},                                       # missing
        {"metric": "toxicity.probability", "max": 0.1, "required": False},               # skipped
        {"metric": "toxicity.rate", "max": 0.1},                                          # waived
        {"metric": DPR, "min": 0.95},                                                     # same metric twice: fail
    ], "waivers": [{"metric": "toxicity.rate", "reason": "r", "approved_by": "me", "expires": "2999-12-31"}]})
    return a, evaluate(policy, a)


def test_junit_is_valid_and_maps_statuses(schema):
    audit, verdict = every_status()
    xml = render_junit(audit, verdict, audit_path="audit.json")
    schema.validate(xml)
    suite = ET.fromstring(xml)
    assert suite.tag == "testsuite"
    assert (suite.get("tests"), suite.get("failures"), suite.get("errors"), suite.get("skipped")) == ("7", "3", "0", "3")
    cases = suite.findall("testcase")
    outcome = {c.get("name"): (c[0].tag, c[0].get("type") or c[0].get("message").split(":")[0]) if len(c) else ("passed", "") for c in cases}
    assert outcome == {
        DPR: ("passed", ""),
        "fairness.equalized_odds_difference": ("skipped", "warn"),
        "pii.records_with_pii": ("failure", "fail"),
        "privacy.dp.epsilon": ("failure", "missing"),
        "toxicity.probability": ("skipped", "skipped"),
        "toxicity.rate": ("skipped", "waived"),
        f"{DPR} (rule 2)": ("failure", "fail"),
    }
    props = {p.get("name"): p.get("value") for p in suite.find("properties")}
    assert props["verdict"] == "fail" and props["policy"] == "all" and props["audit"] == "audit.json"
    assert "FAIL: policy all" in suite.find("system-out").text


def test_hostile_strings_keep_the_xml_valid(schema, sample_audit, hostile):
    audit = sample_audit(hostile=True)
    audit.add_metric(DPR, 0.1, section="fairness", details={"attribute": "ctl\x00\x07\x1b]]>&<'\"", "g": "\ud800"})
    policy = policy_from_dict({"name": hostile["script"] + "\x0b", "rules": [{"metric": DPR, "min": 0.8, "name": hostile["img"] + "]]>"}]})
    xml = render_junit(audit, evaluate(policy, audit), audit_path=hostile["js_url"])
    schema.validate(xml)
    case = ET.fromstring(xml).find("testcase")
    assert case.get("name") == hostile["img"] + "]]>" and case.get("classname") == "rai.gate." + hostile["script"] + "[U+000B]"
    assert "[U+0000][U+0007][U+001B]]]>&<'\"" in case.find("failure").text and "[U+D800]" in case.find("failure").text


def test_schema_rejects_what_it_should(schema):
    """The schema is not a rubber stamp: a second outcome per case and a zoned timestamp are refused."""
    audit, verdict = every_status()
    suite = ET.fromstring(render_junit(audit, verdict))
    ET.SubElement(suite.find("testcase"), "failure", {"type": "x"})
    ET.SubElement(suite.find("testcase"), "skipped")
    assert not schema.is_valid(ET.tostring(suite, encoding="unicode"))
    suite = ET.fromstring(render_junit(audit, verdict))
    suite.set("timestamp", "2026-11-29T12:00:00Z")
    assert not schema.is_valid(ET.tostring(suite, encoding="unicode"))
