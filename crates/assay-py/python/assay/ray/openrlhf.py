"""OpenRLHF drop-in that scores on the cluster's Assay scorers (see :mod:`assay.ray`).

Start the scorers once (``assay.ray.start_scorers(config, replicas=N, cpus=C)``), then give
OpenRLHF this file: ``--remote_rm_url <this file>``. OpenRLHF loads it by path and calls
``reward_func(queries, prompts, labels)``.
"""

from assay.ray import reward_func  # noqa: F401

__all__ = ["reward_func"]
