"""Options of the ``text-safety`` evaluator (pydantic only)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, Field

from aigc.core.sdk import Options
from aigc.plugins.lib.text_metrics.pii import PHONE_REGIONS

PiiKind = Literal["email", "phone", "credit_card", "iban", "ipv4", "ipv6"]
Entry = Annotated[str, Field(min_length=1, max_length=100)]


def _known_region(code: str) -> str:
    import phonenumbers  # loaded only to validate a request, not to list plugins

    if code not in phonenumbers.SUPPORTED_REGIONS:
        raise ValueError(f"unknown region {code!r}; use an ISO 3166-1 alpha-2 code such as US, GB or FR")
    return code


Region = Annotated[
    str, Field(min_length=2, max_length=2, pattern=r"^[A-Z]{2}$"), AfterValidator(_known_region)
]

# Entries of the vendored profanity list that are ordinary words in the public-domain corpus
# (scripture, dictionaries) the built-in generator learnt from; pass `allow: []` to keep them.
DEFAULT_ALLOWED = ("god", "hell", "damn", "kill", "sex", "sexual", "breasts", "aryan", "arian", "asanchez")


class SafetyOptions(Options):
    """What is looked for, and whether matches are redacted."""

    profanity: bool = Field(True, description="look for words of the profanity list (with obfuscations)")
    allow: list[Entry] = Field(
        list(DEFAULT_ALLOWED), max_length=256, description="profanity-list entries not to report"
    )
    pii: list[PiiKind] = Field(
        ["email", "phone", "credit_card", "iban", "ipv4", "ipv6"],
        max_length=6,
        description="kinds of personal data to look for",
    )
    phone_regions: list[Region] = Field(
        list(PHONE_REGIONS),
        min_length=1,
        max_length=50,
        description=(
            "regions (ISO 3166-1 alpha-2) whose national phone number formats are recognised; "
            "numbers written with + and a country code are recognised whatever the regions"
        ),
    )
    deny: list[Entry] = Field(
        [],
        max_length=1000,
        description="extra words or phrases that must not appear (matched like profanity)",
    )
    redact: bool = Field(
        False,
        description="store the text with every match replaced by [KIND] instead of failing it",
    )
