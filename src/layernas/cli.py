"""The ``layernas`` command line: thin commands over the library (click)."""

from __future__ import annotations

import json
import os
import shlex
import sys
import time
from collections import Counter
from pathlib import Path

import click

from layernas import display, strategies
from layernas.config import load_config
from layernas.errors import LayerNASError, SearchStopped
from layernas.executors import EXECUTORS
from layernas.journal import read_journal
from layernas.runner import STRATEGY_FINISHED, SearchResult
from layernas.study import StudySpec, parse_strategies, run_study, summarize, write_report
from layernas.study.report import results_table
from layernas.study.spec import DEFAULT_STRATEGIES, STUDY_MAX_STALL, parse_benchmark
from layernas.validate import no_winner_in


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="layernas")
def main() -> None:
    """Cost-constrained neural architecture search (LayerNAS and baselines)."""


REPORT_OPTION = click.option(
    "--report", type=click.Path(dir_okay=False, path_type=Path),
    help="Also write the HTML report (layernas report) to this file.")


def _report(path: Path | None, html: Path | None) -> None:
    """Write the report of a journal or study directory to ``html``, else say how to."""
    if path is None:
        return
    if html is None:
        click.echo(f"report: layernas report {shlex.quote(str(path))} -o report.html")
    else:
        _write_report(path, html)


def _write_report(path: Path, html: Path, cost_units: str = "", reward_units: str = "") -> None:
    from layernas.report import require
    try:
        require()
        from layernas.report.data import Units
        from layernas.report.page import write_report as write_html

        write_html(path, html, Units(cost_units, reward_units))
    except LayerNASError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"report: {html} ({html.stat().st_size / 1e6:.1f} MB); open it in a browser")


@main.command("search")
@click.argument("config", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--budget", type=click.IntRange(min=1), help="Max trained candidates (overrides the config).")
@click.option("--seed", type=int, help="Seed of the run (overrides the config).")
@click.option("--workers", type=click.IntRange(min=1), help="Candidates trained at once.")
@click.option("--executor", type=click.Choice(EXECUTORS), help="Where trials run.")
@click.option("--ray-address", help="Join this Ray cluster (HOST:PORT from 'ray start --head', or auto).")
@click.option("--cpus-per-trial", type=click.FloatRange(min=0), help="Ray: CPUs each trial reserves.")
@click.option("--gpus-per-trial", type=click.FloatRange(min=0), help="Ray: GPUs each trial reserves.")
@click.option("--timeout", type=click.FloatRange(min=0, min_open=True), help="Seconds per trial.")
@click.option("--retries", type=click.IntRange(min=0), help="Re-runs of a failed trial.")
@click.option("--journal", type=click.Path(dir_okay=False, path_type=Path), help="SQLite journal (resumable).")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), help="Export the winner here.")
@click.option("--overwrite", is_flag=True, help="Replace a winner already exported to the --out folder.")
@click.option("--keep-failed", is_flag=True,
              help="On resume, keep the journal's failed trials instead of training them again.")
@click.option("--progress/--no-progress", default=None,
              help="Progress bar (default: a bar on a terminal, else one line per trial).")
@REPORT_OPTION
def search_cmd(config: Path, overwrite: bool, keep_failed: bool, progress: bool | None,
               report: Path | None, **overrides) -> None:
    """Run the search described by the TOML file CONFIG (see layernas.config)."""
    try:
        cfg = load_config(config).with_overrides(
            retry_failed=False if keep_failed else None, **overrides)
        if report and not cfg.journal:
            raise LayerNASError("--report needs a journal: give --journal or set one in the config")
        if cfg.out:
            no_winner_in(cfg.out, overwrite)  # refused before anything trains
        result = cfg.run(progress=progress)
    except LayerNASError as exc:
        raise click.ClickException(str(exc)) from None
    except SearchStopped as stopped:
        click.echo(str(stopped), err=True)
        sys.exit(stopped.exit_code)
    _print_result(cfg.space.names, result)
    if cfg.journal:
        click.echo(f"journal: {cfg.journal}  (layernas show {cfg.journal})")
    _report(cfg.journal, report)
    if cfg.out and result.best is not None:
        click.echo(f"exporting the winner (trial #{result.best.number}) to {cfg.out} "
                   "(a problem that trains retrains it first) ...", err=True)
        started = time.perf_counter()
        try:
            metrics = cfg.export(result.best, cfg.out, overwrite=overwrite)
        except LayerNASError as exc:
            raise click.ClickException(str(exc)) from None
        click.echo(f"winner exported to {cfg.out} in {display.duration(time.perf_counter() - started)}")
        if "test_accuracy" in metrics:
            click.echo(
                f"winner after {metrics['final_epochs']} epochs: test accuracy "
                f"{metrics['test_accuracy']:.2f}% ({metrics['dataset']})"
            )


def _print_result(names: list[str], result: SearchResult) -> None:
    bound = f" (bound {result.bound})" if result.bound is not None else ""
    resumed = (f" ({result.trained_now} now, {result.from_journal} from the journal)"
               if result.from_journal else "")
    click.echo(
        f"trained {result.trained}{resumed}{bound}, rejected {result.rejected}, "
        f"reused {result.reused}, failed {len(result.failed)}; stopped: {result.stop_reason}"
    )
    if result.retried or result.worker_deaths:
        click.echo(f"retried after a failed training: {result.retried}; "
                   f"worker deaths (trial re-run): {result.worker_deaths}")
    if result.best is None:
        lo, hi = result.cost_range
        click.echo(f"no candidate with cost in [{lo:g}, {hi:g}] was trained" if not result.trials
                   else f"no trained candidate has cost in [{lo:g}, {hi:g}]")
        if result.failed:
            click.echo(f"{len(result.failed)} trainings failed; the first: "
                       f"{result.failed[0].reason}")
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
    """Print where the search of a JOURNAL stands: trials, failures, best in range, time spent,
    what the strategy keeps (LayerNAS: memorial tables) and what is left."""
    try:
        view = read_journal(journal)
    except LayerNASError as exc:
        raise click.ClickException(str(exc)) from None
    fp = view.fingerprint
    names = [layer["name"] for layer in fp["space"]]
    units = view.units

    def cost(value: float | None) -> str:
        return display.quantity(value, units.get("cost"))

    def reward(value: float | None) -> str:
        return display.quantity(value, units.get("reward"))

    def arch(key: str) -> str:
        return display.arch(names, json.loads(key))

    settings = dict(fp["strategy"])
    name = settings.pop("strategy")
    lo, hi = view.cost_range
    click.echo(f"strategy: {name} ({', '.join(f'{k}={v}' for k, v in settings.items())}); "
               f"seed {fp['seed']}; cost range [{cost(lo)}, {cost(hi)}]")
    click.echo(f"layers ({len(names)}): {', '.join(names)}")
    counts = Counter(t.status for t in view.trials)
    times = [x for t in view.trials for x in (t.started, t.finished) if x is not None]
    elapsed = max(times) - min(times) if times else 0.0
    click.echo(f"trials: {', '.join(f'{n} {s}' for s, n in sorted(counts.items())) or 'none'}"
               + (f"; elapsed {display.duration(elapsed)} from the first start to the last "
                  "record" if times else ""))
    where = _where(name, settings, view.kept, names)
    if view.stopped is not None:
        now = [f"ended ({view.stopped})"]
        if view.stopped != STRATEGY_FINISHED and where:
            now.append(f"a resume goes on at {where}")
    else:
        now = [where]
        left = None if view.planned is None else view.planned - len(view.trials)
        if left:
            pace = elapsed / len(view.trials) if view.trials else 0.0
            now.append(f"at most {left} more trials"
                       + (f", ~{display.duration(left * pace)} at this pace" if pace else ""))
    if any(now):
        click.echo("now: " + "; ".join(part for part in now if part))

    shown = view.trials if limit == 0 else view.trials[-limit:]
    if shown:
        click.echo(f"\n{'#':>5}  {'status':8} {'cost':>12} {'reward':>9} {'time':>7}  architecture")
    for t in shown:
        secs = "-" if t.duration is None else display.duration(t.duration)
        click.echo(f"{t.number:>5}  {t.status:8} {cost(t.cost):>12} {reward(t.reward):>9} "
                   f"{secs:>7}  {arch(t.arch)}")
    failures = [t for t in view.trials if t.status == "failed"]
    if failures:
        click.echo("\nfailures:")
        for t in failures:
            reason = (t.error or "").strip().splitlines()[-1:] or ["?"]
            click.echo(f"  #{t.number} after {t.attempts} attempt(s): {reason[0]}  [{arch(t.arch)}]")
    best = view.best()
    click.echo("\nbest in range: none" if best is None else
               f"\nbest in range: #{best.number}, reward {reward(best.reward)}, cost "
               f"{cost(best.cost)}\n  {arch(best.arch)}")
    if view.kept:
        click.echo("\nkept by the strategy (LayerNAS: memorial tables, the best per cost bucket):")
        click.echo(f"  {'table':>12} {'pass':>4} {'bucket':>23} {'cost':>12} {'reward':>9}  "
                   "architecture")
        for row in view.kept:
            label = names[row.table] if row.table < len(names) else str(row.table)
            span = "-" if row.bucket is None else f"[{cost(row.bucket[0])}, {cost(row.bucket[1])})"
            click.echo(f"  {label:>12} {row.round:>4} {span:>23} {cost(row.cost):>12} "
                       f"{reward(row.reward):>9}  {arch(row.arch)}")


def _where(name: str, settings: dict, kept: list, layers: list[str]) -> str | None:
    """The strategy's own account of where its search stands, when it is registered here."""
    try:
        strategy = strategies.make(name, **settings)
    except (LayerNASError, TypeError):  # a strategy of the user's, not imported here
        return None
    return strategy.where(kept, layers)


@main.command("study")
@click.option("--benchmark", default="nats-sss:cifar10", show_default=True,
              help="NAME[:DATASET], e.g. nats-sss:ImageNet16-120 or nas-bench-macro.")
@click.option("--cost", type=click.Choice(["flops", "params"]), default="flops", show_default=True)
@click.option("--max-cost-fraction", type=click.FloatRange(0, 1, min_open=True),
              help="Target range [0, F x the largest model's cost] (default 0.5).")
@click.option("--min-cost-fraction", type=click.FloatRange(0, 1, max_open=True),
              help="Lower end of the range: [L, F] x the largest model's cost (default 0).")
@click.option("--cost-range", type=(float, float), metavar="LO HI",
              help="Target range in the cost's units (instead of the fractions).")
@click.option("--runs", type=click.IntRange(min=1), default=100, show_default=True)
@click.option("--budget", type=click.IntRange(min=1), default=300, show_default=True,
              help="Max trained candidates per run, the same for every strategy.")
@click.option("--strategies", default=",".join(DEFAULT_STRATEGIES), show_default=True,
              help="Comma-separated NAME[:OPTION=VALUE...], e.g. layernas:buckets=50,random.")
@click.option("--buckets", type=click.IntRange(min=1), help="LayerNAS buckets H (all layernas entries).")
@click.option("--keep", type=click.IntRange(min=1), help="LayerNAS candidates kept per bucket K.")
@click.option("--seed", type=click.IntRange(min=0), default=0, show_default=True)
@click.option("--reward-noise", type=click.FloatRange(min=0), default=0.0, show_default=True,
              metavar="SIGMA", help="Gaussian noise on observed rewards, in accuracy points.")
@click.option("--max-stall", type=click.IntRange(min=1), default=STUDY_MAX_STALL, show_default=True,
              help="Stop a run after this many proposals in a row without a new trained candidate.")
@click.option("--workers", type=click.IntRange(min=1), default=os.cpu_count() or 1,
              show_default="number of CPUs", help="Processes (results do not depend on it).")
@click.option("--sim-workers", type=click.IntRange(min=1), metavar="N",
              help="Run each search as N workers would, in simulated time (regret vs time, "
                   "utilisation).")
@click.option("--data-dir", type=click.Path(file_okay=False), help="Benchmark data root.")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), required=True)
@click.option("--progress/--no-progress", default=None, help="Progress bar (default: on a terminal).")
@REPORT_OPTION
def study_cmd(benchmark, cost, max_cost_fraction, min_cost_fraction, cost_range, runs, budget,
              strategies, buckets, keep, seed, reward_noise, max_stall, workers, sim_workers,
              data_dir, out, progress, report) -> None:
    """Compare strategies over many seeded runs on a tabular benchmark; write a report to OUT."""
    if cost_range is not None and (max_cost_fraction, min_cost_fraction) != (None, None):
        raise click.UsageError("give --cost-range or the cost fractions, not both")
    name, dataset = parse_benchmark(benchmark)
    layernas_options = {k: v for k, v in (("buckets", buckets), ("keep", keep)) if v is not None}
    try:
        spec = StudySpec(
            benchmark=name, dataset=dataset, cost=cost, cost_range=cost_range,
            max_cost_fraction=0.5 if max_cost_fraction is None else max_cost_fraction,
            min_cost_fraction=min_cost_fraction or 0.0, runs=runs, budget=budget,
            strategies=parse_strategies(strategies, {"layernas": layernas_options}),
            seed=seed, reward_noise=reward_noise, max_stall=max_stall, data_dir=data_dir,
            sim_workers=sim_workers,
        )
        result = run_study(spec, workers=workers, progress=progress)
        paths = write_report(result, out, command=_command_line(click.get_current_context()))
    except LayerNASError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo("\n".join(results_table(summarize(result))))
    click.echo(f"oracle {result.oracle.final:.4f} {tuple(result.oracle.arch)}; "
               f"{len(result.records)} runs in {result.seconds:.1f} s")
    click.echo("wrote " + ", ".join(str(p) for p in paths))
    _report(out, report)


@main.command("report")
@click.argument("path", type=click.Path(exists=True, path_type=Path))
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              default=Path("report.html"), show_default=True, help="HTML file to write.")
@click.option("--cost-units", default="", help="Units of a search's cost, e.g. MAdds, MFLOPs, ms.")
@click.option("--reward-units", default="", help="Units of a search's reward, e.g. 'accuracy %'.")
def report_cmd(path: Path, output: Path, cost_units: str, reward_units: str) -> None:
    """Write one self-contained HTML report of a search JOURNAL or a study directory PATH."""
    _write_report(path, output, cost_units, reward_units)


@main.command("dashboard")
@click.argument("journal", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--port", type=click.IntRange(0, 65535), default=8080, show_default=True,
              help="TCP port (0: any free port).")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on (0.0.0.0 makes the page reachable from other machines).")
@click.option("--cost-units", default="", help="Units of the cost, e.g. MAdds, MFLOPs, ms.")
@click.option("--reward-units", default="", help="Units of the reward, e.g. 'accuracy %'.")
def dashboard_cmd(journal: Path, port: int, host: str, cost_units: str, reward_units: str) -> None:
    """Serve a live page of the search writing JOURNAL (read-only; updates every 2 s)."""
    from layernas.report import require
    try:
        require("aiohttp")
        from layernas.report.dashboard import serve
        from layernas.report.data import Units

        serve(journal, host, port, Units(cost_units, reward_units), announce=click.echo)
    except LayerNASError as exc:
        raise click.ClickException(str(exc)) from None


def _command_line(ctx: click.Context) -> str:
    """The invoked command with every option that was given (for reports to reproduce it)."""
    words = ["layernas", ctx.info_name or "study"]
    for param in ctx.command.params:
        value = ctx.params.get(param.name)
        if ctx.get_parameter_source(param.name) is click.core.ParameterSource.DEFAULT:
            continue
        if isinstance(value, bool):
            words.append(param.opts[0] if value else param.secondary_opts[0])
        else:
            words += [param.opts[0], *map(str, value if isinstance(value, tuple) else [value])]
    return shlex.join(words)


if __name__ == "__main__":  # pragma: no cover
    main()
