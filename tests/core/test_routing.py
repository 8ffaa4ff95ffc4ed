"""A/B routing: deterministic per model and seed, in proportion to the shares."""

from __future__ import annotations

from aigc.core.routing import routed_version, routing_draw


def test_the_same_request_always_meets_the_same_version() -> None:
    routes = [("t1", 0.3), ("t2", 0.3)]
    assert all(
        routed_version("chat", seed, routes) == routed_version("chat", seed, routes) for seed in range(50)
    )
    assert routing_draw("chat", 5) != routing_draw("other", 5)


def test_versions_receive_their_share_of_seeds() -> None:
    routes = [("t2", 0.25), ("t1", 0.5)]
    chosen = [routed_version("chat", seed, routes) for seed in range(4000)]
    assert abs(chosen.count("t1") / 4000 - 0.5) < 0.03
    assert abs(chosen.count("t2") / 4000 - 0.25) < 0.03
    assert abs(chosen.count(None) / 4000 - 0.25) < 0.03


def test_no_routes_or_zero_shares_keep_the_model_itself() -> None:
    assert {routed_version("chat", seed, []) for seed in range(100)} == {None}
    assert {routed_version("chat", seed, [("t1", 1.0)]) for seed in range(100)} == {"t1"}
