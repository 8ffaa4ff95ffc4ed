"""docs/cli.md is generated from the Typer app, so it cannot drift from the commands."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REFERENCE = Path(__file__).parents[2] / "docs" / "cli.md"
REGENERATE = ["-m", "typer", "aigc.core.cli.app", "utils", "docs", "--name", "aigc", "--output"]


def test_cli_reference_is_current(tmp_path: Path) -> None:
    generated = tmp_path / "cli.md"
    subprocess.run([sys.executable, *REGENERATE, str(generated)], check=True, capture_output=True)
    assert generated.read_text() == REFERENCE.read_text(), (
        "docs/cli.md is out of date; regenerate it with: python " + " ".join(REGENERATE) + " docs/cli.md"
    )
