"""Helpers of the Ray tests."""

import os
import signal
import sys
import time


def poison_to_item():
    """A ``to_item`` that kills its own process on the row whose id is "poison" (a real crash of
    the worker, as a segfault or the OOM killer would cause). A closure, so Ray and the
    isolated child receive it by value."""

    def to_item(row):
        if row["id"] == "poison":
            os.kill(os.getpid(), signal.SIGKILL)
        return {"id": row["id"], "response": row["response"], "reference": row["reference"]}

    return to_item


def bomb_to_item():
    """A ``to_item`` whose "bomb" row kills the Ray worker however it is scored: its own
    process when it runs in the actor, and the actor (the parent) when it runs in the isolated
    child, as a batch that exhausts the actor's memory would."""

    def to_item(row):
        if row["id"] == "bomb":
            main = sys.modules.get("__main__")
            spec = getattr(main, "__spec__", None)
            isolated = spec is not None and spec.name == "assay._isolated"
            os.kill(os.getppid() if isolated else os.getpid(), signal.SIGKILL)
            time.sleep(10)  # dying with its parent: its reply would go nowhere
        return {"id": row["id"], "response": row["response"], "reference": row["reference"]}

    return to_item
