"""How the gallery writes values for people: rounded numbers, human durations and sizes, words
for booleans and missing values, one-line summaries of long errors (Jinja filters)."""

from __future__ import annotations

import math
from datetime import UTC, datetime

MISSING = "—"
SIGNIFICANT_DIGITS = 3
SMALLEST_PLAIN = 1e-3  # below this a value is written in scientific notation
SIZE_UNITS = ("bytes", "KB", "MB", "GB", "TB")


def figure(value: float | None, digits: int = SIGNIFICANT_DIGITS) -> str:
    """A number to ``digits`` significant digits, without float noise: ``0.678``, ``12,346``,
    ``1.2e-05``; ``—`` when missing."""
    if value is None or not math.isfinite(value):
        return MISSING if value is None else str(value)
    if value == 0:
        return "0"
    if abs(value) < SMALLEST_PLAIN:
        return f"{value:.{digits - 1}e}"
    decimals = max(0, digits - 1 - math.floor(math.log10(abs(value))))
    text = f"{value:,.{decimals}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def score(value: float | None) -> str:
    """A [0, 1] score with two decimals (``0.68``), or ``—``."""
    return MISSING if value is None else f"{value:.2f}"


def duration_ms(value: float | None) -> str:
    """Milliseconds as a person reads them: ``0.4 ms``, ``12.3 ms``, ``480 ms``, ``2.5 s``, ``3 min 4 s``."""
    if value is None:
        return MISSING
    if value < 100:
        return f"{value:.1f} ms"
    if value < 1000:
        return f"{value:.0f} ms"
    seconds = value / 1000
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, rest = divmod(round(seconds), 60)
    if minutes < 60:
        return f"{minutes} min {rest} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min"


def timings(values: dict[str, float]) -> list[tuple[str, str]]:
    """A sample's timings as (what, how long) pairs: ``generate_ms`` and ``evaluate:<evaluator>``
    are milliseconds; other entries (``batch_size``) are counts."""
    shown = []
    for name, value in values.items():
        if name.endswith("_ms"):
            shown.append((name.removesuffix("_ms"), duration_ms(value)))
        elif name.startswith("evaluate:"):
            shown.append((name, duration_ms(value)))
        else:
            shown.append((name.replace("_", " "), figure(value)))
    return shown


def size(value: int) -> str:
    """A byte count: ``512 bytes``, ``1.2 KB``, ``3.4 MB``."""
    amount, unit = float(value), 0
    while amount >= 1024 and unit < len(SIZE_UNITS) - 1:
        amount, unit = amount / 1024, unit + 1
    return f"{value} bytes" if unit == 0 else f"{figure(amount, 2)} {SIZE_UNITS[unit]}"


def verdict(passed: bool | None) -> str:
    """An evaluator's ``passed`` as a word: ``✓ pass``, ``✗ fail`` or ``—`` (no opinion)."""
    return MISSING if passed is None else ("✓ pass" if passed else "✗ fail")


def rating(value: int) -> str:
    """A stored rating as the gallery shows it: ``▲ good`` (+1), ``▼ bad`` (-1, also 1 of 5), ``★ 4/5``."""
    if value == 1:
        return "▲ good"
    if value == -1:
        return "▼ bad"
    return f"★ {value}/5"


def moment(value: datetime) -> str:
    """A timestamp to the minute, in UTC: ``2026-12-01 17:28 UTC``."""
    aware = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
    return aware.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def first_line(text: str | None, limit: int = 120) -> str:
    """The first line of ``text``, cut to ``limit`` characters with ``…``: an error's headline."""
    lines = (text or "").strip().splitlines()
    line = lines[0] if lines else ""
    return line if len(line) <= limit else line[: limit - 1] + "…"


FILTERS = {
    "figure": figure,
    "score": score,
    "timings": timings,
    "size": size,
    "verdict": verdict,
    "rating": rating,
    "moment": moment,
    "first_line": first_line,
}
