"""Personal data in text: e-mail addresses, phone numbers, payment card numbers (Luhn-checked),
IBANs (mod-97-checked) and IPv4/IPv6 addresses. Each detector returns the spans it matched."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable

from aigc.plugins.lib.text_metrics.spans import Span, without_overlaps

_EMAIL = re.compile(r"(?<![\w.+-])[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}\b")
# International numbers start with "+"; national ones need the North American 3-3-4 grouping.
_PHONE = re.compile(
    r"(?<![\w+])(?:\+\d{1,3}[\s.-]?(?:\(\d{1,4}\)[\s.-]?)?\d{1,4}(?:[\s.-]?\d{2,4}){1,4}"
    r"|(?:\(\d{3}\)\s?|\d{3}[\s.-])\d{3}[\s.-]\d{4})(?![\w])"
)
_CARD = re.compile(r"(?<![\d-])\d(?:[ -]?\d){12,18}(?![\d-])")
_IBAN = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b")
_IPV4 = re.compile(
    r"(?<![\d.])(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(?![\d.])"
)
_IPV6 = re.compile(r"(?<![\w:])(?:[0-9A-Fa-f]{0,4}:){2,7}[0-9A-Fa-f]{0,4}(?![\w:])")


def luhn_valid(digits: str) -> bool:
    """Whether a digit string passes the Luhn checksum (every second digit from the right doubled)."""
    total = 0
    for i, char in enumerate(reversed(digits)):
        value = int(char) * (2 if i % 2 else 1)
        total += value - 9 if value > 9 else value
    return total % 10 == 0


def iban_valid(iban: str) -> bool:
    """Whether an IBAN (spaces allowed) passes ISO 13616's mod-97 check: country and check digits
    moved to the end, letters as 10..35, the number mod 97 equals 1."""
    compact = iban.replace(" ", "").upper()
    if not 15 <= len(compact) <= 34 or not compact.isalnum():
        return False
    rearranged = compact[4:] + compact[:4]
    return int("".join(str(int(c, 36)) for c in rearranged)) % 97 == 1


def _phone_digits_ok(text: str) -> bool:
    return 7 <= sum(c.isdigit() for c in text) <= 15


def _card_ok(text: str) -> bool:
    digits = re.sub(r"\D", "", text)
    return 13 <= len(digits) <= 19 and luhn_valid(digits)


def _ipv6_ok(text: str) -> bool:
    try:
        ipaddress.IPv6Address(text)
    except ValueError:
        return False
    return any(c not in ":0" for c in text)  # "::" alone is not an address worth reporting


DETECTORS: dict[str, tuple[re.Pattern[str], Callable[[str], bool]]] = {
    "email": (_EMAIL, lambda _: True),
    "credit_card": (_CARD, _card_ok),
    "iban": (_IBAN, iban_valid),
    "ipv4": (_IPV4, lambda _: True),
    "ipv6": (_IPV6, _ipv6_ok),
    "phone": (_PHONE, _phone_digits_ok),
}


def find_pii(text: str, kinds: tuple[str, ...] = tuple(DETECTORS)) -> list[Span]:
    """Spans of personal data of the given kinds; where two overlap, the earlier and longer wins
    (a valid card number is not also reported as a phone number)."""
    spans = [
        Span(m.start(), m.end(), kind)
        for kind in kinds
        for m in DETECTORS[kind][0].finditer(text)
        if DETECTORS[kind][1](m.group())
    ]
    return without_overlaps(spans)
