"""Fine-tuning examples read from a JSON Lines file (what ``aigc dump --dataset`` writes).

Each line holds ``completion`` and either ``prompt`` (text the model continues) or ``messages``
(a conversation the model answers through its chat template); other fields are ignored.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from aigc.core.specs import ChatMessage
from aigc.core.validation import invalid

MAX_EXAMPLES = 100_000


class TuningExample(BaseModel):
    """One example: the model should answer ``prompt`` (or ``messages``) with ``completion``."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    prompt: str | None = None
    messages: tuple[ChatMessage, ...] | None = Field(None, min_length=1)
    completion: str = Field(min_length=1)

    @model_validator(mode="after")
    def _one_input(self) -> TuningExample:
        if self.messages is not None and self.prompt:
            raise ValueError("give either prompt or messages, not both")
        return self


@dataclass(frozen=True)
class TuningDataset:
    """The examples of a dataset file and the sha256 of its bytes (recorded in the version's lineage)."""

    path: Path
    sha256: str
    examples: tuple[TuningExample, ...]


def read_dataset(path: Path) -> TuningDataset:
    """Read ``path``; ``InvalidRequestError`` names the first bad line (field ``dataset``)."""
    if not path.is_file():
        raise invalid("dataset", str(path), "is not a file: write one with `aigc dump --dataset PATH`")
    data = path.read_bytes()
    examples = []
    for number, line in enumerate(data.decode("utf-8", errors="replace").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            examples.append(TuningExample.model_validate(json.loads(line)))
        except (json.JSONDecodeError, ValidationError) as error:
            if isinstance(error, ValidationError):
                problem = error.errors()[0]
                where = ".".join(str(part) for part in problem["loc"])
                detail = f"{where}: {problem['msg']}" if where else problem["msg"]
            else:
                detail = error.msg
            raise invalid("dataset", f"{path}:{number}", f"not a fine-tuning example: {detail}") from None
    if not examples:
        raise invalid("dataset", str(path), "holds no examples: nothing to fine-tune on")
    if len(examples) > MAX_EXAMPLES:
        raise invalid("dataset", str(path), f"holds {len(examples)} examples; at most {MAX_EXAMPLES}")
    return TuningDataset(path, hashlib.sha256(data).hexdigest(), tuple(examples))
