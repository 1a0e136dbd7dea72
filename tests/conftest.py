"""Shared fixtures. Tests run offline and write only to tmp_path."""

from __future__ import annotations

import os
import signal

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
# one thread for torch (and the BLAS/OpenMP of every child process): the suite's tiny nets and tensors gain
# nothing from a second thread, whose spin-waiting on a shared 2-core CI costs ~1.7× the CPU and ~2× the wall
# time (test_cli.py: 25.5 → 14.9 CPU s). Tests of thread counts set theirs; a caller's own setting is kept.
for _var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")
# the dry run does not keep step times measured while the machine was busy (benchmark.devices.MIN_CPU_SHARE): a
# suite sharing its cores with its own workers and subprocesses would make that depend on the load; its own test
# sets the share it tests
os.environ.setdefault("PLBENCH_MIN_CPU_SHARE", "0")

def _session_dir(var: str, prefix: str) -> None:
    """``var`` → a fresh temporary folder for this test session, removed when it ends (unless the
    caller set ``var``: then theirs is used and kept)."""
    if var in os.environ:
        return
    import atexit
    import shutil
    import tempfile

    os.environ[var] = path = tempfile.mkdtemp(prefix=prefix)
    atexit.register(shutil.rmtree, path, ignore_errors=True)


_session_dir("TORCH_HOME", "plbench-torch-")         # weights/probe caches: never the user's, never a download
_session_dir("HF_DATASETS_CACHE", "plbench-hf-")     # keep imagefolder caches out of the user's home

from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402

_threads = os.environ["OMP_NUM_THREADS"]
if _threads.isdigit() and int(_threads) > 0 and torch.get_num_threads() != int(_threads):  # imported before
    torch.set_num_threads(int(_threads))

# the shared public images beside the checkout; PLBENCH_SHARED_DATASETS points elsewhere (a worktree, a CI cache)
from benchmark.config import SHARED_DATASETS as SHARED  # noqa: E402

#: pytest-timeout's limit (seconds) for a test marked slow with none of its own; the default suite's is
#: pyproject.toml's ``timeout``
SLOW_TIMEOUT_S = 1800


def usable_cpus() -> int:
    """The cores this process may use: its CPU affinity, cut to a cgroup v2 quota (``cpu.max``, a container's
    ``--cpus``) where one is set. ``os.cpu_count()`` counts the host's cores, which in a container of 2 would
    start dozens of workers, each importing torch."""
    try:
        n = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # macOS, Windows
        n = os.cpu_count() or 1
    try:
        quota, period = Path("/sys/fs/cgroup/cpu.max").read_text().split()[:2]
        if quota != "max":
            n = min(n, max(1, -(-int(quota) // int(period))))
    except (OSError, ValueError):
        pass
    return max(1, n)


def pytest_xdist_auto_num_workers(config):
    """``-n auto`` (pyproject's addopts): one worker per usable core, at most 8 (each holds torch and the
    metrics' networks, ~1 GB); ``PYTEST_XDIST_AUTO_NUM_WORKERS`` or ``-n N`` set another number."""
    return min(usable_cpus(), 8)


def pytest_collection_modifyitems(config, items):
    # a limit given for this run (--timeout, PYTEST_TIMEOUT: a slower machine, a debugger) holds for every test:
    # a marker would win over it; without pytest-timeout a marker would only warn
    if config.getoption("timeout", None) is not None or os.environ.get("PYTEST_TIMEOUT") \
            or not config.pluginmanager.hasplugin("timeout"):
        return
    for item in items:
        if item.get_closest_marker("slow") and not item.get_closest_marker("timeout"):
            item.add_marker(pytest.mark.timeout(SLOW_TIMEOUT_S))


@pytest.fixture(autouse=True)
def _no_claim_folder_left():
    """A test leaves no grid claim folder (``plbench-said-<grid>``, :func:`benchmark.results.open_claims`) of its own
    process in the temp folder: one left (a test that stubs ``executors._collect``, which removes it) is removed and
    the test fails, naming it — such folders piled up in /tmp, one per run of the suite. A test that needs the claims
    kept points ``tempfile.tempdir`` into its ``tmp_path``."""
    import shutil
    import tempfile

    tmp, mine = Path(tempfile.gettempdir()), str(os.getpid())  # before the test moves it
    yield
    left = []
    for folder in tmp.glob("plbench-said-*"):
        try:
            if (folder / "driver").read_text().strip() == mine:
                left.append(folder.name)
                shutil.rmtree(folder, ignore_errors=True)
        except OSError:  # another's, or removed meanwhile
            continue
    assert not left, f"the test left its grids' claim folders in {tmp}: {', '.join(left)}"


@pytest.fixture
def set5() -> Path:
    p = SHARED / "CSet5"
    if not p.is_dir():
        pytest.skip(f"standard test images not on this machine ({p})")
    return p


@pytest.fixture(scope="session")
def astronaut() -> torch.Tensor:
    """(1, 3, 256, 256) float crop of scikit-image's astronaut, in [0, 1]."""
    from skimage import data

    arr = data.astronaut()[128:384, 128:384]
    return torch.from_numpy(np.ascontiguousarray(arr)).permute(2, 0, 1)[None].float() / 255


@pytest.fixture
def image_folder(tmp_path) -> Path:
    """A folder of small images in assorted modes plus one corrupt file."""
    from PIL import Image

    rng = np.random.default_rng(0)
    d = tmp_path / "imgs"
    d.mkdir()
    rgb = rng.integers(0, 256, (40, 48, 3), dtype=np.uint8)
    Image.fromarray(rgb).save(d / "rgb.png")
    Image.fromarray(rgb[..., 0]).save(d / "grey.png")
    Image.fromarray(rgb).convert("RGBA").save(d / "rgba.png")
    Image.fromarray(rgb).convert("P").save(d / "palette.png")
    Image.fromarray(rgb).convert("LA").save(d / "la.png")
    Image.fromarray((rng.integers(0, 65536, (40, 48))).astype(np.uint16)).save(d / "deep16.png")
    Image.fromarray(rgb).save(d / "photo.jpg", quality=95)
    (d / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n this is not an image")
    return d


@pytest.fixture
def random_images(tmp_path):
    """``random_images(n=3, size=40)``: a folder of ``n`` seeded random RGB PNGs as a DataSpec."""
    from PIL import Image

    from benchmark.data import DataSpec

    def make(n: int = 3, size: int = 40) -> DataSpec:
        d = tmp_path / f"random{n}x{size}"
        d.mkdir()
        rng = np.random.default_rng(0)
        for i in range(n):
            Image.fromarray(rng.integers(0, 256, (size, size, 3), dtype=np.uint8)).save(d / f"im{i}.png")
        return DataSpec(str(d))

    return make


def step_images(n: int = 3) -> list:
    """``n`` training images for a step's tests: :class:`benchmark.data.ImageRecord` ``i0``, ``i1``, … of seeded
    random uint8 pixels, (3, 56, 64) in [0, 255]."""
    from benchmark.data import ImageRecord

    rng = np.random.default_rng(0)
    return [ImageRecord(f"i{k}", torch.from_numpy(rng.integers(0, 256, (3, 56, 64), dtype=np.uint8)))
            for k in range(n)]


def one_finding(table, name: str, n_boot: int = 20, **kw):
    """The one :class:`benchmark.findings.FindingResult` of finding ``name`` checked on ``table`` (the tidy results
    table) by :func:`benchmark.findings.check_all` (``n_boot`` resamples; ``kw``: its other arguments), its warnings
    silenced."""
    import warnings

    from benchmark.findings import check_all

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        (r,) = check_all(table, [name], n_boot=n_boot, **kw)
    return r


def needs(available: bool, what: str) -> None:
    """Skip a test whose optional tool is missing here; under CI (``PLBENCH_CI=1``, set by .ci/run,
    which installs every such tool) a missing tool fails the test instead of hiding it."""
    if available:
        return
    if os.environ.get("PLBENCH_CI") == "1":
        pytest.fail(f"{what} is missing, but .ci/run installs it: the install failed")
    pytest.skip(f"{what} not installed here (.ci/run installs it)")


@pytest.fixture(scope="module")
def built():
    """``built(name)``: the registered loss ``name`` on seeded random-init backbones, built once per module."""
    from benchmark.lossfn import build_loss

    cache = {}

    def get(name):
        if name not in cache:
            cache[name] = build_loss(name, seed=0, weights="random")
        return cache[name]

    return get


def dry_run_estimate(configs, ms_per_step: dict | None = None) -> dict:
    """What :func:`benchmark.perf.estimate_grid` returns, for stand-ins of it in dry-run tests: one second in all,
    ``ms_per_step`` ({loss: {task: ms}}) as measured, nothing probed."""
    return {"runs": len(configs), "seconds": 1.0, "train_s": 1.0, "eval_s": 0.0, "by_task": {"denoise": 1.0},
            "by_family": {"pixel": 1.0}, "ms_per_step": ms_per_step or {}, "probes": [], "measured": 0, "reused": 0,
            "cache": "x", "device": "cpu"}


def metric_set_of(*names: str) -> type:
    """A stand-in for :class:`benchmark.metrics.MetricSet` that loads nothing and scores ``names``."""
    return type("Metrics", (), {"metrics": list(names), "skipped": {}, "__init__": lambda self, *args: None})


def extra_inputs(loss, pred) -> dict:
    """The keyword inputs a loss needs beyond (pred, target): the degraded image, here ``pred`` itself."""
    return {"degraded": pred.detach().clone()} if "degraded" in loss.needs_all else {}


@pytest.fixture
def sigint_as_in_a_terminal():
    """Python's own SIGINT handler, whatever the launcher did (a background job inherits SIGINT ignored)."""
    before = signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, before)


def _torch_on_one_thread():
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)


@pytest.fixture
def no_network(monkeypatch):
    """Every attempt to reach the network (a name lookup, a connection), recorded and refused: ``assert not
    no_network`` says the code under test tried none (what a timed "it failed fast" assertion stood for)."""
    import socket

    tried = []

    def refuse(what):
        def refused(*args, **kwargs):
            tried.append((what, args[1:] if what.startswith("connect") else args[:2]))
            raise OSError(f"test without network: {what}{args[1:2] if what.startswith('connect') else args[:1]}")
        return refused

    for name in ("connect", "connect_ex"):
        monkeypatch.setattr(socket.socket, name, refuse(name))
    for name in ("getaddrinfo", "create_connection"):
        monkeypatch.setattr(socket, name, refuse(name))
    return tried


@pytest.fixture
def one_thread():
    """torch on one thread for the test: golden numbers are made so (float reductions are split per
    thread), and tiny nets on a shared 2-core machine run far faster on one thread than on two."""
    yield from _torch_on_one_thread()


@pytest.fixture(scope="module")
def one_thread_module():
    """``one_thread`` for every test of a module and its module-scoped fixtures (a grid trained once):
    ``pytestmark = pytest.mark.usefixtures("one_thread_module")``. Two threads of a tiny net spin-wait on a
    shared 2-core machine, several times the CPU for the same runs."""
    yield from _torch_on_one_thread()


@pytest.fixture
def lock_hint(caplog):
    """``lock_hint(wait, held, logger)``: run ``wait()`` — a call that blocks on the lock ``held`` holds (a
    ``RunLock``) — in a thread; release ``held`` once ``logger`` has logged a warning (the hint naming the
    holder; 5 s at most) and return the warnings logged (every record from INFO is captured). Asserts that
    ``wait`` returned once the lock was released."""
    import logging
    import threading

    def run(wait, held, logger: str = "benchmark") -> list[str]:
        warned, done = threading.Event(), threading.Event()

        class Flag(logging.Handler):
            def emit(self, record):
                if record.levelno >= logging.WARNING:
                    warned.set()

        def waiter():
            wait()
            done.set()

        flag, log = Flag(), logging.getLogger(logger)
        with caplog.at_level(logging.INFO, logger=logger):
            log.addHandler(flag)
            try:
                t = threading.Thread(target=waiter, daemon=True)
                t.start()
                warned.wait(5)
                held.release()
                t.join(5)
            finally:
                log.removeHandler(flag)
        assert done.is_set()
        return [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]

    return run


def edited_loss_summary(root: Path, metrics: tuple[str, ...], n_images: int) -> str:
    """``compare``'s summary text (``benchmark.compare._summary``) of ``mine`` in a store at ``root`` where
    ``mine`` was trained from two versions of its loss file: the current one (``mine=1+n3w``, 1 SCALE unit
    better than l1) and an earlier one (``mine=1+0ld``, 1 unit worse); l1 is the field's baseline."""
    from benchmark.compare import _summary
    from benchmark.results import ResultsStore, atomic_write_json
    from benchmark.synthetic import synthetic_runs

    store = ResultsStore(root)
    store.ensure_writable()
    current = set()
    for rid, meta, rows in synthetic_runs(offsets={"l1": 0.0, "mine": 1.0, "mine_old": -1.0}, seeds=(0, 1),
                                          metrics=metrics, n_images=n_images, budget_check=False):
        loss = (meta.get("config") or {}).get("loss")
        if loss in ("mine", "mine_old"):
            version = "mine=1+" + ("0ld" if loss == "mine_old" else "n3w")
            meta["config"]["loss"] = "mine"
            rows = [{**r, "loss": "mine", "loss_version": version} for r in rows]
            if loss == "mine":
                current.add(rid)
        store.write_eval(rid, rows, sorted({r["metric"] for r in rows}), {})
        atomic_write_json(store.run_dir(rid) / "meta.json", meta)
    group = [m for m in store.metas() if m.get("config")]
    text, _ = _summary(store, {"denoise": group}, ["mine"], {"denoise": []}, 0.05, 50, "l1", ("png",), current)
    return text


def signal_at_iteration(monkeypatch, n: int, sig: int) -> dict:
    """Patch (through ``monkeypatch``) the runner's fault hook ``benchmark.runner.crash_point``, called once per
    training iteration, to send ``sig`` to this process at the ``n``-th iteration, as a Ctrl-C (SIGINT) or
    SLURM's time-out warning (SIGUSR2) would; returns ``{"n": iterations seen so far}``."""
    import benchmark.runner as runner

    seen = {"n": 0}

    def at_iteration(kind):
        if kind == "iteration":
            seen["n"] += 1
            if seen["n"] == n:
                os.kill(os.getpid(), sig)

    monkeypatch.setattr(runner, "crash_point", at_iteration)
    return seen


@pytest.fixture
def started_as_run_all(tmp_path, monkeypatch):
    """``started_as_run_all(*argv)``: the CLI as started by ``.venv/bin/python run_all.py ARGV…`` in ``tmp_path``
    with the venv not activated (no ``plbench``, no venv python on the PATH): what the commands it suggests
    must name (the README's first command)."""
    import sys

    def start(*argv: str) -> None:
        venv = tmp_path / ".venv" / "bin"
        venv.mkdir(parents=True, exist_ok=True)
        (venv / "python").write_text("")
        monkeypatch.chdir(tmp_path)
        monkeypatch.setattr(sys, "executable", str(venv / "python"))
        monkeypatch.setattr(sys, "argv", ["run_all.py", *argv])
        monkeypatch.setattr(sys.modules["__main__"], "__spec__", None, raising=False)
        monkeypatch.setenv("PATH", os.defpath)

    return start


def use_shared_datasets(monkeypatch, folder) -> None:
    """Point the harness's shared-images folder (``PLBENCH_SHARED_DATASETS``) at ``folder`` for one test: where
    benchmark.data defines it and where benchmark.config (config files' ``../shared/datasets/…``) took it."""
    import benchmark.config
    import benchmark.data

    for module in (benchmark.data, benchmark.config):
        monkeypatch.setattr(module, "SHARED_DATASETS", folder)


def hub_online(monkeypatch, tmp_path) -> None:
    """The Hugging Face hub reachable for one test (``HF_HUB_OFFLINE`` and ``PLBENCH_OFFLINE`` off, in the environment
    and as huggingface_hub and datasets read them), its caches in ``tmp_path``: datasets' in ``cache``, the hub's in
    ``hub``. The hub itself a test stubs (``HfApi.dataset_info``, ``datasets.get_dataset_split_names``…)."""
    for switch in ("huggingface_hub.constants.HF_HUB_OFFLINE", "datasets.config.HF_HUB_OFFLINE"):
        monkeypatch.setattr(switch, False)
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.delenv("PLBENCH_OFFLINE", raising=False)
    monkeypatch.setenv("HF_DATASETS_CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr("huggingface_hub.constants.HF_HUB_CACHE", str(tmp_path / "hub"))


@pytest.fixture
def fake_cpu_clock(monkeypatch):
    """perf's wall and CPU clocks made fake: ``tick(share)`` spends one wall second in which the process has ``share``
    CPU seconds (``share`` 0.9: 0.9 of one core; 1.9: nearly two). Its threads' scheduler statistics unreadable (as
    off Linux): a timing is judged by that share per thread, not by the real threads' waits over a fake second."""
    from benchmark import perf

    clock = {"wall": 0.0, "cpu": 0.0}
    monkeypatch.setattr(perf, "sched_times", lambda: None)
    monkeypatch.setattr(perf.time, "perf_counter", lambda: clock["wall"])
    monkeypatch.setattr(perf.time, "process_time", lambda: clock["cpu"])

    def tick(share: float) -> None:
        clock["wall"] += 1.0
        clock["cpu"] += share
    return tick


@pytest.fixture
def a_file(tmp_path):
    """An --out that `run` refuses (a file in the way)."""
    p = tmp_path / "afile"
    p.write_text("mine\n")
    return p


def stopped_run(folder: Path) -> Path:
    """What an interrupted run leaves in ``folder`` (made): a ``ckpt.pt`` whose record is of this plbench's format,
    a run's to resume (its fingerprint empty: of no run here) — not a file no run reads, which ``plbench check`` names
    to set aside (tests/test_probe_store24.py). Returns the checkpoint's path."""
    from benchmark.ckptrecord import FORMAT

    folder.mkdir(parents=True)
    torch.save({"format": FORMAT, "fingerprint": {}, "iteration": 3}, folder / "ckpt.pt")
    return folder / "ckpt.pt"


def load_script(name: str):
    """``scripts/<name>.py`` (the scripts are no package) as a module, executed anew on each call: a test's
    monkeypatching stays in its own copy."""
    import importlib.util

    spec = importlib.util.spec_from_file_location(name, Path(__file__).resolve().parents[1] / "scripts" / f"{name}.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def refuse_imports(monkeypatch, *names: str) -> None:
    """Make importing any of ``names`` (dropped from sys.modules first) raise AssertionError for the rest of the test:
    a torch-free path proved torch-free."""
    import importlib.abc
    import sys

    class Refuse(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path=None, target=None):
            if name in names:
                raise AssertionError(f"{name} imported")

    for name in names:
        monkeypatch.delitem(sys.modules, name, raising=False)
    monkeypatch.setattr(sys, "meta_path", [Refuse(), *sys.meta_path])


def figures_off(monkeypatch) -> None:
    """The report's figures not drawn (``report.make_figures``, ``report.heatmap``, ``figures.pd_plane`` stubbed: no
    files, no ``## Figures`` list in leaderboard.md; compare's P–D plane not drawn either), for tests of what its text
    and tables say, which the figures do not change: the figures are most of a synthetic store's report (8.8 → 1.4 s
    CPU for 20 runs) and are drawn and checked by test_figure_layout.py, test_end_to_end.py and
    test_report_outputs.py. The one helper: a test calls it, or names the fixture :func:`no_report_figures`."""
    from benchmark import figures as F
    from benchmark import report

    monkeypatch.setattr(F, "pd_plane", lambda *a, **k: [])
    monkeypatch.setattr(report, "make_figures", lambda *a, **k: {})
    monkeypatch.setattr(report, "heatmap", lambda *a, **k: None)


@pytest.fixture
def no_report_figures(monkeypatch) -> None:
    """:func:`figures_off` for a test, or every test of a module:
    ``pytestmark = pytest.mark.usefixtures("no_report_figures")``."""
    figures_off(monkeypatch)


def two_seed_store(tmp_path, monkeypatch, datasets=None):
    """A store of task sr4, l1 and mine (0.5 better) over 2 seeds × 5 images scored on psnr, the report's figures
    stubbed out (seconds, not these tests'); ``datasets``: row → its test set's name."""
    from benchmark.results import ResultsStore, atomic_write_json
    from benchmark.synthetic import synthetic_runs

    figures_off(monkeypatch)
    store = ResultsStore(tmp_path)
    store.ensure_writable()
    for rid, meta, rows in synthetic_runs(tasks=("sr4",), offsets={"l1": 0.0, "mine": 0.5}, metrics=("psnr",),
                                          seeds=range(2), n_images=5, budget_check=False):
        if datasets:
            rows = [{**r, "dataset": datasets(r)} for r in rows]
        store.write_eval(rid, rows, ["psnr"], {})
        atomic_write_json(store.run_dir(rid) / "meta.json", meta)
    return store


def steps_on_a_fake_clock(monkeypatch, per_step: tuple[float, float], kill_at: int):
    """The runner's training steps on the test's own clocks: each step spends ``per_step`` = (wall, CPU) seconds, and
    the step at iteration ``kill_at`` raises RuntimeError("killed") (a process killed there). Returns the state, whose
    ``per_step`` and ``kill_at`` a test changes between attempts (``wall`` and ``cpu``: the clocks' readings)."""
    import time as _time
    from types import SimpleNamespace

    from benchmark.runner import TrainStep

    state = SimpleNamespace(wall=0.0, cpu=0.0, per_step=per_step, kill_at=kill_at)
    step_call = TrainStep.__call__

    def step(self, it):
        if it == state.kill_at:
            raise RuntimeError("killed")
        state.wall += state.per_step[0]
        state.cpu += state.per_step[1]
        return step_call(self, it)

    monkeypatch.setattr(TrainStep, "__call__", step)
    monkeypatch.setattr(_time, "perf_counter", lambda: state.wall)
    monkeypatch.setattr(_time, "process_time", lambda: state.cpu)
    return state


def direction_store(root, flip: str = "", to=True, n_images: int = 4):
    """A store of l1 and good (denoise, 2 seeds × ``n_images`` images, psnr and lpips), the rows of the runs ``flip``
    names ("input": the degraded input's; "first": the run read first, ``min(store.run_ids())``) saying lpips is
    higher-is-better (``to``): a metric whose rows disagree on its direction, for the tests of its one rule."""
    from benchmark.results import ResultsStore, atomic_write_json
    from benchmark.synthetic import synthetic_runs

    store = ResultsStore(root)
    store.ensure_writable()
    runs = list(synthetic_runs(offsets={"l1": 0.0, "good": 1.0}, metrics=("psnr", "lpips"), seeds=range(2),
                               n_images=n_images, budget_check=False))
    first = min(rid for rid, _, _ in runs)
    for rid, meta, rows in runs:
        if (flip == "input" and meta.get("kind") == "input") or (flip == "first" and rid == first):
            rows = [{**r, "higher_is_better": to} if r["metric"] == "lpips" else r for r in rows]
        store.write_eval(rid, rows, sorted({r["metric"] for r in rows}), {})
        atomic_write_json(store.run_dir(rid) / "meta.json", meta)
    return store


def dry_run_of_test_data(monkeypatch, capsys, source: str, out) -> tuple[int, list[str], list[str]]:
    """``plbench run --dry-run`` of l1 on denoise with ``--test-data source``: (its exit code, its stderr's lines, the
    sources it decoded), for the tests that a source is refused before any image is decoded."""
    import benchmark.data as data
    from benchmark.cli import main

    decoded = []
    real = data._decoded
    monkeypatch.setattr(data, "_decoded", lambda spec, *a, **k: decoded.append(str(spec)) or real(spec, *a, **k))
    code = main(["run", "--tasks", "denoise", "--losses", "l1", "--seeds", "0", "--test-data", source,
                 "--out", str(out), "--dry-run", "--no-progress"])
    return code, capsys.readouterr().err.strip().splitlines(), decoded
