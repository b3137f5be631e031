"""The true optima of the real benchmark tables over [0, fraction x the largest FLOPs], as
the official tables give them (checked by test_benchmarks, used by test_study)."""

MB6, MB3, ID = "MB6_K5", "MB3_K3", "identity"
# (name, dataset, fraction of max FLOPs) -> (arch, final, MFLOPs) of the oracle on [0, fraction*max]
ORACLES = {
    ("nats-sss", "cifar10", 0.5): ((32, 64, 64, 64, 64), 90.18399998779297, 126.714506),
    ("nats-sss", "cifar10", 0.25): ((16, 40, 56, 56, 64), 89.44799998779297, 65.385098),
    ("nats-sss", "cifar100", 0.5): ((40, 56, 48, 56, 64), 70.39999995117188, 131.762532),
    ("nats-sss", "cifar100", 0.25): ((16, 56, 48, 56, 64), 69.63999997558594, 65.72682),
    ("nats-sss", "ImageNet16-120", 0.5): ((32, 56, 64, 56, 64), 45.56666656494141, 30.298744),
    ("nats-sss", "ImageNet16-120", 0.25): ((16, 56, 40, 56, 64), 43.03333331298828, 14.60492),
    ("nas-bench-macro", "cifar10", 0.5): (
        (MB6, MB3, MB3, MB3, MB3, MB6, ID, ID),
        92.3066635131836,
        51.139072,
    ),
    ("nas-bench-macro", "cifar10", 0.25): (
        (MB3, ID, MB3, ID, ID, MB6, ID, ID),
        88.70999654134114,
        25.65376,
    ),
}
