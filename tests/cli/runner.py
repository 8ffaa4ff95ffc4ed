"""Running ``aigc`` as a user does: a real process against one data folder."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any


class Aigc:
    """Runs ``aigc`` in a subprocess against one data folder."""

    def __init__(self, data_dir: Path) -> None:
        self.env = os.environ | {"AIGC_HOME": str(data_dir), "COLUMNS": "200"}
        self.env.pop("AIGC_LOAD_PLUGINS", None)

    def run(self, *args: str, expect: int = 0) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(
            [sys.executable, "-m", "aigc.core.cli", *args],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert done.returncode == expect, (
            f"aigc {' '.join(args)} exited {done.returncode}:\n{done.stdout}\n{done.stderr}"
        )
        return done

    def json(self, *args: str) -> Any:
        return json.loads(self.run(*args, "--json").stdout)
