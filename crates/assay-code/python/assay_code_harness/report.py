"""The result channel: reports on file descriptor 3, each line tagged with the task's nonce,
and how an exception is described in them."""

import json
import os
import traceback


def describe(e):
    """An exception as one short text: its type and message, at most 2,000 characters."""
    return "".join(traceback.format_exception_only(type(e), e))[-2000:]


def reporter(nonce, fd=3):
    """A function writing one report (any JSON value) as a line `<nonce> <json>` on `fd`."""
    tag = nonce.encode() + b" "
    write, dumps = os.write, json.dumps

    def report(obj):
        line = memoryview(tag + dumps(obj).encode() + b"\n")
        while line:
            line = line[write(fd, line) :]

    return report
