"""Models that tests install rather than find committed: where they are cached between runs."""

from __future__ import annotations

import os
from pathlib import Path


def model_cache() -> Path:
    """Where tests keep installed models between runs: ``AIGC_TEST_CACHE`` or ``~/.cache/aigc-tests``."""
    return Path(os.environ.get("AIGC_TEST_CACHE") or Path.home() / ".cache" / "aigc-tests")
