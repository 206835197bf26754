"""Texts and term pairs for the counterfactual tests (shared by conftest.py and the tests)."""

CF_PAIRS = (("he", "she"), ("his", "her"), ("him", "her"), ("man", "woman"))
CF_TEXTS = (
    "He said his work was good.",
    "she is a great woman",
    "The movie was terrible and the hero was bad.",  # no term ("he" inside "the", "hero")
    "SHE thanked HIM, and he thanked her.",
    "an awful film, nice hours",  # no term
    "my man called me at work",
    "",
)
