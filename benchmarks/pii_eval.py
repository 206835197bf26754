"""Per-type precision, recall and F1 of the PII scanner on text that its authors did not write.

    python benchmarks/pii_eval.py [--records 2000] [--seed 0] [--match overlap|exact]
                                  [--labelled FILE.jsonl] [--phone-regions US,GB,DE,FR] [--no-presidio]

Corpora. Two generators we do not control produce every labelled value: Faker (locales en_US,
en_GB, de_DE, fr_FR) and Mimesis (en, en-gb, de, fr). Each record is one to three sentences: the
generator's own filler text, values inside plain sentences (half of them with no cue word
before the value), and hard negatives that look like PII but are not (version strings, order
numbers, dates, ISBNs, tracking numbers, hex hashes, prices, IMEIs). A value is labelled exactly as
the generator printed it; cards and IBANs are also printed in groups of four, SSNs with dots and
spaces, as people write them. Types a generator lacks are `n/a` (Mimesis has no IBAN or SSN).
`--labelled FILE` adds a user corpus: one JSON object per line,
`{"text": "...", "spans": [{"start": 0, "end": 5, "label": "person"}]}` (our type names, or
Presidio's: PERSON, EMAIL_ADDRESS, ...).

Matching. A prediction matches a label of the same type when their character spans overlap
(`--match overlap`, the default: a name found without its title, or an address without its last
line, still counts) or are identical (`--match exact`); each label and each prediction matches
at most once. Unmatched predictions are false positives, unmatched labels false negatives.

Valid-format values. Generators also print values that cannot exist (a phone number with an
unassigned area code, a card whose number no scheme issued). `R valid` is the recall on the
values an independent validator accepts: `phonenumbers.is_valid_number` for phones (parsed for the
locale's region), python-stdnum for cards (Luhn), SSNs (`stdnum.us.ssn`) and IBANs (`stdnum.iban`),
`ipaddress` for IPs; emails, names and addresses are all counted. The scanner's own validators are
never used to make or filter labels. Targets: recall on valid values and precision >= 0.99 for
email, phone, credit_card, us_ssn, iban and ip_address; names and addresses are reported as
measured. Exit status 1 when a target is missed.

Presidio (when installed) runs its pattern recognizers on a blank spaCy pipeline (no NER model is
installable offline), on the same corpus, the same number of times.
"""

from __future__ import annotations

import argparse
import ipaddress
import json
import random
import sys
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make `audit` and `benchmarks` importable from the checkout
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

TARGET = 0.99
STRICT = ("email", "phone", "credit_card", "us_ssn", "iban", "ip_address")
ENTITIES = (*STRICT, "person", "address")
DEFAULT_REGIONS = ("US", "GB", "DE", "FR")
MATCHES = ("overlap", "exact")
# Presidio's entity names -> ours (user corpora may use either).
PRESIDIO_TYPES = {"EMAIL_ADDRESS": "email", "PHONE_NUMBER": "phone", "CREDIT_CARD": "credit_card",
                  "US_SSN": "us_ssn", "IBAN_CODE": "iban", "IP_ADDRESS": "ip_address", "PERSON": "person",
                  "ADDRESS": "address"}
ERR_LABELLED_LINE = "{path}:{line}: {what}"
ERR_LABEL = "unknown label {label!r} (use one of {known})"
ERR_SPAN = "span {start}..{end} is not inside the text"
ERR_RECORD = 'not a JSON object {"text": ..., "spans": [{"start", "end", "label"}, ...]}'


# --- labels and scoring --------------------------------------------------------------------------------
@dataclass(frozen=True)
class Label:
    start: int
    end: int
    entity: str
    valid: bool = True  # accepted by an independent validator (see the module docstring)


@dataclass(frozen=True)
class LabelledRecord:
    text: str
    labels: tuple[Label, ...] = ()


Span = tuple[int, int, str]


@dataclass
class Scores:
    """Per-type counts; `tp_valid`/`fn_valid` count the valid-format labels only."""

    tp: Counter = field(default_factory=Counter)
    fp: Counter = field(default_factory=Counter)
    fn: Counter = field(default_factory=Counter)
    tp_valid: Counter = field(default_factory=Counter)
    fn_valid: Counter = field(default_factory=Counter)

    @staticmethod
    def _ratio(a: int, b: int) -> float | None:
        return a / (a + b) if a + b else None

    def precision(self, entity: str) -> float | None:
        return self._ratio(self.tp[entity], self.fp[entity])

    def recall(self, entity: str) -> float | None:
        return self._ratio(self.tp[entity], self.fn[entity])

    def recall_valid(self, entity: str) -> float | None:
        return self._ratio(self.tp_valid[entity], self.fn_valid[entity])

    def f1(self, entity: str) -> float | None:
        return self._ratio(2 * self.tp[entity], self.fp[entity] + self.fn[entity])

    def micro_f1(self) -> float:
        return self._ratio(2 * sum(self.tp.values()), sum(self.fp.values()) + sum(self.fn.values())) or 0.0

    @property
    def entities(self) -> list[str]:
        return sorted(set(self.tp) | set(self.fp) | set(self.fn))


def _matches(label: Label, pred: Span, match: str) -> bool:
    if match == "exact":
        return (label.start, label.end) == (pred[0], pred[1])
    return label.start < pred[1] and pred[0] < label.end


def score(records: Sequence[LabelledRecord], predicted: Sequence[Iterable[Span]], *, match: str = "exact",
          entities: Iterable[str] | None = None) -> Scores:
    """Compare predicted (start, end, entity) spans with the labels, one-to-one per type.

    `entities`: the types scored (None: every type seen); predictions of other types are ignored.
    """
    wanted = None if entities is None else set(entities)
    s = Scores()
    for rec, preds in zip(records, predicted, strict=True):
        preds = sorted({(int(p[0]), int(p[1]), str(p[2])) for p in preds if wanted is None or p[2] in wanted})
        labels = [lab for lab in rec.labels if wanted is None or lab.entity in wanted]
        used = [False] * len(preds)
        for lab in sorted(labels, key=lambda x: (x.start, x.end)):
            hit = next((i for i, p in enumerate(preds) if not used[i] and p[2] == lab.entity and _matches(lab, p, match)), None)
            (s.tp if hit is not None else s.fn)[lab.entity] += 1
            if lab.valid:
                (s.tp_valid if hit is not None else s.fn_valid)[lab.entity] += 1
            if hit is not None:
                used[hit] = True
        for p, u in zip(preds, used, strict=True):
            if not u:
                s.fp[p[2]] += 1
    return s


# --- independent validators (never the scanner's) ------------------------------------------------------
def _digits(value: str) -> str:
    return "".join(ch for ch in value if ch.isdigit())


def valid_phone(value: str, region: str) -> bool:
    import phonenumbers

    try:
        return phonenumbers.is_valid_number(phonenumbers.parse(value, region))
    except phonenumbers.NumberParseException:
        return False


def valid_card(value: str) -> bool:
    from stdnum import luhn

    digits = _digits(value)
    return 12 <= len(digits) <= 19 and luhn.is_valid(digits)


def valid_ssn(value: str) -> bool:
    from stdnum.us import ssn

    return ssn.is_valid(_digits(value))


def valid_iban(value: str) -> bool:
    from stdnum import iban

    return iban.is_valid(value)


def valid_ip(value: str) -> bool:
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return False
    return True


# --- the generated corpora -----------------------------------------------------------------------------
# entity -> sentence templates; "{v}" is the value. The first half carry no cue word before the value.
TEMPLATES: dict[str, tuple[str, ...]] = {
    "email": ("{v} asked about the invoice.", "Forwarded to {v} yesterday.", "Contact {v} for details.",
              "Please reply to {v}."),
    "phone": ("{v} is on the form.", "Reach her on {v} after five.", "Call me at {v} after five.",
              "Phone: {v}."),
    "credit_card": ("{v} was charged twice.", "It went on {v} last week.", "Paid with card {v}.",
                    "Card number: {v}."),
    "us_ssn": ("{v} is on the W-2.", "The form lists {v} twice.", "My social security number is {v}.",
               "SSN: {v}."),
    "iban": ("{v} was credited today.", "Refunds go to {v}.", "Please wire it to IBAN {v}.",
             "Account: {v}."),
    "ip_address": ("{v} failed to log in.", "Traffic from {v} was blocked.", "Login from {v} failed.",
                   "The server at {v} is down."),
    "person": ("{v} approved the refund.", "I spoke to {v} yesterday about the order.", "Dear {v},",
               "My name is {v} and I need help.", "Thanks,\n{v}", "Contact person: {v}."),
    "address": ("{v} is where it should go.", "The parcel went to {v} by mistake.", "Ship it to {v}.",
                "Address: {v}.", "She lives at {v}."),
}
GROUPED = {"credit_card": 0.5, "iban": 0.5}  # share printed in groups of four


def _group4(value: str, sep: str) -> str:
    return sep.join(value[i:i + 4] for i in range(0, len(value), 4))


# Locale -> the phone region its numbers are validated for.
FAKER_LOCALES = {"en_US": "US", "en_GB": "GB", "de_DE": "DE", "fr_FR": "FR"}
MIMESIS_LOCALES = {"en": "US", "en-gb": "GB", "de": "DE", "fr": "FR"}


class FakerSource:
    """Values, filler and hard negatives from Faker in one locale."""

    def __init__(self, locale: str, seed: int) -> None:
        from faker import Faker

        self.name, self.region = f"faker/{locale}", FAKER_LOCALES[locale]
        self.f = Faker(locale)
        self.f.seed_instance(seed)
        self.rng = random.Random(seed)

    def value(self, entity: str) -> str | None:
        f, r = self.f, self.rng
        if entity == "email":
            return r.choice((f.email, f.free_email, f.company_email))()
        if entity == "phone":
            return f.phone_number()
        if entity == "credit_card":
            return f.credit_card_number()
        if entity == "us_ssn":
            return f.ssn() if self.region == "US" else None
        if entity == "iban":
            return f.iban()
        if entity == "ip_address":
            return r.choice((f.ipv4, f.ipv4_private, f.ipv4_public, f.ipv6))()
        if entity == "person":
            return f.name()
        return r.choice((f.address, f.street_address))()

    def filler(self) -> str:
        return self.f.sentence()

    def negative(self) -> str:
        f, r = self.f, self.rng
        return r.choice((
            lambda: f"Version {r.randint(1, 12)}.{r.randint(0, 40)}.{r.randint(0, 99)}.{r.randint(0, 9)} fixes the crash.",
            lambda: f"Upgrade to v{r.randint(1, 9)}.{r.randint(0, 9)}.{r.randint(0, 30)}.{r.randint(1, 200)} first.",
            lambda: f"Firmware {r.randint(1, 9)}.{r.randint(0, 99)}.{r.randint(0, 255)}.{r.randint(0, 255)} is out.",
            lambda: f"Order {f.bothify('#########')} ships {f.date()}.",
            lambda: f"Order no. {f.bothify('###-#######-#######')} was refunded.",
            lambda: f"ISBN {f.isbn13()} and {f.isbn10()} are both in stock.",
            lambda: f"Tracking 1Z{f.bothify('???#####??########').upper()} arrives {f.date()}.",
            lambda: f"USPS tracking {_group4(f.numerify('9400' + '#' * 18), ' ')}.",
            lambda: f"Commit {f.sha1()} (md5 {f.md5()}) passed.",
            lambda: f"Total {f.pricetag()}, invoice dated {f.date(pattern='%m/%d/%Y')}.",
            lambda: f"Ticket {f.numerify('###-###-###')} closed on {f.date_time().isoformat()}.",
            lambda: f"EAN {f.ean13()} is out of stock.",
        ))()


class MimesisSource:
    """Values, filler and hard negatives from Mimesis in one locale (it generates no IBANs or SSNs)."""

    def __init__(self, locale: str, seed: int) -> None:
        from mimesis import (
            Address,
            Code,
            Cryptographic,
            Datetime,
            Development,
            Finance,
            Internet,
            Payment,
            Person,
            Text,
        )
        from mimesis.locales import Locale

        loc = Locale(locale)
        self.name, self.region = f"mimesis/{locale}", MIMESIS_LOCALES[locale]
        self.person, self.address, self.text = Person(loc, seed=seed), Address(loc, seed=seed), Text(loc, seed=seed)
        self.payment, self.internet, self.code = Payment(seed=seed), Internet(seed=seed), Code(seed=seed)
        self.crypto, self.dates, self.dev, self.finance = Cryptographic(seed=seed), Datetime(loc, seed=seed), Development(seed=seed), Finance(loc, seed=seed)
        self.rng = random.Random(seed)

    def value(self, entity: str) -> str | None:
        r = self.rng
        if entity == "email":
            return self.person.email()
        if entity == "phone":
            return self.person.telephone()
        if entity == "credit_card":
            return self.payment.credit_card_number()
        if entity in ("us_ssn", "iban"):
            return None
        if entity == "ip_address":
            return self.internet.ip_v4() if r.random() < 0.6 else self.internet.ip_v6()
        if entity == "person":
            return self.person.full_name()
        a = self.address
        return a.address() if r.random() < 0.5 else f"{a.address()}, {a.city()} {a.postal_code()}"

    def filler(self) -> str:
        return self.text.sentence()

    def negative(self) -> str:
        r = self.rng
        return r.choice((
            lambda: f"Release {self.dev.version()}.{r.randint(0, 99)} fixes the crash.",
            lambda: f"Order {r.randint(10**8, 10**10)} ships {self.dates.date()}.",
            lambda: f"ISBN {self.code.isbn()} is in stock.",
            lambda: f"IMEI {self.code.imei()} was blocked.",
            lambda: f"Hash {self.crypto.hash()} verified.",
            lambda: f"Price {self.finance.price()} on {self.dates.formatted_date('%d.%m.%Y')}.",
            lambda: f"Build {r.randint(1, 20)}.{r.randint(0, 9)}.{r.randint(0, 9999)}.{r.randint(0, 999)} is live.",
            lambda: f"EAN {self.code.ean()} is back.",
        ))()


Source = FakerSource | MimesisSource
VALIDATORS: dict[str, Callable[[str, str], bool]] = {
    "phone": valid_phone, "credit_card": lambda v, _: valid_card(v), "us_ssn": lambda v, _: valid_ssn(v),
    "iban": lambda v, _: valid_iban(v), "ip_address": lambda v, _: valid_ip(v),
}


def _printed(entity: str, value: str, rng: random.Random) -> str:
    """The value as people also write it: cards and IBANs in groups, SSNs with dots or spaces."""
    if entity in GROUPED and rng.random() < GROUPED[entity] and " " not in value:
        return _group4(value, rng.choice((" ", " ", "-")) if entity == "credit_card" else " ")
    if entity == "us_ssn" and rng.random() < 0.4:
        return value.replace("-", rng.choice((".", " ")))
    return value


def generate(sources: Sequence[Source], n_records: int, seed: int) -> list[LabelledRecord]:
    """`n_records` records drawn from the sources in turn; the same records for the same seed."""
    rng = random.Random(seed)
    out = []
    for i in range(n_records):
        src = sources[i % len(sources)]
        parts: list[tuple[str, Label | None]] = [(src.filler(), None) for _ in range(rng.randint(0, 2))]
        for entity in rng.sample(ENTITIES, k=rng.choice((1, 1, 2, 3))):
            value = src.value(entity)
            if value is None:
                continue
            value = _printed(entity, value, rng)
            template = rng.choice(TEMPLATES[entity])
            check = VALIDATORS.get(entity)
            valid = check(value, src.region) if check else True
            offset = template.index("{v}")  # the label's position inside its sentence, fixed below
            parts.insert(rng.randint(0, len(parts)), (template.replace("{v}", value), Label(offset, offset + len(value), entity, valid)))
        if rng.random() < 0.4:
            parts.insert(rng.randint(0, len(parts)), (src.negative(), None))
        text, labels = "", []
        for sentence, lab in parts:
            if text:
                text += " " if text[-1] in ".!?" else "\n"  # after "Dear X," or a signature: a new line
            if lab is not None:
                labels.append(Label(len(text) + lab.start, len(text) + lab.end, lab.entity, lab.valid))
            text += sentence
        out.append(LabelledRecord(text, tuple(labels)))
    return out


def faker_corpus(n_records: int, seed: int = 0) -> list[LabelledRecord]:
    return generate([FakerSource(loc, seed + i) for i, loc in enumerate(FAKER_LOCALES)], n_records, seed)


def mimesis_corpus(n_records: int, seed: int = 0) -> list[LabelledRecord]:
    return generate([MimesisSource(loc, seed + i) for i, loc in enumerate(MIMESIS_LOCALES)], n_records, seed)


def read_labelled(path: Path) -> list[LabelledRecord]:
    """A user corpus: JSONL lines `{"text": ..., "spans": [{"start", "end", "label"}]}`."""
    known = {e: e for e in ENTITIES} | PRESIDIO_TYPES
    out = []
    with path.open(encoding="utf-8") as fh:
        for n, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
                text, spans = str(obj["text"]), list(obj.get("spans", []))
                raw = [(int(sp["start"]), int(sp["end"]), sp["label"]) for sp in spans]
            except (ValueError, KeyError, TypeError, AttributeError):
                raise ValueError(ERR_LABELLED_LINE.format(path=path, line=n, what=ERR_RECORD)) from None
            labels = []
            for start, end, name in raw:
                label = known.get(str(name)) or known.get(str(name).lower())
                if label is None:
                    raise ValueError(ERR_LABELLED_LINE.format(path=path, line=n, what=ERR_LABEL.format(
                        label=name, known=", ".join(ENTITIES))))
                if not 0 <= start < end <= len(text):
                    raise ValueError(ERR_LABELLED_LINE.format(path=path, line=n, what=ERR_SPAN.format(start=start, end=end)))
                labels.append(Label(start, end, label))
            out.append(LabelledRecord(text, tuple(labels)))
    return out


# --- the systems ---------------------------------------------------------------------------------------
Predict = Callable[[Sequence[str]], list[list[Span]]]


def predict_ours(regions: Sequence[str] = DEFAULT_REGIONS, chunk: int = 10_000) -> Predict:
    from rai.audit.pii import ScanConfig

    scanner = ScanConfig(phone_regions=tuple(regions)).build()

    def predict(texts: Sequence[str]) -> list[list[Span]]:
        out: list[list[Span]] = []
        for i in range(0, len(texts), chunk):  # the CLI's chunk size
            out += [[(f.start, f.end, f.entity) for f in fs] for fs in scanner.scan(texts[i:i + chunk])]
        return out

    return predict


def predict_presidio() -> Predict:
    """Presidio's pattern recognizers for our six structured types, on a blank spaCy pipeline."""
    import logging
    import os

    # tldextract (Presidio's email recognizer) would download the public suffix list; an empty URL
    # list makes it use its bundled snapshot, offline.
    os.environ.setdefault("TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS", "")

    import spacy
    from presidio_analyzer import AnalyzerEngine, RecognizerRegistry
    from presidio_analyzer.nlp_engine import SpacyNlpEngine
    from presidio_analyzer.predefined_recognizers import (
        CreditCardRecognizer,
        EmailRecognizer,
        IbanRecognizer,
        IpRecognizer,
        PhoneRecognizer,
        UsSsnRecognizer,
    )

    logging.getLogger("presidio-analyzer").setLevel(logging.ERROR)

    class BlankSpacy(SpacyNlpEngine):
        """Tokenizer only: no NER model, so only the pattern recognizers find anything."""

        def load(self) -> None:
            self.nlp = {"en": spacy.blank("en")}

    registry = RecognizerRegistry(recognizers=[EmailRecognizer(), PhoneRecognizer(), CreditCardRecognizer(),
                                               UsSsnRecognizer(), IbanRecognizer(), IpRecognizer()])
    engine = AnalyzerEngine(registry=registry, nlp_engine=BlankSpacy(), supported_languages=["en"])
    engine.analyze(text="warm up john@example.com", language="en")

    def predict(texts: Sequence[str]) -> list[list[Span]]:
        return [[(r.start, r.end, PRESIDIO_TYPES[r.entity_type]) for r in engine.analyze(text=t, language="en")
                 if r.entity_type in PRESIDIO_TYPES] for t in texts]

    return predict


PRESIDIO_ENTITIES = STRICT


# --- report --------------------------------------------------------------------------------------------
def _fmt(x: float | None) -> str:
    return "n/a" if x is None else f"{x:.3f}"


def table(name: str, records: Sequence[LabelledRecord], results: dict[str, tuple[Scores, Sequence[str]]]) -> str:
    """A Markdown table: per type and system, P, R, R on valid-format values, F1, and the label counts."""
    n = Counter(lab.entity for r in records for lab in r.labels)
    n_valid = Counter(lab.entity for r in records for lab in r.labels if lab.valid)
    head = "| type | labels (valid) |" + "".join(f" {s} P | {s} R | {s} R valid | {s} F1 |" for s in results)
    lines = [f"{name}: {len(records)} records", "", head, "|" + "---|" * (2 + 4 * len(results))]
    for e in ENTITIES:
        cells = []
        for scores, supported in results.values():
            ok = e in supported
            cells += [_fmt(scores.precision(e) if ok else None), _fmt(scores.recall(e) if ok else None),
                      _fmt(scores.recall_valid(e) if ok else None), _fmt(scores.f1(e) if ok else None)]
        lines.append(f"| {e} | {n[e]} ({n_valid[e]}) | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def misses(scores: Scores) -> list[str]:
    """The targets the scanner misses: recall on valid values or precision below 0.99, per type."""
    out = []
    for e in STRICT:
        p, r = scores.precision(e), scores.recall_valid(e)
        if p is not None and p < TARGET:
            out.append(f"{e} precision {p:.3f}")
        if r is not None and r < TARGET:
            out.append(f"{e} recall (valid) {r:.3f}")
    return out


@dataclass(frozen=True)
class Evaluation:
    corpus: str
    records: list[LabelledRecord]
    results: dict[str, tuple[Scores, Sequence[str]]]


def evaluate(corpora: dict[str, list[LabelledRecord]], systems: dict[str, tuple[Predict, Sequence[str]]],
             match: str = "overlap") -> list[Evaluation]:
    """Every system on every corpus, once each, scored on the types the system supports."""
    out = []
    for name, records in corpora.items():
        texts = [r.text for r in records]
        results = {sys_name: (score(records, predict(texts), match=match, entities=supported), supported)
                   for sys_name, (predict, supported) in systems.items()}
        out.append(Evaluation(name, records, results))
    return out


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=2000, help="records per generated corpus (default 2000)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--match", choices=MATCHES, default="overlap")
    parser.add_argument("--labelled", type=Path, action="append", default=[], metavar="FILE.jsonl",
                        help="a labelled JSONL corpus to evaluate too (repeatable)")
    parser.add_argument("--phone-regions", default=",".join(DEFAULT_REGIONS), help="the scanner's --phone-regions")
    parser.add_argument("--no-presidio", action="store_true")
    args = parser.parse_args(argv)

    corpora = {"Faker": faker_corpus(args.records, args.seed), "Mimesis": mimesis_corpus(args.records, args.seed)}
    try:
        for path in args.labelled:
            corpora[str(path)] = read_labelled(path)
    except (OSError, ValueError) as exc:
        print(f"pii_eval: {exc}", file=sys.stderr)
        return 2
    systems: dict[str, tuple[Predict, Sequence[str]]] = {"rai": (predict_ours(args.phone_regions.split(",")), ENTITIES)}
    if not args.no_presidio:
        try:
            systems["presidio"] = (predict_presidio(), PRESIDIO_ENTITIES)
        except ImportError:
            print("presidio is not installed (pip install 'rai-suite[presidio]'): skipped")
    print(f"matching: {args.match}; phone regions {args.phone_regions}; seed {args.seed}\n")
    failed = []
    for ev in evaluate(corpora, systems, args.match):
        print(table(ev.corpus, ev.records, ev.results) + "\n")
        if ev.corpus in ("Faker", "Mimesis"):
            failed += [f"{ev.corpus}: {m}" for m in misses(ev.results["rai"][0])]
    print("targets (P and R on valid values >= 0.99 for " + ", ".join(STRICT) + "): "
          + ("met" if not failed else "NOT met: " + "; ".join(failed)))
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
