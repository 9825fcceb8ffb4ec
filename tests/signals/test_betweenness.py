"""Batched betweenness against networkx's: exact and sampled, on random help graphs."""

from __future__ import annotations

import random

import networkx as nx
import pytest

from uptake.signals.betweenness import betweenness


@pytest.mark.parametrize("trial", range(12))
@pytest.mark.parametrize("sampled", [False, True])
def test_betweenness_equals_networkx(trial: int, sampled: bool) -> None:
    rng = random.Random(trial)
    n = rng.randrange(3, 90)
    # Directed asks with repeats and both directions, as help edges come; no self-asks.
    edges = [(f"p{rng.randrange(n)}", f"p{rng.randrange(n)}") for _ in range(2 * n)]
    edges = [(a, h) for a, h in edges if a != h]
    graph = nx.DiGraph(edges).to_undirected()
    k = max(2, len(graph) // 3) if sampled else None
    want = nx.betweenness_centrality(graph, k=k, seed=0)
    got = betweenness(list(graph.nodes()), edges, k=k, seed=0)
    assert list(got) == list(want)
    assert got == pytest.approx(want, rel=1e-12, abs=1e-15)


def test_empty_and_tiny_graphs() -> None:
    assert betweenness([], []) == {}
    assert betweenness(["a", "b"], [("a", "b")]) == {"a": 0.0, "b": 0.0}
