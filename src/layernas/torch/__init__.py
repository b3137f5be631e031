"""PyTorch support (optional extra ``layernas[torch]``).

``madds``/``params`` count costs (:mod:`~layernas.torch.counting`); :mod:`~layernas.torch.spaces`
holds the model spaces (``nats_sss``, ``nas_bench_macro``, ``mobilenet_v2``);
:mod:`~layernas.torch.data` small real datasets; :mod:`~layernas.torch.train` proxy training;
:mod:`~layernas.torch.reward` the picklable ``TrainingReward``; :mod:`~layernas.torch.export`
saving and loading the winner. The core ``layernas`` package never imports this subpackage (nor torch).
"""

from layernas.torch import spaces
from layernas.torch.counting import madds, params

__all__ = ["madds", "params", "spaces"]
