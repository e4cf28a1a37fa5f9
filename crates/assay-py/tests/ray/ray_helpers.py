"""Helpers of the Ray tests."""

import os
import signal


def poison_to_item():
    """A ``to_item`` that kills its own process on the row whose id is "poison" (a real crash of
    the worker, as a segfault or the OOM killer would cause). A closure, so Ray and the
    isolated child receive it by value."""

    def to_item(row):
        if row["id"] == "poison":
            os.kill(os.getpid(), signal.SIGKILL)
        return {"id": row["id"], "response": row["response"], "reference": row["reference"]}

    return to_item
