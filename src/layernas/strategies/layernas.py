"""LayerNAS: search layer by layer, keep the best K candidates per cost bucket.

Layer i's children are every kept candidate of layer i-1 (best reward first) with
layer i set to each of its options; layers after i hold their defaults. A child that
cannot reach the target range by changing only later layers is never trained, and
an architecture already trained is never trained again (its reward is reused).
When all children of a layer are in, they are put in H equal-width cost buckets over
the costs reachable at that layer, and the best K per bucket form the layer's
memorial table: the parents of the next layer. The runner's answer is the best
trained architecture whose cost is in range.

Options beyond the paper (for ablations; the defaults are the specification's):

- ``order``: the order in which a layer's parents are expanded, which decides what is
  trained first when a budget ends mid-layer: ``"reward"`` (best first, the default),
  ``"cost"`` (cheapest first) or ``"random"`` (shuffled by the run's seed).
- ``bucket_range``: the span the H buckets divide: ``"layer"`` (the default: every cost a
  candidate of the layer can have, later layers at default) or ``"children"`` (only the
  costs of the layer's trained children, i.e. those that can still reach the target, so no
  bucket is spent on costs that were filtered out).
- ``prune_dominated``: drop from a memorial table every candidate that another kept
  candidate dominates (costs no more and has at least its reward, one of them strictly), so
  fewer parents are expanded. Off by default.
- ``start_buckets`` (anytime refinement, this project's idea): run complete searches with
  H = ..., ``buckets`` // 4, ``buckets`` // 2 and finally ``buckets``, starting from the
  coarsest H that is still >= ``start_buckets``. Every pass reuses all rewards known so far
  (a child trained in an earlier pass is free), so a pass costs only the children that are
  new at its resolution, and a budget that ends early holds the answer of the last complete
  pass rather than that of a search cut inside a layer. With the default bucket range and an
  even H, each bucket of a pass splits in two in the next, so the second layer's parents of a
  pass are kept again by the next. None (the default): one pass. ``snapshot()`` holds, per
  layer, the memorial table of the latest pass that closed it (its ``round``).
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

from layernas.errors import LayerNASError
from layernas.space import Arch
from layernas.strategies.base import KeptRow, Strategy
from layernas.validate import boolean, one_of, positive_int

ORDERS = ("reward", "cost", "random")
BUCKET_RANGES = ("layer", "children")


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
    order: str = "reward"
    bucket_range: str = "layer"
    prune_dominated: bool = False
    start_buckets: int | None = None

    name = "layernas"

    def __post_init__(self) -> None:
        positive_int(self.buckets, "LayerNAS buckets")
        positive_int(self.keep, "LayerNAS keep")
        one_of(self.order, ORDERS, "LayerNAS order")
        one_of(self.bucket_range, BUCKET_RANGES, "LayerNAS bucket_range")
        boolean(self.prune_dominated, "LayerNAS prune_dominated")
        if self.start_buckets is not None:
            positive_int(self.start_buckets, "LayerNAS start_buckets")
            if self.start_buckets > self.buckets:
                raise LayerNASError(
                    f"LayerNAS start_buckets ({self.start_buckets}) must be <= buckets "
                    f"({self.buckets}): passes halve H from buckets down to start_buckets"
                )

    def _start(self) -> None:
        self._known: dict[Arch, float | None] = {}
        self._memorial: dict[int, list[KeptRow]] = {}  # layer -> its latest memorial table
        self._passes = deque(self.pass_buckets())
        self._pass = -1
        self._done = False
        self._start_pass()

    def pass_buckets(self) -> list[int]:
        """H of each pass: ``buckets`` halved while it stays >= ``start_buckets``, coarsest
        first (100 from 10: 12, 25, 50, 100); just ``buckets`` without ``start_buckets``."""
        passes = [self.buckets]
        while self.start_buckets is not None and passes[-1] // 2 >= self.start_buckets:
            passes.append(passes[-1] // 2)
        return passes[::-1]

    def _start_pass(self) -> None:
        self._pass += 1
        self._h = self._passes.popleft()
        self._layer = 0
        self._generate([self.problem.defaults])

    # -- ask/tell -------------------------------------------------------------------
    def _ask(self) -> Arch | None:
        while not self._queue and not self.outstanding and not self._done:
            self._close_layer()
        return self._queue.popleft() if self._queue else None

    def _tell(self, arch: Arch, reward: float | None) -> None:
        self._known[arch] = reward

    def admits(self, arch: Arch, cost: float) -> bool:
        return True  # children are filtered by reachability when generated

    @property
    def finished(self) -> bool:
        return self._done

    def bound(self) -> int:
        return self.bound_for([len(layer.options) for layer in self.problem.space.layers])

    def bound_for(self, sizes: list[int]) -> int:
        """The bound for a space whose layers have ``sizes`` options (no ``setup`` needed)."""
        return sizes[0] + self.keep * sum(self.pass_buckets()) * sum(sizes[1:])

    def remaining(self) -> int:
        """The current layer's children not asked yet, plus, per later layer (and pass), at
        most K x H kept parents times the layer's options."""
        if self._done:
            return 0
        sizes = [len(layer.options) for layer in self.problem.space.layers]
        left = len(self._queue)
        parents = min(self.keep * self._h, len(self._children))
        for h, layers in [(self._h, sizes[self._layer + 1:])] + [(h, sizes) for h in self._passes]:
            for size in layers:
                children = parents * size
                left += children
                parents = min(self.keep * h, children)
            parents = 1
        return left

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

    def _span(self, trained: list[tuple[int, Arch, float, float]]) -> tuple[float, float]:
        """The cost span the buckets of the current layer divide."""
        if self.bucket_range == "children" and trained:
            costs = [cost for _, _, cost, _ in trained]
            return min(costs), max(costs)
        return self.problem.layer_cost_range(self._layer + 1)

    def _close_layer(self) -> None:
        """All children of the layer are in: bucket them, keep the best, move on."""
        trained = [
            (order, child, self.problem.cost(child), reward)
            for order, child in enumerate(self._children)
            if (reward := self._known[child]) is not None
        ]
        lo, hi = self._span(trained)
        width = (hi - lo) / self._h
        best: dict[int, list[Entry]] = {}
        for order, child, cost, reward in trained:
            bucket = min(self._h - 1, max(0, int((cost - lo) / width))) if width > 0 else 0
            best.setdefault(bucket, []).append(Entry(child, cost, reward, bucket, order))
        table = sorted(
            (e for entries in best.values() for e in sorted(entries, key=_rank)[: self.keep]),
            key=_rank,
        )
        if self.prune_dominated:
            table = [e for e in table if not any(_dominates(f, e) for f in table)]
        self._memorial[self._layer] = [
            KeptRow(
                table=self._layer,
                rank=rank,
                arch=e.arch,
                cost=e.cost,
                reward=e.reward,
                bucket=(lo + e.bucket * width, lo + (e.bucket + 1) * width),
                round=self._pass,
            )
            for rank, e in enumerate(sorted(table, key=lambda e: (e.bucket, _rank(e))))
        ]
        self._layer += 1
        if self._layer == len(self.problem.space.layers) or not table:
            if self._passes:
                self._start_pass()
            else:
                self._done = True
                self._queue = deque()
        else:
            self._generate([e.arch for e in self._expansion_order(table)])

    def _expansion_order(self, table: list[Entry]) -> list[Entry]:
        """The kept candidates in the order their children are generated (``order``)."""
        if self.order == "cost":
            return sorted(table, key=lambda e: (e.cost, e.order))
        if self.order == "random":
            return [table[i] for i in self.rng.permutation(len(table))]
        return table  # already best reward first

    def where(self, kept: list[KeptRow], layers: list[str]) -> str:
        """The layer (and pass) being searched: the one after the latest pass's last table."""
        passes = self.pass_buckets()
        run = max((row.round for row in kept), default=0)
        layer = 1 + max((row.table for row in kept if row.round == run), default=-1)
        if layer == len(layers):  # the pass is complete
            if run + 1 == len(passes):
                return "finished"
            run, layer = run + 1, 0
        where = f"layer {layer + 1} of {len(layers)} ({layers[layer]})"
        if len(passes) > 1:
            where += f", pass {run + 1} of {len(passes)} (H={passes[run]})"
        return where

    def snapshot(self) -> list[KeptRow]:
        """Per layer closed so far, its latest memorial table (best per bucket, cheapest first)."""
        return [row for layer in sorted(self._memorial) for row in self._memorial[layer]]


def _rank(entry: Entry) -> tuple[float, int]:
    return (-entry.reward, entry.order)


def _dominates(a: Entry, b: Entry) -> bool:
    """``a`` costs no more than ``b`` and rewards at least as much, one of them strictly."""
    return a.cost <= b.cost and a.reward >= b.reward and (a.cost < b.cost or a.reward > b.reward)
