"""Runs a command while /dev/cpu_dma_latency holds 0, so that idle CPUs poll instead of
halting (the Linux PM QoS interface; tuned's latency-performance profile does the same). The
setting ends when this process closes the file. Needs root. See ../NOTES.md, "The
single-client figure".

    python3 bench/server/vm/no_halt.py bash bench/server/run_serve.sh
"""

import os
import struct
import subprocess
import sys

if len(sys.argv) < 2:
    sys.exit("usage: no_halt.py COMMAND [ARGS...]")
fd = os.open("/dev/cpu_dma_latency", os.O_WRONLY)
try:
    os.write(fd, struct.pack("i", 0))
    sys.exit(subprocess.call(sys.argv[1:]))
finally:
    os.close(fd)
