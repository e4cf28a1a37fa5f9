"""The code grader's Python harness, tested directly, without a sandbox: the modules are
imported from `crates/assay-code/python`, as the sandbox's zygote installs them."""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "python"))
