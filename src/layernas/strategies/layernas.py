"""LayerNAS: search layer by layer, keep the best K candidates per cost bucket.

Layer i's children are every kept candidate of layer i-1 (best reward first) with
layer i set to each of its options; layers after i hold their defaults. A child that
cannot reach the target range by changing only later layers is never trained, and
an architecture already trained is never trained again (its reward is reused).
When all children of a layer are in, they are put in H equal-width cost buckets over
the costs reachable at that layer, and the best K per bucket form the layer's
memorial table: the parents of the next layer. The runner's answer is the best
trained architecture whose cost is in range.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from typing import Any

from layernas.space import Arch
from layernas.strategies.base import Strategy, positive_int


@dataclass(frozen=True)
class Entry:
    """One candidate kept in a memorial table."""

    arch: Arch
    cost: float
    reward: float
    bucket: int
    order: int  # generation order inside its layer: the deterministic tie-breaker


@dataclass
class LayerNAS(Strategy):
    buckets: int = 100
    keep: int = 1

    name = "layernas"

    def __post_init__(self) -> None:
        positive_int(self.buckets, "LayerNAS buckets")
        positive_int(self.keep, "LayerNAS keep")

    def start(self) -> None:
        self._known: dict[Arch, float | None] = {}
        self._memorial: list[list[dict[str, Any]]] = []
        self._layer = 0
        self._children: list[Arch] = []
        self._queue: deque[Arch] = deque()
        self._done = False
        self._generate([self.problem.defaults])

    # -- ask/tell -------------------------------------------------------------------
    def propose(self) -> Arch | None:
        while not self._queue and not self.outstanding and not self._done:
            self._close_layer()
        return self._queue.popleft() if self._queue else None

    def observe(self, arch: Arch, reward: float | None) -> None:
        self._known[arch] = reward

    def admits(self, arch: Arch, cost: float) -> bool:
        return True  # children are filtered by reachability when generated

    @property
    def finished(self) -> bool:
        return self._done

    def bound(self) -> int:
        sizes = [len(layer.options) for layer in self.problem.space.layers]
        return sizes[0] + self.keep * self.buckets * sum(sizes[1:])

    # -- the layerwise search -------------------------------------------------------
    def _generate(self, parents: list[Arch]) -> None:
        """Children of ``parents`` at the current layer that can still reach the range."""
        i = self._layer
        seen: set[Arch] = set()
        self._children = []
        for parent in parents:
            for option in self.problem.space.layers[i].options:
                child = parent[:i] + (option,) + parent[i + 1 :]
                if child in seen or not self.problem.can_reach(child, i + 1):
                    continue
                seen.add(child)
                self._children.append(child)
        self._queue = deque(c for c in self._children if c not in self._known)

    def _close_layer(self) -> None:
        """All children of the layer are in: bucket them, keep the best, move on."""
        lo, hi = self.problem.layer_cost_range(self._layer + 1)
        width = (hi - lo) / self.buckets
        best: dict[int, list[Entry]] = {}
        for order, child in enumerate(self._children):
            reward = self._known[child]
            if reward is None:
                continue
            cost = self.problem.cost(child)
            bucket = min(self.buckets - 1, max(0, int((cost - lo) / width))) if width > 0 else 0
            best.setdefault(bucket, []).append(Entry(child, cost, reward, bucket, order))
        table = sorted(
            (e for entries in best.values() for e in sorted(entries, key=_rank)[: self.keep]),
            key=_rank,
        )
        self._memorial.append(
            [
                {
                    "layer": self._layer,
                    "bucket": e.bucket,
                    "bucket_lo": lo + e.bucket * width,
                    "bucket_hi": lo + (e.bucket + 1) * width,
                    "cost": e.cost,
                    "reward": e.reward,
                    "arch": e.arch,
                }
                for e in sorted(table, key=lambda e: (e.bucket, _rank(e)))
            ]
        )
        self._layer += 1
        if self._layer == len(self.problem.space.layers) or not table:
            self._done = True
            self._queue = deque()
        else:
            self._generate([e.arch for e in table])

    def memorial_tables(self) -> list[list[dict[str, Any]]]:
        return self._memorial

def _rank(entry: Entry) -> tuple[float, int]:
    return (-entry.reward, entry.order)
