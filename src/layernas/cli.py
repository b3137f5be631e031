"""The ``layernas`` command line: thin commands over the library (click)."""

from __future__ import annotations

import json
from pathlib import Path

import click

from layernas.config import load_config
from layernas.errors import LayerNASError
from layernas.journal import read_journal
from layernas.problem import extreme_options
from layernas.runner import SearchResult, search


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="layernas")
def main() -> None:
    """Cost-constrained neural architecture search (LayerNAS and baselines)."""


@main.command("search")
@click.argument("config", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--budget", type=click.IntRange(min=1), help="Max trained candidates (overrides the config).")
@click.option("--seed", type=int, help="Seed of the run (overrides the config).")
@click.option("--workers", type=click.IntRange(min=1), help="Candidates trained at once.")
@click.option("--executor", type=click.Choice(["inline", "process", "ray"]), help="Where trials run.")
@click.option("--journal", type=click.Path(dir_okay=False, path_type=Path), help="SQLite journal (resumable).")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), help="Export the winner here.")
@click.option("--progress/--no-progress", default=None, help="Progress bar (default: on a terminal).")
def search_cmd(config, budget, seed, workers, executor, journal, out, progress) -> None:
    """Run the search described by the TOML file CONFIG (see layernas.config)."""
    try:
        cfg = load_config(config)
        run = cfg.run
        cost_range = cfg.cost_range
        if cost_range is None:
            priciest = extreme_options(cfg.space, cfg.cost)[1]
            cost_range = (0.0, cfg.max_cost_fraction * float(cfg.cost(priciest)))
        journal = journal or (cfg.base / run.journal if run.journal else None)
        out = out or (cfg.base / run.out if run.out else None)
        result = search(
            cfg.space,
            reward=cfg.reward,
            cost=cfg.cost,
            cost_range=cost_range,
            strategy=cfg.strategy,
            budget=budget or run.budget,
            seed=run.seed if seed is None else seed,
            workers=workers or run.workers,
            journal=str(journal) if journal else None,
            progress=progress,
            executor=executor or run.executor,
            timeout=run.timeout,
            retries=run.retries,
        )
    except LayerNASError as exc:
        raise click.ClickException(str(exc)) from None
    _print_result(cfg.space.names, result)
    if journal:
        click.echo(f"journal: {journal}  (layernas show {journal})")
    if out and result.best is not None:
        export = getattr(cfg.problem, "export", None)
        if export is None:
            out.mkdir(parents=True, exist_ok=True)
            (out / "arch.json").write_text(json.dumps(_best_json(cfg.space.names, result), indent=2))
        else:
            export(result.best, out)
        click.echo(f"winner exported to {out}")


def _best_json(names: list[str], result: SearchResult) -> dict:
    best = result.best
    return {"arch": dict(zip(names, best.arch)), "cost": best.cost, "reward": best.reward}


def _print_result(names: list[str], result: SearchResult) -> None:
    bound = f" (bound {result.bound})" if result.bound is not None else ""
    click.echo(
        f"trained {result.trained}{bound}, rejected {result.rejected}, "
        f"reused {result.reused}, failed {len(result.failed)}; stopped: {result.stop_reason}"
    )
    if result.best is None:
        lo, hi = result.cost_range
        click.echo(f"no trained candidate has cost in [{lo:g}, {hi:g}]")
        return
    best = result.best
    click.echo(f"best in range: reward {best.reward:.6g}, cost {best.cost:.6g}, trial #{best.number}")
    for name, value in zip(names, best.arch):
        click.echo(f"  {name} = {value!r}")


@main.command("show")
@click.argument("journal", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--limit", type=click.IntRange(min=0), default=20, show_default=True,
              help="Trials to list (the most recent); 0 lists all.")
def show_cmd(journal: Path, limit: int) -> None:
    """Print the trials, failures, best in range and memorial tables of a JOURNAL."""
    try:
        view = read_journal(journal)
    except LayerNASError as exc:
        raise click.ClickException(str(exc)) from None
    fp = view.fingerprint
    lo, hi = view.cost_range
    names = [layer["name"] for layer in fp["space"]]
    counts: dict[str, int] = {}
    for t in view.trials:
        counts[t.status] = counts.get(t.status, 0) + 1
    click.echo(f"strategy: {json.dumps(fp['strategy'])}  seed: {fp['seed']}  cost range: [{lo:g}, {hi:g}]")
    click.echo(f"layers: {', '.join(names)}")
    click.echo("trials: " + ", ".join(f"{n} {s}" for s, n in sorted(counts.items())) if counts else "trials: none")
    shown = view.trials if limit == 0 else view.trials[-limit:]
    click.echo(f"\n{'#':>5} {'status':8} {'cost':>12} {'reward':>10} {'secs':>7}  arch")
    for t in shown:
        reward = "-" if t.reward is None else f"{t.reward:.4f}"
        secs = "-" if t.duration is None else f"{t.duration:.2f}"
        click.echo(f"{t.number:>5} {t.status:8} {t.cost:>12.6g} {reward:>10} {secs:>7}  {t.arch}")
    failures = [t for t in view.trials if t.status == "failed"]
    if failures:
        click.echo("\nfailures:")
        for t in failures:
            reason = (t.error or "").strip().splitlines()[-1:] or ["?"]
            click.echo(f"  #{t.number} {t.arch} after {t.attempts} attempt(s): {reason[0]}")
    best = view.best()
    click.echo(
        "\nbest in range: none" if best is None
        else f"\nbest in range: #{best.number} reward {best.reward:.6g} cost {best.cost:.6g} {best.arch}"
    )
    if view.memorial:
        click.echo("\nmemorial tables (layer, bucket [lo, hi), cost, reward, arch):")
        for layer, bucket, b_lo, b_hi, cost, reward, arch in view.memorial:
            span = f"[{b_lo:.6g}, {b_hi:.6g})"
            click.echo(
                f"  {names[layer]:>12} {bucket:>4} {span:>24} {cost:>12.6g} {reward:>10.4f}  {arch}"
            )


if __name__ == "__main__":  # pragma: no cover
    main()
