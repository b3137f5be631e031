"""The blog's GBurger: 3 layers x 4 options, a $7-$9 budget, 4 price buckets.

Run: python examples/burger.py

It drives LayerNAS through the ask/tell contract by hand so every step shows:
each layer's tastings, then the memorial table (best burger per price bucket) that
seeds the next layer. 36 tastings at most (4 + 1*4*(4+4)) instead of 64. Unsearched
layers hold their default: no topping yet, a veggie patty.
"""

from __future__ import annotations

import layernas as ln
from layernas.problem import Problem

PRICE = {
    "lettuce wrap": 0.0, "plain bun": 1.0, "sesame bun": 2.0, "brioche": 4.0,
    "veggie": 1.0, "chicken": 2.0, "beef": 3.0, "wagyu": 5.0,
    "no topping": 0.0, "cheese": 1.0, "bacon": 2.0, "avocado": 3.0,
}
TASTE = {
    "lettuce wrap": 1.0, "plain bun": 2.0, "sesame bun": 3.0, "brioche": 4.5,
    "veggie": 2.0, "chicken": 3.5, "beef": 5.0, "wagyu": 4.8,
    "no topping": 0.0, "cheese": 1.5, "bacon": 2.5, "avocado": 2.0,
}

SPACE = ln.SearchSpace([
    ln.Layer("bun", ["lettuce wrap", "plain bun", "sesame bun", "brioche"]),
    ln.Layer("patty", ["veggie", "chicken", "beef", "wagyu"], default="veggie"),
    ln.Layer("topping", ["no topping", "cheese", "bacon", "avocado"], default="no topping"),
])


def price(burger: tuple[str, ...]) -> float:
    return sum(PRICE[item] for item in burger)


def taste(burger: tuple[str, ...]) -> float:
    return sum(TASTE[item] for item in burger)


def main() -> None:
    budget = (7.0, 9.0)
    strategy = ln.LayerNAS(buckets=4, keep=1)
    strategy.setup(Problem(SPACE, price, budget), seed=0)
    tasted: dict[tuple[str, ...], float] = {}
    layer = 0
    print(f"Layer {layer + 1} ({SPACE.layers[layer].name}):")
    while not strategy.finished:
        burger = strategy.ask()
        kept = [row for row in strategy.snapshot() if row.table == layer]
        if kept:  # asking closed the layer: show its memorial table
            print("  kept, the tastiest per price bucket:")
            for e in kept:
                print(f"    [${e.bucket[0]:.2f}, ${e.bucket[1]:.2f})  "
                      f"{' + '.join(e.arch):36} ${e.cost:4.1f}  taste {e.reward:.1f}")
            layer += 1
            if layer < len(SPACE.layers):
                print(f"Layer {layer + 1} ({SPACE.layers[layer].name}):")
        if burger is not None:
            tasted[burger] = taste(burger)
            print(f"  taste #{len(tasted):2}: {' + '.join(burger):36} ${price(burger):4.1f}  "
                  f"taste {tasted[burger]:.1f}")
            strategy.tell(burger, tasted[burger])
    in_budget = {b: t for b, t in tasted.items() if budget[0] <= price(b) <= budget[1]}
    best = max(in_budget, key=in_budget.get)
    print(f"\n{len(tasted)} tastings (bound {strategy.bound()}, all burgers {SPACE.size})")
    print(f"best burger in ${budget[0]:.0f}-${budget[1]:.0f}: {' + '.join(best)}, "
          f"${price(best):.1f}, taste {in_budget[best]:.1f}")
    every = [b for b in SPACE if budget[0] <= price(b) <= budget[1]]
    top = max(every, key=taste)
    print(f"check by tasting all {SPACE.size}: {' + '.join(top)}, taste {taste(top):.1f}")


if __name__ == "__main__":
    main()
