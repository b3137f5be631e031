"""LayerNAS where users already tune models: an Optuna sampler (:mod:`.optuna`, the ``optuna``
extra) and a Ray Tune searcher (:mod:`.ray_tune`, the ``ray`` extra), both driving a layernas
strategy through :class:`~layernas.integrations.replay.Replay`. Import the submodule you use."""
