"""User story 2 — add a loss in one file, compare it with the field — against every way a grid is described.

Each field is made the way a user makes it (the quick profile, ``configs/quick.yaml``,
``configs/standard-cpu.yaml``, plain flags with several data sources), at a budget reduced to a few
iterations; ``compare --loss-file`` must then train the new loss under the field's recorded setting
and place it in the field. Deblur is in every field: its parameters are tuples, which read back from
``meta.json`` as lists (the regression of issue 24).
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from benchmark.cli import main

ROOT = Path(__file__).resolve().parents[1]
SHIPPED = ROOT / "benchmark" / "configs"  # the config files shipped in the package
SHARED = ROOT.parent / "shared" / "datasets"
GDL = ('import torch\nfrom benchmark.registry import register_loss\n\n\n'
       '@register_loss("gdl_l1", version="1", citation="Mathieu et al., ICLR 2016")\n'
       'class GDL(torch.nn.Module):\n'
       '    """Gradient difference + l1. pred, target: (N, 3, H, W) in [0, 1] -> scalar."""\n\n'
       '    def forward(self, pred, target):\n'
       '        dx = lambda x: x[..., :, 1:] - x[..., :, :-1]\n'
       '        dy = lambda x: x[..., 1:, :] - x[..., :-1, :]\n'
       '        return ((pred - target).abs().mean() + (dx(pred) - dx(target)).abs().mean()\n'
       '                + (dy(pred) - dy(target)).abs().mean())\n')
QUIET = ["--device", "cpu", "--no-progress", "-q"]
SMALL = ["--losses", "l1", "--seeds", "0", "--iterations", "2", "--metrics", "psnr"]
#: every way a grid can be described, each reduced to a budget a test can afford
FIELDS = {
    "quick-profile": ["--profile", "quick", "--tasks", "deblur", "denoise", *SMALL],
    "quick.yaml": ["--config", str(SHIPPED / "quick.yaml"), "--tasks", "deblur", "jpeg", *SMALL],
    "standard-cpu.yaml": ["--config", str(SHIPPED / "standard-cpu.yaml"), "--tasks", "deblur", *SMALL,
                          "--max-train-images", "4", "--test-data", str(SHARED / "CSet5")],
    "flags": ["--tasks", "deblur", "sr4", *SMALL, "--crop", "32", "--batch-size", "2",
              "--train-data", "skimage-natural:train", "skimage-medical:train",
              "--test-data", "skimage-natural:test", "skimage-medical:test"],
}


@pytest.fixture
def gdl_file(tmp_path):
    f = tmp_path / "gdl.py"
    f.write_text(GDL + f"# {tmp_path.name}\n")  # unique content: load_user_file caches modules by file hash
    yield f
    from benchmark.registry import LOSSES

    if "gdl_l1" in LOSSES:
        LOSSES.remove("gdl_l1")


def _tasks(args):
    rest = args[args.index("--tasks") + 1:]
    return rest[:next((i for i, a in enumerate(rest) if a.startswith("--")), len(rest))]


#: all but ``flags`` are ``slow``: the default suite compares against a grid given by flags
@pytest.mark.parametrize("field", [f if f == "flags" else pytest.param(f, marks=pytest.mark.slow) for f in FIELDS])
@pytest.mark.usefixtures("no_report_figures")  # compare's text and runs are checked, not its figures
def test_compare_a_loss_file_against_each_kind_of_field(field, tmp_path, gdl_file, capsys, monkeypatch):
    if field == "standard-cpu.yaml" and not (SHARED / "BSD200").is_dir():
        pytest.skip(f"the standard profile's images are not here ({SHARED})")
    monkeypatch.chdir(tmp_path)  # relative paths in a config resolve as a user's would
    out = tmp_path / "field"
    args = FIELDS[field]
    assert main(["run", *args, "--out", str(out), *QUIET, "--no-report"]) == 0
    field_runs = len(list((out / "runs").glob("*/meta.json")))
    capsys.readouterr()
    assert main(["compare", "--loss-file", str(gdl_file), "--out", str(out), *QUIET, "--no-visual",
                 "--formats", "png", "--bootstrap", "100"]) == 0
    text = capsys.readouterr().out
    tasks = _tasks(args)
    # one new run per task, and its budget check (the field has them: `run`'s default)
    assert len(list((out / "runs").glob("*/meta.json"))) == field_runs + 2 * len(tasks)
    for task in tasks:
        section = text.split(f"## {task}\n", 1)[1].split("\n## ", 1)[0]
        m = re.search(r"\*\*gdl_l1\*\* — mean rank (\d+\.\d+) of (\d+) losses", section)
        assert m, section
        assert int(m.group(2)) == 2 and 1.0 <= float(m.group(1)) <= 2.0  # gdl_l1 placed among l1 and itself
    metas = [m for p in (out / "runs").glob("*/meta.json") if "config" in (m := json.loads(p.read_text()))]
    new = [m for m in metas if m["config"]["loss"] == "gdl_l1"]
    for m in new:  # trained under exactly the field's recorded setting
        twin = next(f for f in metas if f["config"]["loss"] == "l1" and f["config"]["task"] == m["config"]["task"]
                    and f["config"]["iterations"] == m["config"]["iterations"])
        assert m["setting"] == twin["setting"] and m["status"] == "ok"


def _configs_of_every_path(tmp_path):
    """Every RunConfig the project builds: ``run`` and ``--dry-run`` (one planning function behind
    both), the Python API's planning, and ``compare``'s rebuild from each recorded config."""
    from benchmark.config import GridSpec, build_configs
    from benchmark.runner import DataCache

    data = DataCache()
    specs = [GridSpec(profile="quick"), GridSpec.from_file(SHIPPED / "quick.yaml"),
             GridSpec(tasks=("deblur",), task_params=(("deblur", (("gaussian_sigma", [0.5, 1.5]),)),),
                      losses=("l1", "l1 + 0.1*ssim"), seeds=(0, 1),
                      train_data=("skimage-natural:train", "skimage-medical:train"),
                      test_data=("skimage-natural:test", "skimage-medical:test"))]
    if (SHARED / "BSD200").is_dir():
        specs.append(GridSpec.from_file(SHIPPED / "standard-cpu.yaml").merged(
            GridSpec(losses=("l1", "l2"), max_train_images=4, test_data=(str(SHARED / "CSet5"),))))
    for spec in specs:
        configs, _, _ = build_configs(spec, data)
        yield from configs


def test_every_config_hashes_and_compare_rebuilds_it(tmp_path, monkeypatch):
    import benchmark.lossfn as lossfn
    from benchmark.compare import _config_from
    from benchmark.config import RunConfig, run_id, setting
    from benchmark.runner import DataCache

    # the planning's probe of each loss on a crop (check_loss_on_crop: ~80% of this test's CPU, VGG and LPIPS
    # forwards) raises or returns None, it changes no config; the quick profile is planned with it, both ways,
    # in test_config.test_shipped_config_files_are_their_profiles
    monkeypatch.setattr(lossfn, "check_loss_on_crop", lambda *a, **k: None)
    data = DataCache()
    seen = 0
    for cfg in _configs_of_every_path(tmp_path):
        hash(cfg)
        meta = json.loads(json.dumps({"config": cfg.to_dict(), "setting": setting(cfg)}))  # as meta.json holds it
        back = RunConfig.from_dict(meta["config"])
        assert back == cfg and hash(back) == hash(cfg) and run_id(back) == run_id(cfg)
        again = _config_from(meta, cfg.loss, cfg.seed, data, cfg.device_type)
        hash(again)
        assert setting(again) == setting(cfg)
        seen += 1
    assert seen >= 45 + 45 + 4  # quick profile, quick.yaml, the flags-like grid (+ standard-cpu here)


def test_python_api_and_dry_run_plan_hashable_configs(tmp_path, monkeypatch):
    import benchmark.cli as cli
    import benchmark.config as config
    import benchmark.executors as executors
    from benchmark import api

    planned = []
    real = config.build_configs

    def spy(*a, **k):
        configs, metrics, device = real(*a, **k)
        planned.extend(configs)
        assert len({hash(c) for c in configs}) == len(configs)
        return configs, metrics, device

    monkeypatch.setattr(config, "build_configs", spy)
    # what is planned is the question, not training it (the README's api.run trains: tests/test_api.py) nor
    # timing it (the dry run's estimate, ~80% of this test's CPU before: tests/test_perf.py's dry-run tests)
    from benchmark.runner import GridSummary

    monkeypatch.setattr(executors, "execute", lambda *a, **k: GridSummary())  # nothing trained, as it returns
    monkeypatch.setattr(cli, "_dry_run", lambda *a, **k: 0)
    api.run(tasks={"deblur": {"motion_length": [3, 7]}}, losses=["l1"], seeds=[0], iterations=2, crop=32,
            batch_size=2, metrics=["psnr"], device="cpu", out=str(tmp_path / "r"), report=False)
    assert planned and all(dict(c.task_params)["motion_length"] == (3, 7) for c in planned)
    assert main(["run", "--tasks", "deblur", "--losses", "l1", "--task-param", "deblur.motion_length=[3, 7]",
                 "--dry-run", "--out", str(tmp_path / "d"), *QUIET]) == 0
    assert len(planned) == 4  # the CLI's dry run planned through the same function (each: a run and its budget check)


@pytest.mark.slow
def test_readme_first_command_then_its_compare_example(tmp_path):
    """Exactly the README's sequence on the embedded default: its first command's run (the quick
    profile into ``results/``), the README's own loss file, then ``plbench compare --loss-file``."""
    readme = (ROOT / "README.md").read_text()
    first = re.search(r"```bash\n(.*?)\n```", readme, re.S).group(1)
    assert first.endswith("HF_HUB_OFFLINE=1 .venv/bin/python run_all.py")
    example = re.search(r"```python\n# losses/my_loss.py[^\n]*\n(.*?)```", readme, re.S).group(1)
    compare_line = next(ln for ln in readme.splitlines() if ln.startswith("plbench compare --loss-file"))
    (tmp_path / "my_loss.py").write_text(example)
    env = {"HF_HUB_OFFLINE": "1", "PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin", "HOME": str(tmp_path)}
    subprocess.run([sys.executable, str(ROOT / "run_all.py")], cwd=tmp_path, env=env, check=True)
    cmd = compare_line.split("#")[0].split()
    done = subprocess.run([str(Path(sys.executable).parent / cmd[0]), *cmd[1:]], cwd=tmp_path, env=env,
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "**my_loss** — mean rank" in done.stdout
    assert (tmp_path / "results" / "compare" / "my_loss.md").exists()
