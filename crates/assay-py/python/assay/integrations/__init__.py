"""Drop-in reward functions for RL trainers.

- :mod:`assay.integrations.verl`: ``compute_score`` for verl's ``custom_reward_function``
  (and ``compute_score_batch`` for its batch reward manager);
- :mod:`assay.integrations.trl`: ``reward_funcs(engine)`` for TRL's ``GRPOTrainer``;
- :mod:`assay.integrations.openrlhf`: ``reward_func`` for OpenRLHF's ``--remote_rm_url``.

The verl and OpenRLHF functions take no engine argument (the trainers call them by name), so
they use a process-wide engine, built once and cached, from the first of: a ``config=``
keyword argument (a path or a dict; verl passes ``reward_kwargs`` through), the configuration
set with :func:`configure`, the file named by the ``ASSAY_CONFIG`` environment variable, and
:data:`DEFAULT_CONFIG` (the ``math`` grader for every item).
"""

from ._common import DEFAULT_CONFIG, configure, get_engine

__all__ = ["DEFAULT_CONFIG", "configure", "get_engine"]
