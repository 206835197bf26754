"""The engine: overlap policy, masking, record boundaries, and precision/recall on a labelled corpus."""

import re

import pytest

from rai.audit.pii import Finding, Scanner, default_registry
from rai.audit.pii.masking import mask_digits, mask_email
from rai.audit.pii.overlap import resolve_overlaps
from rai.audit.pii.redact import placeholder, redact_text
from rai.audit.pii.registry import BUILTIN_ENTITIES, ERR_UNKNOWN_ENTITY
from benchmarks.pii_corpus import ENTITIES as CORPUS_ENTITIES
from benchmarks.pii_corpus import generate_corpus
from benchmarks.pii_eval import score
from rai.core.errors import InputError


@pytest.fixture(scope="module")
def corpus():
    return generate_corpus(1500, seed=7)


def test_longest_span_wins_then_priority_then_score():
    priority = {"iban": 65, "phone": 40, "us_ssn": 55}
    iban, phone = Finding(5, 32, "iban", 0.9), Finding(15, 29, "phone", 1.0)
    assert resolve_overlaps([phone, iban], priority) == [iban]
    ssn, phone_same = Finding(0, 11, "us_ssn", 0.6), Finding(0, 11, "phone", 0.9)
    assert resolve_overlaps([phone_same, ssn], priority) == [ssn]
    a, b = Finding(0, 4, "phone", 0.5), Finding(0, 4, "phone", 0.9)
    assert resolve_overlaps([a, b], priority) == [b]
    disjoint = [Finding(10, 12, "phone", 0.5), Finding(0, 4, "iban", 0.9), Finding(4, 10, "phone", 0.5)]
    assert resolve_overlaps(disjoint, priority) == sorted(disjoint)


def test_masks_never_contain_the_value(scanner, corpus):
    checked = 0
    for rec in corpus:
        for f in scanner.scan_text(rec.text):
            value = rec.text[f.start:f.end]
            preview = scanner.mask(f.entity, value)
            assert value not in preview and preview != value
            shown = re.findall(r"[A-Za-z0-9]", preview)
            if f.entity == "credit_card":
                assert len(re.findall(r"\d", preview)) <= 4 and preview[-4:] == value[-4:]
            if f.entity in ("api_key", "bearer_token", "aws_access_key", "private_key", "us_ssn"):
                # secrets and SSNs keep at most a public format prefix, nothing of the value proper
                assert preview.endswith("****")
            assert len(shown) <= max(4, len(re.findall(r"[A-Za-z0-9]", value)) // 2)
            checked += 1
    assert checked > 1000


def test_mask_examples():
    assert mask_email("john@example.com") == "j***@e******.com"
    assert mask_email("jo@mail.example.co.uk") == "**@m***.e******.**.uk"
    assert mask_digits("4111 1111 1111 1111", keep_last=4) == "**** **** **** 1111"
    assert mask_digits("12-34", keep_last=4) == "**-**"  # no more digits than it would keep: none shown
    assert mask_digits("1234", keep_last=4) == "****"


def test_scanning_a_chunk_equals_scanning_each_record(scanner, corpus):
    texts = [r.text for r in corpus[:300]]
    assert scanner.scan(texts) == [scanner.scan_text(t) for t in texts]


def test_no_finding_crosses_a_record_boundary(scanner):
    # Each half alone is nothing; joined they would form a card number or an email.
    texts = ["card 4111 1111", "1111 1111 ok", "john", "@example.com", "x\x00john@example.com"]
    result = scanner.scan(texts)
    assert result[:4] == [[], [], [], []]
    assert [(f.entity, texts[4][f.start:f.end]) for f in result[4]] == [("email", "john@example.com")]


def test_min_score_threshold():
    strict = Scanner(default_registry().recognizers, min_score=0.9)
    assert strict.scan_text("ref 536-22-1234") == []
    assert [f.entity for f in strict.scan_text("SSN 536-22-1234")] == ["us_ssn"]


def test_registry_selects_and_rejects_unknown_types():
    registry = default_registry()
    assert registry.select(["email"]).entities == ("email",)
    with pytest.raises(InputError) as err:
        registry.select(["email", "passport"])
    assert str(err.value) == ERR_UNKNOWN_ENTITY.format(names="passport", known=", ".join(BUILTIN_ENTITIES))


def test_redact_text_uses_typed_placeholders(scanner):
    text = "Mail john@example.com or call +44 20 7946 0958."
    assert redact_text(text, scanner.scan_text(text), placeholder) == "Mail [EMAIL] or call [PHONE]."


def test_precision_and_recall_per_entity_type(scanner, corpus):
    predicted = [[(f.start, f.end, f.entity) for f in fs] for fs in scanner.scan([r.text for r in corpus])]
    # This corpus holds the structured types and secrets; names and addresses: tests/pii/test_pii_eval.py.
    scores = score(corpus, predicted, entities=CORPUS_ENTITIES)
    assert set(scores.entities) == set(CORPUS_ENTITIES) == set(BUILTIN_ENTITIES) - {"person", "address"}
    for entity in scores.entities:
        assert scores.tp[entity] >= 20, entity
        assert scores.precision(entity) >= 0.99, (entity, scores.fp[entity])
        assert scores.recall(entity) >= 0.99, (entity, scores.fn[entity])


def test_corpus_is_deterministic_and_labels_are_exact():
    a, b = generate_corpus(50, seed=3), generate_corpus(50, seed=3)
    assert a == b and a != generate_corpus(50, seed=4)
    for rec in a:
        for lab in rec.labels:
            value = rec.text[lab.start:lab.end]
            assert value == value.strip() and value


def test_custom_recognizer_plugs_into_the_registry():
    from rai.audit.pii import Pattern, PatternRecognizer

    registry = default_registry()
    registry.add(PatternRecognizer("employee_id", [Pattern("emp", r"EMP-\d{6}", 0.9)], mask=lambda v: "EMP-******",
                                   context=("employee",), priority=30))
    scanner = Scanner(registry.select(["employee_id", "email"]).recognizers)
    text = "employee EMP-123456 mailed jane@example.com"
    assert [(f.entity, text[f.start:f.end]) for f in scanner.scan_text(text)] == [
        ("employee_id", "EMP-123456"), ("email", "jane@example.com")]


def test_an_internal_error_does_not_quote_the_text():
    from rai.audit.pii import Recognizer
    from rai.audit.pii.stream import ERR_SCANNER, scan_columns

    class Broken(Recognizer):
        entity = "broken"

        def analyze(self, text):
            raise ValueError(f"cannot parse {text!r}")

        def mask(self, value):
            return "****"

    scanner = Scanner([Broken()])
    with pytest.raises(RuntimeError) as err:
        scan_columns(scanner, [["secret jane@example.com"]])
    assert str(err.value) == ERR_SCANNER.format(kind="ValueError") and err.value.__cause__ is None
    with pytest.raises(ValueError, match="jane@example.com"):
        scan_columns(scanner, [["secret jane@example.com"]], reveal=True)
