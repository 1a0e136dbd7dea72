"""GPU readiness, probed on the CPU (session 15): the lent-GPU recipe (``scripts/gpu_device.sh`` →
``scripts/gpu_check.py``) dry-run as the device runs it. Each test failed on the code before its fix."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import load_script

ROOT = Path(__file__).resolve().parents[1]


def test_same_seed_identity_is_not_claimed_for_copies_whose_runs_failed(monkeypatch):
    """A copy's process exits 0 when its runs fail (run_grid records a failure and goes on: a CUDA error, an
    out-of-memory, a loss that cannot be built there): with every run failed in both copies, both tables were empty and
    the section said '2 runs, 0 rows: bit-identical' — the check's one determinism verdict, passed on nothing; with one
    run failed, the other's rows alone were compared under '2 runs'. Now the section fails, naming the runs that did
    not finish ok in which copy and why."""
    import torch

    from benchmark.config import RunConfig, run_id
    from benchmark.results import ResultsStore

    mod = load_script("gpu_check")
    configs = [RunConfig(task="denoise", loss=loss, net="tiny", iterations=2, batch_size=1, crop=16)
               for loss in ("l1", "ms_ssim")]
    monkeypatch.setattr(mod, "_configs", lambda *a, **k: configs)

    def train_copies(cfgs, roots, metrics, device):  # what a copy's run_grid leaves when every run fails
        for root in roots:
            store = ResultsStore(root)
            store.ensure_writable()
            for c in cfgs:
                store.write_meta(run_id(c), {"run_id": run_id(c), "config": c.to_dict(), "status": "failed",
                                             "error": "CUDA error: an illegal memory access was encountered"})

    monkeypatch.setattr(mod, "_train_copies", train_copies)
    with pytest.raises(RuntimeError) as err:
        mod.same_seed_identity(torch.device("cpu"), iterations=2, net="tiny", batch=1, crop=16)
    text = str(err.value)
    assert "2 of 2 runs" in text and "copy 1" in text and "illegal memory access" in text, text


def _failed_meta(store, cfg, error: str) -> None:
    from benchmark.config import run_id

    store.ensure_writable()
    store.write_meta(run_id(cfg), {"run_id": run_id(cfg), "config": cfg.to_dict(), "status": "failed", "error": error})


def test_gpu_utilisation_is_not_reported_for_a_run_that_failed(monkeypatch):
    """The utilisation section trains one pixel-loss run and samples nvidia-smi meanwhile; run_grid records a failed run
    and returns, so a run that failed at its first step (a CUDA error, an out-of-memory) was reported as 'run of 1000
    iterations in 2.1 s' with the few idle samples taken meanwhile: a low GPU utilisation measured on nothing, and
    the section passed. Now the section fails, naming the run and its error."""
    import torch

    from benchmark import runner
    from benchmark.config import RunConfig

    mod = load_script("gpu_check")
    cfg = RunConfig(task="denoise", loss="l1", net="tiny", iterations=2, batch_size=1, crop=16)
    monkeypatch.setattr(mod, "_configs", lambda *a, **k: [cfg])
    monkeypatch.setattr(runner, "run_grid", lambda configs, store, *a, **k: _failed_meta(
        store, configs[0], "CUDA error: out of memory"))
    with pytest.raises(RuntimeError) as err:
        mod.utilisation_during_run(torch.device("cpu"), iterations=2, net="tiny", batch=1, crop=16)
    assert "1 of 1 run did not finish ok" in str(err.value) and "out of memory" in str(err.value), err.value


@pytest.mark.parametrize("saved", [True, False], ids=["after-its-first-save", "before-any-table"])
def test_a_check_that_dies_by_a_signal_says_so_in_the_tables(tmp_path, saved):
    """A check killed by a signal (a segfault or abort in a CUDA library at first contact, the out-of-memory killer's
    SIGKILL) left its tables as last saved with nothing saying it died — a partial table read as the result, exit 139
    only in the log — or, before its first save, tables saying 'not run: stopped before the check (exit 139)', though
    the check had started. A SIGKILL before the limit was said to be the limit's ('did not end within 570 s'). Now the
    wrapper says the check died, its exit and signal, in one line appended to the tables as last saved, or as the
    tables' reason when none was saved."""
    import json

    from tests.test_probe_overnight4 import _device_repo, _run_device, _stub_modules

    for sig in ("SEGV", "KILL"):
        out = tmp_path / sig / "out"
        repo, env = _device_repo(tmp_path / sig, gpu_check=(
            "import json, os, signal, sys, pathlib\n"
            "out = pathlib.Path(sys.argv[sys.argv.index('--out') + 1]); out.mkdir(parents=True, exist_ok=True)\n"
            + ("(out / 'gpu_check.md').write_text('# plbench GPU check\\n')\n"
               "(out / 'gpu_check.json').write_text(json.dumps({'date': 'd'}))\n" if saved else "")
            + f"os.kill(os.getpid(), signal.SIG{sig})\n"))
        env.update(PYTHONPATH=_stub_modules(tmp_path / sig / "stubs"), OUT=str(out))
        r = _run_device(repo, env, "--device", "cpu")
        code = 128 + {"SEGV": 11, "KILL": 9}[sig]
        assert r.returncode == code, r.stdout + r.stderr
        line = [x for x in r.stdout.splitlines() if x.startswith("gpu_device: ")]
        assert line == [f"gpu_device: the check died (exit {code}: SIG{sig}) before it ended: its tables as last "
                        f"saved{'' if saved else ' (none)'}"], r.stdout
        md, res = (out / "gpu_check.md").read_text(), json.loads((out / "gpu_check.json").read_text())
        if saved:
            assert md.startswith(f"# plbench GPU check\n\n## Ended by gpu_device.sh\n\nthe check died (exit {code}"), md
            assert res["date"] == "d" and res["ended"]["exit"] == code, res
        else:
            assert f"not run: the check died (exit {code}: SIG{sig})" in md and res["exit"] == code, (md, res)


def test_runs_per_hour_and_utilisation_decode_the_data_once_as_plbench_run_does(monkeypatch):
    """`plbench run` decodes the data once, to plan the grid (its run ids' fingerprints), and hands that DataCache to
    the executor, whose workers map the decoded images instead of decoding them again (cli.py, executors.py). The
    check planned each grid without a cache and ran it without one: the driver decoded the data twice (planning, then
    run_grid) and every worker once more, so the 'start-up included' column of runs/hour measured a start-up no
    overnight grid pays, and the reduced check spent its time decoding. Now each grid is planned into a DataCache
    that its run_grid / execute_local gets."""
    import torch

    from benchmark import config, executors, runner
    from benchmark.config import RunConfig
    from benchmark.data import DataCache

    mod = load_script("gpu_check")
    cfg = RunConfig(task="denoise", loss="l1", net="tiny", iterations=2, batch_size=1, crop=16)
    planned, ran = [], []

    def build_configs(spec, data=None, *a, **k):
        planned.append(data)
        return [cfg], (), ""

    monkeypatch.setattr(config, "build_configs", build_configs)
    monkeypatch.setattr(executors, "execute_local", lambda *a, data=None, **k: ran.append(data))
    monkeypatch.setattr(runner, "run_grid", lambda *a, data=None, **k: ran.append(data))
    monkeypatch.setattr(mod, "_runs_span", lambda *a, **k: 1.0)
    monkeypatch.setattr(mod, "_finished_ok", lambda *a, **k: [])
    mod.utilisation_during_run(torch.device("cpu"), iterations=2, net="tiny", batch=1, crop=16)
    mod.runs_per_hour(torch.device("cpu"), (1, 2), n_runs=2, iterations=2, net="tiny", batch=1, crop=16)
    assert len(planned) == len(ran) == 3 and all(isinstance(d, DataCache) for d in planned), (planned, ran)
    assert [id(d) for d in ran] == [id(d) for d in planned], "each grid runs on the cache it was planned into"
