"""10,000 judge requests at concurrency 64 against one local llama-server: `assay score` with
bench/judge/judge.toml beside openai_judge.py (the `openai` client on asyncio), alternating,
ROUNDS times. Each client is a child process; its CPU time (user + system) comes from
wait4(2), the server's from /proc/PID/stat before and after. LLAMA_ARGS adds arguments to
llama-server's command line (run.sh sets `--threads-http 80`).

    python bench.py ASSAY LLAMA_SERVER MODEL.gguf PYTHON_WITH_OPENAI [N] [ROUNDS] [CONCURRENCY]
"""

import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
ASSAY, LLAMA, MODEL, PYTHON = sys.argv[1:5]
N = int(sys.argv[5]) if len(sys.argv) > 5 else 10_000
ROUNDS = int(sys.argv[6]) if len(sys.argv) > 6 else 3
CONCURRENCY = int(sys.argv[7]) if len(sys.argv) > 7 else 64
TICK = os.sysconf("SC_CLK_TCK")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def server_cpu(pid):
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def run(argv, **kw):
    """Runs a child; returns (wall seconds, CPU seconds of the child)."""
    started = time.perf_counter()
    child = subprocess.Popen(argv, **kw)
    _, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"{argv[0]} failed with {status}")
    return wall, usage.ru_utime + usage.ru_stime


def main():
    tmp = tempfile.mkdtemp()
    items = os.path.join(tmp, "items.jsonl")
    with open(items, "w") as f:
        for i in range(N):
            a, b = i % 97, i // 97
            f.write(json.dumps({
                "id": i,
                "prompt": f"What is {a} + {b}?",
                "response": f"Adding {a} and {b} gives {a + b + (i % 3 == 0)}.",
                "reference": str(a + b),
            }) + "\n")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [LLAMA, "-m", MODEL, "--host", "127.0.0.1", "--port", str(port), "-t", "2",
         "-np", "8", "-c", "8192", "--no-webui"] + os.environ.get("LLAMA_ARGS", "").split(),
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(600):
            try:
                if urllib.request.urlopen(url + "/health", timeout=1).status == 200:
                    break
            except OSError:
                time.sleep(0.1)
        else:
            sys.exit("llama-server did not come up")
        config = os.path.join(tmp, "judge.toml")
        text = open(os.path.join(HERE, "judge.toml")).read().replace('"URL"', json.dumps(url))
        text = text.replace("max_concurrency = 64", f"max_concurrency = {CONCURRENCY}")
        open(config, "w").write(text)
        rows = {"assay": [], "openai": []}
        for r in range(ROUNDS):
            for name in ("assay", "openai"):
                out = os.path.join(tmp, f"{name}{r}.out")
                before = server_cpu(server.pid)
                if name == "assay":
                    argv = [ASSAY, "score", "--config", config, "--input", items,
                            "--output", out, "--quiet"]
                else:
                    argv = [PYTHON, os.path.join(HERE, "openai_judge.py"), url, items, out,
                            str(CONCURRENCY)]
                wall, cpu = run(argv, stdout=subprocess.DEVNULL)
                rows[name].append((wall, cpu, server_cpu(server.pid) - before, out))
                print(f"round {r + 1} {name:6}: {N / wall:8.1f} requests/s, client CPU "
                      f"{cpu / N * 1e6:7.1f} us/request, server CPU "
                      f"{rows[name][-1][2] / N * 1e6:7.1f} us/request", flush=True)
        # The two must agree: same server, same prompts, greedy.
        assay = [json.loads(l) for l in open(rows["assay"][-1][3])]
        ok = sum(r["status"] == "ok" for r in assay)
        theirs = [json.loads(l) for l in open(rows["openai"][-1][3])]
        close = sum(1 for a, b in zip(assay, theirs)
                    if a.get("reward") is not None and b is not None and abs(a["reward"] - b) < 1e-6)
        print(f"assay: {ok}/{N} ok; rewards equal to the openai script's (1e-6): {close}/{N}")
        med = {k: (statistics.median(N / w for w, _, _, _ in v),
                   statistics.median(c / N * 1e6 for _, c, _, _ in v)) for k, v in rows.items()}
        print(f"median requests/s: assay {med['assay'][0]:.1f}, openai {med['openai'][0]:.1f}, "
              f"ratio {med['assay'][0] / med['openai'][0]:.2f}")
        print(f"median client CPU per request: assay {med['assay'][1]:.1f} us, openai "
              f"{med['openai'][1]:.1f} us, ratio {med['openai'][1] / med['assay'][1]:.1f}x")
    finally:
        server.kill()
        server.wait()


main()
