"""Shutdown waits for accepted requests, up to the grace period, and says how many it gave up on."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

from aigc.core.http.pending import InFlight


def test_drain_waits_for_running_requests_and_counts_those_past_the_grace_period() -> None:
    release = threading.Event()
    in_flight = InFlight(ThreadPoolExecutor(1))
    quick = in_flight.submit(lambda: "stored")
    stuck = in_flight.submit(lambda: release.wait(5))
    queued = in_flight.submit(lambda: "never run")
    try:
        assert in_flight.drain(grace_s=0.2) == 2
        assert quick.result() == "stored" and not stuck.done() and queued.cancelled()
    finally:
        release.set()
