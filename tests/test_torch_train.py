"""Proxy training and the picklable reward function: deterministic given the seed."""

import pickle
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context

import pytest
import torch

from layernas import LayerNASError
from layernas.torch.data import load
from layernas.torch.reward import TrainingReward
from layernas.torch.spaces import mobilenet_v2
from layernas.torch.train import TrainSettings, train

pytestmark = pytest.mark.torch

SMALL = {"blocks": [[[8], 1], [[16], 2]], "stem_width": 8, "head_width": 16}
ARCH = (3, 3, 8, False, 3, 3, 16)


def trained(seed):
    torch.manual_seed(0)
    module = mobilenet_v2(**SMALL).build(ARCH)
    return module, train(module, load("digits"), TrainSettings(epochs=2), seed=seed)


def test_training_is_deterministic_and_learns():
    threads = torch.get_num_threads()
    (m1, r1), (m2, r2) = trained(0), trained(0)
    assert (r1.val_accuracy, r1.test_accuracy, r1.epochs) == (r2.val_accuracy, r2.test_accuracy, 2)
    assert all(torch.equal(a, b) for a, b in zip(m1.state_dict().values(),
                                                 m2.state_dict().values()))
    assert r1.val_accuracy > 25 and r1.seconds > 0  # chance is 10%
    assert torch.get_num_threads() == threads and not torch.are_deterministic_algorithms_enabled()
    _, r3 = trained(1)
    assert r3.val_accuracy != r1.val_accuracy or r3.test_accuracy != r1.test_accuracy


def test_bad_settings():
    with pytest.raises(LayerNASError, match="batch_size 5000 is larger than the 1078"):
        train(mobilenet_v2(**SMALL).build(ARCH), load("digits"),
              TrainSettings(epochs=1, batch_size=5000), seed=0)


@pytest.mark.slow
def test_reward_is_picklable_and_deterministic():
    reward = TrainingReward(dataset="digits", settings=TrainSettings(epochs=1), space_kwargs=SMALL)
    clone = pickle.loads(pickle.dumps(reward))
    assert clone == reward
    assert reward.model_space().input_shape == (1, 8, 8)
    value = reward(ARCH)
    assert 0 <= value <= 100 and clone(ARCH) == value
    with ProcessPoolExecutor(1, mp_context=get_context("spawn")) as pool:
        assert pool.submit(reward, ARCH).result() == value
