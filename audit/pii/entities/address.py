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

from rai.audit.pii.masking import mask_words
from rai.audit.pii.recognizer import (
    Pattern,
    PatternRecognizer,
    Recognizer,
    word_alternation,
)

SCORE_STREET = 0.7
SCORE_FULL = 0.9

# USPS Publication 28, Appendix C1 (primary names and the usual abbreviations), plus British types.
STREET_TYPES = ["alley", "allee", "annex", "arcade", "avenue", "ave", "av", "bayou", "beach", "bend", "bluff", "bluffs", "bottom", "boulevard", "blvd", "branch", "bridge", "brook", "brooks", "burg", "burgs", "bypass", "camp", "canyon", "cape", "causeway", "center", "centre", "ctr", "centers", "circle", "cir", "circles", "cliff", "cliffs", "club", "common", "commons", "corner", "corners", "course", "court", "ct", "courts", "cove", "coves", "creek", "crescent", "cres", "crest", "crossing", "xing", "crossroad", "curve", "dale", "dam", "divide", "drive", "dr", "drives", "estate", "estates", "expressway", "expy", "extension", "extensions", "fall", "falls", "ferry", "field", "fields", "flat", "flats", "ford", "fords", "forest", "forge", "forges", "fork", "forks", "fort", "freeway", "fwy", "garden", "gardens", "gdns", "gateway", "glen", "glens", "green", "greens", "grove", "groves", "harbor", "harbors", "haven", "heights", "highway", "hwy", "hill", "hills", "hollow", "inlet", "island", "islands", "isle", "junction", "jct", "junctions", "key", "keys", "knoll", "knolls", "lake", "lakes", "land", "landing", "lane", "ln", "light", "lights", "loaf", "lock", "locks", "lodge", "loop", "mall", "manor", "manors", "meadow", "meadows", "mews", "mill", "mills", "mission", "motorway", "mount", "mountain", "mountains", "neck", "orchard", "oval", "overpass", "park", "parks", "parkway", "pkwy", "parkways", "pass", "passage", "path", "pike", "pine", "pines", "place", "pl", "plain", "plains", "plaza", "point", "points", "port", "ports", "prairie", "radial", "ramp", "ranch", "rapid", "rapids", "rest", "ridge", "ridges", "river", "road", "rd", "roads", "route", "rte", "row", "rue", "run", "shoal", "shoals", "shore", "shores", "skyway", "spring", "springs", "spur", "spurs", "square", "sq", "squares", "station", "stravenue", "stream", "street", "st", "streets", "summit", "terrace", "ter", "throughway", "trace", "track", "trafficway", "trail", "trl", "trailer", "tunnel", "turnpike", "underpass", "union", "unions", "valley", "valleys", "viaduct", "view", "via", "views", "village", "villages", "ville", "vista", "walk", "walks", "wall", "way", "ways", "well", "wells", "close", "rise", "wynd", "parade", "approach", "broadway", "chase", "circus", "drove", "gate", "mead", "quay", "vale", "yard", "wharf"]
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
# US/UK: number, one to three capitalised words, a street type; or a British "Flat 3\nHolland Road".
_EN_NAME = rf"(?:{_WORD}[ \t]+){{1,3}}(?i:(?:{_TYPE}))\b\.?(?![\w\-])"
_EN_FLAT = rf"{word_alternation(('Flat', 'Apartment', 'Studio', 'Unit'), lower=False)}[ \t]+[\w\-]{{1,5}},?[ \t]*\n?[ \t]*{_EN_NAME}"
# German: a street whose name ends in a street word ("Salzachstraße", "Boxberger Straße"), then the
# number. Found from the house number (the anchor) back to the start of the name: scanning every
# capitalised word forwards for a street word would cost a retry per character.
_DE_TYPES = ("straße", "strasse", "str.", "weg", "allee", "platz", "gasse", "ring", "damm", "ufer", "chaussee", "steig",
             "pfad", "markt", "wall", "kehre", "zeile", "hof", "berg", "graben", "kamp")
# Literal branches (not "[sS]traße"), so that `re` can scan for their first letters.
_DE_TYPE = "(?:" + "|".join(re.escape(v) for t in _DE_TYPES for v in (t, t.capitalize())) + ")"
_DE_STREET = rf"[{_UP}][\w'’.\-]*?[ \t]?{_DE_TYPE}[ \t]+{_NUMBER}(?![\w])"
_DE_ANCHOR = r"\d(?<=[a-zß.][ \t]\d)"  # a house number after a lower-case word: digits are rarer than letters
_DE_BACK = rf"(?<![\w\-])[{_UP}][\w'’.\-]*?[ \t]?{_DE_TYPE}[ \t]+$"
# French: number, optional "bis", a street type, its name. One pattern with the US/UK form: both
# start with the house number, and one pass over the digits of a text costs half of two.
_FR_TYPE = r"(?:rue|avenue|av\.|boulevard|bd|place|chemin|allée|impasse|quai|route|cours|square|passage|voie|sentier|faubourg|rond-point)"
_FR_NAME = rf"(?i:{_FR_TYPE})[ \t]+(?:(?:d[eu']|des|la|le|l'|[A-Za-zÀ-ÿ'’\-]+)[ \t]*){{1,5}}?{_WORD}"
_NUMBERED_STREET = (rf"\d(?<![\w.,\-]\d)\d{{0,5}}[A-Za-z]?(?:[/\-]\d{{1,5}}[A-Za-z]?)?(?:[ \t]?(?:bis|ter))?,?[ \t]+"
                    rf"(?:{_EN_NAME}|{_FR_NAME})")
_MILITARY = r"(?:PSC|Unit|USNS|USNV|USS|USCGC)[ \t][\w \t]{1,30}?(?:,[ \t]*Box[ \t]\d{1,5})?[ \t]*\n?[ \t]*(?:APO|FPO|DPO)[ \t]+A[AEP][ \t]+\d{5}"


def _full(street: str) -> str:
    """The street, an optional unit, and an optional last line (the `tail` group)."""
    return rf"{street}(?:{_UNIT})?(?P<tail>{_LAST_LINE})?"


PATTERNS = (
    Pattern("numbered_street", _full(_NUMBERED_STREET), SCORE_STREET),
    Pattern("en_flat", _full(_EN_FLAT), SCORE_STREET),
    Pattern("de_street", _full(_DE_STREET), SCORE_STREET, anchor=_DE_ANCHOR, back=_DE_BACK, window=48),
    Pattern("military", rf"{_MILITARY}(?P<tail>)", SCORE_FULL),
)


class AddressRecognizer(PatternRecognizer):
    def score(self, pattern: Pattern, match: re.Match[str]) -> float:
        return SCORE_FULL if match.group("tail") is not None else pattern.score


CONTEXT = ("address", "addr", "lives at", "live at", "ship to", "shipping", "deliver", "delivery", "billing",
           "located at", "adresse", "anschrift", "wohnt")


def recognizers() -> list[Recognizer]:
    return [AddressRecognizer("address", PATTERNS, mask=mask_words, context=CONTEXT, priority=30)]
