"""Per-entity positives and negatives, and the checksums cross-checked against python-stdnum."""

import random
import re

import pytest

from rai.audit.pii import Scanner, default_registry
from rai.audit.pii.checksums import iban_valid, luhn_valid, shannon_entropy
from rai.audit.pii.entities.card import card_scheme
from rai.audit.pii.entities.iban import IBAN_LENGTHS
from rai.audit.pii.registry import RecognizerOptions


def found(scanner, text):
    """(entity, value) of every finding in `text`."""
    return [(f.entity, text[f.start:f.end]) for f in scanner.scan_text(text)]


# Published test numbers of the card networks and payment processors.
CARDS = ["4111111111111111", "4222222222222", "4000000000000000006", "4111111111111111110", "5555555555554444",
         "2223003122003222", "378282246310005", "6011111111111117", "3530111333300000", "30569309025904",
         "6759649826438453", "501800000009", "6771798021000008", "6200000000000005", "2200000000000004"]


@pytest.mark.parametrize("number", CARDS)
@pytest.mark.parametrize("sep", ["", " ", "-"])
def test_cards_of_every_scheme_and_format(scanner, number, sep):
    printed = sep.join(number[i:i + 4] for i in range(0, len(number), 4)) if sep else number
    assert found(scanner, f"Paid with {printed} yesterday.") == [("credit_card", printed)]


def test_amex_and_diners_groupings(scanner):
    assert found(scanner, "amex 3782 822463 10005.") == [("credit_card", "3782 822463 10005")]
    assert found(scanner, "diners 3056 930902 5904.") == [("credit_card", "3056 930902 5904")]


@pytest.mark.parametrize("text", [
    "card 4111 1111 1111 1112 failed",        # Luhn fails
    "number 1234567812345670 here",           # Luhn passes, no scheme starts with 1
    "id 4111111111111111111111 long",         # too long
    "1234 5678 9012 3456 7890 is a sequence",  # a longer run of groups is not a card prefix
    "invoice 4111-1111-1111-1111-42",
])
def test_card_negatives(scanner, text):
    assert [e for e, _ in found(scanner, text) if e == "credit_card"] == []


@pytest.mark.parametrize("text,value", [
    ("SSN 536-22-1234 on file", "536-22-1234"),
    ("ssn: 536221234", "536221234"),
    ("Social security number 536 22 1234.", "536 22 1234"),
    ("Employee 772-01-0001 onboarded", "772-01-0001"),
])
def test_ssn_positives(scanner, text, value):
    assert found(scanner, text) == [("us_ssn", value)]


@pytest.mark.parametrize("value", ["000-12-3456", "666-12-3456", "900-12-3456", "999-12-3456", "536-00-1234",
                                   "536-22-0000", "078-05-1120", "219-09-9999", "123-45-6789"])
def test_ssn_never_issued(scanner, value):
    assert found(scanner, f"SSN {value}") == []


def test_bare_nine_digits_need_context(scanner):
    assert found(scanner, "order 536221234 shipped") == []
    assert found(scanner, "her SSN is 536221234") == [("us_ssn", "536221234")]


# Published example IBANs (bank documentation, the SWIFT registry).
IBANS = ["GB82 WEST 1234 5698 7654 32", "DE89 3704 0044 0532 0130 00", "FR14 2004 1010 0505 0001 3M02 606",
         "NL91 ABNA 0417 1643 00", "CH93 0076 2011 6238 5295 7", "NO93 8601 1117 947", "SA03 8000 0000 6080 1016 7519",
         "MT84 MALT 0110 0001 2345 MTLC AST0 01S", "DE89370400440532013000"]


@pytest.mark.parametrize("value", IBANS)
def test_iban_positives_compact_or_grouped(scanner, value):
    assert found(scanner, f"Wire to {value} today.") == [("iban", value)]


@pytest.mark.parametrize("value", [
    "GB83 WEST 1234 5698 7654 32",     # bad check digits
    "DE89 3704 0044 0532 0130 01",     # bad checksum
    "DE89 3704 0044 0532 0130",        # too short for DE
    "DE8937040044053201300012",        # too long for DE
    "XX89 3704 0044 0532 0130 00",     # unknown country
])
def test_iban_negatives(scanner, value):
    assert [e for e, _ in found(scanner, f"Wire to {value} today.") if e == "iban"] == []


def test_two_adjacent_ibans(scanner):
    text = "GB82 WEST 1234 5698 7654 32 DE89 3704 0044 0532 0130 00"
    assert found(scanner, text) == [("iban", IBANS[0]), ("iban", IBANS[1])]


@pytest.mark.parametrize("value", ["+44 20 7946 0958", "+1 (415) 555-2671", "+14155552671", "0044 20 7946 0958",
                                   "+49 30 901820", "+33 1 23 45 67 89", "+81 3-1234-5678", "+91 98765 43210",
                                   "+55 11 2345-6789", "(415) 555-2671", "415-555-2671", "415.555.2671"])
def test_phone_positives(scanner, value):
    assert found(scanner, f"Call {value} now") == [("phone", value)]


@pytest.mark.parametrize("text", ["Call +1 123 456 7890 now", "dial +44 12 now", "ref 12-34-56 ok",
                                  "released 2024-05-17 at 12:30:45", "price 1.234.567"])
def test_phone_negatives(scanner, text):
    assert [e for e, _ in found(scanner, text) if e == "phone"] == []


def test_phone_inside_iban_ip_or_card_is_not_a_phone(scanner):
    assert found(scanner, "IBAN GB82 WEST 1234 5698 7654 32") == [("iban", "GB82 WEST 1234 5698 7654 32")]
    assert found(scanner, "host 203.555.123.145 and 192.168.100.200") == [("ip_address", "192.168.100.200")]
    assert found(scanner, "card 4111 1111 1111 1111") == [("credit_card", "4111 1111 1111 1111")]
    assert found(scanner, "ssn 536-22-1234") == [("us_ssn", "536-22-1234")]


def test_overextended_international_number_is_trimmed(scanner):
    assert found(scanner, "tel +44 20 7946 0958 12 items") == [("phone", "+44 20 7946 0958")]


def test_national_formats_follow_the_regions():
    text = "ring 020 7946 0958 please"
    us = Scanner(default_registry().recognizers)
    gb = Scanner(default_registry(RecognizerOptions(phone_regions=("GB",))).recognizers)
    assert found(us, text) == []
    assert found(gb, text) == [("phone", "020 7946 0958")]


@pytest.mark.parametrize("value", ["john@example.com", "j.doe+news@mail.example.co.uk", "a_b-c@sub-domain.example.io",
                                   "li123@uni-example.edu"])
def test_email_positives(scanner, value):
    assert found(scanner, f"mail <{value}>, thanks") == [("email", value)]


@pytest.mark.parametrize("text", ["user@localhost", "john..doe@example.com", "@handle", "a@b", "https://user@example.com/x"])
def test_email_negatives(scanner, text):
    assert [e for e, _ in found(scanner, text) if e == "email"] == []


@pytest.mark.parametrize("value", ["192.168.1.20", "8.8.8.8", "2001:db8::1", "2001:0db8:85a3:0000:0000:8a2e:0370:7334",
                                   "fe80::1", "::ffff:192.0.2.128", "::1"])
def test_ip_positives(scanner, value):
    assert found(scanner, f"from {value}.") == [("ip_address", value)]


@pytest.mark.parametrize("text", ["v1.2.3.4.5", "256.1.2.3", "01.02.03.04", "12:30:45", "00:1A:2B:3C:4D:5E", "std::vector",
                                  "version 1.2.3"])
def test_ip_negatives(scanner, text):
    assert [e for e, _ in found(scanner, text) if e == "ip_address"] == []


def test_url_credentials(scanner):
    text = "DSN=postgres://admin:s3cr3tP4ss@db.example.com:5432/app and https://example.com/x?u=1 and https://bob@example.com"
    assert found(scanner, text) == [("url_credentials", "postgres://admin:s3cr3tP4ss@db.example.com:5432")]


@pytest.mark.parametrize("text,entity,value", [
    ("aws_access_key_id = AKIAIOSFODNN7EXAMPLE", "aws_access_key", "AKIAIOSFODNN7EXAMPLE"),
    ("Authorization: Bearer abcDEF123456ghiJKL789mnoPQR", "bearer_token", "abcDEF123456ghiJKL789mnoPQR"),
    ("token eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U", "bearer_token",
     "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U"),
    ("api_key = 'a8f5f167f44f4964e6c998dee827110c'", "api_key", "a8f5f167f44f4964e6c998dee827110c"),
    ('{"client_secret": "Xk9pQ2vL7mN4rT8wZ1yB3cD6"}', "api_key", "Xk9pQ2vL7mN4rT8wZ1yB3cD6"),
    ("GITHUB=ghp_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789", "api_key", "ghp_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789"),
    ("stripe sk_live_4eC39HqLyjWDarjtT1zdp7dc", "api_key", "sk_live_4eC39HqLyjWDarjtT1zdp7dc"),
])
def test_secrets(scanner, text, entity, value):
    assert found(scanner, text) == [(entity, value)]


def test_private_key_block_and_truncated_block(scanner):
    block = "-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA75wz\nq2Zk1d9x\n-----END RSA PRIVATE KEY-----"
    assert found(scanner, f"key:\n{block}\nbye") == [("private_key", block)]
    head = "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQ"
    assert found(scanner, f"{head} (truncated)") == [("private_key", head)]


@pytest.mark.parametrize("text", ["api_key=your_api_key_here", "token: xxxxxxxxxxxxxxxxxxxxxxxx", "secret = CHANGE_ME_PLEASE_NOW",
                                  "Bearer token required", "AKIA1234", "password=hunter2"])
def test_secret_negatives(scanner, text):
    assert found(scanner, text) == []


def test_context_words_raise_the_score(scanner):
    plain = scanner.scan_text("ref 536-22-1234")[0].score
    with_context = scanner.scan_text("SSN 536-22-1234")[0].score
    assert plain == 0.6 and with_context == pytest.approx(0.95)


# --- checksums against an independent implementation ----------------------------------------------------
def test_luhn_matches_stdnum():
    stdnum_luhn = pytest.importorskip("stdnum.luhn", reason="python-stdnum (test extra) cross-checks Luhn")
    rng = random.Random(0)
    for _ in range(2000):
        digits = "".join(rng.choice("0123456789") for _ in range(rng.randint(2, 19)))
        assert luhn_valid(digits) == stdnum_luhn.is_valid(digits)
        fixed = digits + stdnum_luhn.calc_check_digit(digits)
        assert luhn_valid(fixed) and stdnum_luhn.is_valid(fixed)


def test_iban_mod97_matches_stdnum():
    mod_97_10 = pytest.importorskip("stdnum.iso7064.mod_97_10", reason="python-stdnum (test extra) cross-checks mod-97")
    stdnum_iban = pytest.importorskip("stdnum.iban")
    rng = random.Random(1)
    alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    for country, length in sorted(IBAN_LENGTHS.items()):
        for _ in range(20):
            bban = "".join(rng.choice(alphabet) for _ in range(length - 4))
            check = mod_97_10.calc_check_digits(bban + country)
            good = country + check + bban
            bad = country + f"{(int(check) - 2 + rng.randint(1, 96)) % 97 + 2:02d}" + bban
            assert iban_valid(good) and mod_97_10.is_valid(good[4:] + good[:4])
            assert not iban_valid(bad) and not mod_97_10.is_valid(bad[4:] + bad[:4])
    for value in IBANS:
        assert stdnum_iban.is_valid(value)


def test_iban_lengths_match_the_stdnum_registry():
    stdnum = pytest.importorskip("stdnum", reason="python-stdnum (test extra) holds an independent IBAN registry")
    from pathlib import Path

    registry = (Path(stdnum.__file__).parent / "iban.dat").read_text()
    theirs = {}
    for line in registry.splitlines():
        m = re.match(r'(\w\w)\s+country="[^"]*"\s+bban="([^"]*)"', line)
        if m:
            theirs[m.group(1)] = 4 + sum(int(n) for n in re.findall(r"(\d+)!?[nac]", m.group(2)))
    assert theirs == IBAN_LENGTHS


def test_card_schemes_know_the_new_ranges():
    assert card_scheme("2221000000000009") == "mastercard"
    assert card_scheme("2720990000000007") == "mastercard"
    assert card_scheme("4000000000000000006") == "visa"
    assert card_scheme("501800000009") == "maestro"
    assert card_scheme("1234567812345670") is None


def test_entropy():
    assert shannon_entropy("aaaa") == 0.0
    assert shannon_entropy("abcd") == 2.0
