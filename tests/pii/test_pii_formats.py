"""Formats as people write them (issue 15): phones, SSNs, legacy cards, negative context, names, addresses,
and that names and addresses never leave the scanner unmasked."""

import json

import pytest

from rai.audit.pii import ScanConfig
from rai.audit.pii.entities.card import SCORE_UNKNOWN_IIN
from rai.audit.pii.entities.phone import SCORE_INTERNATIONAL_UNASSIGNED, SCORE_NATIONAL


@pytest.fixture(scope="module")
def scan():
    scanner = ScanConfig(phone_regions=("US", "GB", "DE", "FR")).build()
    return lambda text: [(f.entity, text[f.start:f.end], f.score) for f in scanner.scan_text(text)]


@pytest.mark.parametrize("number", [
    "529-254-3165x266", "+1-941-801-7590x251", "934.283.1520", "001-305-784-6891x42822", "(415) 555-2671 ext. 12",
    "415-555-2671 #3", "+44(0)20 7946 0958", "+33 (0)1 41 63 60 83", "02 38 33 92 92", "0146210248", "4155552671",
    "(0161) 4960066", "0044 20 7946 0958"])
def test_phone_formats(scan, number):
    assert [(e, v) for e, v, _ in scan(f"Reach her on {number} after five.")] == [("phone", number)]


def test_unassigned_numbers_are_kept_with_a_lower_score(scan):
    assert scan("It says +1-492-445-7836 here.") == [("phone", "+1-492-445-7836", SCORE_INTERNATIONAL_UNASSIGNED)]
    assert scan("It says (565) 891-1872 here.") == [("phone", "(565) 891-1872", SCORE_NATIONAL)]
    assert scan("Dial +1 189 916 1728 now.") == []  # an area code starting with 1 cannot exist


@pytest.mark.parametrize("text", [
    "Version 9.21.71.5 fixes the crash.", "Firmware 1.0.19.4 is out.", "ISBN 0-306-40615-2 is in stock.",
    "Order no. 123-4567890-1234567 shipped.", "Ticket 480-206-621 closed.", "Dated 18.10.2007 and 2024-05-12.",
    "Invalid host 726.83.171.40 rejected.", "IMEI 353918050000000 was blocked.", "EAN 0441090541620 is out."])
def test_hard_negatives(scan, text):
    assert scan(text) == []


@pytest.mark.parametrize("value", ["567.02.1877", "567 02 1877", "567-02-1877"])
def test_ssn_separators(scan, value):
    assert [(e, v) for e, v, _ in scan(f"The form lists {value} twice.")] == [("us_ssn", value)]


@pytest.mark.parametrize("value", ["213131559145814", "2131 3155 9145 814", "180095748906825", "5770 5483 4426",
                                   "0604 7439 1509"])
def test_legacy_cards(scan, value):
    assert [(e, v) for e, v, _ in scan(f"It went on {value} last week.")] == [("credit_card", value)]


def test_unknown_issuer_scores_lower_and_needs_a_card_print(scan):
    assert scan("It went on 3590 7236 0819 1620 last week.") == [("credit_card", "3590 7236 0819 1620", SCORE_UNKNOWN_IIN)]
    assert scan("Ref 35907-2360819-1620 filed.") == []


@pytest.mark.parametrize(("text", "name"), [
    ("Dear Jennifer Burns,\nthanks", "Jennifer Burns"), ("Mr. John F. Kennedy said so", "John F. Kennedy"),
    ("Thanks,\nCapucine Lemoine-Lombard", "Capucine Lemoine-Lombard"), ("Contact person: Hubert Xyzzy.", "Hubert Xyzzy"),
    ("I'm Jennifer and I need help", "Jennifer"), ("see you\n— Mary Johnson", "Mary Johnson"),
    ("I spoke to Mary Johnson yesterday", "Mary Johnson")])
def test_person_names(scan, text, name):
    assert [(e, v) for e, v, _ in scan(text)] == [("person", name)]


@pytest.mark.parametrize("text", ["I am Happy today.", "Will Smith and May June", "Welcome to New York.",
                                  "Dear Sir, hi all", "The Company approved it.", "Plan:\n- Project Plan\n- Budget Review"])
def test_not_names(scan, text):
    assert [e for e, _, _ in scan(text)] == []


@pytest.mark.parametrize("address", [
    "690 Sanchez Union Suite 625\nChristopherhaven, CT 21957", "12 Main St.", "Flat 39g\nHolland Burg\nSouth Joyceborough\nSR08 7UX",
    "Hans-Gerd-Schuchhardt-Allee 2/6\n83449 Oberviechtach", "Boxberger Straße 116", "435, rue de Samson\n58396 Sainte Virginie",
    "PSC 1234, Box 5678\nAPO AA 12345"])
def test_addresses(scan, address):
    assert [(e, v) for e, v, _ in scan(f"Ship it to {address} by Monday.")] == [("address", address)]


def test_names_and_addresses_are_masked_everywhere(rai, tmp_path):
    raw = ["Jennifer Burns", "690 Sanchez Union Suite 625", "Salzachstraße 276", "Capucine Lemoine-Lombard"]
    data = tmp_path / "people.csv"
    data.write_text("text\n" + "\n".join([f'"Dear {raw[0]}, ship to {raw[1]}."', f'"Wohnt in {raw[2]}."',
                                          f'"Thanks,\n{raw[3]}"']) + "\n", encoding="utf-8")
    out, findings = tmp_path / "a.json", tmp_path / "f.jsonl"
    code, stdout, stderr = rai("audit", "pii", data, "--out", out, "--findings", findings, "--redact", tmp_path / "r.csv", "--quiet")
    assert code == 0, stderr
    found = [json.loads(line) for line in findings.read_text(encoding="utf-8").splitlines()]
    assert sorted(f["entity"] for f in found) == ["address", "address", "person", "person"]
    everything = out.read_text(encoding="utf-8") + findings.read_text(encoding="utf-8") + stdout + stderr
    assert [v for v in raw + ["Jennifer", "Burns", "Sanchez", "Salzach", "Lemoine"] if v in everything] == []
    assert "[PERSON]" in (tmp_path / "r.csv").read_text(encoding="utf-8")
    code, _, _ = rai("audit", "pii", data, "--out", tmp_path / "b.json", "--findings", tmp_path / "g.jsonl", "--reveal", "--quiet")
    assert code == 0 and {json.loads(x)["value"] for x in (tmp_path / "g.jsonl").read_text(encoding="utf-8").splitlines()} == set(raw)
