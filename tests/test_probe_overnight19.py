"""Probe 19 of overnight and cluster runs under faults: a night script's SIGTERM outside training, the lines an
api.run caller reads, a store copied mid-grid."""
from __future__ import annotations

import pytest

_A_SCRIPT_TERMINATED_WHILE_SCORING = '''
import logging, os, signal, sys
from benchmark import api, metrics

if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, format="%(levelname).1s %(name)s: %(message)s")
    score = metrics.MetricSet.score

    def terminated(self, *args, **kwargs):  # SIGTERM (a scheduler's preemption) while the grid scores a run
        os.kill(os.getpid(), signal.SIGTERM)
        return score(self, *args, **kwargs)

    metrics.MetricSet.score = terminated
    try:
        api.run(tasks=["denoise"], losses=["l1"], seeds=[0], iterations=2, batch_size=2, crop=32, metrics=["psnr"],
                budget_check=False, out=sys.argv[1], report=False)
    except KeyboardInterrupt:
        print("the script's own except KeyboardInterrupt ran")
        sys.exit(130)
'''


def _script(tmp_path, text: str, *args: str):
    """``text`` run as a script in a subprocess on this checkout (not the install's): its CompletedProcess."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    (tmp_path / "night.py").write_text(text)
    env = dict(os.environ, HF_HUB_OFFLINE="1", OMP_NUM_THREADS="1")
    root = Path(__file__).resolve().parents[1]
    env["PYTHONPATH"] = os.pathsep.join([str(root), env.get("PYTHONPATH", "")])
    return subprocess.run([sys.executable, str(tmp_path / "night.py"), *args], capture_output=True, text=True,
                          env=env, cwd=tmp_path, timeout=300)


@pytest.mark.slow
def test_a_night_script_terminated_while_scoring_stops_cleanly_and_says_where_the_grid_stands(tmp_path):
    """api.run turned SIGTERM (a scheduler's preemption, `kill`) into a clean stop only while a run trained (its
    DeferredInterrupt): terminated while it planned or scored, the script died at once (-15), its own `except
    KeyboardInterrupt` never ran and its log never said where the grid stood. SIGTERM anywhere in api.run is an
    interrupt now, as in `plbench run`: where the grid stands, then the KeyboardInterrupt, the script's own handler."""
    proc = _script(tmp_path, _A_SCRIPT_TERMINATED_WHILE_SCORING, str(tmp_path / "r"))
    assert proc.returncode == 130, (proc.returncode, proc.stderr[-2000:])
    assert "the script's own except KeyboardInterrupt ran" in proc.stdout, proc.stdout
    said = [line for line in proc.stderr.splitlines() if "the grid stands at" in line]
    assert len(said) == 1 and "the same api.run() call resumes" in said[0], proc.stderr[-2000:]


@pytest.mark.slow
def test_a_full_disk_met_by_api_run_says_to_run_the_same_call_again(tmp_path, monkeypatch):
    """A full disk met by api.run raised 'free space and run the same command again to resume': a script has no
    command to run again (its grid's last lines say 'the same api.run() call' already). Every line that says what
    retries or resumes the grid says the call under api.run — its error, and the lines its workers log."""
    from benchmark import api, faults
    from benchmark.errors import UserError

    monkeypatch.setattr(faults, "_passed", {})
    monkeypatch.setenv(faults.DISK_FULL_ENV, "3")
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    with pytest.raises(UserError) as err:
        api.run(tasks=["denoise"], losses=["l1"], seeds=[0], iterations=2, batch_size=2, crop=32, metrics=["psnr"],
                budget_check=False, out=tmp_path / "r", report=False)
    assert "disk full while writing" in str(err.value), err.value
    assert "run the same api.run() call again" in str(err.value) and "same command" not in str(err.value), err.value
    from benchmark.errors import again

    assert again() == "the same command", "the call's wording ends with the call"
