"""perceptual-loss-bench: which training loss gives the best-looking restorations?"""

import os as _os

__version__ = "0.1.0"
# The version of the code that computes a run's numbers (training step, sampling, evaluation): part of
# every run's id. Guarded by golden numbers (benchmark/golden.py, tests/test_golden.py): a change that
# moves them fails the suite until this is bumped and `python -m benchmark.golden --update` is run.
# 3: each test image's draws keyed by its pixels and drawn per component (benchmark.task.image_generator),
# no longer by the task's parameters and its source's name in the grid: every held-out input re-drawn.
CODE_VERSION = "3"

# cuBLAS is deterministic only with a fixed workspace (PyTorch's reproducibility notes); it must be set
# before the first cuBLAS call of the process, and every process of the harness imports this first.
# A user's own setting wins.
_os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
