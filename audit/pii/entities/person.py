"""Person names without a model: cue patterns and a census name lexicon.

Two kinds of evidence, because names are open-ended and rules will not reach the recall of the
checksum types (docs/pii.md publishes the measured precision and recall):

- a cue before capitalised words: an honorific (`Mr.`, `Dr`, `Frau`, `Mme`), a salutation (`Dear`,
  `Hi`), a self-introduction (`my name is`, `I'm` + a known first name), a form field (`Name:`,
  `Contact person:`, `Patient:`), a signature (`Regards,` / `Thanks,` + a new line, or a dash
  before a name at the end of a line);
- a known first name followed by a known surname, both capitalised (`Jennifer Burns`), from the
  US Census 1990 lists (`audit/pii/data/`), minus first names that are also common capitalised
  words (months, `Will`, `Grant`, ...).

Name particles (`van der`, `de`, `von`) and hyphenated parts (`Beer-Naser`) belong to the name.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import lru_cache
from importlib import resources

from audit.pii.masking import mask_words
from audit.pii.recognizer import Finding, Recognizer

SCORE_CUE = 0.8
SCORE_LEXICON = 0.65
SCORE_CUE_LEXICON = 0.9

_UP = "A-ZÀ-ÖØ-Þ"
_LOW = "a-zß-öø-ÿ"
# One capitalised name part, possibly hyphenated or with an apostrophe (O'Neil, Beer-Naser, D'Aunay).
_PART = rf"[{_UP}](?:[{_LOW}]+|'[{_UP}][{_LOW}]+|[{_LOW}]*[’'][{_UP}]?[{_LOW}]+)(?:-[{_UP}][{_LOW}]+)*"
_PARTICLE = r"(?:van|von|der|den|de|du|des|la|le|da|di|del|dos|das|ten|ter|zu|bin|al|st\.)"
_INITIAL = rf"[{_UP}]\."
# Up to four parts: "Jennifer Burns", "Jannik van der Dussen", "John F. Kennedy".
NAME = rf"{_PART}(?:[ \t]+(?:{_INITIAL}|{_PARTICLE}(?:[ \t]+{_PARTICLE})?)?[ \t]*{_PART}){{0,3}}"
_NAME_GROUP = rf"(?P<name>{NAME})"

HONORIFICS = ("Mr", "Mrs", "Ms", "Miss", "Mx", "Dr", "Prof", "Sir", "Dame", "Lady", "Lord", "Rev", "Herr", "Frau",
              "Fräulein", "Monsieur", "Madame", "Mademoiselle", "Mme", "Mlle", "M", "Señor", "Señora", "Sra", "Sr")
_HONORIFIC = rf"(?<![\w.])(?:{'|'.join(HONORIFICS)})\.?[ \t]+"
# Cues after which capitalised words are a name (case-insensitive cue, case-sensitive name): form
# fields need a colon ("From: Jane Roe", not "from Berlin"), sign-offs a comma or a new line.
_FIELD = (r"(?:full[ \t]+|first[ \t]+|last[ \t]+|customer[ \t]+|patient[ \t]+|employee[ \t]+|contact[ \t]+)?name|"
          r"contact(?:[ \t]+person)?|customer|patient|employee|applicant|tenant|recipient|sender|from|to|cc|attn|"
          r"signed[ \t]+by|author|nom|vorname|nachname")
_GREETING = (r"dear|hi|hello|hey|my[ \t]+name[ \t]+is|call[ \t]+me|signed[ \t]+by|written[ \t]+by|prepared[ \t]+by|"
             r"bonjour|hallo|liebe|lieber|sehr[ \t]+geehrte[rs]?|cher|chère")
_SIGNOFF = (r"regards|best|thanks|thank[ \t]+you|cheers|sincerely|yours(?:[ \t]+truly)?|kind[ \t]+regards|"
            r"best[ \t]+wishes|mit[ \t]+freundlichen[ \t]+grüßen|cordialement|bien[ \t]+à[ \t]+vous")
CUE = (rf"(?<![\w])(?i:(?:{_FIELD})[ \t]*:[ \t]*|(?:{_GREETING})[ \t]*,?[ \t]+|(?:{_SIGNOFF})[ \t]*(?:,[ \t]*\n?|\n)[ \t]*)")
# "I'm Jennifer" / "I am Jennifer": only with a known first name ("I am Happy" is not a name).
SELF = r"(?<![\w])(?i:i'm|i’m|i[ \t]+am|je[ \t]+suis|ich[ \t]+bin)[ \t]+"
# A signature: a dash at the start of a line or after a space, a name, the end of the line.
SIGNATURE = rf"(?:^|(?<=[\s]))[—–-][ \t]*{_NAME_GROUP}[ \t]*(?=$|\n|\x00)"

# Capitalised words that are first names in the census lists but mostly something else in text.
NOT_FIRST_NAMES = frozenset("""
january february march april may june july august september october november december monday tuesday wednesday
thursday friday saturday sunday will mark bill art grant hope joy faith grace rich chase lane page king major sunny
summer winter autumn dawn young long dear best thanks regards happy new north south east west christian general
royal ray guy pat sterling star angel april august jean don van del kay sky sun rose ivy iris lily penny ruby amber
crystal jade pearl opal river rocky stone storm forest hunter park bay holiday price case frank earl baron duke
prince princess queen judge deputy major bishop dean chance chancellor cash clay miles wood woods mason cook
hall field fields ford rich victor""".split())
# Cue words that must not be taken for the start of a name ("Dear Sir", "Hi all").
NOT_NAMES = frozenset("sir madam all team everyone there customer customers friend friends colleagues the a an".split()
                      + [h.lower() for h in HONORIFICS])


@lru_cache(maxsize=1)
def lexicon() -> tuple[frozenset[str], frozenset[str]]:
    """(first names, surnames), lower case, from the census lists in audit/pii/data."""
    data = resources.files("audit.pii") / "data"
    first = frozenset((data / "first_names.txt").read_text(encoding="utf-8").split())
    last = frozenset((data / "last_names.txt").read_text(encoding="utf-8").split())
    return first - NOT_FIRST_NAMES, last


def _parts(name: str) -> list[str]:
    return [p for p in re.split(r"[ \t]+", name) if p[0].isupper() and not p.endswith(".")]


class PersonRecognizer(Recognizer):
    entity = "person"
    context = ("name", "mr", "mrs", "ms", "dr", "dear", "contact", "customer", "patient", "employee", "signed", "by")
    priority = 20

    def __init__(self) -> None:
        self.first, self.last = lexicon()
        self._honorific = re.compile(_HONORIFIC + _NAME_GROUP)
        self._cue = re.compile(CUE + _NAME_GROUP)
        self._self = re.compile(SELF + _NAME_GROUP)
        self._signature = re.compile(SIGNATURE, re.MULTILINE)
        self._run = re.compile(rf"{_PART}(?:[ \t]+(?:{_INITIAL}[ \t]+|{_PARTICLE}[ \t]+(?:{_PARTICLE}[ \t]+)?)?{_PART})+")
        self._token = re.compile(rf"{_PART}|{_INITIAL}|{_PARTICLE}")

    def mask(self, value: str) -> str:
        return mask_words(value)

    def _known(self, name: str) -> bool:
        """A known first name and, when there is more than one part, a known surname."""
        parts = _parts(name)
        if not parts or parts[0].lower() not in self.first:
            return False
        return len(parts) == 1 or any(q.lower() in self.last for piece in parts[1:] for q in piece.split("-"))

    def analyze(self, text: str) -> Iterator[Finding]:
        first, last = self.first, self.last
        for regex in (self._honorific, self._cue, self._signature):
            for m in regex.finditer(text):
                name = m.group("name")
                if name.split()[0].lower() in NOT_NAMES:
                    continue
                known = self._known(name)
                # A cue alone before one unknown capitalised word ("From: Berlin") is weak evidence.
                if regex is self._cue and not known and len(_parts(name)) < 2:
                    continue
                yield Finding(m.start("name"), m.end("name"), self.entity, SCORE_CUE_LEXICON if known else SCORE_CUE)
        for m in self._self.finditer(text):
            if self._known(m.group("name")):
                yield Finding(m.start("name"), m.end("name"), self.entity, SCORE_CUE_LEXICON)
        for m in self._run.finditer(text):  # runs of capitalised words: the first "First [...] Surname" in each
            tokens = list(self._token.finditer(m.group(0)))
            for i, tok in enumerate(tokens[:-1]):
                if tok.group(0).lower() not in first:
                    continue
                ends = [t.end() for t in tokens[i + 1:i + 4] if t.group(0)[0].isupper() and not t.group(0).endswith(".")
                        and any(q.lower() in last for q in t.group(0).split("-"))]
                if ends:
                    yield Finding(m.start() + tok.start(), m.start() + ends[-1], self.entity, SCORE_LEXICON)
                    break


def recognizers() -> list[Recognizer]:
    return [PersonRecognizer()]
