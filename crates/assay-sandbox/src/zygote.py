# The Python zygote: pid 1 of a cell. Trusted code, embedded in the assay-sandbox crate.
#
# It preloads the standard library once, then forks one child per task. The child drops to
# the task uid under fresh rlimits and a task Landlock layer, and runs the program; the zygote
# enforces the wall deadline, and after every task kills every other process of the cell
# (kill(-1) from pid 1 reaches all of them, detached daemons included) and reaps them.
#
# Protocol on fd 3 (a Unix stream socket to the supervisor):
#   supervisor -> zygote: u32 total | u32 header_len | JSON header | blob, with the task's
#                         stdin, stdout, stderr and channel descriptors attached (SCM_RIGHTS)
#   zygote -> supervisor: u32 len | JSON
import builtins
import gc
import io
import json
import mmap
import os
import resource
import select
import signal
import socket
import struct
import sys
import time
import traceback

CONFIG = json.loads(sys.argv[1])
TASK_UID = CONFIG["task_uid"]
sys.path[:] = [p for p in sys.path if p]
sys.argv[:] = ["main.py"]

for _name in CONFIG["preload"]:
    try:
        __import__(_name)
    except Exception:
        pass

import types as _types

# Modules given as source, in order. A dotted name `pkg.mod` is a submodule of `pkg`, which
# comes earlier in the list and so becomes a package.
for _name, _source in CONFIG.get("modules", []):
    _module = _types.ModuleType(_name)
    _parent, _, _child = _name.rpartition(".")
    _module.__package__ = _parent
    if _parent:
        _package = sys.modules[_parent]
        if not hasattr(_package, "__path__"):
            _package.__path__ = []
            _package.__package__ = _parent
    sys.modules[_name] = _module
    exec(compile(_source, f"<{_name}>", "exec"), _module.__dict__)
    if _parent:
        setattr(_package, _child, _module)

CTRL = socket.socket(fileno=3)
LANDLOCK = CONFIG.get("landlock")
if LANDLOCK is not None:
    import ctypes

    _libc = ctypes.CDLL(None, use_errno=True)
    _syscall = _libc.syscall
    _syscall.restype = ctypes.c_long

    def sys_call(nr, *args):
        """syscall(2) with every argument widened to a C long (it is variadic)."""
        return _syscall(ctypes.c_long(nr), *(a if isinstance(a, ctypes.Array) else ctypes.c_long(a) for a in args))


def landlock_task_layer(scratch):
    """Allows writes only beneath `scratch` (and to /dev/null) from now on."""
    ll = LANDLOCK
    attr = struct.pack("<QQQ", ll["handled_fs"], 0, ll["scoped"])[: ll["attr_size"]]
    buf = ctypes.create_string_buffer(attr, len(attr))
    ruleset = sys_call(ll["create_ruleset"], buf, len(attr), 0)
    if ruleset < 0:
        raise OSError(ctypes.get_errno(), "landlock_create_ruleset")
    try:
        for path, rights in ((scratch, ll["dir_rights"]), ("/dev/null", ll["file_rights"])):
            fd = os.open(path, os.O_PATH | os.O_CLOEXEC)
            try:
                rule = ctypes.create_string_buffer(struct.pack("<Qi", rights, fd), 12)
                if sys_call(ll["add_rule"], ruleset, 1, rule, 0) < 0:
                    raise OSError(ctypes.get_errno(), "landlock_add_rule")
            finally:
                os.close(fd)
        if sys_call(ll["restrict_self"], ruleset, 0) < 0:
            raise OSError(ctypes.get_errno(), "landlock_restrict_self")
    finally:
        os.close(ruleset)


def send(obj):
    data = json.dumps(obj).encode()
    CTRL.sendall(struct.pack("<I", len(data)) + data)


def recv_exact(n, into):
    while len(into) < n:
        chunk = CTRL.recv(n - len(into))
        if not chunk:
            return None
        into += chunk
    return into


def recv_frame():
    """Returns (header, blob, fds), or None when the supervisor has gone."""
    data, fds, _flags, _addr = socket.recv_fds(CTRL, 8, 8)
    if not data:
        return None
    buf = recv_exact(8, bytearray(data))
    if buf is None:
        return None
    total, hlen = struct.unpack("<II", buf)
    # The body (the program and the task's files) goes straight from the socket into its own
    # anonymous mapping, never into the heap: the mapping is unmapped once the task is done,
    # so nothing of it survives in the zygote's memory for the next tasks (forked from it) to
    # read. A heap buffer, once freed, kept earlier tasks' programs readable.
    size = total - 4
    body = mmap.mmap(-1, max(size, 1), flags=mmap.MAP_PRIVATE)
    view = memoryview(body)
    got = 0
    while got < size:
        n = CTRL.recv_into(view[got:size])
        if not n:
            return None
        got += n
    header = json.loads(bytes(view[:hlen]))
    return header, view[hlen:size], fds


RLIMITS = {
    "cpu_s": resource.RLIMIT_CPU,
    "address_space": resource.RLIMIT_AS,
    "file_size": resource.RLIMIT_FSIZE,
    "open_files": resource.RLIMIT_NOFILE,
    "processes": resource.RLIMIT_NPROC,
    "stack": resource.RLIMIT_STACK,
}


def child(header, blob, fds, scratch):
    """Runs in the forked task process; never returns."""
    try:
        os.setsid()
        try:
            fd = os.open("/proc/self/oom_score_adj", os.O_WRONLY)
            os.write(fd, b"1000")
            os.close(fd)
        except OSError:
            pass
        for target, fd in enumerate(fds):
            os.dup2(fd, target)
        os.closerange(len(fds), 1 << 20)
        os.chdir(scratch)
        limits = header["limits"]
        for key, res in RLIMITS.items():
            value = limits.get(key)
            if value is not None:
                hard = value + 1 if key == "cpu_s" else value
                resource.setrlimit(res, (value, hard))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        os.setgroups([])
        os.setresgid(TASK_UID, TASK_UID, TASK_UID)
        os.setresuid(TASK_UID, TASK_UID, TASK_UID)
        if LANDLOCK is not None:
            landlock_task_layer(scratch)
        offset = 0
        for name, size, mode in header["files"]:
            fd = os.open(name, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
            with open(fd, "wb") as f:
                f.write(blob[offset : offset + size])
            offset += size
        program = bytes(blob[offset : offset + header["program_len"]])
    except BaseException:
        try:
            os.write(2, ("assay-sandbox: task setup failed:\n" + traceback.format_exc()).encode())
        finally:
            os._exit(125)
    if header["kind"] == "exec":
        try:
            argv = header["argv"]
            env = dict(e.split("=", 1) for e in header["env"])
            env["TMPDIR"] = scratch
            os.execve(argv[0], argv, env)
        except BaseException as e:
            os.write(2, f"assay-sandbox: exec failed: {e}\n".encode())
        os._exit(126)
    del blob, fds
    sys.stdin = io.TextIOWrapper(io.BufferedReader(io.FileIO(0, "r", closefd=False)), encoding="utf-8")
    sys.stdout = io.TextIOWrapper(io.BufferedWriter(io.FileIO(1, "w", closefd=False)), encoding="utf-8")
    sys.stderr = io.TextIOWrapper(
        io.BufferedWriter(io.FileIO(2, "w", closefd=False)),
        encoding="utf-8",
        errors="backslashreplace",
        line_buffering=True,
    )
    code = 0
    try:
        module = {"__name__": "__main__", "__builtins__": builtins, "__file__": "main.py"}
        compiled = compile(program, "main.py", "exec")
        del program
        exec(compiled, module)
    except SystemExit as e:
        if e.code is None:
            code = 0
        elif isinstance(e.code, int):
            code = e.code & 0xFF
        else:
            try:
                print(e.code, file=sys.stderr)
            except BaseException:
                pass
            code = 1
    except BaseException:
        try:
            traceback.print_exc()
        except BaseException:
            pass
        code = 1
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except BaseException:
            if code == 0:
                code = 120
    os._exit(code)


def kill_all():
    """Kills every process of the cell but this one and reaps them all."""
    while True:
        try:
            os.kill(-1, signal.SIGKILL)
        except ProcessLookupError:
            pass
        try:
            os.waitpid(-1, 0)
        except ChildProcessError:
            return


def remove_tree(root):
    """Removes a scratch directory, however deep, without following links.

    Iterative (a task may nest directories deeper than Python's recursion limit); returns
    False if something could not be removed.
    """
    stack = [(root, False)]
    ok = True
    while stack:
        path, emptied = stack.pop()
        if emptied:
            try:
                os.rmdir(path)
            except OSError:
                ok = False
            continue
        stack.append((path, True))
        try:
            with os.scandir(path) as entries:
                for entry in entries:
                    if entry.is_dir(follow_symlinks=False):
                        stack.append((entry.path, False))
                    else:
                        try:
                            os.unlink(entry.path)
                        except OSError:
                            ok = False
        except OSError:
            ok = False
    return ok


def run(header, blob, fds, serial):
    scratch = f"/tmp/t{serial}"
    os.mkdir(scratch, 0o700)
    os.chown(scratch, TASK_UID, TASK_UID)
    started = time.monotonic()
    pid = os.fork()
    if pid == 0:
        child(header, blob, fds, scratch)
    for fd in fds:
        os.close(fd)
    pidfd = os.pidfd_open(pid)
    deadline = started + header["limits"]["wall_ms"] / 1000.0
    timed_out = killed = False
    gone = False
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            timed_out = True
            break
        ready, _, _ = select.select([pidfd, CTRL], [], [], remaining)
        if pidfd in ready:
            break
        if CTRL in ready:
            frame = recv_frame()
            if frame is None:
                gone = True
                break
            if frame[0].get("op") == "kill":
                killed = True
                break
    os.close(pidfd)
    if timed_out or killed or gone:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    _, status, usage = os.wait4(pid, 0)
    wall = time.monotonic() - started
    kill_all()
    if gone:
        os._exit(0)
    clean = remove_tree(scratch)
    send(
        {
            "op": "done",
            "exit_code": os.WEXITSTATUS(status) if os.WIFEXITED(status) else None,
            "signal": os.WTERMSIG(status) if os.WIFSIGNALED(status) else None,
            "cpu_ms": (usage.ru_utime + usage.ru_stime) * 1000.0,
            "wall_ms": wall * 1000.0,
            "timed_out": timed_out,
            "killed": killed,
            "max_rss_kb": usage.ru_maxrss,
            "exiting": not clean,
        }
    )
    if not clean:
        # Leftovers would eat the next tasks' scratch space: start a fresh cell instead.
        os._exit(0)


def main():
    # A world-writable directory outside every scratch dir: the self-test checks that the
    # task Landlock layer refuses writes there although file permissions allow them.
    os.mkdir("/tmp/.landlock-canary")
    os.chmod("/tmp/.landlock-canary", 0o1777)
    send({"op": "ready", "python": sys.version.split()[0]})
    gc.collect()
    gc.freeze()
    serial = 0
    while True:
        frame = recv_frame()
        if frame is None:
            os._exit(0)
        header, blob, fds = frame
        op = header.get("op")
        if op == "run":
            serial += 1
            run(header, blob, fds, serial)
        else:
            for fd in fds:
                os.close(fd)
            if op == "ping":
                send({"op": "pong"})


try:
    main()
except BaseException:
    try:
        send({"op": "fatal", "error": traceback.format_exc()})
    finally:
        os._exit(1)
