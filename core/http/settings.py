"""How the server behaves: limits, rate limits, waiting and dynamic batching per generator."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from pydantic import BaseModel, Field, model_validator

from aigc.core.batching import BatchPolicy
from aigc.core.specs import GeneratorSpec

DEFAULT_MAX_BATCH = 32


class ServerSettings(BaseModel):
    """Settings of each API server process (``aigc serve`` options)."""

    max_body_bytes: int = Field(1_000_000, ge=1024, le=100_000_000, description="largest request body")
    max_samples: int = Field(64, ge=1, le=256, description="largest n of one HTTP generation request")
    max_request_cost: int = Field(
        16_384, ge=1, le=10_000_000, description="most work units (samples x sample_cost) of one request"
    )
    cost_per_s: float = Field(1_000.0, gt=0, le=10_000_000, description="work units per second per API key")
    cost_burst: int = Field(32_768, ge=1, le=100_000_000, description="work units a key may spend at once")
    rate_per_s: float = Field(20.0, gt=0, le=100_000, description="requests per second per API key")
    burst: int = Field(100, ge=1, le=100_000, description="requests a key may make at once")
    auth_failures_per_s: float = Field(
        1.0, gt=0, le=100_000, description="failed authentications per second per client address"
    )
    auth_failure_burst: int = Field(
        20, ge=1, le=100_000, description="failed authentications an address may make at once"
    )
    default_wait_s: float = Field(30.0, ge=0, le=600, description="wait before answering 202 pending")
    grace_period_s: float = Field(
        30.0, ge=0, le=3600, description="on shutdown, wait this long for accepted requests to be stored"
    )
    shared_limits: bool = Field(
        False,
        description="keep rate limits in the database, shared by every server process using it "
        "(on with several workers); else in this process's memory",
    )
    ticket_lease_s: float = Field(
        30.0,
        ge=1,
        le=3600,
        description="a 202 ticket whose server process stops renewing it for this long reads as failed",
    )
    workers: int = Field(64, ge=1, le=1024, description="generation requests run at once")
    batching: dict[str, BatchPolicy] = Field(
        default_factory=dict, description="dynamic batching per generator name"
    )

    @model_validator(mode="after")
    def _largest_request_fits_the_budget(self) -> ServerSettings:
        if self.cost_burst < self.max_request_cost:
            raise ValueError(
                f"cost_burst ({self.cost_burst}) must be at least max_request_cost "
                f"({self.max_request_cost}): a key could never afford the largest request"
            )
        return self


def batching_policies(specs: Iterable[GeneratorSpec], choices: Sequence[str]) -> dict[str, BatchPolicy]:
    """Policies from ``NAME`` or ``NAME=DELAY_MS[:MAX_BATCH]`` choices; none given: every stateless
    generator with the default delay and at most its own batch size (or 32)."""
    by_name = {spec.name: spec for spec in specs}
    if not choices:
        return {
            spec.name: BatchPolicy(max_batch_size=min(DEFAULT_MAX_BATCH, spec.max_batch_size))
            for spec in by_name.values()
            if spec.stateless
        }
    policies = {}
    for choice in choices:
        name, _, rest = choice.partition("=")
        delay, _, size = rest.partition(":")
        spec = by_name.get(name)
        if spec is None:
            raise ValueError(f"--batch {choice!r}: no generator {name!r} is installed")
        try:
            policies[name] = BatchPolicy(
                max_batch_size=int(size) if size else min(DEFAULT_MAX_BATCH, spec.max_batch_size),
                max_queue_delay_ms=float(delay) if delay else BatchPolicy().max_queue_delay_ms,
            )
        except ValueError as error:  # pydantic's ValidationError is a ValueError and names the limit
            raise ValueError(f"--batch {choice!r}: {error}") from None
    return policies
