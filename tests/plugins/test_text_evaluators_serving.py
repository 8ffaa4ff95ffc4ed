"""The text evaluators load and run with torch blocked, and listing plugins imports nothing heavy."""

from __future__ import annotations

import subprocess
import sys

SCRIPT = """
import sys
sys.modules["torch"] = None  # any import of torch now fails
from aigc.core.sdk import PluginContext
from aigc.core.plugins import PluginRegistry
from aigc.core.runtime import ModelRuntime
from aigc.core.specs import ArtifactData, EvalItem
registry = PluginRegistry.from_entry_points()
assert "numpy" not in sys.modules and "onnxruntime" not in sys.modules, "listing plugins imported numpy/ORT"
item = EvalItem(ArtifactData("text/plain", text="And God said, Let there be light."), "Genesis", "t", {})
for name in ("text-diversity", "text-repetition", "text-safety", "text-memorization", "text-perplexity"):
    spec = registry.evaluators[name]
    evaluator = spec.factory(PluginContext(ModelRuntime()))
    run = evaluator.evaluate_set if spec.scope == "set" else evaluator.evaluate
    results = run([item, item], spec.options())
    print(name, len(results))
"""


def test_text_evaluators_serve_without_torch() -> None:
    done = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split("\n")[:5] == [
        "text-diversity 3",
        "text-repetition 2",
        "text-safety 2",
        "text-memorization 2",
        "text-perplexity 2",
    ]
