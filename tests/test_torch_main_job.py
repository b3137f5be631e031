"""The README's main job, in miniature: config -> search -> exported winner that evaluates."""

from __future__ import annotations

import pytest
import json
import re
from pathlib import Path

import torch
from click.testing import CliRunner

from layernas.cli import main
from layernas.torch import export, madds
from layernas.torch.data import load

pytestmark = pytest.mark.torch

CONFIG = (Path(__file__).parents[1] / "examples" / "digits.toml").read_text()
README = (Path(__file__).parents[1] / "README.md").read_text()


@pytest.mark.slow
def test_digits_config_searches_and_exports_a_usable_model(tmp_path, monkeypatch):
    config = tmp_path / "digits.toml"
    # tiny: 1-epoch proxy, 2-epoch final training, and random search in place of the config's
    # strategy (layernas-tr counts ~100 networks' MAdds before its first proposal)
    assert 'name = "layernas-tr"' in CONFIG
    config.write_text(CONFIG.replace("epochs = 4, final_epochs = 30", "epochs = 1, final_epochs = 2")
                      .replace('name = "layernas-tr"', 'name = "random"'))
    out = CliRunner().invoke(main, ["search", str(config), "--budget", "4", "--workers", "1",
                                    "--no-progress"])
    assert out.exit_code == 0, out.output
    assert out.output.startswith("trained 4,") and "test accuracy" in out.output
    record = json.loads((tmp_path / "digits-winner" / "arch.json").read_text())
    model = export.load(tmp_path / "digits-winner")
    assert madds(model, (1, 8, 8)) == record["madds"] <= 0.5 * 1_567_744
    test = load("digits").test
    with torch.no_grad():
        accuracy = (model(test.x).argmax(1) == test.y).float().mean().item() * 100
    assert abs(accuracy - record["metrics"]["test_accuracy"]) < 1e-4  # float32 mean
    # the README's loading example, with plain torch, on the exported folder
    snippet = next(block for block in re.findall(r"```python\n(.*?)```", README, re.DOTALL)
                   if "torch.jit.load" in block)
    monkeypatch.chdir(tmp_path)
    exec(compile(snippet.replace("examples/", ""), "README.md", "exec"), {})  # noqa: S102
    assert (tmp_path / "digits.sqlite").exists()
