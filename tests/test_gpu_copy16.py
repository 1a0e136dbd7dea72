"""scripts/gpu_check.py's same-seed copies: a copy whose grid returned is not failed by its interpreter's teardown."""

import os
import subprocess
import sys
from pathlib import Path

from conftest import load_script

ROOT = Path(__file__).resolve().parents[1]


def test_a_copy_whose_grid_returned_is_not_failed_by_an_abort_in_teardown(tmp_path):
    """A fresh-clone CI run saw one copy, both runs recorded ok, abort in teardown ('terminate called without an
    active exception', exit -6), failing the section → the copy ends with os._exit once run_grid has returned. Here a
    stand-in run_grid registers an abort for the interpreter's exit."""
    mod = load_script("gpu_check")
    fake = tmp_path / "fake" / "benchmark"
    fake.mkdir(parents=True)
    (fake / "__init__.py").write_text("")
    (fake / "results.py").write_text("class ResultsStore:\n    def __init__(self, root):\n        self.root = root\n")
    (fake / "runner.py").write_text("import atexit, os, sys\n\ndef run_grid(*args, **kwargs):\n"
                                    "    open(sys.argv[2] + '.ran', 'w').close()\n"
                                    "    atexit.register(os.abort)  # the teardown's abort\n")
    pkl = tmp_path / "configs.pkl"
    pkl.write_bytes(b"\x80\x04]\x94.")  # pickle.dumps([])
    import torch

    site = Path(torch.__file__).resolve().parents[1]  # torch's folder, without the editable install's finder (-S)
    env = {"PYTHONPATH": os.pathsep.join([str(tmp_path / "fake"), str(site)]), "PATH": "/usr/bin:/bin"}
    proc = subprocess.run([sys.executable, "-S", "-c", mod._TRAIN_COPY, str(pkl), str(tmp_path / "r"), "cpu", "1"],
                          env=env, cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert (tmp_path / "r.ran").exists(), proc.stderr[-500:]  # the stand-in ran, not the installed package
    assert proc.returncode == 0, proc.stderr[-500:]
