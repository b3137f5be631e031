"""LayerNASSampler and suggest_arch driven by real Optuna studies on the NATS-Bench size table:
the same trainings as ln.search, resume after SIGKILL, processes sharing one SQLite storage."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import optuna
import pytest
from optuna_search import (BENCH, RANGE, STRATEGY, completed, objective, sampler, serial,
                           trainings)

import layernas as ln
from layernas.integrations.optuna import OWNER, LayerNASSampler, suggest_arch

pytestmark = [pytest.mark.optuna, pytest.mark.data]
SCRIPT = Path(__file__).parent / "optuna_search.py"
optuna.logging.set_verbosity(optuna.logging.WARNING)


def sqlite(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'study.db'}"


def best_arch(study: optuna.Study) -> tuple:
    return tuple(study.best_trial.params[layer.name] for layer in BENCH.space.layers)


@pytest.mark.parametrize("make, budget", [
    (lambda: ln.LayerNAS(**STRATEGY), None),
    (lambda: ln.RegularizedEvolution(population=5, sample=2), 30),
    (lambda: ln.RandomSearch(), 30),
])
def test_trains_what_ln_search_trains_and_answers_the_same(make, budget):
    reference = ln.search(BENCH.space, BENCH.reward, BENCH.cost, RANGE, strategy=make(),
                          budget=budget, seed=0, progress=False)
    study = optuna.create_study(direction="maximize", sampler=LayerNASSampler(
        BENCH.space, cost=BENCH.cost, cost_range=RANGE, strategy=make(), seed=0))
    study.optimize(objective(), n_trials=budget or 200)
    assert completed(study) == [t.arch for t in reference.trials]
    assert best_arch(study) == reference.best.arch
    assert study.best_value == reference.best.reward


def test_the_study_stops_when_the_strategy_finishes():
    study = optuna.create_study(direction="maximize", sampler=sampler())
    study.optimize(objective(), n_trials=200)
    trials = study.get_trials()
    assert len(trials) == serial().trained + 1  # the last one found nothing to train
    assert trials[-1].state == optuna.trial.TrialState.PRUNED and not trials[-1].params


def test_failed_and_pruned_trials_are_failed_outcomes():
    failing = [t.arch for t in serial().trials[2:6]]

    def reward(arch):
        if arch in failing:
            raise RuntimeError("diverged")
        return BENCH.reward(arch)

    reference = ln.search(BENCH.space, reward, BENCH.cost, RANGE,
                          strategy=ln.LayerNAS(**STRATEGY), seed=0, progress=False)

    def train(trial):
        arch = suggest_arch(trial, BENCH.space)
        if arch in failing[:2]:
            raise optuna.TrialPruned()
        return reward(arch)

    study = optuna.create_study(direction="maximize", sampler=sampler())
    study.optimize(train, n_trials=200, catch=(RuntimeError,))
    told = [t for t in study.get_trials() if t.params]
    assert [tuple(t.params.values()) for t in told] == [t.arch for t in reference.trials]
    assert sum(t.state != optuna.trial.TrialState.COMPLETE for t in told) == len(
        reference.failed) >= 2
    assert best_arch(study) == reference.best.arch


def test_minimising_a_loss_gives_the_same_search():
    study = optuna.create_study(direction="minimize", sampler=sampler())
    study.optimize(lambda trial: -objective()(trial), n_trials=200)
    reference = serial()
    assert completed(study) == [t.arch for t in reference.trials]
    assert best_arch(study) == reference.best.arch


def test_other_parameters_come_from_the_named_fallback_sampler():
    def train(trial):
        lr = trial.suggest_float("lr", 1e-4, 1e-1, log=True)
        assert 1e-4 <= lr <= 1e-1
        return objective()(trial)

    study = optuna.create_study(direction="maximize", sampler=sampler(
        fallback=optuna.samplers.RandomSampler(seed=0)))
    study.optimize(train, n_trials=200)
    assert completed(study) == [t.arch for t in serial().trials]


def test_bad_input_gets_a_clear_error_before_any_training():
    trained = []

    def misspelt(trial):
        arch = tuple(trial.suggest_categorical(name, layer.options) for name, layer in
                     zip(["channels1", "chanels2", "channels3", "channels4", "channels5"],
                         BENCH.space.layers))
        trained.append(arch)
        return 0.0

    study = optuna.create_study(direction="maximize", sampler=sampler())
    with pytest.raises(ln.LayerNASError, match=r"the objective asks for 'chanels2', which is not "
                       r"a layer of the space \(layers: channels1, channels2, .*fallback="):
        study.optimize(misspelt, n_trials=5)
    with pytest.raises(ln.LayerNASError, match="suggests layer 'channels1' with .* but the "
                                               "space's layer has the options"):
        study.optimize(lambda t: t.suggest_categorical("channels1", [8, 16]), n_trials=5)
    assert trained == []
    # the failed trials claimed nothing: the study goes on as if they never happened
    study.optimize(objective(), n_trials=200)
    assert completed(study) == [t.arch for t in serial().trials]

    two = optuna.create_study(directions=["maximize", "minimize"], sampler=sampler())
    with pytest.raises(ln.LayerNASError, match="LayerNASSampler optimises one objective"):
        two.optimize(lambda t: (objective()(t), 0.0), n_trials=1)
    with pytest.raises(ln.LayerNASError, match="no architecture can reach cost_range"):
        LayerNASSampler(BENCH.space, cost=BENCH.cost, cost_range=(-2.0, -1.0))
    with pytest.raises(ln.LayerNASError, match="strategy must be a layernas strategy"):
        LayerNASSampler(BENCH.space, cost=BENCH.cost, cost_range=RANGE, strategy="layernas")


def test_resuming_with_another_search_is_refused(tmp_path):
    storage = sqlite(tmp_path)
    study = optuna.create_study(storage=storage, study_name="s", direction="maximize",
                                sampler=sampler())
    study.optimize(objective(), n_trials=2)
    other = LayerNASSampler(BENCH.space, cost=BENCH.cost, cost_range=RANGE,
                            strategy=ln.LayerNAS(buckets=4), seed=0)
    study = optuna.load_study(study_name="s", storage=storage, sampler=other)
    with pytest.raises(ln.LayerNASError, match="study 's' was searched with .* use the same "
                                               "space, cost range, strategy and seed"):
        study.optimize(objective(), n_trials=1)


def test_a_layer_barrier_waits_then_times_out_clearly():
    study = optuna.create_study(direction="maximize", sampler=sampler(wait_timeout=0.3))
    first_layer = []
    while True:  # ask-and-tell: ask while LayerNAS has candidates of its first layer
        trial = study.ask()
        try:
            first_layer.append((trial, suggest_arch(trial, BENCH.space)))
        except ln.LayerNASError as error:  # all of them are running: LayerNAS waits for them
            assert str(error).startswith(
                f"LayerNASSampler waited 0.3 s at a layer barrier for the running trials of "
                f"{len(first_layer)} architectures")
            study.tell(trial, state=optuna.trial.TrialState.FAIL)
            break
    assert len(first_layer) >= 2
    assert len({arch for _, arch in first_layer}) == len(first_layer)
    for trial, arch in first_layer:
        study.tell(trial, BENCH.reward(arch))
    study.optimize(objective(), n_trials=200)  # the barrier is open: the search goes on
    assert completed(study) == [t.arch for t in serial().trials]


def wait_for(log: str, lines: int, process: subprocess.Popen, timeout: float = 300) -> None:
    deadline = time.monotonic() + timeout
    while len(trainings(log)) < lines:
        assert process.poll() is None, "the search process ended before it was killed"
        assert time.monotonic() < deadline, f"no {lines} trainings within {timeout} s"
        time.sleep(0.05)


@pytest.mark.slow
def test_a_study_killed_with_sigkill_resumes_with_load_study(tmp_path):
    storage, log = sqlite(tmp_path), str(tmp_path / "trained.log")
    optuna.create_study(storage=storage, study_name="s", direction="maximize")
    process = subprocess.Popen([sys.executable, str(SCRIPT), storage, "s", log, "0.05"])
    try:
        wait_for(log, 10, process)  # past LayerNAS's first layer barrier (8 candidates)
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait()
    before = len(trainings(log))
    # the killed trial may name no process (killed before the sampler recorded it): one
    # process resumes, so orphan_after=0 may judge any such trial by its age at once
    study = optuna.load_study(study_name="s", storage=storage, sampler=sampler(orphan_after=0))
    study.optimize(objective(log), n_trials=200)
    reference = serial()
    assert completed(study) == [t.arch for t in reference.trials]
    assert best_arch(study) == reference.best.arch
    archs = [arch for _, arch in trainings(log)]
    assert sorted(set(archs)) == sorted(t.arch for t in reference.trials)
    assert len(archs) - len(set(archs)) <= 1  # only a training cut by the kill is redone
    assert before < len(reference.trials)
    states = {t.state for t in study.get_trials()}
    assert optuna.trial.TrialState.RUNNING not in states  # the killed trial was failed


@pytest.mark.parametrize("recorded", [True, False])
def test_a_trial_killed_before_it_claimed_is_failed(tmp_path, recorded):
    # killed after the sampler recorded its process, or before (then judged by its age)
    storage = sqlite(tmp_path)
    study = optuna.create_study(storage=storage, study_name="s", direction="maximize")
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    stale = study._storage.create_new_trial(study._study_id)
    if recorded:
        study._storage.set_trial_system_attr(stale, OWNER, {"host": socket.gethostname(),
                                                            "pid": gone.pid})
    study = optuna.load_study(study_name="s", storage=storage,
                              sampler=sampler(orphan_after=3600 if recorded else 0))
    study.optimize(objective(), n_trials=200)
    assert study._storage.get_trial(stale).state == optuna.trial.TrialState.FAIL
    assert completed(study) == [t.arch for t in serial().trials]


@pytest.mark.slow
def test_two_processes_sharing_one_storage_train_each_architecture_once(tmp_path):
    storage, log = sqlite(tmp_path), str(tmp_path / "trained.log")
    optuna.create_study(storage=storage, study_name="s", direction="maximize")
    processes = [subprocess.Popen([sys.executable, str(SCRIPT), storage, "s", log, "0.2"])
                 for _ in range(2)]
    try:
        for process in processes:
            assert process.wait(timeout=600) == 0
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()
                process.wait()
    reference = serial()
    done = trainings(log)
    archs = [arch for _, arch in done]
    assert len(archs) == len(set(archs)) == len(reference.trials)
    assert set(archs) == {t.arch for t in reference.trials}
    assert {pid for pid, _ in done} == {p.pid for p in processes}  # both trained
    study = optuna.load_study(study_name="s", storage=storage)
    assert best_arch(study) == reference.best.arch
    assert study.best_value == reference.best.reward


def test_a_missing_extra_is_named():
    code = ("import sys; sys.modules['optuna'] = None\n"
            "from layernas import LayerNASError\n"
            "try:\n    import layernas.integrations.optuna\n"
            "except LayerNASError as e:\n    print(e)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == (
        "Optuna is not installed; install it with pip install 'layernas[optuna]'")
