"""Street addresses without a model: a house number and a street with a street-type word.

US/UK style: `690 Sanchez Union Suite 625`, `12 Holland Road, Flat 3`, with the street types of
USPS Publication 28 (Appendix C1) and the common British ones, full or abbreviated (`St`, `Ave`);
German style: `Salzachstraße 276`, `Boxberger Straße 116`, `Hans-Gerd-Schuchhardt-Allee 2/6`;
French style: `435, rue de Samson`, `116 Boulevard D Aunay`; US military `PSC 1234, Box 5678`.
An optional unit (`Apt. 4`, `Suite 625`, `Flat 39g`) and an optional last line (`Springfield, IL
62704`, `83449 Oberviechtach`, `London SW1A 1AA`) on the same or the next line belong to the
address. A street with a postcode or city line scores higher than one without.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from audit.pii.masking import mask_words
from audit.pii.recognizer import Finding, Recognizer

SCORE_STREET = 0.7
SCORE_FULL = 0.9

# USPS Publication 28, Appendix C1 (primary names and the usual abbreviations), plus British types.
STREET_TYPES = """
alley allee annex arcade avenue ave av bayou beach bend bluff bluffs bottom boulevard blvd branch bridge brook brooks
burg burgs bypass camp canyon cape causeway center centre ctr centers circle cir circles cliff cliffs club common
commons corner corners course court ct courts cove coves creek crescent cres crest crossing xing crossroad curve dale
dam divide drive dr drives estate estates expressway expy extension extensions fall falls ferry field fields flat
flats ford fords forest forge forges fork forks fort freeway fwy garden gardens gdns gateway glen glens green greens
grove groves harbor harbors haven heights highway hwy hill hills hollow inlet island islands isle junction jct
junctions key keys knoll knolls lake lakes land landing lane ln light lights loaf lock locks lodge loop mall manor
manors meadow meadows mews mill mills mission motorway mount mountain mountains neck orchard oval overpass park parks
parkway pkwy parkways pass passage path pike pine pines place pl plain plains plaza point points port ports prairie
radial ramp ranch rapid rapids rest ridge ridges river road rd roads route rte row rue run shoal shoals shore shores
skyway spring springs spur spurs square sq squares station stravenue stream street st streets summit terrace ter
throughway trace track trafficway trail trl trailer tunnel turnpike underpass union unions valley valleys viaduct view
via views village villages ville vista walk walks wall way ways well wells close rise wynd parade approach broadway chase
circus drove gate mead quay vale yard wharf
""".split()
_TYPE = "|".join(sorted(STREET_TYPES, key=len, reverse=True))
_UP, _LOW = "A-ZÀ-ÖØ-Þ", "a-zß-öø-ÿ"
_WORD = rf"[{_UP}][{_LOW}{_UP}'’.\-]*"
_NUMBER = r"\d{1,6}[A-Za-z]?(?:[/\-]\d{1,5}[A-Za-z]?)?"
_UNIT = r"(?:,?[ \t]+(?i:apt\.?|apartment|suite|ste\.?|unit|flat|floor|fl\.?|room|rm\.?|#)[ \t]*[\w\-]{1,6})"
# The last line: "Springfield, IL 62704", "83449 Oberviechtach", "London SW1A 1AA", "75001 Paris".
_CITY = rf"{_WORD}(?:[ \t\-]{_WORD}){{0,3}}"
_GB_POSTCODE = r"[A-Z]{1,2}\d[A-Z\d]?[ \t]?\d[A-Z]{2}(?![\w])"
_LAST_LINE = (rf"(?:(?:,[ \t]*|[ \t]*\n[ \t]*|[ \t]+)(?:{_CITY},?[ \t]+(?:[A-Z]{{2}}[ \t]+)?\d{{5}}(?:-\d{{4}})?(?![\w])"
              rf"|\d{{4,5}}[ \t]+{_CITY}|(?:{_CITY}[ \t]*\n[ \t]*)?{_CITY}(?:,?[ \t]+|[ \t]*\n[ \t]*){_GB_POSTCODE}|{_GB_POSTCODE}))")
# US/UK: number, one to four capitalised words, a street type; or a British "Flat 3\nHolland Road".
_EN_STREET = (rf"(?:\d(?<![\w.,\-]\d)\d{{0,5}}[A-Za-z]?(?:[/\-]\d{{1,5}}[A-Za-z]?)?,?[ \t]+"
              rf"|(?i:flat|apartment|studio|unit)[ \t]+[\w\-]{{1,5}},?[ \t]*\n?[ \t]*)"
              rf"(?:{_WORD}[ \t]+){{1,3}}(?i:(?:{_TYPE}))\b\.?(?![\w\-])")
# German: a street whose name ends in a street word, then the number.
_DE_TYPE = r"(?i:stra(?:ß|ss)e|str\.|weg|allee|platz|gasse|ring|damm|ufer|chaussee|steig|pfad|markt|wall|kehre|zeile|hof|berg|graben|kamp)"
_DE_STREET = rf"(?<![\w\-])[{_UP}][\w'’.\-]*(?:[ \t\-](?:[{_UP}][\w'’.\-]*))?{_DE_TYPE}(?<=\S)[ \t]+{_NUMBER}(?![\w])"
_DE_STREET_SPACED = rf"(?<![\w\-]){_WORD}[ \t]+{_DE_TYPE}[ \t]+{_NUMBER}(?![\w])"
# French: number, optional "bis", a street type, its name.
_FR_TYPE = r"(?:rue|avenue|av\.|boulevard|bd|place|chemin|allée|impasse|quai|route|cours|square|passage|voie|sentier|faubourg|rond-point)"
_FR_STREET = (rf"\d(?<![\w.,\-]\d)\d{{0,3}}(?:[ \t]?(?:bis|ter))?,?[ \t]+(?i:{_FR_TYPE})[ \t]+"
              rf"(?:(?:d[eu']|des|la|le|l'|[A-Za-zÀ-ÿ'’\-]+)[ \t]*){{1,5}}?{_WORD}")
_MILITARY = r"(?:PSC|Unit|USNS|USNV|USS|USCGC)[ \t][\w \t]{1,30}?(?:,[ \t]*Box[ \t]\d{1,5})?[ \t]*\n?[ \t]*(?:APO|FPO|DPO)[ \t]+A[AEP][ \t]+\d{5}"

PATTERNS = tuple(re.compile(rf"(?P<street>{p}(?:{_UNIT})?)(?P<tail>{_LAST_LINE})?")
                 for p in (_EN_STREET, _DE_STREET, _DE_STREET_SPACED, _FR_STREET)) + (re.compile(_MILITARY),)


class AddressRecognizer(Recognizer):
    entity = "address"
    context = ("address", "addr", "lives at", "live at", "ship to", "shipping", "deliver", "delivery", "billing",
               "located at", "adresse", "anschrift", "wohnt")
    priority = 30

    def mask(self, value: str) -> str:
        return mask_words(value)

    def analyze(self, text: str) -> Iterator[Finding]:
        for regex in PATTERNS:
            for m in regex.finditer(text):
                full = "tail" not in regex.groupindex or m.group("tail") is not None
                yield Finding(m.start(), m.end(), self.entity, SCORE_FULL if full else SCORE_STREET)


def recognizers() -> list[Recognizer]:
    return [AddressRecognizer()]
