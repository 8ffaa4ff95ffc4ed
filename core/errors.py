"""Typed exceptions raised by the engine, the runtime layer and the store."""

from __future__ import annotations


class AigcError(Exception):
    """Base class of every error aigc raises on purpose."""


class InvalidRequestError(AigcError, ValueError):
    """A request or an option failed validation.

    ``errors`` holds one entry per problem: ``{"field", "value", "message"}``.
    """

    def __init__(self, errors: list[dict[str, object]]) -> None:
        self.errors = errors
        lines = [f"{e['field']}: {e['message']} (got {e['value']!r})" for e in errors]
        super().__init__("invalid request:\n  " + "\n  ".join(lines))


class OverloadedError(AigcError):
    """Too much work is waiting already: try again after ``retry_after_s`` (HTTP 429). Nothing of
    the request was stored or started."""

    def __init__(self, message: str, retry_after_s: float) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s


class PluginLoadError(AigcError):
    """A plugin failed to import, register or build its generator/evaluator."""


class PluginCallError(AigcError):
    """A generator or evaluator raised, returned malformed output or ran out of time."""


class ModelIntegrityError(AigcError):
    """A model file does not match the sha256 recorded in its manifest, or escapes its folder."""


class ExportError(AigcError):
    """An exported model is unfit to serve: a fixed batch dimension, or outputs that differ from torch."""


class DeviceUnavailableError(AigcError):
    """A strict device was requested (``AIGC_STRICT_DEVICE``) and it does not work here."""


class BlobIntegrityError(AigcError):
    """A stored blob's bytes no longer hash to the name it is stored under."""


class NotFoundError(AigcError, LookupError):
    """A stored record (generation, artifact, request) does not exist."""


class DuplicateKeyError(AigcError):
    """A sample with this idempotency key is stored already (another worker stored it first)."""
