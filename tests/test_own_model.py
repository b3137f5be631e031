"""docs/own-model.md, run as written: its files are written to a folder beside a small
generated image folder, and its configs searched for real (short budgets)."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from click.testing import CliRunner
from PIL import Image

from layernas import LayerNASError
from layernas.cli import main
from layernas.torch import export
from layernas.torch.data import load
from layernas.torch.problem import TrainingProblem

pytestmark = [pytest.mark.torch, pytest.mark.slow]

DOC = (Path(__file__).parents[1] / "docs" / "own-model.md").read_text()
FILES = dict(re.findall(r"```(?:python|toml)\n# file: (\S+)\n(.*?)```", DOC, re.DOTALL))
LOADING = re.search(r"```python\n(import json, torch\n.*?)```", DOC, re.DOTALL).group(1)
COLOURS = {"blue": (30, 60, 200), "green": (40, 180, 60), "red": (200, 40, 30)}


def image_folder(root: Path, per_class: int = 10) -> None:
    """A tiny ImageFolder tree: one folder per colour, noisy 20x20 images (PNG and JPEG,
    some grey-scale, so conversion and resizing are exercised)."""
    rng = np.random.default_rng(0)
    for name, colour in COLOURS.items():
        (root / name).mkdir(parents=True)
        for i in range(per_class):
            pixels = np.clip(rng.normal(colour, 40, size=(20, 20, 3)), 0, 255).astype(np.uint8)
            image = Image.fromarray(pixels)
            if i == 0:
                image.convert("L").save(root / name / f"{i:03}.png")
            elif i == 1:
                image.save(root / name / f"{i:03}.jpg", quality=95)
            else:
                image.save(root / name / f"{i:03}.png")
    (root / "red" / "notes.txt").write_text("not an image: ignored")


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The doc's files and my_images/ in tmp_path, which is also the working directory."""
    assert set(FILES) == {"my_model.py", "my_images.toml", "my_data.py", "my_data.toml",
                          "my_train.py", "my_train.toml"}
    for name, text in FILES.items():
        (tmp_path / name).write_text(text)
    image_folder(tmp_path / "my_images")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "path", list(sys.path))
    for module in ("my_model", "my_data", "my_train"):
        monkeypatch.delitem(sys.modules, module, raising=False)
    return tmp_path


def search(*args: str) -> str:
    out = CliRunner().invoke(main, ["search", *args, "--workers", "1", "--no-progress"])
    assert out.exit_code == 0, out.output
    return out.output


def test_image_folder_search_exports_a_winner_plain_torch_loads(folder: Path) -> None:
    output = search("my_images.toml", "--budget", "4")
    assert "trained 4" in output and "winner exported to" in output
    winner = folder / "my_images-winner"
    record = json.loads((winner / "arch.json").read_text())
    assert record["space"] == "my_model:tiny_cnn"
    assert record["kwargs"] == {"input_shape": [3, 16, 16], "num_classes": 3}
    assert record["input"]["shape"] == [3, 16, 16] and record["input"]["std"] > 0
    assert record["metrics"]["final_epochs"] == 10
    # the TorchScript file gives the PyTorch module's outputs, without layernas
    data = load("image_folder", root=str(folder / "my_images"), size=16)
    x = data.test.x
    scripted = torch.jit.load(str(winner / export.SCRIPT_FILE))
    with torch.no_grad():
        assert torch.equal(scripted(x), export.load(winner)(x))
        accuracy = float((scripted(x).argmax(1) == data.test.y).float().mean()) * 100
    assert accuracy == pytest.approx(record["metrics"]["test_accuracy"], abs=1e-4)
    # the doc's loading example runs as written
    exec(compile(LOADING, "own-model.md", "exec"), {})  # noqa: S102 - the doc is the test


def test_a_previous_winner_is_kept_unless_overwrite(folder: Path) -> None:
    search("my_images.toml", "--budget", "2")
    before = (folder / "my_images-winner" / "weights.pt").read_bytes()
    refused = CliRunner().invoke(main, ["search", "my_images.toml", "--budget", "3",
                                        "--no-progress"])
    assert refused.exit_code != 0
    assert "already holds a winner" in refused.output and "--overwrite" in refused.output
    assert "trained" not in refused.output  # refused before any training
    assert (folder / "my_images-winner" / "weights.pt").read_bytes() == before
    output = search("my_images.toml", "--budget", "3", "--overwrite")
    assert "trained 3 (1 now, 2 from the journal)" in output, output
    assert json.loads((folder / "my_images-winner" / "arch.json").read_text())["arch"]


def test_dataset_factory_search(folder: Path) -> None:
    output = search("my_data.toml", "--budget", "3")
    assert "best in range" in output


def test_own_training_loop_search(folder: Path) -> None:
    output = search("my_train.toml", "--budget", "3")
    assert "best in range" in output


def test_training_settings_are_checked_before_training() -> None:
    for args, message in (
        ({"optimizer": "rmsprop"}, "training optimizer must be one of ['sgd', 'adam', 'adamw']"),
        ({"device": "tpu"}, "unknown device 'tpu'"),
        ({"device": "cuda:99"}, "device 'cuda:99' asked for"),
        ({"lr": -1}, "training lr must be a number >= 0"),
        ({"batch_size": 0}, "training batch_size must be an integer >= 1"),
    ):
        with pytest.raises(LayerNASError, match=re.escape(message)):
            TrainingProblem(**args)
