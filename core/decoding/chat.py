"""Conversations rendered into a model's prompt with its own chat template (Jinja2).

Hugging Face tokenizers and GGUF files carry the template (``chat_template`` in
``tokenizer_config.json``, ``tokenizer.chat_template`` in GGUF); it is rendered exactly as
``transformers``' ``apply_chat_template`` does: a sandboxed Jinja2 environment with
``trim_blocks`` and ``lstrip_blocks``, the variables ``messages``, ``add_generation_prompt``,
``bos_token`` and ``eos_token``, and a ``raise_exception`` function for templates that check
the conversation (their message becomes an error on the ``messages`` field).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from aigc.core.errors import InvalidRequestError
from aigc.core.specs import ChatMessage


class TemplateRejectedError(Exception):
    """Raised by a template's ``raise_exception``."""


def _raise(message: str) -> None:
    raise TemplateRejectedError(message)


class ChatTemplate:
    """A model's chat template, compiled once."""

    def __init__(self, source: str, bos_token: str | None = None, eos_token: str | None = None) -> None:
        from jinja2.sandbox import ImmutableSandboxedEnvironment

        environment = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True)
        environment.globals["raise_exception"] = _raise
        self.template = environment.from_string(source)
        self.bos_token, self.eos_token = bos_token or "", eos_token or ""

    @classmethod
    def from_tokenizer_config(cls, tokenizer_config: dict[str, Any]) -> ChatTemplate | None:
        """The chat template of a Hugging Face ``tokenizer_config.json``, if it has one."""
        source = tokenizer_config.get("chat_template")
        if not isinstance(source, str) or not source:
            return None

        def token(key: str) -> str | None:
            value = tokenizer_config.get(key)
            return value.get("content") if isinstance(value, dict) else value

        return cls(source, token("bos_token"), token("eos_token"))

    def render(self, messages: Sequence[ChatMessage], add_generation_prompt: bool = True) -> str:
        """The prompt text for ``messages``, ending with the assistant's turn opened."""
        context: dict[str, Any] = {
            "messages": [m.model_dump() for m in messages],
            "add_generation_prompt": add_generation_prompt,
            "bos_token": self.bos_token,
            "eos_token": self.eos_token,
        }
        try:
            return self.template.render(**context)
        except TemplateRejectedError as error:
            raise InvalidRequestError(
                [{"field": "messages", "value": len(messages), "message": str(error)}]
            ) from None
