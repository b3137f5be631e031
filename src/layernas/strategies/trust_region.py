"""Trust-region LayerNAS: layerwise passes over in-range networks, then passes around the best.

This project's LayerNAS variant (study name ``layernas-tr``). It keeps the paper's layerwise
memorial tables over cost buckets, and changes four things the studies in
docs/benchmarks.md measured on NATS-Bench size CIFAR-10 and CIFAR-100 (the tuning set):

1. **Fitted completions** (``fill="fitted"``). The paper's unsearched layers hold their most
   expensive option, so under a tight budget most early candidates are out of range and a
   prefix is judged by a network it can never become. Here every candidate is a complete
   network *in the target range*: the layers not yet searched take the highest uniform level
   of their options (each layer's options sorted by cost; level t picks the option at rank
   round(t * (n - 1))) whose network still costs at most the range's top, and then the
   unsearched layer whose one-step raise costs least is raised while the network still fits.
   A prefix is judged by the best-funded network it can become, and the first trained
   candidate is already an answer.
2. **Committed-cost buckets** (``bucket_key="committed"``). A candidate's bucket key is what
   its searched prefix has irrevocably spent: its cost with the unsearched layers at their
   cheapest option. (Its full cost is always near the range's top, because of 1.)
3. **Trust-region passes**. Beside one global pass (every option of every layer, ``buckets``
   buckets per layer), passes around *centres*: the best in-range candidates not yet used as
   a centre, best first, as soon as there are some. A pass around centre c is a LayerNAS pass
   in which layer i may only take options within ``radius`` cost levels of c's option (options
   of equal cost share a level, so a layer whose options all cost the same, e.g. an
   activation, offers all of them), later layers hold c's options (a child they push out of
   the range is skipped; skipping measured the same as refitting it), and ``region_buckets``
   buckets are kept per layer. Every reward is reused, so a pass costs only its new
   candidates. A new pass also *probes* its centre (``probe``): the centre with one later
   layer moved within the radius (a move out of the range is skipped), in the same batch as
   its first layer, so a better network one move away is trained at once, not layers later;
   the walk then reuses those rewards. With ``probe="swap"`` (the default) it also probes
   *swaps*: a centre at the top of the range cannot raise any layer alone, so for each layer
   whose one-level raise leaves the range, the centre with that raise and one other layer
   lowered one level (of the pairs in range, the costliest) is trained too.
   The first trust regions open after the global pass's first layer, when the only centres
   are its few candidates: only the best ``first_regions`` of them open then, and the free
   places fill from the next batch on, when the centres are ranked over more candidates.
   ``regions`` passes run side by side: they advance through their layers together, so one
   batch holds all their children (more candidates at once for parallel workers), a layer
   whose children are all trained already closes without waiting for a batch, and
   proposals depend only on told outcomes, never on the number of workers.
4. **Model probe** (``model``, since v6). Moves and swaps change one or two layers, so a
   centre whose better networks need several layers changed at once (cost traded among
   three or more layers) is a local optimum for them. A new trust region therefore also
   fits an additive model of the rewards told so far (one effect per layer option, ridge
   regression, ``layernas.strategies.additive``) and trains, in its first batch, the
   untrained in-range network that the model predicts best among those within ``model``
   cost levels of the centre in every layer at once.
5. **Widening** (``widen``, since v7). In a narrow cost band (a range with a lower end, e.g.
   "between 30% and 32% of the largest model") one move of a layer whose options lie far apart
   in cost leaves the band, so the trust regions soon run out of centres while most of the
   band is untrained. When no centre is left and no pass runs, the regions widen by one cost
   level (and the model probe's box with them), every in-range candidate may be a centre
   again, and a widened region *repairs* a child pushed out of the range (later layers moved
   one level at a time towards it, never back to a network visited) instead of skipping it;
   up to the radius that spans every layer. It never acts while a centre is left, so a range
   from 0 (every table of docs/benchmarks.md) searches as without it. The same repair fits
   a completion that falls below a band into it, so a band's first candidate is in range too.
6. **Finished probes** (``finish_probes``, since v8). A trust region whose layers' children
   were all trained already by other passes ends at once, before its first batch, and before
   v8 its probes were dropped with it. Now, if its centre is the best candidate told so far,
   they go to the next batch: the best centre is always probed.
7. **Refunded passes** (``refund``, since v9). A trust region that proposes nothing untrained
   (its neighbourhood was trained by other passes, and its probes were not finished) does not
   count towards ``passes``, so in a narrow band, where most regions find their neighbourhood
   trained, the cap is spent on regions that train.
8. **Reverse pass** (``reverse_pass``, ``"auto"`` since v12; the option docstring has the
   numbers). Which layers a layerwise search decides first changes what it finds early: a
   fitted completion spends the budget evenly over the layers not yet searched, so a global
   pass that walks the layers first to last learns late that the best networks spend little on
   the last layers (NAS-Bench-Macro's put identity there) and much on earlier ones. A second
   global pass therefore walks the layers last to first (its prefixes are the searched last
   layers, the earlier ones fitted), side by side with the first from the first batch; both
   feed the trust regions' centres. Which order pays is a property of the space (on
   NAS-Bench-Macro the reverse pass was never behind; on NATS-Bench it cost early trainings
   where the first order was right), so with ``"auto"`` the first batch decides: the reverse
   pass runs on past its first layer only if its first layer's best candidate beats the first
   pass's (a tie keeps the first order alone). The decision reads only told rewards, so it does
   not depend on the worker count.

Bound on trainings (what :meth:`TrustRegionLayerNAS.bound` reports), with w_i the largest
neighbourhood of layer i (at the widest radius when ``widen``): |S_1| + K H_0 (|S_2| + ... +
|S_L|) for the global pass (and |S_L| + K H_0 (|S_1| + ... + |S_{L-1}|) for the reverse pass)
plus, per
trust-region pass, w_1 + K H_r (w_2 + ... + w_L) and the probe's (w_2 - 1) + ... + (w_L - 1)
(plus L swaps, plus ``model_picks``), times ``passes`` (a refunded pass trains nothing);
polynomial, O(T H L |S|) (and never more than the space holds, since no architecture is
trained twice).

The answer, as for every strategy, is the best trained in-range candidate.
"""

from __future__ import annotations

import heapq
import math
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field

from layernas.errors import LayerNASError
from layernas.space import Arch
from layernas.strategies.additive import best_first, fit_effects
from layernas.strategies.base import KeptRow, Strategy
from layernas.validate import boolean, non_negative_int, number, one_of, positive_int

FILLS = ("fitted", "default")
BUCKET_KEYS = ("committed", "full")
PROBES = ("best", "all", "off", "swap")
# untrained box architectures whose cost the model probe reads per trust region, at most (a real
# cost may count MAdds: ~25 ms each; NAS-Bench-Macro 25% needed up to 756 in three runs)
MODEL_LOOKS = 1024


@dataclass(frozen=True)
class _Kept:
    """One candidate kept in a pass's memorial table."""

    arch: Arch
    key: float  # the bucket key: committed or full cost
    cost: float
    reward: float
    bucket: int
    order: int  # generation order inside the pass's layer: the deterministic tie-breaker


@dataclass
class _Pass:
    """One layerwise pass: the global one (``centre`` None) or a trust region around a centre."""

    number: int
    centre: Arch | None
    buckets: int
    layer: int = 0  # the step of the walk: the pass searches layer ``order[layer]``
    order: tuple[int, ...] = ()  # the layers in the order the pass walks them
    radius: int = 0  # a trust region's: cost levels each layer may move from the centre
    parents: list[Arch] = field(default_factory=list)
    children: list[Arch] | None = None  # of its current layer (None: not yet opened)
    probe: list[Arch] = field(default_factory=list)
    trained: bool = False  # whether it proposed an architecture not told before


@dataclass
class TrustRegionLayerNAS(Strategy):
    """LayerNAS with fitted completions, committed-cost buckets and trust-region passes.

    Options. The defaults (v12) were chosen on NATS-Bench size CIFAR-10 and CIFAR-100 and
    NAS-Bench-Macro at 50% and 25% of the largest FLOPs (the tuning set), budget 300; the
    numbers quoted are median regret at 50 / 100 / 200 / 300 trained over 100 runs, from
    ``bench/ablation_tr.sh`` with every other option at its default (docs/benchmarks.md has
    the whole ablation, also with reward noise 0.2, and how the twelve versions of the
    defaults were chosen; v10 and v11 were withdrawn by their held-out settings). Each
    option's first numbers were measured when it was chosen, with the other options at that
    version's defaults. **v12's ablation** (every variant of ``bench/ablation_tr.sh`` under
    v12's defaults, after v12's freeze; NATS one run each since those runs are deterministic,
    NAS-Bench-Macro 50% / 25% 100 / 20 runs) closes each option's entry: summed over the six
    settings at 30 / 50 / 100 / 200 / 300 trained the defaults give 0.55, and no variant
    sums lower (with reward noise 0.2, 20 runs, NAS-Bench-Macro 25% left out: 2.62, and
    ``first_regions`` 2 or 7, ``buckets=1`` and the ``model`` variants sum lower, below).
    ``widen``, ``finish_probes`` and ``refund`` change no run there (they act in bands).

    - ``buckets`` (H_0 = 2): buckets per layer of the global pass. One bucket makes it a
      greedy walk that commits to one first-layer option (CIFAR-100 50%: 0.18 at 50, against
      0.10); three spend more of the budget on the global pass (CIFAR-10 25%: 0.08 at 200,
      against 0.06). v12's ablation: 1 and 3 sum 0.93 and 1.34 (CIFAR-100 50%: 0.36 and 0.28
      at 30, against 0.10); with noise, 1 sums 2.26 (CIFAR-100 50%: 0.05 at 100, against
      0.20) and 3 sums 2.95.
    - ``keep`` (K = 1): candidates kept per bucket, in every pass. K = 2 makes each pass
      twice as costly (CIFAR-100 50%: 0.10 at 200, against 0; NAS-Bench-Macro 50%: the oracle
      in 11% of runs, against 24%). v12's ablation: 1.34 (CIFAR-100 25%: 0.42 at 30, against
      0); with noise 3.24.
    - ``region_buckets`` (H_r = 1): buckets per layer of a trust-region pass. With one, a
      pass is a greedy layerwise walk through the centre's neighbourhood (1 + 2r children per
      layer), so many passes fit in the budget; two found NAS-Bench-Macro 50%'s oracle in 5%
      of runs, against 24%. v12's ablation: two ties without noise (0.55) and sums 2.71 with it.
    - ``radius`` (r = 1): a trust region lets layer i move this many cost levels away from
      the centre's option. Radius 2 costs 5/3 as much per pass (NAS-Bench-Macro 50%: the
      oracle in 11% of runs, against 24%). v12's ablation: 1.14 (CIFAR-10 25%: 0.06 at 200,
      against 0); with noise 2.77.
    - ``regions`` (R = 8): passes run side by side (each global pass counts as one, so 7 trust
      regions, 6 while a reverse pass runs), from the best unused centres, advancing through
      their layers together, so a batch holds all their children and probes. It never depends
      on the worker count, so a seed decides the run. More regions keep more workers busy
      (simulated clock, CIFAR-100 50%, 8 / 32 workers: R = 8 90% / 57%; R = 32 95% / 74% under
      v3) but spread the early budget over more, weaker centres (NAS-Bench-Macro 50%: R = 32
      finds the oracle in 0% of runs); one region starts slower where probes of several
      centres pay (CIFAR-100 25%: 0.42 at 50, against 0). R = 4 measured the same or better on
      the noise-free tuning set (CIFAR-100 50%: 0 at 100, against 0.10) and 1.89 against 1.87
      summed under noise; 8 was kept from v3's choice, for the cluster. v12's ablation: R = 1,
      4, 16, 32 sum 1.38, 0.55, 0.65, 0.75 (with noise 3.24, 2.74, 2.71, 2.73).
    - ``first_regions`` (1, since v5): trust regions opened by the batch that opens the first
      ones, when the only centres are the global pass's first-layer candidates; the other free
      places fill from the next batch on. Opening all of them at once (v4; any value >= 7 with
      8 regions) spends the first batch on probes around the weaker of those few candidates.
      Over v4's tuning set (under ``probe``) summed median regret at 30/50/100/200/300 trained
      was 7.54, against 8.05 for two and 9.32 for v4 (NAS-Bench-Macro 50%: 0.02 at 50, against
      0.26 and 0.38; CIFAR-100 params 25% at 100: 0.52, against 0.84 and 0.42). Under reward
      noise 0.2 (NATS CIFAR-10/100 and NAS-Bench-Macro, 50% and 25%, 30 runs) it sums 2.89,
      against 2.36 and 2.57: a noisy best first-layer candidate can be the wrong one (CIFAR-100
      25%: 0.28 at 50, against 0). Chosen by the cells where it is at or below every baseline
      on the tuning settings of the README table (noise-free 20 of 20, against 19 and 19).
      v12's ablation repeats it: two ties without noise (0.55), seven sums 0.62 (CIFAR-10 25%:
      0.06 at 200, against 0); with noise both sum lower (2.28 and 2.22, against 2.62:
      CIFAR-100 25% at 50, 0 against 0.42).
    - ``passes`` (T = 100): trust-region passes that train something, at most (``refund``;
      this makes ``bound()`` finite). The
      search also ends when no in-range candidate is left to be a centre. At budget 1,000
      more passes (300) ended behind under reward noise 0.2 (more near-optimal candidates
      compared under noise), and no different without it (v3).
    - ``fill`` (``"fitted"``): what unsearched layers hold in the global pass: ``"fitted"``
      (the module docstring) or ``"default"`` (the paper's: each layer's default, most
      expensive option; children filtered by reachability as LayerNAS does, and its
      out-of-range candidates are trained but never the answer). ``"default"`` lost early on
      CIFAR-100 (25% and 50%: 0.62 and 0.36 at 50, against 0 and 0.10) and under noise (3.06
      against 1.87 summed), and was ahead on NAS-Bench-Macro 50% at 50 (0.02 against 0.38) and
      CIFAR-10 25% (0 from 100 on, against 0.08-0.06). v12's ablation: 2.79 (with noise 4.45),
      lower only on CIFAR-10 25% at 100 (0, against 0.08).
    - ``bucket_key`` (``"committed"``): what buckets divide: the prefix's committed cost, or
      the candidate's ``"full"`` cost (the paper's). ``"full"`` was behind on CIFAR-100 50%
      (0.18 at 50, against 0.10) and under noise (2.01 against 1.87 summed). v12's ablation:
      0.91 (CIFAR-100 50%: 0.28 at 30 and 50, against 0.10); with noise 2.86.
    - ``probe`` (``"swap"``): which new trust regions probe their centre (the module
      docstring): ``"swap"`` (every region, with swaps), ``"all"`` (every region, one-layer
      moves only), ``"best"`` (only a centre that is the best trained so far) or ``"off"``.
      Probing finds the better network one move away at once (CIFAR-100 25%: 0 at 50, against
      0.42 with ``"off"``; NAS-Bench-Macro 50%: 0.02 at 100, against 0.14) but spends the
      first batches on the first centres' probes (NAS-Bench-Macro 50%: 0.38 at 50, against
      0.26). Swaps let a centre at the top of the range trade cost between layers: over NATS
      CIFAR-10/100 at 20/25/40/50/60% FLOPs and 25/50% params plus NAS-Bench-Macro 50/25%,
      summed median regret at 30/50/100/200/300 trained was 9.34 against 10.25 for ``"all"``
      (with reward noise 0.2 on the four NATS tuning settings: 1.64 against 1.85; in the
      ablation 1.87 against 2.20), at the price of CIFAR-10 25% ending at 0.06, not 0 (undone by
      ``model``). v12's ablation: ``"off"``, ``"best"``, ``"all"`` sum 1.32, 0.64, 0.62; their
      only lower cells are NAS-Bench-Macro 50% at 30 (and 50 for the first and the last:
      0, against 0.02).
    - ``model`` (1, since v6; 0 turns the model probe off): the cost levels, in every layer
      at once, that the model probe's box spans around a new region's centre. Over v5's
      tuning set (under ``first_regions``) summed median regret at 30/50/100/200/300 trained
      was 7.30, against 7.54 for v5 (``model=0``): CIFAR-10 25% reaches its oracle by 200 (0,
      against 0.06 to the end: the trap of v4 and v5), CIFAR-100 40% by 200 (against 0.04),
      CIFAR-100 params 25% is 0.42 at 100 (against 0.52), NAS-Bench-Macro 50% finds the
      oracle in 30% of runs (against 25%), at the price of 0.40 against 0.38 there at 30
      trained. With reward noise 0.2 (NATS CIFAR-10/100 and NAS-Bench-Macro, 50% and 25%,
      30 runs) 2.98 against 2.89 (NAS-Bench-Macro 50%: 0.26 against 0.14 at 50; 0.02 against
      0.05 at 200). ``model=2`` sums 7.36 (CIFAR-10 25%: 0.06 at 200, against 0). v12's
      ablation: 0 and 2 sum 0.67 and 0.62 (CIFAR-10 25% at 200: 0.06, against 0); with noise
      2.60 and 2.58, against 2.62.
    - ``model_ridge`` (0.1): the ridge penalty of the fit (rewards in accuracy points; an
      option never told gets effect 0). 1 and 10 sum 7.61 and 7.46 (CIFAR-10 25%: 0.06 at
      200, against 0; ridge 1: CIFAR-100 params 25% 0.28 at 200, against 0). v12's ablation:
      ridge 1 sums 0.72 (with noise 2.61).
    - ``model_picks`` (1): networks the model probe trains per trust region, best predicted
      first. 2 sums 7.28 (CIFAR-100 params 25%: 1.04 at 50, against 1.06), a tie measured
      after the freeze; 1 costs one training per pass, not two. v12's ablation: two sum 0.65
      (CIFAR-100 50%: 0.10 at 100, against 0); with noise 2.78.
    - ``widen`` (True, since v7; the module docstring): widen the trust regions when no centre
      is left. Found by probing ranges that no table here has: bands with a lower end. On
      NAS-Bench-Macro (5 runs, budget 300) the band 30-32% of the largest FLOPs holds 98
      networks; without widening a search trained 10-16 of them and ended (regret 0 / 0.23 /
      0.76 in 1 / 2 / 2 runs), with it 93-98 (0 / 0.23 in 2 / 3 runs; random search, which
      trains all, the same); 20-22% (24 networks): 6 trained, regret 0.25, against 22 and 0.
      On 40 random problems with coarse costs and a band holding 1% of the space (budget 60)
      it returned the optimum in 40, against 31 (v6, before the repair above: 30, and nothing
      trained in 9). On the tuning set (ranges from 0) every run is the same with and
      without it.
    - ``finish_probes`` (True, since v8; the module docstring): a region that ends before its
      first batch still trains its probes when its centre is the best told so far. Found on
      v7's held-out band CIFAR-100 30-32% of the largest params (100 runs, budget 300): 67 of
      v7's 100 regions ended so, the best centre's one-move neighbours were never trained, and
      it ended at 166 trained, 0.64 behind; with it 0.72 / 0.72 / 0 / 0 at 50 / 100 / 200 /
      300 (the oracle in every run). NAS-Bench-Macro 60-62%: 0.01 at 50, against 0.18.
      Finishing the probes of every such region reached the same oracle but spent the early
      budget (NAS-Bench-Macro 60-62%: 0.32 at 50); finishing only the model probe's pick did
      not reach it (0.64). On the tuning set (24 settings since v8, and with reward noise 0.2)
      every run is the same with and without it.
    - ``refund`` (True, since v9; the module docstring): a trust region that proposes nothing
      untrained does not count towards ``passes``. Found on v8's held-out band CIFAR-10
      40-42% of the largest params (100 runs, budget 300): 83 of v8's 100 regions trained
      nothing, so it stopped at 122 trained, 0.12 behind (PPO: 0); with it 0.13 / 0.13 / 0.07 /
      0 at 50 / 100 / 200 / 300. On the tuning set (24 settings), with reward noise 0.2 (2.98
      summed, both) and on the other bands of v7 and v8 every anytime median is the same with
      and without it (it trains more where regions run dry: NAS-Bench-Macro 25%, 127 against
      122; 35-37%, 192 against 147). ``bound()`` is unchanged: a refunded region trains
      nothing. On v9's fresh held-out (after the freeze) it was never behind v8 and ahead on
      two bands where v8 ran out of passes (ImageNet16-120 45-47% params: 0.10 against 0.63
      at 300; CIFAR-10 20-22% params: 0 against 0.12).
    - ``reverse_pass`` (``"auto"``, since v12; the module docstring): a second global pass
      walks the layers last to first; ``"auto"`` lets it run on past its first layer only if
      that layer's best candidate beats the first pass's. Over the tuning set (NATS
      CIFAR-10/100 at 24 settings, one run each since they are deterministic, and
      NAS-Bench-Macro 50% / 25%, 100 runs) summed median regret at 30/50/100/200/300 trained
      was 6.96 for ``"auto"``, 8.77 for ``True`` and 11.49 for ``False`` (v9); cells at or
      below every baseline 93, 92 and 89 of 96; with reward noise 0.2 (NATS CIFAR-10/100 and
      NAS-Bench-Macro at 50% / 25%, 30 runs) 2.55, 2.48 and 2.98. ``True`` gains where the
      last layers should be decided first (NAS-Bench-Macro 50%: 0.02 from 30 trained, against
      0.40 at 30; CIFAR-100 10%: 0 from 30, against 1.00 / 1.00 / 0.24 at 30 / 50 / 100;
      CIFAR-100 params 50%: 0.02 from 50, against 0.38 / 0.30 at 50 / 100) and pays early
      where the first order was right (CIFAR-100 25%: 0.42 at 30, against 0; CIFAR-100 60%:
      0.38 at 50, against 0); ``"auto"`` kept every one of those gains and paid none of those
      prices, since the first batch had stopped the reverse pass there (its only cost: the
      reverse pass's first layer, trained in the first batch). ``True`` by default was v11,
      withdrawn by the rule fixed in its freeze commit: over 12 fresh held-out settings (100
      runs) its summed median regret at 50/100/200/300 was 4.41 against v9's 4.27 (never
      behind on NAS-Bench-Macro, behind on NATS-Bench where the first order was right:
      ImageNet16-120 75% params 0.73 at 100, against 0). Found by running v9 on the same
      tables with the layers listed last to first (``bench/layer_order.py``). ``"auto"`` and
      ``True`` need fitted completions: with ``fill="default"``, ``"auto"`` runs no reverse
      pass and ``True`` is refused. v12's ablation: ``False`` and ``True`` sum 0.93 and 0.97
      (NAS-Bench-Macro 50%: 0.40 at 30, against 0.02; CIFAR-100 25%: 0.42 at 30, against 0);
      with noise 2.78 and 2.66.
    """

    buckets: int = 2
    keep: int = 1
    region_buckets: int = 1
    radius: int = 1
    regions: int = 8
    passes: int = 100
    fill: str = "fitted"
    bucket_key: str = "committed"
    probe: str = "swap"
    first_regions: int = 1
    model: int = 1
    model_ridge: float = 0.1
    model_picks: int = 1
    widen: bool = True
    finish_probes: bool = True
    refund: bool = True
    reverse_pass: bool | str = "auto"

    name = "layernas-tr"

    def __post_init__(self) -> None:
        for option in (
            "buckets", "keep", "region_buckets", "radius", "regions", "passes", "first_regions",
            "model_picks",
        ):
            positive_int(getattr(self, option), f"TrustRegionLayerNAS {option}")
        non_negative_int(self.model, "TrustRegionLayerNAS model")
        number(self.model_ridge, "TrustRegionLayerNAS model_ridge", 0, lo_open=True)
        boolean(self.widen, "TrustRegionLayerNAS widen")
        boolean(self.finish_probes, "TrustRegionLayerNAS finish_probes")
        boolean(self.refund, "TrustRegionLayerNAS refund")
        if not isinstance(self.reverse_pass, bool) and self.reverse_pass != "auto":
            raise LayerNASError(
                'TrustRegionLayerNAS reverse_pass must be True, False or "auto", '
                f"got {self.reverse_pass!r}"
            )
        one_of(self.probe, PROBES, "TrustRegionLayerNAS probe")
        one_of(self.fill, FILLS, "TrustRegionLayerNAS fill")
        one_of(self.bucket_key, BUCKET_KEYS, "TrustRegionLayerNAS bucket_key")
        if self.reverse_pass is True and self.fill != "fitted":
            raise LayerNASError(
                'TrustRegionLayerNAS reverse_pass needs fill="fitted" (the paper\'s "default" '
                "fill completes a prefix of the first layers only); set reverse_pass=False"
            )

    # -- set-up: option levels by cost --------------------------------------------------
    def _start(self) -> None:
        problem = self.problem
        layers = range(len(problem.space.layers))
        self._reference_costs = [_reference_costs(problem, i) for i in layers]
        self._levels = [_cost_levels(problem, self._reference_costs[i], i) for i in layers]
        # option -> its level index, per layer
        self._level_of = [
            {opt: j for j, level in enumerate(levels) for opt in level} for levels in self._levels
        ]
        self._ranked = [[opt for level in levels for opt in level] for levels in self._levels]
        self._fitted: dict[tuple, Arch | None] = {}  # (walked layers, their options) -> fitted
        self._known: dict[Arch, float | None] = {}
        self._order: dict[Arch, int] = {}  # arch -> when it was first proposed
        self._centres: set[Arch] = set()
        self._candidates: list[tuple[float, int, Arch]] = []  # heap of possible centres
        self._in_range: list[tuple[float, int, Arch]] = []  # every in-range told candidate
        self._wider = 0  # cost levels the trust regions have widened by (``widen``)
        # the widening that lets a region move every layer anywhere: no wider one is needed
        self._widest = max(len(levels) for levels in self._levels) - 1 - self.radius
        self._memorial: dict[int, list[KeptRow]] = {}
        self._started = 0
        self._refunded = 0  # trust regions that trained nothing (``refund``)
        self._left_probes: list[Arch] = []  # of regions that ended before their first batch
        self._best = -math.inf  # the best in-range reward told so far
        self._done = False
        # "auto": the reverse pass runs on only if its first layer beats the first pass's
        self._judging = self._reversing and self.reverse_pass == "auto"
        self._active = [self._new_pass(None)]
        if self._reversing:
            self._active.append(self._new_pass(None, reverse=True))
        for p in self._active:
            self._open(p)
        self._generate()

    def _new_pass(self, centre: Arch | None, reverse: bool = False) -> _Pass:
        h = self.buckets if centre is None else self.region_buckets
        start = self.problem.defaults if centre is None else centre
        if centre is not None:
            self._centres.add(centre)
        self._started += 1
        radius = self.radius + self._wider
        order = tuple(range(len(self.problem.space.layers)))
        order = order[::-1] if reverse else order
        return _Pass(self._started - 1, centre, h, order=order, radius=radius, parents=[start])

    # -- ask/tell -----------------------------------------------------------------------
    def _ask(self) -> Arch | None:
        while not self._queue and not self.outstanding and not self._done:
            self._close_batch()
        return self._queue.popleft() if self._queue else None

    def _tell(self, arch: Arch, reward: float | None) -> None:
        self._known[arch] = reward
        if reward is not None and self.problem.in_range(self.problem.cost(arch)):
            self._best = max(self._best, reward)
            entry = (-reward, self._order[arch], arch)
            heapq.heappush(self._candidates, entry)
            self._in_range.append(entry)

    def admits(self, arch: Arch, cost: float) -> bool:
        # with fitted completions every proposal is in range by construction; "default"
        # proposes reachable children like the paper's LayerNAS
        return self.fill == "default" or self.problem.in_range(cost)

    @property
    def finished(self) -> bool:
        return self._done

    def bound(self) -> int:
        sizes = [len(layer.options) for layer in self.problem.space.layers]
        widest = self.radius + (max(self._widest, 0) if self.widen else 0)
        widths = [
            max(len(self._neighbourhood(i, opt, widest)) for opt in self._ranked[i])
            for i in range(len(sizes))
        ]
        first = sizes[0] + self.keep * self.buckets * sum(sizes[1:])
        if self._reversing:
            first += sizes[-1] + self.keep * self.buckets * sum(sizes[:-1])
        region = widths[0] + self.keep * self.region_buckets * sum(widths[1:])
        if self.probe != "off":
            region += sum(w - 1 for w in widths[1:])
        if self.probe == "swap":
            region += len(sizes)
        if self.model:
            region += self.model_picks
        return min(first + self.passes * region, self.problem.space.size)  # none twice

    @property
    def _reversing(self) -> bool:
        """Whether a reverse pass starts: ``reverse_pass`` True, or "auto" with fitted fills."""
        return self.reverse_pass is True or (self.reverse_pass == "auto" and self.fill == "fitted")

    @property
    def _globals(self) -> int:
        """Global passes: the first, and the reverse pass (``reverse_pass``)."""
        return 2 if self._reversing else 1

    def where(self, kept: list[KeptRow], layers: list[str]) -> str:
        """The newest pass in the snapshot (passes run side by side) and the next layer it
        searches: "global pass: layer 2 of 5 (c1)", "reverse pass: layer 4 of 5 (c3)" or
        "trust-region pass 7: layer 3 of 5 (c2)" (trust regions are numbered as started,
        refunded ones included)."""
        latest = max((row.round for row in kept), default=0)
        closed = {row.table for row in kept if row.round == latest}
        reverse = self._reversing and latest == 1
        if latest == 0:
            name = "global pass"
        elif reverse:
            name = "reverse pass"
        else:
            name = f"trust-region pass {latest - self._globals + 1}"
        last = max(closed, default=-1) + 1 == len(layers)
        if len(closed) == len(layers) or (last and not reverse):
            return f"{name}: done"
        layer = min(closed, default=len(layers)) - 1 if reverse else max(closed, default=-1) + 1
        return f"{name}: layer {layer + 1} of {len(layers)} ({layers[layer]})"

    def snapshot(self) -> list[KeptRow]:
        """Per layer, the memorial tables of the passes that closed it last (their ``round``)."""
        return [row for layer in sorted(self._memorial) for row in self._memorial[layer]]

    # -- batches: the active passes advance one layer together --------------------------
    def _generate(self) -> None:
        """The new children (and probes) of every active pass, and the probes left by
        regions that ended without a batch (``finish_probes``): the batch."""
        proposed = [a for p in self._active for a in p.children + p.probe] + self._left_probes
        for p in self._active:
            self._mark_trained(p, p.children + p.probe)
            p.probe = []
        self._left_probes = []
        queue = []
        for arch in dict.fromkeys(proposed):
            self._order.setdefault(arch, len(self._order))
            if arch not in self._known:
                queue.append(arch)
        self._queue = deque(queue)

    def _close_batch(self) -> None:
        """Every child of the batch is in: close each pass's layer, schedule the passes, and
        close at once every layer whose children are all known already (no barrier)."""
        closed: dict[int, list[KeptRow]] = {}
        opening = self._started == self._globals  # no trust region has opened yet
        if self._judging:  # the first batch is in: does the reverse pass run on?
            self._judging = False
            forward, reverse = self._active
            if self._best_of(reverse.children) <= self._best_of(forward.children):
                self._active = [forward]
        running = [p for p in self._active if self._close(p, closed)]
        while True:
            for p in running:
                while p.children is not None and all(c in self._known for c in p.children):
                    if not self._close(p, closed):
                        self._end(p)
                        break
            running = [p for p in running if p.layer < len(self.problem.space.layers)]
            self._active = self._schedule(running, opening)
            for p in self._active:
                if p.children is None:
                    self._open(p)
            if all(any(c not in self._known for c in p.children) for p in self._active):
                break
            running = self._active
        self._memorial.update(closed)
        if not self._active and all(a in self._known for a in self._left_probes):
            self._done = True
            self._queue = deque()
            return
        self._generate()

    def _end(self, p: _Pass) -> None:
        """``p`` ended without a batch (its children were all trained already). With
        ``finish_probes``, if its centre is the best candidate told so far, its probes, never
        proposed, go to the next batch."""
        if self.finish_probes and p.centre is not None and self._is_best(p.centre):
            self._left_probes += p.probe
            self._mark_trained(p, p.probe)
        p.probe = []
        if self.refund and p.centre is not None and not p.trained:
            self._refunded += 1

    def _mark_trained(self, p: _Pass, proposed: list[Arch]) -> None:
        """Note whether ``p`` proposed an architecture not told before (``refund`` reads it)."""
        p.trained = p.trained or any(a not in self._known for a in proposed)

    def _best_of(self, archs: list[Arch]) -> float:
        """The best reward told for ``archs`` (-inf: none told)."""
        rewards = [r for a in archs if (r := self._known.get(a)) is not None]
        return max(rewards, default=-math.inf)

    def _is_best(self, arch: Arch) -> bool:
        """Whether ``arch``'s told reward is the best in-range reward told so far."""
        return self._known[arch] >= self._best

    def _close(self, p: _Pass, closed: dict[int, list[KeptRow]]) -> bool:
        """Close ``p``'s layer; open its next one. False: the pass has ended."""
        table = self._close_layer(p, closed)
        p.layer += 1
        if not table or p.layer == len(self.problem.space.layers):
            p.layer = len(self.problem.space.layers)
            return False
        p.parents = table
        p.children = self._children(p)
        return True

    def _open(self, p: _Pass) -> None:
        """A new pass's first children; a trust region's probe (``probe``): its centre with
        one later layer moved within the radius, trained in the same batch."""
        p.children = self._children(p)
        c = p.centre
        if c is not None and (
            self.probe in ("all", "swap") or (self.probe == "best" and self._is_best(c))
        ):
            moved = (
                self._move(c, i, option, p)
                for i in p.order[1:]
                for option in self._options(p, i)
                if option != c[i]
            )
            p.probe = [arch for arch in moved if arch is not None]
            if self.probe == "swap":
                p.probe += self._swaps(c)
        if c is not None and self.model:
            proposed = set(p.children) | set(p.probe)
            p.probe += self._model_picks(c, self.model + self._wider, proposed)

    def _model_picks(self, c: Arch, reach: int, proposed: set[Arch]) -> list[Arch]:
        """The model probe: fit per-layer option effects to every reward told so far; of the
        architectures within ``reach`` cost levels of ``c`` in every layer (``model``, plus the
        widening), the best ``model_picks`` by predicted reward that are in range and not yet
        proposed (the costs of at most ``MODEL_LOOKS`` read)."""
        # in proposal order, so the fit never depends on the order outcomes came in
        told = sorted(((a, r) for a, r in self._known.items() if r is not None),
                      key=lambda t: self._order[t[0]])
        effects = fit_effects(told, [layer.options for layer in self.problem.space.layers],
                              self.model_ridge)
        box = [self._neighbourhood(i, opt, reach) for i, opt in enumerate(c)]
        picks: list[Arch] = []
        looks = 0
        for arch in best_first(box, effects):
            if arch in self._order or arch in proposed:
                continue
            if self.problem.in_range(self.problem.cost(arch)):
                picks.append(arch)
            looks += 1
            if len(picks) == self.model_picks or looks == MODEL_LOOKS:
                break
        return picks

    def _swaps(self, c: Arch) -> list[Arch]:
        """For each layer whose one-level raise leaves the range: the centre with that raise
        and one other layer lowered one level, the in-range pair costing most."""
        problem = self.problem
        out = []
        for i in range(len(c)):
            level = self._level_of[i][c[i]]
            if level + 1 >= len(self._levels[i]):
                continue
            up = c[:i] + (self._levels[i][level + 1][0],) + c[i + 1 :]
            if problem.in_range(problem.cost(up)):
                continue
            best = None
            for j in range(len(c)):
                lj = self._level_of[j][c[j]]
                if j == i or lj == 0:
                    continue
                arch = up[:j] + (self._levels[j][lj - 1][0],) + up[j + 1 :]
                cost = problem.cost(arch)
                if problem.in_range(cost) and (best is None or cost > best[0]):
                    best = (cost, arch)
            if best is not None:
                out.append(best[1])
        return out

    def _schedule(self, running: list[_Pass], opening: bool) -> list[_Pass]:
        """The passes of the next batch: the running ones, and new trust regions in the free
        places (``regions`` passes in all; ``first_regions`` in the batch that opens the first)
        around the best in-range trained candidates not yet used as centres (ties go to the
        earlier proposed)."""
        active = list(running)
        while (
            len(active) < self.regions
            and (not opening or self._started - self._globals < self.first_regions)
            and self._started - self._refunded < self.passes + self._globals
        ):
            centre = self._best_unused()
            if centre is None and not active and self._widen():
                continue
            if centre is None:
                break
            heapq.heappop(self._candidates)
            active.append(self._new_pass(centre))
        return active

    def _widen(self) -> bool:
        """No centre is left and no pass runs (``widen``): widen the trust regions (and the
        model probe's box) by one cost level, and let every in-range candidate be a centre
        again. False: widening is off, or the regions already span every layer."""
        if not self.widen or self._wider >= self._widest:
            return False
        self._wider += 1
        self._centres.clear()
        self._candidates = list(self._in_range)
        heapq.heapify(self._candidates)
        return True

    def _best_unused(self) -> Arch | None:
        """The best in-range trained candidate not yet used as a centre (None: none left)."""
        while self._candidates and self._candidates[0][2] in self._centres:
            heapq.heappop(self._candidates)
        return self._candidates[0][2] if self._candidates else None

    def _close_layer(self, p: _Pass, closed: dict[int, list[KeptRow]]) -> list[Arch]:
        """Bucket the pass's trained children of its layer; the best K per bucket."""
        i = p.order[p.layer]
        walked = set(p.order[: p.layer + 1])
        trained = [
            (self._key(child, walked), child, self.problem.cost(child), reward, n)
            for n, child in enumerate(p.children)
            if (reward := self._known.get(child)) is not None
        ]
        if not trained:
            return []
        lo = min(t[0] for t in trained)
        hi = max(t[0] for t in trained)
        width = (hi - lo) / p.buckets
        best: dict[int, list[_Kept]] = {}
        for key, child, cost, reward, n in trained:
            b = min(p.buckets - 1, int((key - lo) / width)) if width > 0 else 0
            best.setdefault(b, []).append(_Kept(child, key, cost, reward, b, n))
        table = sorted(
            (e for es in best.values() for e in sorted(es, key=_rank)[: self.keep]), key=_rank
        )
        rows = closed.setdefault(i, [])
        for e in sorted(table, key=lambda e: (e.bucket, _rank(e))):
            rows.append(
                KeptRow(
                    table=i,
                    rank=len(rows),
                    arch=e.arch,
                    cost=e.cost,
                    reward=e.reward,
                    bucket=(lo + e.bucket * width, lo + (e.bucket + 1) * width),
                    round=p.number,
                )
            )
        return [e.arch for e in table]

    def _key(self, arch: Arch, walked: set[int]) -> float:
        """The bucket key of a child whose pass has searched the layers ``walked``."""
        if self.bucket_key == "full":
            return self.problem.cost(arch)
        cheapest = self.problem.cheapest
        return self.problem.cost(
            tuple(opt if j in walked else cheapest[j] for j, opt in enumerate(arch))
        )

    # -- children -----------------------------------------------------------------------
    def _children(self, p: _Pass) -> list[Arch]:
        """Children of ``p``'s parents at its layer, each completed into the range."""
        i = p.order[p.layer]
        options = self._options(p, i)
        moved = (self._move(parent, i, option, p) for parent in p.parents for option in options)
        return list(dict.fromkeys(child for child in moved if child is not None))

    def _options(self, p: _Pass, i: int) -> list[object]:
        """What layer ``i`` may take in ``p``: every option, or the centre's neighbourhood."""
        if p.centre is None:
            return list(self.problem.space.layers[i].options)
        return self._neighbourhood(i, p.centre[i], p.radius)

    def _move(self, arch: Arch, i: int, option: object, p: _Pass) -> Arch | None:
        """``arch`` with layer ``i`` set to ``option``, completed into the range for ``p``."""
        return self._complete(arch[:i] + (option,) + arch[i + 1 :], i, p)

    def _complete(self, arch: Arch, i: int, p: _Pass) -> Arch | None:
        """``arch`` with layers after ``i`` set so that it lies in range (None: impossible)."""
        problem = self.problem
        if p.centre is None:
            if self.fill == "default":
                return arch if problem.can_reach(arch, i + 1) else None
            return self._fit(arch, p.order[: p.order.index(i) + 1])
        if problem.in_range(problem.cost(arch)):
            return arch
        if p.radius > self.radius:  # a widened region repairs what it pushes out of range
            return self._repair(arch, p.order[p.order.index(i) + 1 :])
        return None

    def _fit(self, arch: Arch, walked: tuple[int, ...]) -> Arch | None:
        """The fitted completion of ``arch``'s ``walked`` layers (memoised; the module
        docstring).

        Costs are evaluated sparingly (a real cost function may count a network's MAdds):
        the uniform level by bisection, then one evaluation per attempted raise, tried in
        the order of their cost increments measured once on the reference architecture.
        """
        memo = (walked, tuple(arch[j] for j in walked))
        if memo in self._fitted:
            return self._fitted[memo]
        problem = self.problem
        lo, hi = problem.cost_range
        held = set(walked)
        free = [j for j in range(len(arch)) if j not in held]
        top = [len(self._ranked[j]) - 1 for j in free]

        def build(idx: list[int]) -> Arch:
            out = list(arch)
            for j, k in zip(free, idx):
                out[j] = self._ranked[j][k]
            return tuple(out)

        def at_level(t: float) -> list[int]:
            return [int(t * n + 0.5) for n in top]

        grid = sorted({k / n for n in top if n for k in range(n + 1)} | {0.0})
        fitted: Arch | None = None
        if problem.cost(build(at_level(0.0))) <= hi:
            low, high = 0, len(grid) - 1  # grid[low] fits; find the last level that does
            while low < high:
                mid = (low + high + 1) // 2
                if problem.cost(build(at_level(grid[mid]))) <= hi:
                    low = mid
                else:
                    high = mid - 1
            idx = at_level(grid[low])
            raises = [(self._raise_cost(j, idx[n]), n) for n, j in enumerate(free) if idx[n] < top[n]]
            heapq.heapify(raises)
            while raises:  # the cheapest raise first, while the network still fits
                _, n = heapq.heappop(raises)
                raised = idx[:n] + [idx[n] + 1] + idx[n + 1 :]
                if problem.cost(build(raised)) <= hi:
                    idx = raised
                    if idx[n] < top[n]:
                        heapq.heappush(raises, (self._raise_cost(free[n], idx[n]), n))
            fitted = build(idx)
            if problem.cost(fitted) < lo:  # below a band: repaired up into it
                fitted = self._repair(fitted, free)
        self._fitted[memo] = fitted
        return fitted

    def _raise_cost(self, j: int, rank: int) -> float:
        """What moving layer ``j`` from rank ``rank`` to the next costs, on the reference."""
        costs = self._reference_costs[j]
        return costs[self._ranked[j][rank + 1]] - costs[self._ranked[j][rank]]

    def _repair(self, arch: Arch, free: Sequence[int]) -> Arch | None:
        """Move the layers ``free`` one cost level at a time into the range: each step takes
        the move whose network is closest to the range (ties: the smaller change of cost, then
        the earlier layer), never back to a network visited, so a band narrower than one move
        is searched around rather than jumped over forth and back. None: no in-range network
        within twice as many steps as the later layers have levels."""
        problem = self.problem
        lo, hi = problem.cost_range

        def gap(cost: float) -> float:
            return lo - cost if cost < lo else max(cost - hi, 0.0)

        current, cost = arch, problem.cost(arch)
        seen = {arch}
        steps = 2 * sum(len(self._levels[j]) for j in free)
        for _ in range(steps):
            if gap(cost) == 0:
                return current
            moves = []
            for j in free:
                level = self._level_of[j][current[j]]
                for to in (level - 1, level + 1):
                    if 0 <= to < len(self._levels[j]):
                        moved = current[:j] + (self._levels[j][to][0],) + current[j + 1 :]
                        if moved not in seen:
                            c = problem.cost(moved)
                            moves.append((gap(c), abs(c - cost), j, to, moved, c))
            if not moves:
                return None
            *_, current, cost = min(moves, key=lambda m: m[:4])
            seen.add(current)
        return current if gap(cost) == 0 else None

    def _neighbourhood(self, i: int, option: object, radius: int | None = None) -> list[object]:
        """Options of layer ``i`` within ``radius`` (default: the option's) cost levels of
        ``option`` (cheapest first)."""
        r = self.radius if radius is None else radius
        level = self._level_of[i][option]
        levels = self._levels[i][max(0, level - r) : level + r + 1]
        return [opt for lv in levels for opt in lv]


def _reference_costs(problem, i: int) -> dict[object, float]:
    """The cost of each option of layer ``i``, the other layers at their defaults."""
    reference = problem.defaults
    return {
        opt: problem.cost(reference[:i] + (opt,) + reference[i + 1 :])
        for opt in problem.space.layers[i].options
    }


def _cost_levels(problem, costs: dict[object, float], i: int) -> list[list[object]]:
    """Layer ``i``'s options grouped by equal reference cost, cheapest group first (options
    of equal cost share a level, in listed order)."""
    options = problem.space.layers[i].options
    levels: list[list[object]] = []
    last = None
    for cost, n in sorted((costs[opt], n) for n, opt in enumerate(options)):
        if last is None or cost != last:
            levels.append([])
            last = cost
        levels[-1].append(options[n])
    return levels


def _rank(entry: _Kept) -> tuple[float, int]:
    return (-entry.reward, entry.order)
