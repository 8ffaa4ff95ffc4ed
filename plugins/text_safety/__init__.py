"""``text-safety``: profanity (a maintained list, through simple obfuscations), personal data
(e-mail, phone numbers valid in the configured regions, card numbers of a card scheme's ranges
that pass Luhn, mod-97-valid IBANs, IP addresses) and a deny-list.

Every result lists the matched spans (character offsets and kind, never the matched text). With
``redact``, the stored artifact is the text with each match replaced by ``[KIND]``. Importing
this package needs only pydantic.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from aigc.core.sdk import EvaluatorSpec, hookimpl
from aigc.plugins.lib.text_metrics.registration import text_evaluator
from aigc.plugins.text_safety.options import SafetyOptions

if TYPE_CHECKING:
    from aigc.core.sdk import Evaluator, PluginContext

VERSION = "1.0.0"


def build_evaluator(context: PluginContext) -> Evaluator:
    """The safety evaluator (no model; the word list is read on first use)."""
    from aigc.plugins.text_safety.evaluator import SafetyEvaluator

    return SafetyEvaluator()


@hookimpl
def aigc_register_evaluators(register: Callable[[EvaluatorSpec], None]) -> None:
    """Register the ``text-safety`` evaluator."""
    description = (
        "must-not checks: profanity, personal data (e-mail, phone, card numbers, IBAN, IP) and a "
        "deny-list; value = matches, passed = none found; optional redaction"
    )
    register(text_evaluator("text-safety", VERSION, SafetyOptions, build_evaluator, description))
