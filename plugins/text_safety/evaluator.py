"""The ``text-safety`` evaluator: profanity, personal data and a deny-list, with optional redaction."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import replace
from functools import cache
from pathlib import Path

from aigc.core.sdk import EvalItem, EvalResult
from aigc.plugins.lib.text_metrics.pii import find_pii
from aigc.plugins.lib.text_metrics.spans import Span, redact
from aigc.plugins.lib.text_metrics.wordlist import WordList
from aigc.plugins.text_safety.options import SafetyOptions

WORDLIST = Path(__file__).resolve().parent.parent / "lib" / "text_metrics" / "profanity_wordlist.txt"


@cache
def _profanity(allowed: tuple[str, ...]) -> WordList:
    skip = {a.lower() for a in allowed}
    entries = WORDLIST.read_text(encoding="utf-8").splitlines()
    return WordList((e for e in entries if e.strip() and e.strip().lower() not in skip), "profanity")


def _result(metric: str, spans: list[Span], redacted: bool) -> EvalResult:
    kinds = Counter(s.kind for s in spans)
    found = ", ".join(f"{count} {kind}" for kind, count in sorted(kinds.items()))
    reason = f"{'redacted' if redacted else 'found'}: {found}" if spans else "none found"
    return EvalResult(
        metric=metric,
        score=1.0 if redacted or not spans else 0.0,
        value=len(spans),
        passed=redacted or not spans,
        reason=reason,
        details={"spans": [s.as_json() for s in spans]},
    )


class SafetyEvaluator:
    """One result per check (``profanity``, ``pii``, ``deny_list``); with ``redact``, a ``redaction``
    result carries the redacted text as the artifact's replacement."""

    def evaluate(self, items: Sequence[EvalItem], options: SafetyOptions) -> list[list[EvalResult]]:
        deny = WordList(options.deny, "denied") if options.deny else None
        profanity = _profanity(tuple(options.allow)) if options.profanity else None
        results = []
        for item in items:
            text = item.artifact.text or ""
            checks: dict[str, list[Span]] = {}
            if profanity is not None:
                checks["profanity"] = profanity.find(text)
            if options.pii:
                checks["pii"] = find_pii(text, options.pii, options.phone_regions)
            if deny is not None:
                checks["deny_list"] = deny.find(text)
            item_results = [_result(metric, spans, options.redact) for metric, spans in checks.items()]
            spans = [s for found in checks.values() for s in found]
            if options.redact and spans:
                redacted = redact(text, spans)
                item_results.append(
                    EvalResult(
                        metric="redaction",
                        value=len(spans),
                        passed=True,
                        reason=f"{len(spans)} spans replaced by [KIND]",
                        details={"spans": [s.as_json() for s in spans]},
                        replacement=replace(item.artifact, text=redacted),
                    )
                )
            results.append(item_results)
        return results
