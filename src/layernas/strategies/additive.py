"""An additive model of rewards over a layered space, for trust-region LayerNAS's model probe.

Owns two things: fitting one effect per (layer, option) to the rewards told so far (ridge
regression on one-hot options, with numpy), and walking a box of per-layer options in the
order of the sum of their effects, best first, without building the box (a heap over rank
vectors, so a box of many layers costs only the combinations looked at).
"""

from __future__ import annotations

import heapq
from collections.abc import Iterator, Sequence

import numpy as np

from layernas.space import Arch


def fit_effects(
    told: Sequence[tuple[Arch, float]], options: Sequence[Sequence[object]], ridge: float
) -> list[dict[object, float]]:
    """Per layer, each option's effect on the reward: the ridge solution (penalty ``ridge``)
    of reward - mean = sum over layers of effect[layer][option]. An option never told gets 0."""
    index = [{opt: n for n, opt in enumerate(layer)} for layer in options]
    offsets = np.cumsum([0] + [len(layer) for layer in options])
    x = np.zeros((len(told), int(offsets[-1])))
    for row, (arch, _) in enumerate(told):
        for i, opt in enumerate(arch):
            x[row, offsets[i] + index[i][opt]] = 1.0
    y = np.array([reward for _, reward in told], dtype=float)
    y -= y.mean()
    beta = np.linalg.solve(x.T @ x + ridge * np.eye(x.shape[1]), x.T @ y)
    return [
        {opt: float(beta[offsets[i] + n]) for opt, n in index[i].items()}
        for i in range(len(options))
    ]


def best_first(
    box: Sequence[Sequence[object]], effects: Sequence[dict[object, float]]
) -> Iterator[Arch]:
    """Every architecture with layer i in ``box[i]``, highest summed effect first.

    Each layer's options are ranked by effect (ties: their order in the box); an architecture
    is a rank vector whose parent is itself with its last non-zero rank lowered by one, so a
    heap visits each exactly once and in order (ties: the smaller rank vector first).
    """
    ranked = [sorted(layer, key=lambda opt, e=e: -e[opt]) for layer, e in zip(box, effects)]

    def score(ranks: tuple[int, ...]) -> float:
        return sum(e[r[k]] for e, r, k in zip(effects, ranked, ranks))

    start = (0,) * len(ranked)
    heap = [(-score(start), start)]
    while heap:
        _, ranks = heapq.heappop(heap)
        yield tuple(r[k] for r, k in zip(ranked, ranks))
        last = max((i for i, k in enumerate(ranks) if k), default=0)
        for i in range(last, len(ranks)):
            if ranks[i] + 1 < len(ranked[i]):
                child = ranks[:i] + (ranks[i] + 1,) + ranks[i + 1 :]
                heapq.heappush(heap, (-score(child), child))
