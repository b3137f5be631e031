"""Studies: many seeded runs x strategies on a tabular benchmark -> statistics, curves, plots.

```python
from layernas import study
spec = study.StudySpec("nats-sss", "cifar10", runs=100, budget=300)
result = study.run_study(spec, workers=2)
study.write_report(result, "out/")          # summary.json, curves.csv, report.md, PNGs
```
Modules: ``spec`` (what runs), ``noise`` (reward noise), ``running`` (the process pool),
``statistics`` (regret, P(oracle)), ``curves`` (anytime curves), ``plots``, ``report``.
"""

from layernas.study.curves import Band, regret_bands
from layernas.study.noise import NoisyReward
from layernas.study.report import write_report
from layernas.study.running import RunRecord, StudyResult, run_study
from layernas.study.spec import StrategySpec, StudySpec, parse_strategies, run_seed
from layernas.study.statistics import StrategySummary, summarize

__all__ = [
    "Band",
    "NoisyReward",
    "RunRecord",
    "StrategySpec",
    "StrategySummary",
    "StudyResult",
    "StudySpec",
    "parse_strategies",
    "regret_bands",
    "run_seed",
    "run_study",
    "summarize",
    "write_report",
]
