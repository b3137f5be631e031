"""Does the main job's proxy training give the same rewards on another CPU?

Trains the first ``--n`` random architectures of the digits MobileNetV2 space exactly as the
main job does (4 epochs, seed 0, one thread, deterministic algorithms) and prints their
validation accuracies. Run it under environment variables that make torch use another CPU's
kernels on this machine, and compare the lines:

    python bench/cpu_kernels.py
    ATEN_CPU_CAPABILITY=avx2 ONEDNN_MAX_CPU_ISA=AVX2 MKL_ENABLE_INSTRUCTIONS=AVX2 \\
        python bench/cpu_kernels.py
    ATEN_CPU_CAPABILITY=default ONEDNN_MAX_CPU_ISA=SSE41 MKL_ENABLE_INSTRUCTIONS=SSE4_2 \\
        python bench/cpu_kernels.py
"""

from __future__ import annotations

import argparse

import numpy as np
import torch

from layernas.torch.reward import TrainingReward
from layernas.torch.train import TrainSettings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=4, help="architectures to train")
    args = parser.parse_args()
    reward = TrainingReward("mobilenet_v2", dataset="digits", settings=TrainSettings(epochs=4), seed=0)
    space = reward.model_space().space
    rng = np.random.default_rng(0)
    accuracies = [reward(space.sample(rng)) for _ in range(args.n)]
    print(f"torch {torch.__version__}, CPU kernels {torch.backends.cpu.get_cpu_capability()}: "
          "validation % " + " ".join(f"{a:.2f}" for a in accuracies))


if __name__ == "__main__":
    main()
