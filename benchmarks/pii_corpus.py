"""A labelled synthetic corpus of secrets and structured PII in many printed forms (written by us).

Records mix filler prose (with some non-ASCII), entities in many printed forms (Maestro,
19-digit Visa and Mastercard 2-series cards; phones in international, E.164, 00-prefixed and US
national formats; grouped and compact IBANs; IPv4 and IPv6; DSNs with passwords; AWS keys, PEM
blocks, bearer tokens, API keys) and hard negatives that look like PII but are not (Luhn
failures, never-issued SSNs, IBANs with a bad checksum, invalid phone numbers, dates, times,
versions, MAC addresses, passwordless URLs, placeholder keys). Every value is fake; the labels are
exact character spans. Used by `benchmarks/pii_speed.py` and the CLI tests.

It is not the accuracy measurement: its authors also wrote the scanner, so it can only show that
the scanner does what they meant (`benchmarks/pii_eval.py` measures on Faker and Mimesis text).
Check digits come from python-stdnum, never from the scanner's own code.
"""

from __future__ import annotations

import base64
import ipaddress
import json
import random
import string
from collections.abc import Callable

import phonenumbers
from stdnum import luhn
from stdnum.iso7064 import mod_97_10

from benchmarks.pii_eval import Label, LabelledRecord

FILLER = ("the", "a", "report", "customer", "said", "that", "order", "was", "delivered", "late", "and", "we",
          "will", "review", "account", "notes", "from", "meeting", "about", "quarterly", "results", "please",
          "find", "attached", "summary", "team", "agreed", "to", "move", "forward", "with", "plan", "café",
          "naïve", "Zürich", "résumé", "over", "weekend", "thanks", "again", "for", "help", "ticket", "closed",
          "after", "update", "support", "asked", "user", "confirm", "details", "shipping", "address", "changed",
          "invoice", "pending", "approval", "manager", "— ok", "🙂", "data", "set", "training", "model", "output")

PHONE_REGIONS = ("US", "GB", "DE", "FR", "IN", "BR", "JP", "AU", "ES", "IT", "NL", "MX", "ZA", "SG", "SE", "CH")
# BBAN layouts (n: digit, a: upper-case letter, c: either) of the countries the generator uses.
IBAN_BBAN = {"DE": "18n", "GB": "4a14n", "FR": "10n11c2n", "NL": "4a10n", "ES": "20n", "IT": "1a10n12c", "BE": "12n",
             "CH": "5n12c", "PL": "24n", "NO": "11n", "SE": "20n", "AT": "16n", "IE": "4a14n", "PT": "21n",
             "DK": "14n", "FI": "14n", "SA": "2n18c", "MT": "4a5n18c"}
# (scheme, IIN prefix, length) of the cards the generator issues.
CARD_KINDS = (("visa", "4", 16), ("visa", "4", 13), ("visa", "4", 19), ("mastercard", "51", 16), ("mastercard", "55", 16),
              ("mastercard", "2221", 16), ("mastercard", "2720", 16), ("mastercard", "23", 16), ("amex", "34", 15),
              ("amex", "37", 15), ("discover", "6011", 16), ("discover", "65", 16), ("jcb", "3530", 16),
              ("diners", "36", 14), ("unionpay", "62", 19), ("maestro", "6759", 16), ("maestro", "5018", 12),
              ("maestro", "5020", 19), ("maestro", "6304", 18), ("maestro", "5038", 13), ("mir", "2201", 16))


# --- value generators (each returns the printed value) -------------------------------------------------
def _rand(rng: random.Random, alphabet: str, n: int) -> str:
    return "".join(rng.choice(alphabet) for _ in range(n))


def fake_email(rng: random.Random) -> str:
    first = rng.choice(("john", "maria", "li", "olu", "anna", "jose", "kim"))
    last = rng.choice(("doe", "smith", "garcia", "wang", "okafor"))
    local = rng.choice((f"{first}.{last}", f"{first}_{last}", f"{first[0]}{last}", f"{first}{rng.randint(1, 999)}",
                        f"{first}.{last}+{rng.choice(('news', 'bills'))}"))
    domain = rng.choice(("example.com", "mail.example.org", "example.co.uk", "corp.example.de", "example.io", "uni-example.edu"))
    return f"{local}@{domain}"


def fake_phone(rng: random.Random) -> str:
    region = rng.choice(PHONE_REGIONS)
    kind = rng.choice((phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE))
    example = phonenumbers.example_number_for_type(region, kind)
    national = phonenumbers.national_significant_number(example)
    for _ in range(10_000):
        candidate = national[:-4] + _rand(rng, string.digits, 4)
        number = phonenumbers.parse(f"+{example.country_code}{candidate}", None)
        if phonenumbers.is_valid_number(number):
            break
    else:  # pragma: no cover - phonenumbers metadata without valid numbers of this type
        raise RuntimeError(f"no valid {region} number near the example number")
    style = rng.random()
    if region == "US" and style < 0.4:
        text = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
        return text if style < 0.2 else text.replace("(", "").replace(") ", "-")
    if style < 0.6:
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
    if style < 0.85:
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    return "00" + phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)[1:]


def _card_digits(rng: random.Random, prefix: str, length: int) -> str:
    payload = prefix + _rand(rng, string.digits, length - len(prefix) - 1)
    return payload + luhn.calc_check_digit(payload)


def _group_card(digits: str, sep: str) -> str:
    if not sep:
        return digits
    n = len(digits)
    sizes = (4, 6, 5) if n == 15 else (4, 6, 4) if n == 14 else (4,) * (n // 4) + ((n % 4,) if n % 4 else ())
    out, i = [], 0
    for size in sizes:
        out.append(digits[i:i + size])
        i += size
    return sep.join(out)


def fake_card(rng: random.Random) -> str:
    _, prefix, length = rng.choice(CARD_KINDS)
    return _group_card(_card_digits(rng, prefix, length), rng.choice(("", " ", "-")))


def fake_ssn(rng: random.Random) -> tuple[str, str]:
    """(value, form): dashed, spaced or plain; never an unissued number."""
    while True:
        area = rng.randint(1, 899)
        group, serial = rng.randint(1, 99), rng.randint(1, 9999)
        if area != 666 and f"{area:03d}{group:02d}{serial:04d}" not in ("078051120", "219099999", "123456789"):
            break
    form = rng.choice(("dashed", "dashed", "spaced", "plain"))
    sep = {"dashed": "-", "spaced": " ", "plain": ""}[form]
    return f"{area:03d}{sep}{group:02d}{sep}{serial:04d}", form


def _bban(rng: random.Random, layout: str) -> str:
    out, num = [], ""
    for ch in layout:
        if ch.isdigit():
            num += ch
            continue
        alphabet = {"n": string.digits, "a": string.ascii_uppercase, "c": string.digits + string.ascii_uppercase}[ch]
        out.append(_rand(rng, alphabet, int(num)))
        num = ""
    return "".join(out)


def fake_iban_compact(rng: random.Random) -> str:
    country = rng.choice(sorted(IBAN_BBAN))
    bban = _bban(rng, IBAN_BBAN[country])
    return country + mod_97_10.calc_check_digits(bban + country) + bban


def _print_iban(compact: str, rng: random.Random) -> str:
    return " ".join(compact[i:i + 4] for i in range(0, len(compact), 4)) if rng.random() < 0.6 else compact


def fake_iban(rng: random.Random) -> str:
    return _print_iban(fake_iban_compact(rng), rng)


def fake_ip(rng: random.Random) -> str:
    if rng.random() < 0.65:
        # Three-digit octets often, so that the digits look like a phone number.
        return ".".join(str(rng.choice((rng.randint(100, 255), rng.randint(0, 255)))) for _ in range(4))
    addr = ipaddress.IPv6Address(rng.getrandbits(128) & ~((1 << 64) - 1 if rng.random() < 0.5 else 0))
    return addr.exploded if rng.random() < 0.3 else addr.compressed


def fake_url_credentials(rng: random.Random) -> str:
    scheme = rng.choice(("postgres", "mysql", "mongodb", "redis", "https", "ftp", "amqp"))
    user = rng.choice(("admin", "svc_etl", "deploy", "root", "app"))
    password = _rand(rng, string.ascii_letters + string.digits, rng.randint(8, 16))
    host = rng.choice(("db.example.com", "10.0.0.12", "cache.internal.example.net", "ftp.example.org"))
    port = rng.choice(("", ":5432", ":6379", ":8080"))
    return f"{scheme}://{user}:{password}@{host}{port}"


def fake_aws_key(rng: random.Random) -> str:
    return rng.choice(("AKIA", "ASIA")) + _rand(rng, string.ascii_uppercase + "234567", 16)


_B64 = string.ascii_letters + string.digits + "+/"


def fake_private_key(rng: random.Random) -> str:
    label = rng.choice(("RSA PRIVATE KEY", "PRIVATE KEY", "EC PRIVATE KEY", "OPENSSH PRIVATE KEY"))
    body = "\n".join(_rand(rng, _B64, 64) for _ in range(rng.randint(2, 5)))
    return f"-----BEGIN {label}-----\n{body}\n-----END {label}-----"


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def fake_jwt(rng: random.Random) -> str:
    header = _b64url(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    payload = _b64url(json.dumps({"sub": str(rng.randint(10**6, 10**7)), "iat": rng.randint(10**9, 2 * 10**9)}).encode())
    return f"{header}.{payload}.{_b64url(rng.randbytes(32))}"


def fake_bearer(rng: random.Random) -> str:
    if rng.random() < 0.4:
        return fake_jwt(rng)
    return _rand(rng, string.ascii_letters + string.digits + "-_.", rng.randint(24, 48)) + rng.choice(string.ascii_letters)


def fake_api_key(rng: random.Random) -> tuple[str, str]:
    """(line, key): the key is labelled, the keyword around it is not."""
    kind = rng.randrange(6)
    alnum = string.ascii_letters + string.digits
    if kind == 0:
        key = "ghp_" + _rand(rng, alnum, 36)
        return key, key
    if kind == 1:
        key = "sk_live_" + _rand(rng, alnum, 24)
        return key, key
    if kind == 2:
        key = "AIza" + _rand(rng, alnum + "_-", 35)
        return key, key
    key = _rand(rng, string.hexdigits.lower()[:16], 32) if kind == 3 else _rand(rng, alnum, rng.randint(20, 40))
    template = rng.choice(("api_key={k}", 'API_KEY: "{k}"', "client_secret = '{k}'", '"x-api-key": "{k}"', "SECRET_KEY={k}"))
    return template.format(k=key), key


# --- hard negatives (look like PII, are not) -----------------------------------------------------------
def _bad_card(rng: random.Random) -> str:
    _, prefix, length = rng.choice(CARD_KINDS)
    digits = _card_digits(rng, prefix, length)
    digits = digits[:-1] + str((int(digits[-1]) + rng.randint(1, 9)) % 10)
    assert not luhn.is_valid(digits)
    return _group_card(digits, rng.choice(("", " ")))


def _bad_ssn(rng: random.Random) -> str:
    area = rng.choice(("000", "666", f"9{rng.randint(0, 99):02d}", f"{rng.randint(1, 665):03d}"))
    group, serial = f"{rng.randint(1, 99):02d}", f"{rng.randint(1, 9999):04d}"
    if area not in ("000", "666") and area[0] != "9":  # a valid area: break the group or the serial
        group, serial = ("00", serial) if rng.random() < 0.5 else (group, "0000")
    return rng.choice((f"{area}-{group}-{serial}", f"{area}-{group}-{serial}", "078-05-1120", "219-09-9999"))


def _bad_iban(rng: random.Random) -> str:
    compact = fake_iban_compact(rng)
    check = (int(compact[2:4]) + rng.randint(1, 96) - 2) % 97 + 2
    return _print_iban(compact[:2] + f"{check:02d}" + compact[4:], rng)


def _bad_phone(rng: random.Random) -> str:
    """A "+CC ..." string that is not a valid number, nor is any group-aligned prefix of it."""
    while True:
        value = rng.choice(("+1 1{}{} {}{}{} {}{}{}{}", "+44 {}{}{} {}{}", "+49 0{}{}{} {}{}{}", "+33 {}{} {}{}"))
        value = value.format(*(rng.randint(0, 9) for _ in range(12)))
        prefixes = [value[:i] for i in range(len(value), 0, -1) if value[i - 1].isdigit() and (i == len(value) or value[i] == " ")]
        if not any(phonenumbers.is_valid_number(phonenumbers.parse(p, None)) for p in prefixes if len(p) > 3):
            return value


NEGATIVES: tuple[Callable[[random.Random], str], ...] = (
    lambda r: f"The card {_bad_card(r)} was declined.",
    lambda r: f"Reference {_bad_ssn(r)} is not a valid number.",
    lambda r: f"Transfer to {_bad_iban(r)} bounced.",
    lambda r: f"Dial {_bad_phone(r)} is unassigned.",
    lambda r: (f"Released version {r.randint(1, 9)}.{r.randint(0, 20)}.{r.randint(0, 99)} "
               f"on {r.randint(2019, 2026)}-{r.randint(1, 12):02d}-{r.randint(1, 28):02d}."),
    lambda r: f"Meeting at {r.randint(10, 23)}:{r.randint(10, 59)}:{r.randint(10, 59)} in room {r.randint(100, 999)}.",
    lambda r: "Device MAC " + ":".join(f"{r.randint(0, 255):02X}" for _ in range(6)) + ".",
    lambda r: f"Invalid host {r.randint(256, 999)}.{r.randint(0, 255)}.{r.randint(0, 255)}.{r.randint(0, 255)} rejected.",
    lambda r: f"Order #{r.randint(10**5, 10**8)} shipped, total ${r.randint(1, 9999)}.{r.randint(10, 99)}.",
    lambda r: f"See https://{r.choice(('www.example.com', 'docs.example.org'))}/guide?page={r.randint(1, 99)} or https://user@example.com/x.",
    lambda r: r.choice(("api_key=your_api_key_here", "token: xxxxxxxxxxxxxxxxxxxxxxxx", "secret = changeme_changeme",
                        "Bearer token required")),
    lambda r: f"Ping @{r.choice(('john_doe', 'maria.s'))} on chat, build {r.getrandbits(160):040x} passed.",
    lambda r: (f"Tracking number 1Z{_rand(r, string.ascii_uppercase + string.digits, 16)} "
               f"and part {r.randint(1000, 9999)}-{r.randint(100, 999)}."),
)

# entity -> templates; "{v}" is the labelled value. Weak forms carry their context word.
TEMPLATES: dict[str, tuple[str, ...]] = {
    "email": ("Contact {v} for details.", "Sent by {v} yesterday.", "{v} asked about the invoice."),
    "phone": ("Call me at {v} after five.", "Her number is {v}.", "Office: {v}", "{v} is on the form."),
    "credit_card": ("Paid with card {v} last week.", "Card number: {v}.", "{v} expires soon."),
    "iban": ("Please wire it to {v} today.", "IBAN {v}", "Account {v} was credited."),
    "ip_address": ("Login from {v} failed.", "The server at {v} is down.", "Blocked {v} after abuse."),
    "url_credentials": ("Connect with {v}/app_db please.", "Remote is {v}.", "DSN={v}"),
    "aws_access_key": ("aws_access_key_id = {v}", "Rotated key {v} today."),
    "private_key": ("Here is the key:\n{v}\nkeep it safe.", "{v}"),
    "bearer_token": ("Authorization: Bearer {v}", "curl -H 'Authorization: Bearer {v}' https://api.example.com"),
}
SSN_TEMPLATES = {"dashed": ("My SSN is {v}.", "{v} was on the form.", "Employee {v} onboarded."),
                 "spaced": ("Social security number {v} on file.", "SSN {v}"),
                 "plain": ("SSN: {v}", "ssn {v} verified")}


def _entity_sentence(rng: random.Random, entity: str) -> tuple[str, str]:
    """(sentence, value) for one entity; the value occurs exactly once in the sentence."""
    if entity == "us_ssn":
        value, form = fake_ssn(rng)
        return rng.choice(SSN_TEMPLATES[form]).replace("{v}", value), value
    if entity == "api_key":
        line, key = fake_api_key(rng)
        return f"Config: {line} (do not share).", key
    if entity == "bearer_token" and rng.random() < 0.3:
        value = fake_jwt(rng)
        return f"The session token {value} expired.", value
    value = GENERATORS[entity](rng)
    return rng.choice(TEMPLATES[entity]).replace("{v}", value), value


GENERATORS: dict[str, Callable[[random.Random], str]] = {
    "email": fake_email, "phone": fake_phone, "credit_card": fake_card, "iban": fake_iban, "ip_address": fake_ip,
    "url_credentials": fake_url_credentials, "aws_access_key": fake_aws_key, "private_key": fake_private_key,
    "bearer_token": fake_bearer,
}
ENTITIES: tuple[str, ...] = ("email", "phone", "credit_card", "us_ssn", "iban", "ip_address", "url_credentials",
                             "aws_access_key", "private_key", "bearer_token", "api_key")
# Relative frequency of each entity type among generated entities.
WEIGHTS = (6, 8, 8, 5, 6, 6, 2, 2, 1, 2, 2)


def _filler(rng: random.Random) -> str:
    words = [rng.choice(FILLER) for _ in range(rng.randint(5, 14))]
    return " ".join(words).capitalize() + "."


def generate_record(rng: random.Random, *, pii_rate: float = 0.5, negative_rate: float = 0.3) -> LabelledRecord:
    parts: list[tuple[str, str | None, str | None]] = [(_filler(rng), None, None) for _ in range(rng.randint(1, 3))]
    if rng.random() < pii_rate:
        for entity in rng.choices(ENTITIES, weights=WEIGHTS, k=rng.choice((1, 1, 1, 2, 3))):
            sentence, value = _entity_sentence(rng, entity)
            parts.insert(rng.randint(0, len(parts)), (sentence, entity, value))
    if rng.random() < negative_rate:
        parts.insert(rng.randint(0, len(parts)), (rng.choice(NEGATIVES)(rng), None, None))
    text, labels = "", []
    for sentence, entity, value in parts:
        if text:
            text += " " if text[-1] in ".:!?\n" else ". "  # sentences never run into each other
        if entity is not None and value is not None:
            start = len(text) + sentence.index(value)
            labels.append(Label(start, start + len(value), entity))
        text += sentence
    return LabelledRecord(text, tuple(labels))


def generate_corpus(n_records: int, *, seed: int = 0, pii_rate: float = 0.5, negative_rate: float = 0.3) -> list[LabelledRecord]:
    """`n_records` labelled records, the same ones for the same seed."""
    rng = random.Random(seed)
    return [generate_record(rng, pii_rate=pii_rate, negative_rate=negative_rate) for _ in range(n_records)]
