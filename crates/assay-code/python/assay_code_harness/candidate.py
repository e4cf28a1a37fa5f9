"""The candidate's process: a child the judge forks before it reads the tests.

It closes the result channel (fd 3) and stdin before compiling the candidate's code, and
cannot reopen them: the judge is non-dumpable and seccomp denies ptrace, so neither
`/proc/<judge>/fd` nor `pidfd_getfd` reach the judge's descriptors, nor `/proc/<judge>/mem` its
memory. Its memory holds neither the tests nor the nonce: both reach the judge on stdin only
after the fork. It then loads the program, sends the judge its names (`["loaded", names]`, or
`["compile_error", ...]` / `["load_error", ...]`), and serves the judge's requests.
"""

import builtins
import os
import types

from assay_code_harness.peer import connect
from assay_code_harness.report import describe


def main(source, sock):
    """The candidate's process: loads the program, then answers the judge. Never returns.

    Trusted code until the candidate's code is compiled, untrusted from then on: nothing it
    sends is believed beyond being data.
    """
    # First, before any of the candidate's code: no result channel, no stdin.
    try:
        os.close(3)
    except OSError:
        pass
    try:
        null = os.open("/dev/null", os.O_RDONLY)
        os.dup2(null, 0)
        os.close(null)
    except OSError:
        os.close(0)

    class JudgeError(Exception):
        """The judge's process went away or broke the protocol."""

    peer = connect(sock, "h", False, JudgeError, lambda e: f"lost the judge: {e}")
    namespace = {"__name__": "solution", "__builtins__": builtins}
    try:
        code = compile(source, "<candidate>", "exec")
    except BaseException as e:
        peer.send(["compile_error", describe(e)])
        os._exit(0)
    try:
        exec(code, namespace)
    except BaseException as e:
        peer.send(["load_error", describe(e)])
        os._exit(0)
    names = []
    for name, value in list(namespace.items()):
        if name.startswith("__") and name.endswith("__"):
            continue
        if isinstance(value, types.ModuleType):
            names.append([name, "module", value.__name__])
            continue
        try:
            names.append([name, "value", peer.encode(value)])
        except BaseException:
            names.append([name, "value", peer.export(value, 0)])
    peer.send(["loaded", names])
    while True:
        try:
            message = peer.recv()
        except BaseException:
            os._exit(0)
        if type(message) is list and message and message[0] == "req":
            try:
                peer.send(peer.serve(message))
            except BaseException:
                os._exit(0)
        elif type(message) is list and len(message) == 2 and message[0] == "define":
            # Classes the tests define (`ListNode`), for a program that uses them without
            # defining them, as it could if the tests were pasted after it.
            for name, value in message[1]:
                try:
                    namespace.setdefault(name, peer.decode(value))
                except BaseException:
                    pass
