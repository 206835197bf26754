"""Which recognizers run. The registry is the one place that knows every entity family.

`default_registry()` builds all built-in recognizers; `select()` keeps some entity types (an
unknown name is an error, never silently ignored); `add()` plugs in a custom recognizer.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from rai.audit.pii.entities import (
    address,
    card,
    email,
    iban,
    ip,
    person,
    phone,
    secrets,
    ssn,
    url,
)
from rai.audit.pii.recognizer import Recognizer
from rai.core.errors import InputError

ERR_UNKNOWN_ENTITY = "unknown entity type(s) {names} (known: {known})"
ERR_UNKNOWN_REGION = "unknown phone region(s) {names} (use ISO 3166 codes such as US, GB, DE)"


@dataclass(frozen=True)
class RecognizerOptions:
    """Settings that some families need. Regions are where national-format phones are valid."""

    phone_regions: tuple[str, ...] = ("US",)


# Family name -> factory. Order is only for display; overlap resolution does not depend on it.
FAMILIES: dict[str, Callable[[RecognizerOptions], list[Recognizer]]] = {
    "email": lambda o: email.recognizers(),
    "phone": lambda o: phone.recognizers(o.phone_regions),
    "credit_card": lambda o: card.recognizers(),
    "us_ssn": lambda o: ssn.recognizers(),
    "iban": lambda o: iban.recognizers(),
    "ip_address": lambda o: ip.recognizers(),
    "url_credentials": lambda o: url.recognizers(),
    "secrets": lambda o: secrets.recognizers(),
    "person": lambda o: person.recognizers(),
    "address": lambda o: address.recognizers(),
}


def check_phone_regions(regions: Iterable[str]) -> tuple[str, ...]:
    import phonenumbers

    wanted = tuple(r.upper() for r in regions)
    bad = [r for r in wanted if r not in phonenumbers.SUPPORTED_REGIONS]
    if bad:
        raise InputError(ERR_UNKNOWN_REGION.format(names=", ".join(bad)))
    return wanted


class RecognizerRegistry:
    """An ordered set of recognizers, at most one entity type per recognizer."""

    def __init__(self, recognizers: Sequence[Recognizer] = ()) -> None:
        self.recognizers: list[Recognizer] = list(recognizers)

    @property
    def entities(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(r.entity for r in self.recognizers))

    def add(self, recognizer: Recognizer) -> None:
        self.recognizers.append(recognizer)

    def select(self, entities: Iterable[str] | None) -> RecognizerRegistry:
        """A registry with only `entities` (None keeps all); unknown names raise InputError."""
        if entities is None:
            return RecognizerRegistry(self.recognizers)
        wanted = list(dict.fromkeys(entities))
        unknown = [e for e in wanted if e not in self.entities]
        if unknown:
            raise InputError(ERR_UNKNOWN_ENTITY.format(names=", ".join(unknown), known=", ".join(self.entities)))
        return RecognizerRegistry([r for r in self.recognizers if r.entity in wanted])


def default_registry(options: RecognizerOptions = RecognizerOptions()) -> RecognizerRegistry:
    return RecognizerRegistry([r for factory in FAMILIES.values() for r in factory(options)])


BUILTIN_ENTITIES: tuple[str, ...] = default_registry(RecognizerOptions(phone_regions=())).entities
