"""Person names without a model: cue patterns and a census name lexicon.

Two kinds of evidence, because names are open-ended and rules will not reach the recall of the
checksum types (docs/pii.md publishes the measured precision and recall):

- a cue before capitalised words: an honorific (`Mr.`, `Dr`, `Frau`, `Mme`), a salutation (`Dear`,
  `Hi`), a self-introduction (`my name is`, `I'm` + a known first name), a form field (`Name:`,
  `Contact person:`, `Patient:`), a sign-off (`Regards,` / `Thanks,` + a new line), or a dash
  before a known name that ends its line (a list item `- Project Plan` is not a signature);
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

from rai.audit.pii.masking import mask_words
from rai.audit.pii.recognizer import Finding, Recognizer, word_alternation

SCORE_CUE = 0.8
SCORE_LEXICON = 0.65
SCORE_CUE_LEXICON = 0.9

_UP = "A-ZÀ-ÖØ-Þ"
_LOW = "a-zß-öø-ÿ"
# One capitalised name part, possibly hyphenated or with an apostrophe (O'Neil, Beer-Naser, D'Aunay).
# Atomic and possessive: a capitalised word that is not followed by another is given up at once,
# not re-tried character by character (every capitalised word in a text starts an attempt).
_PART = rf"[{_UP}](?>[{_LOW}]*+(?:[’'][{_UP}]?[{_LOW}]++)?)(?<![{_UP}])(?:-[{_UP}][{_LOW}]++)*+"
_PARTICLE = r"(?:van|von|der|den|de|du|des|la|le|da|di|del|dos|das|ten|ter|zu|bin|al|st\.)"
_INITIAL = rf"[{_UP}]\."
# Up to four parts: "Jennifer Burns", "Jannik van der Dussen", "John F. Kennedy".
NAME = rf"{_PART}(?:[ \t]+(?:{_INITIAL}|{_PARTICLE}(?:[ \t]+{_PARTICLE})?)?[ \t]*{_PART}){{0,3}}"
_NAME_GROUP = rf"(?P<name>{NAME})"

HONORIFICS = ("Mr", "Mrs", "Ms", "Miss", "Mx", "Dr", "Prof", "Sir", "Dame", "Lady", "Lord", "Rev", "Herr", "Frau",
              "Fräulein", "Monsieur", "Madame", "Mademoiselle", "Mme", "Mlle", "Señor", "Señora", "Sra", "Sr")
_HONORIFIC = word_alternation(HONORIFICS, lower=False) + r"\.?[ \t]+"
# Cues after which capitalised words are a name (the cue in lower case or capitalised, the name
# capitalised): form fields need a colon ("From: Jane Roe", not "from Berlin"), sign-offs a comma
# or a new line.
FIELDS = ("name", "full name", "first name", "last name", "customer name", "patient name", "employee name",
          "contact name", "contact", "contact person", "customer", "patient", "employee", "applicant", "tenant",
          "recipient", "sender", "from", "to", "cc", "attn", "signed by", "author", "nom", "vorname", "nachname")
GREETINGS = ("dear", "hi", "hello", "hey", "my name is", "call me", "signed by", "written by", "prepared by", "bonjour",
             "hallo", "liebe", "lieber", "sehr geehrte", "sehr geehrter", "cher", "chère")
SIGNOFFS = ("regards", "best", "thanks", "thank you", "cheers", "sincerely", "yours", "yours truly", "kind regards",
            "best wishes", "mit freundlichen grüßen", "cordialement", "bien à vous")
SELVES = ("i'm", "i’m", "i am", "je suis", "ich bin")


def _alternation(words: tuple[str, ...]) -> str:
    return "|".join(re.escape(w).replace(r"\ ", r"[ \t]+") for w in sorted(words, key=len, reverse=True))


# Greetings and self-introductions: plain lower-case literals, searched in the lower-cased text.
GREETING = rf"(?:{_alternation(GREETINGS + SELVES)})[ \t]*,?[ \t]+"
# Fields and sign-offs are found from their punctuation, which is rare in text (a colon, a comma or
# a line break before a capitalised word); then the word before it is checked.
# A signature is found the same way: a dash (an em or en dash anywhere, a hyphen at a line start),
# a name, the end of the line.
PUNCTUATION = rf"(?::|,[ \t]*\n?|\n-?|—|–)[ \t]*(?=[{_UP}])"
_LINE_END = re.compile(r"[ \t]*(?:$|\n|\x00)")
FIELD_BEFORE = rf"(?<![\w])(?:{_alternation(FIELDS)})[ \t]*$"
SIGNOFF_BEFORE = rf"(?<![\w])(?:{_alternation(SIGNOFFS)})[ \t]*,?[ \t]*$"

# Capitalised words that are first names in the census lists but mostly something else in text.
NOT_FIRST_NAMES = frozenset((
    "january", "february", "march", "april", "may", "june", "july", "august", "september", "october", "november",
    "december", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday", "will", "mark",
    "bill", "art", "grant", "hope", "joy", "faith", "grace", "rich", "chase", "lane", "page", "king", "major",
    "sunny", "summer", "winter", "autumn", "dawn", "young", "long", "dear", "best", "thanks", "regards", "happy",
    "new", "north", "south", "east", "west", "christian", "general", "royal", "ray", "guy", "pat", "sterling",
    "star", "angel", "jean", "don", "van", "del", "kay", "sky", "sun", "rose", "ivy", "iris", "lily", "penny",
    "ruby", "amber", "crystal", "jade", "pearl", "opal", "river", "rocky", "stone", "storm", "forest", "hunter",
    "park", "bay", "holiday", "price", "case", "frank", "earl", "baron", "duke", "prince", "princess", "queen",
    "judge", "deputy", "bishop", "dean", "chance", "chancellor", "cash", "clay", "miles", "wood", "woods", "mason",
    "cook", "hall", "field", "fields", "ford", "victor", "an", "else", "in", "many", "my", "see", "so", "un"
))
# Cue words that must not be taken for the start of a name ("Dear Sir", "Hi all").
NOT_NAMES = frozenset(("sir", "madam", "all", "team", "everyone", "there", "customer", "customers", "friend", "friends",
                       "colleagues", "the", "a", "an", *(h.lower() for h in HONORIFICS)))


@lru_cache(maxsize=1)
def lexicon() -> tuple[frozenset[str], frozenset[str]]:
    """(first names, surnames), lower case, from the census lists in audit/pii/data."""
    data = resources.files("rai.audit.pii") / "data"
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
        # The forms in which the run loop meets them (capitalised words): no lower() per word.
        self._first_cap = frozenset(n.capitalize() for n in self.first)
        self._honorific = re.compile(_HONORIFIC + _NAME_GROUP)
        self._greeting = re.compile(GREETING)
        self._greeting_any_case = re.compile(GREETING, re.IGNORECASE)
        self._punctuation = re.compile(PUNCTUATION)
        self._field_before = re.compile(FIELD_BEFORE)
        self._signoff_before = re.compile(SIGNOFF_BEFORE)
        self._name = re.compile(NAME)
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

    def _named(self, start: int, end: int, name: str, *, weak_ok: bool, single_ok: bool = True) -> Iterator[Finding]:
        """A finding for a name after a cue: scored higher when the lexicon knows it; an unknown
        name only when `weak_ok`, and then only with two parts unless `single_ok`."""
        if name.split()[0].lower() in NOT_NAMES:
            return
        if self._known(name):
            yield Finding(start, end, self.entity, SCORE_CUE_LEXICON)
        elif weak_ok and (single_ok or len(_parts(name)) >= 2):
            yield Finding(start, end, self.entity, SCORE_CUE)

    def analyze(self, text: str) -> Iterator[Finding]:
        first, last, first_cap = self.first, self.last, self._first_cap
        for m in self._honorific.finditer(text):
            yield from self._named(m.start("name"), m.end("name"), m.group("name"), weak_ok=True)
        lowered = text.lower()
        same = len(lowered) == len(text)  # lower() keeps offsets for all but a few characters (İ)
        for m in (self._greeting.finditer(lowered) if same else self._greeting_any_case.finditer(text)):
            if m.start() and text[m.start() - 1].isalnum():
                continue  # inside a word ("ethi ")
            n = self._name.match(text, m.end())
            if n is None:
                continue
            word = re.sub(r"[ \t]+", " ", m.group(0).strip(" \t,").lower())
            yield from self._named(n.start(), n.end(), n.group(0), weak_ok=word not in SELVES, single_ok=False)
        for m in self._punctuation.finditer(text):
            mark = text[m.start()]
            n = self._name.match(text, m.end())
            if n is None:
                continue
            if mark in "—–" or m.group(0).startswith("\n-"):
                if _LINE_END.match(text, n.end()):  # a signature: the name ends its line; a known name only,
                    yield from self._named(n.start(), n.end(), n.group(0), weak_ok=False)  # not "- Project Plan"
                continue
            before = text[max(0, m.start() - 40):m.start()].lower()
            if (self._field_before if mark == ":" else self._signoff_before).search(before):
                yield from self._named(n.start(), n.end(), n.group(0), weak_ok=True, single_ok=False)
        for m in self._run.finditer(text):  # runs of capitalised words: the first "First [...] Surname" in each
            run = m.group(0)
            if not any(w in first_cap for w in run.split()):
                continue  # most runs ("The Company", "New York") hold no known first name
            tokens = list(self._token.finditer(run))
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
