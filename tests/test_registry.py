"""The strategy registry (one door for configs, studies and the CLI) and the shared checks."""

from __future__ import annotations

import math
from dataclasses import dataclass

import pytest

import layernas as ln
from layernas import strategies, validate


def test_make_builds_every_registered_strategy_with_its_options():
    assert set(strategies.STRATEGIES) >= {"layernas", "random", "evolution", "reinforce", "ppo",
                                          "exhaustive"}
    for name, cls in strategies.STRATEGIES.items():
        assert type(strategies.make(name)) is cls and cls.name == name
    made = strategies.make("layernas", buckets=7, keep=2)
    assert (made.buckets, made.keep) == (7, 2)
    assert strategies.options("evolution") == ["population", "sample"]


def test_unknown_names_and_options_list_what_is_valid():
    with pytest.raises(ln.LayerNASError, match="unknown strategy 'layernass'; choose one of "
                                                "layernas, .*random, evolution"):
        strategies.make("layernass")
    with pytest.raises(ln.LayerNASError) as info:
        strategies.make("layernas", bukets=4)
    assert str(info.value) == (
        "strategy 'layernas' has no option 'bukets'; did you mean 'buckets'? its options are: "
        "buckets, keep, order, bucket_range, prune_dominated, start_buckets"
    )
    with pytest.raises(ln.LayerNASError, match="'random' has no option 'seed'; its options are: none"):
        strategies.make("random", seed=3)


def test_a_registered_strategy_is_built_by_name_and_names_are_unique():
    @strategies.register
    @dataclass
    class FirstOption(ln.Strategy):
        name = "first-option-test"
        repeat: int = 1

        def _ask(self):
            return tuple(layer.options[0] for layer in self.problem.space.layers)

        def _tell(self, arch, reward):
            pass

    try:
        made = strategies.make("first-option-test", repeat=2)
        space = ln.SearchSpace([ln.Layer("a", [1, 2]), ln.Layer("b", [3, 4])])
        result = ln.search(space, lambda a: 1.0, lambda a: float(sum(a)), (0, 10),
                           strategy=made, budget=3, max_stall=5, progress=False)
        assert [t.arch for t in result.trials] == [(1, 3)]

        @dataclass
        class Impostor(FirstOption):
            pass

        with pytest.raises(ln.LayerNASError, match="name 'first-option-test' is taken"):
            strategies.register(Impostor)
        with pytest.raises(ln.LayerNASError, match="only Strategy subclasses"):
            strategies.register(int)
    finally:
        del strategies.STRATEGIES["first-option-test"]


@pytest.mark.parametrize(
    "check, value, message",
    [
        (validate.positive_int, 0, "x must be an integer >= 1, got 0"),
        (validate.positive_int, True, "x must be an integer >= 1, got True"),
        (validate.positive_int, 2.0, "x must be an integer >= 1, got 2.0"),
        (validate.non_negative_int, -1, "x must be an integer >= 0, got -1"),
        (validate.non_negative_int, "3", "x must be an integer >= 0, got '3'"),
        (validate.optional_positive_int, 0, r"x must be an integer >= 1 \(or None"),
        (validate.fraction, 0, r"x must be a number in \(0, 1\], got 0"),
        (validate.fraction, 1.5, r"x must be a number in \(0, 1\], got 1.5"),
        (validate.fraction, math.nan, r"x must be a number in \(0, 1\], got nan"),
        (validate.boolean, 1, "x must be True or False, got 1"),
        (lambda v, w: validate.number(v, w, 0), math.inf, "x must be a number >= 0, got inf"),
        (lambda v, w: validate.number(v, w), math.nan, "x must be a finite number, got nan"),
        (lambda v, w: validate.one_of(v, ("a", "b"), w), "c", r"x must be one of \['a', 'b'\]"),
    ],
)
def test_checks_reject_with_one_message(check, value, message):
    with pytest.raises(ln.LayerNASError, match=message):
        check(value, "x")


def test_checks_return_what_they_accept():
    assert validate.positive_int(3, "x") == 3 and validate.non_negative_int(0, "x") == 0
    assert validate.optional_positive_int(None, "x") is None
    assert validate.fraction(1, "x") == 1.0 and validate.number(-2, "x") == -2.0
    assert validate.boolean(False, "x") is False and validate.one_of("a", "ab", "x") == "a"
