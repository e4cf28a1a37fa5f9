"""verl drop-in that scores on the cluster's Assay scorers (see :mod:`assay.ray`).

Start the scorers once (``assay.ray.start_scorers(config, replicas=N, cpus=C)``), then give
verl this file with ``reward_model.reward_manager=batch``::

    custom_reward_function.path=<this file> custom_reward_function.name=compute_score_batch

verl loads the file by path, so it imports by absolute name.
"""

from assay.ray import compute_score_batch  # noqa: F401

__all__ = ["compute_score_batch"]
