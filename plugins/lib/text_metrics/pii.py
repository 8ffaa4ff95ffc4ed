"""Personal data in text: e-mail addresses, phone numbers (libphonenumber, through ``phonenumbers``),
payment card numbers (a card scheme's issuer range and length, Luhn-checked), IBANs (mod-97-checked)
and IPv4/IPv6 addresses. Each detector returns the spans it matched."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Sequence

from aigc.plugins.lib.text_metrics.spans import Span, without_overlaps

# Regions whose national formats are recognised by default (numbers written with "+" and a
# country code are recognised whatever the regions).
PHONE_REGIONS = ("US", "CA", "GB", "FR", "DE", "ES", "IT", "NL", "AU", "IN")

# Issuer ranges (ISO/IEC 7812 IIN prefixes, lowest and highest) and the lengths the schemes issue:
# Visa, Mastercard, American Express, Diners Club, Discover, JCB, UnionPay, Maestro and Mir.
_CARD_SCHEMES: tuple[tuple[str, str, tuple[int, ...]], ...] = (
    ("4", "4", (13, 16, 19)),
    ("51", "55", (16,)),
    ("2221", "2720", (16,)),
    ("34", "34", (15,)),
    ("37", "37", (15,)),
    ("300", "305", tuple(range(14, 20))),
    ("36", "36", tuple(range(14, 20))),
    ("38", "39", tuple(range(16, 20))),
    ("6011", "6011", tuple(range(16, 20))),
    ("644", "649", tuple(range(16, 20))),
    ("65", "65", tuple(range(16, 20))),
    ("3528", "3589", tuple(range(16, 20))),
    ("62", "62", tuple(range(16, 20))),
    ("5018", "5018", tuple(range(13, 20))),
    ("5020", "5020", tuple(range(13, 20))),
    ("5038", "5038", tuple(range(13, 20))),
    ("5893", "5893", tuple(range(13, 20))),
    ("6304", "6304", tuple(range(13, 20))),
    ("6759", "6759", tuple(range(13, 20))),
    ("6761", "6763", tuple(range(13, 20))),
    ("2200", "2204", tuple(range(16, 20))),
)

_EMAIL = re.compile(r"(?<![\w.+-])[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}\b")
_CARD = re.compile(r"(?<![\d-])\d(?:[ -]?\d){12,18}(?![\d-])")
_IBAN = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b")
_IPV4 = re.compile(
    r"(?<![\d.])(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(?![\d.])"
)
# Hexadecimal groups, possibly ending in a dotted IPv4 address (``::ffff:192.0.2.1``), not followed by
# more of an address (a sentence's full stop may follow).
_IPV6 = re.compile(
    r"(?<![\w:])(?:[0-9A-Fa-f]{0,4}:){2,6}(?:\d{1,3}\.){3}\d{1,3}(?![\w:]|\.\d)"
    r"|(?<![\w:])(?:[0-9A-Fa-f]{0,4}:){2,7}[0-9A-Fa-f]{0,4}(?![\w:]|\.\d)"
)


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


def card_scheme_number(digits: str) -> bool:
    """Whether a digit string has the prefix and the length of a number some card scheme issues."""
    return any(
        low <= digits[: len(low)] <= high and len(digits) in lengths for low, high, lengths in _CARD_SCHEMES
    )


def _card_ok(text: str) -> bool:
    digits = re.sub(r"\D", "", text)
    return card_scheme_number(digits) and luhn_valid(digits)


def _ipv6_ok(text: str) -> bool:
    try:
        ipaddress.IPv6Address(text)
    except ValueError:
        return False
    return any(c not in ":0" for c in text)  # "::" alone is not an address worth reporting


PATTERNS: dict[str, tuple[re.Pattern[str], Callable[[str], bool]]] = {
    "email": (_EMAIL, lambda _: True),
    "credit_card": (_CARD, _card_ok),
    "iban": (_IBAN, iban_valid),
    "ipv4": (_IPV4, lambda _: True),
    "ipv6": (_IPV6, _ipv6_ok),
}
KINDS = ("email", "phone", "credit_card", "iban", "ipv4", "ipv6")


def phone_spans(text: str, regions: Sequence[str] = PHONE_REGIONS) -> list[Span]:
    """Spans of the phone numbers that libphonenumber finds valid (a number of an assigned range, not
    just of the right length) as written in any of ``regions``, or internationally with "+"."""
    import phonenumbers

    return [
        Span(match.start, match.end, "phone")
        for region in regions
        for match in phonenumbers.PhoneNumberMatcher(text, region, leniency=phonenumbers.Leniency.VALID)
    ]


def find_pii(
    text: str, kinds: Sequence[str] = KINDS, phone_regions: Sequence[str] = PHONE_REGIONS
) -> list[Span]:
    """Spans of personal data of the given kinds; where two overlap, the earlier and longer wins
    (a valid card number is not also reported as a phone number)."""
    spans = [
        Span(m.start(), m.end(), kind)
        for kind in kinds
        if kind in PATTERNS
        for m in PATTERNS[kind][0].finditer(text)
        if PATTERNS[kind][1](m.group())
    ]
    if "phone" in kinds:
        spans += phone_spans(text, phone_regions)
    return without_overlaps(spans)
