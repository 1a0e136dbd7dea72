"""A corpus of bad inputs, each a one-line error and a non-zero exit, with results untouched.

Every case runs the real CLI entry point (:func:`benchmark.cli.main`) against a results
directory that already holds a finished run, and checks three things: the exit code, that
stderr is exactly one line starting with ``error:`` and matching the case's pattern (no
traceback), and that not one file of the existing results changed. Two cases also go through
``run_all.py`` in a subprocess, the way a user meets them.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from benchmark.cli import main
from benchmark.results import ResultsStore

ROOT = Path(__file__).resolve().parents[1]


_LOSS = ("import torch\nfrom benchmark.registry import register_loss\n\n@register_loss('{name}')\n"
         "class Bad(torch.nn.Module):\n    def forward(self, p, t):\n        return {body}\n")


@pytest.fixture(scope="module")
def d(tmp_path_factory) -> Path:
    """Files the corpus refers to as {d}/…: image folders good and bad, loss files, results dirs."""
    from PIL import Image

    d = tmp_path_factory.mktemp("bad")
    rng = np.random.default_rng(0)
    for folder in ("imgs", "timgs"):  # training and held-out test images (other pixels: no overlap warning)
        (d / folder).mkdir()
        for i in range(3):
            Image.fromarray(rng.integers(0, 256, (48, 48, 3), dtype=np.uint8)).save(d / folder / f"im{i}.png")
    (d / "empty").mkdir()
    (d / "corrupt").mkdir()
    (d / "corrupt" / "a.png").write_bytes(b"\x89PNG\r\n\x1a\n not really")
    (d / "corrupt" / "b.jpg").write_bytes(b"\xff\xd8\xff truncated")
    (d / "corrupt" / "c.webp").write_bytes(b"")
    losses = {
        "no_loss.py": "import torch\nX = 1\n",
        "raises.py": "raise RuntimeError('boom at import')\n",
        "syntax.py": "def broken(:\n",
        "imports_missing.py": "import not_a_module_anywhere_xyz\n",
        "exits.py": "import sys\nsys.exit(3)\n",
        "nonscalar.py": _LOSS.format(name="bad_nonscalar", body="(p - t).abs()"),
        "pyfloat.py": _LOSS.format(name="bad_pyfloat", body="0.5"),
        "numpy_value.py": _LOSS.format(name="bad_numpy", body="float((p - t).abs().mean().detach().numpy())"),
        "detached.py": _LOSS.format(name="bad_detached", body="(p - t).abs().mean().detach()"),
        "duplicate.py": ("import torch\nfrom benchmark.registry import register_loss\n\n"
                         "@register_loss('l1')\nclass Again(torch.nn.Module):\n"
                         "    def forward(self, p, t):\n        return (p - t).abs().mean()\n"),
    }
    for name, text in losses.items():
        (d / name).write_text(text)
    (d / "notes.txt").write_text("l1 is fine\n")
    (d / "adir.py").mkdir()
    (d / "nanimgs").mkdir()
    (d / "rangeimgs").mkdir()
    for i in range(2):
        Image.fromarray(np.full((48, 48), np.nan, np.float32)).save(d / "nanimgs" / f"n{i}.tif")
        Image.fromarray(np.full((48, 48), 3.5, np.float32)).save(d / "rangeimgs" / f"r{i}.tif")
    configs = {"dup.yaml": "tasks: [denoise]\ntasks: [sr4]\n", "nested_dup.yaml": "task_params:\n  denoise:\n"
               "    sigma: 0.1\n    sigma: 0.2\n", "list.yaml": "- denoise\n- sr4\n",
               "wrongtype.yaml": "seeds: {a: 1}\n", "empty.yaml": "# nothing but a comment\n",
               "executor_typo.yaml": "executor: {name: local, worker: 2}\n"}
    (d / "configdir").mkdir()
    for name, text in configs.items():
        (d / name).write_text(text)
    (d / "binary.yaml").write_bytes(bytes(range(256)))
    (d / "nul.yaml").write_bytes(b"tasks: [denoise]\0\n")
    (d / "afile").write_text("not a directory")

    finished_store(d / "existing")  # a finished (synthetic) run that must survive every case
    mixed = ResultsStore(d / "mixed")  # two settings (iterations 2 and 3) of one loss: report must refuse
    mixed.ensure_writable()
    for it in (2, 3):
        setting = json.dumps({"iterations": it, "net": "tiny", "task": "denoise", "task_params": {}})
        mixed.write_eval(f"it{it}", [{**DONE_ROW, "run_id": f"it{it}", "setting": setting}], ["psnr"], {})
        mixed.write_meta(f"it{it}", {"run_id": f"it{it}", "status": "ok", "config": {**DONE_CFG, "iterations": it}})
    (d / "v1").mkdir()
    (d / "v1" / "store.json").write_text('{"store_version": 1}')
    (d / "old").mkdir()
    (d / "old" / "store.json").write_text('{"store_version": 999}')
    (d / "garbled").mkdir()
    (d / "garbled" / "store.json").write_text("{ not json")
    (d / "readonly").mkdir()
    os.chmod(d / "readonly", 0o555)
    return d


# Every run case starts from this valid, tiny command line; the case's arguments override it.
BASE = ["--tasks", "denoise", "--losses", "l1", "--iterations", "1", "--crop", "32", "--batch-size", "2",
        "--metrics", "psnr", "--device", "cpu", "--train-data", "{d}/imgs", "--test-data", "{d}/timgs",
        "--out", "{d}/existing", "--no-progress", "--no-report", "-q"]

CASES = [
    # names that do not exist
    ("unknown task", ["--tasks", "denoize"], 2, r"unknown task 'denoize'; did you mean denoise"),
    ("unknown loss", ["--losses", "l3"], 2, r"unknown loss 'l3'"),
    ("unknown loss inside a sum", ["--losses", "l1 + 0.1*vgg_perceptal"], 2, r"unknown loss 'vgg_perceptal'"),
    ("loss wildcard matching nothing", ["--losses", "zzz*"], 2, r"no loss matches 'zzz\*'"),
    ("unknown metric", ["--metrics", "psnrr"], 2, r"did you mean psnr"),
    ("unknown net", ["--net", "tinny"], 2, r"unknown net 'tinny'; did you mean tiny"),
    ("unknown profile", ["--profile", "quik"], 2, r"unknown profile 'quik'; did you mean quick"),
    ("unknown device", ["--device", "tpu"], 2, r"unknown device 'tpu'"),
    ("malformed device", ["--device", "cuda:x"], 2, r"unknown device 'cuda:x'"),
    # malformed values
    ("malformed loss spec", ["--losses", "l1 +* ssim"], 2, r"cannot parse loss spec"),
    ("non-literal loss argument", ["--losses", "l1(x=foo)"], 2, r"arguments must be literals"),
    ("loss argument it does not take", ["--losses", "ssim(windw=7)"], 2, r"loss 'ssim' has no argument 'windw'"),
    ("negative iterations", ["--iterations", "-5"], 2, r"--iterations must be positive, got -5"),
    ("zero iterations", ["--iterations", "0"], 2, r"--iterations must be positive, got 0"),
    ("zero batch size", ["--batch-size", "0"], 2, r"--batch-size must be positive"),
    ("negative learning rate", ["--lr", "-0.1"], 2, r"--lr must be positive"),
    ("NaN learning rate", ["--lr", "nan"], 2, r"--lr must be positive, got nan"),
    ("zero max train images", ["--max-train-images", "0"], 2, r"--max-train-images must be positive"),
    ("negative checkpoint interval", ["--checkpoint-every", "-1"], 2, r"--checkpoint-every must be 0 \(off\)"),
    ("crop larger than every image", ["--crop", "4000"], 2, r"smaller than the 4000 px crop"),
    ("task parameter without =", ["--task-param", "oops"], 2, r"TASK\.KEY=VALUE"),
    ("unknown task parameter", ["--task-param", "denoise.sigmaa=0.1"], 2, r"no parameter sigmaa"),
    ("task parameter out of range", ["--task-param", "denoise.sigma=-1"], 2, r"sigma must be in"),
    ("task parameter for a task not in the grid", ["--task-param", "sr4.scale=2"], 2, r"not in this grid"),
    # data that cannot be had
    ("hub dataset offline (train)", ["--train-data", "nobody/nothing-here"], 2, r"not cached and the hub is offline"),
    ("hub dataset offline (test)", ["--test-data", "nobody/nothing-here"], 2, r"not cached and the hub is offline"),
    ("missing dataset folder", ["--train-data", "{d}/no/such/folder"], 2, r"dataset folder not found"),
    ("empty dataset folder", ["--train-data", "{d}/empty"], 2, r"image folder .*/empty is empty: no file in it"),
    ("folder of only corrupt files (train)", ["--train-data", "{d}/corrupt"], 2,
     r"no readable image \(3 unreadable files; a\.png: a PNG file Pillow cannot decode"),
    ("folder of only corrupt files (test)", ["--test-data", "{d}/corrupt"], 2, r"no readable image"),
    ("unknown embedded split", ["--train-data", "skimage:validation"], 2, r"has splits train, test, all"),
    ("missing image column", ["--test-data", "{d}/imgs#nocol"], 2, r"has no column 'nocol'"),
    # user loss files
    ("loss file not found", ["--loss-file", "{d}/nope.py"], 2, r"loss file not found"),
    ("loss file defining no loss", ["--loss-file", "{d}/no_loss.py"], 2, r"no_loss\.py registers no loss"),
    ("loss file raising on import", ["--loss-file", "{d}/raises.py"], 2, r"RuntimeError: boom at import"),
    ("loss file with a syntax error", ["--loss-file", "{d}/syntax.py"], 2, r"syntax\.py failed to import: SyntaxError"),
    ("loss file importing a missing module", ["--loss-file", "{d}/imports_missing.py"], 2, r"ModuleNotFoundError"),
    ("loss file calling sys.exit at import", ["--loss-file", "{d}/exits.py"], 2, r"exits\.py called sys\.exit\(3\)"),
    ("loss file that is not a .py file", ["--loss-file", "{d}/notes.txt"], 2, r"notes\.txt is not a Python file"),
    ("loss file that is a directory", ["--loss-file", "{d}/adir.py"], 2, r"adir\.py is a directory"),
    ("loss returning a non-scalar", ["--loss-file", "{d}/nonscalar.py", "--losses", "bad_nonscalar"], 2,
     r"loss 'bad_nonscalar' returned a tensor of shape \(\d+, 3, \d+, \d+\): a loss must return one number"),
    ("loss returning a Python float", ["--loss-file", "{d}/pyfloat.py", "--losses", "bad_pyfloat"], 2,
     r"returned a float, not a tensor"),
    ("loss computed in numpy", ["--loss-file", "{d}/numpy_value.py", "--losses", "bad_numpy"], 2,
     r"'bad_numpy' returned a float"),
    ("loss returning a detached value", ["--loss-file", "{d}/detached.py", "--losses", "bad_detached"], 2,
     r"'bad_detached' does not depend differentiably on pred"),
    ("loss file re-registering a built-in name", ["--loss-file", "{d}/duplicate.py"], 2, r"'l1' is already registered"),
    # results directories
    ("results path is a file", ["--out", "{d}/afile"], 2, r"exists and is not a directory"),
    ("results path under a file", ["--out", "{d}/afile/results"], 2, r"cannot create results directory"),
    ("read-only results directory", ["--out", "{d}/readonly"], 2, r"is not writable"),
    ("results from an incompatible version", ["--out", "{d}/old"], 2, r"incompatible version \(store_version 999"),
    ("unreadable store.json", ["--out", "{d}/garbled"], 2, r"store\.json is unreadable"),
    # command lines argparse rejects
    ("unknown flag", ["--bogus"], 2, r"unrecognized arguments: --bogus"),
    ("bad int", ["--iterations", "ten"], 2, r"argument --iterations: invalid int value: 'ten'"),
    ("bad float", ["--lr", "fast"], 2, r"argument --lr: invalid float value: 'fast'"),
    ("bad seed", ["--seeds", "a"], 2, r"argument --seeds: invalid int value: 'a'"),
    ("missing value", ["--iterations"], 2, r"argument --iterations: expected one argument"),
    # other subcommands
    ("list: invalid choice", ["list", "widgets"], 2, r"argument what: invalid choice: 'widgets'"),
    ("list: loss file raising on import", ["list", "--loss-file", "{d}/raises.py"], 2, r"boom at import"),
    ("report: missing results directory", ["report", "--out", "{d}/nowhere"], 2, r"nowhere"),
    # typed task parameters: the parameter, the expected type and the value
    ("task parameter of the wrong type (float)", ["--task-param", "denoise.sigma=abc"], 2,
     r"task 'denoise' parameter sigma expects float, got 'abc' \(str\)"),
    ("task parameter of the wrong type (bool)", ["--task-param", "denoise.clip=maybe"], 2,
     r"parameter clip expects bool, got 'maybe'"),
    ("task parameter of the wrong type (int)", ["--tasks", "jpeg", "--task-param", "jpeg.quality=high"], 2,
     r"task 'jpeg' parameter quality expects int, got 'high' \(str\)"),
    ("task parameter float for int", ["--tasks", "jpeg", "--task-param", "jpeg.quality=10.5"], 2,
     r"parameter quality expects int, got 10\.5 \(float\)"),
    ("task parameter scalar for a pair", ["--tasks", "deblur", "--task-param", "deblur.gaussian_sigma=3"], 2,
     r"parameter gaussian_sigma expects tuple\[float, float\], got 3 \(int\)"),
    ("task parameter pair of strings", ["--tasks", "deblur", "--task-param", "deblur.motion_length=('a','b')"], 2,
     r"parameter motion_length expects tuple\[float, float\], got \('a', 'b'\)"),
    ("task parameter str for int", ["--tasks", "sr4", "--task-param", "sr4.scale=x4"], 2,
     r"parameter scale expects int, got 'x4'"),
    ("task parameter int for str", ["--tasks", "demosaic", "--task-param", "demosaic.pattern=5"], 2,
     r"parameter pattern expects str, got 5 \(int\)"),
    # typed loss keywords
    ("loss keyword of the wrong type (sequence)", ["--losses", "pdl(layers=5)"], 2,
     r"loss 'pdl' argument layers expects a sequence of str, got 5 \(int\)"),
    ("loss keyword a bare string for a sequence", ["--losses", "vgg(layers='relu2_2')"], 2,
     r"argument layers expects a sequence of str, got 'relu2_2'"),
    ("loss keyword of the wrong type (str)", ["--losses", "lpips(net=3)"], 2,
     r"loss 'lpips' argument net expects str, got 3"),
    ("loss keyword of the wrong type (float)", ["--losses", "charbonnier(eps='tiny')"], 2,
     r"argument eps expects float, got 'tiny'"),
    ("loss keyword of the wrong type (int)", ["--losses", "ms_ssim(levels=2.5)"], 2,
     r"argument levels expects int, got 2\.5"),
    ("loss keyword of the wrong type (bool)", ["--losses", "ffl(log_matrix=1)"], 2,
     r"argument log_matrix expects bool, got 1 \(int\)"),
    ("loss keyword of the wrong type inside a sum", ["--losses", "l1 + 0.1*contextual(h='wide')"], 2,
     r"loss 'contextual' argument h expects float, got 'wide'"),
    # resources
    ("batch too large for RAM", ["--batch-size", "100000"], 2, r"needs ≈ [\d.]+ GiB, but only [\d.]+ GiB is available"),
    ("batch too large for RAM with a feature loss", ["--losses", "vgg", "--batch-size", "60000"], 2,
     r"loss 'vgg' at batch 60000 × 32² crops needs ≈"),
    # several training sources
    ("one of several training sources missing", ["--train-data", "{d}/imgs", "{d}/no/such/folder"], 2,
     r"dataset folder not found"),
    # settings
    ("report: results mixing two settings", ["report", "--out", "{d}/mixed"], 2,
     r"differ in iterations \(2 \| 3\).*--where iterations=3"),
    ("report: --where naming no field", ["report", "--out", "{d}/mixed", "--where", "iteratons=2"], 2,
     r"--where iteratons: no such setting field"),
    ("report: --where without a value", ["report", "--out", "{d}/mixed", "--where", "iterations"], 2,
     r"expected FIELD=VALUE"),
    ("report: --where matching nothing", ["report", "--out", "{d}/mixed", "--where", "iterations=7"], 2,
     r"no results match iterations=7"),
    ("report: results of plbench 0.1", ["report", "--out", "{d}/v1"], 2, r"written by plbench 0\.1"),
    # loss-spec arithmetic, checked at parse time with the term named
    ("overflowing loss weight", ["--losses", "1e309*l1"], 2, r"weight of 'l1' is inf \(overflow\)"),
    ("overflowing product of weights", ["--losses", "1e200*(1e200*l1)"], 2, r"weight of 'l1' is inf"),
    ("underflowing loss weight", ["--losses", "1e-320*l1"], 2, r"below the smallest normal float"),
    ("boolean loss weight", ["--losses", "True*l1"], 2, r"weight True is not a number"),
    ("duplicate loss keyword", ["--losses", "charbonnier(eps=1, eps=2)"], 2,
     r"keyword 'eps' of 'charbonnier' given twice"),
    ("negative charbonnier eps", ["--losses", "charbonnier(eps=-1)"], 2, r"argument eps must be > 0, got -1"),
    ("zero ms_ssim levels", ["--losses", "ms_ssim(levels=0)"], 2, r"argument levels must be ≥ 1, got 0"),
    ("too many ms_ssim levels", ["--losses", "ms_ssim_l1(levels=9)"], 2, r"argument levels must be ≤ 5, got 9"),
    ("mix weight above 1", ["--losses", "ms_ssim_l1(alpha=1.5)"], 2, r"argument alpha must be ≤ 1, got 1\.5"),
    ("NaN loss keyword", ["--losses", "charbonnier(eps=float('nan'))"], 2, r"arguments must be literals"),
    ("very long loss spec", ["--losses", "+".join(["l1"] * 3000)], 2, r"characters long; at most 2000"),
    ("deeply nested loss spec", ["--losses", "+".join(["l1"] * 200)], 2, r"more than 64 terms"),
    # numeric flags
    ("crop below the minimum", ["--crop", "4"], 2, r"--crop 4 is too small for task denoise: it needs ≥ 8 px"),
    ("crop too small for x4 super-resolution", ["--tasks", "sr4", "--crop", "6"], 2,
     r"--crop 6 is too small for task sr4: it needs ≥ 8 px"),
    ("ray with --device auto", ["--executor", "ray", "--device", "auto"], 2,
     r"--executor ray with --device auto: the runs would be planned for this machine's device"),
    ("slurm with --device auto", ["--executor", "slurm", "--device", "auto"], 2, r"pass --device cuda or --device cpu"),
    ("infinite learning rate", ["--lr", "inf"], 2, r"--lr must be finite, got inf"),
    ("seed beyond 2**63", ["--seeds", str(2**64)], 2, r"--seeds: 18446744073709551616 is out of range"),
    ("negative seed", ["--seeds", "-1"], 2, r"--seeds: -1 is out of range"),
    ("NaN task parameter", ["--task-param", "denoise.sigma=nan"], 2, r"parameter sigma must be finite, got 'nan'"),
    ("infinite task parameter", ["--task-param", "denoise.sigma=inf"], 2, r"parameter sigma must be finite"),
    ("NaN inside a task parameter pair", ["--tasks", "deblur", "--task-param", "deblur.gaussian_sigma=(1.0, nan)"],
     2, r"gaussian_sigma"),
    # images
    ("float images with NaN pixels (train)", ["--train-data", "{d}/nanimgs"], 2, r"no readable image \(2 unreadable"),
    ("float images out of range (test)", ["--test-data", "{d}/rangeimgs"], 2, r"no readable image \(2 unreadable"),
    # config files
    ("config with a duplicate key", ["--config", "{d}/dup.yaml"], 2, r"config key 'tasks' is given twice"),
    ("config with a duplicate nested key", ["--config", "{d}/nested_dup.yaml"], 2, r"key 'sigma' is given twice"),
    ("config that is a list", ["--config", "{d}/list.yaml"], 2, r"expected a mapping of settings, got list"),
    ("config with a wrong nested type", ["--config", "{d}/wrongtype.yaml"], 2, r"seeds"),
    ("binary config file", ["--config", "{d}/binary.yaml"], 2, r"binary\.yaml is not a text file"),
    ("config with a NUL byte", ["--config", "{d}/nul.yaml"], 2, r"nul\.yaml is a binary file"),
    ("empty config file", ["--config", "{d}/empty.yaml"], 2, r"config file .*empty\.yaml is empty"),
    ("config that is a directory", ["--config", "{d}/configdir"], 2, r"config file .*configdir is a directory"),
    ("typo in a config's executor block", ["--config", "{d}/executor_typo.yaml"], 2,
     r"unknown executor key 'worker'; did you mean workers\?"),
    # loss specs
    ("NaN loss weight", ["--losses", "0.5*l1 + nan*l2"], 2, r"weight nan is not a finite number"),
    ("infinite loss weight", ["--losses", "inf*l1"], 2, r"weight inf is not a finite number"),
    ("negative loss weight", ["--losses=-1*l1"], 2, r"weight -1 is negative: weights must be positive"),
    ("a loss term given twice", ["--losses", "l1 + 0.1*l1"], 2, r"term l1 appears twice .* combine the weights"),
    ("run into results of plbench 0.1", ["--out", "{d}/v1"], 2, r"store_version 1"),
]
CASE_IDS = [c[0].replace(" ", "-") for c in CASES]
COMMANDS = ("list", "report", "weights", "pretrain", "compare")


def _argv(args: list[str], d: Path) -> list[str]:
    args = [a.replace("{d}", str(d)) for a in args]
    if args and args[0] in COMMANDS:
        return args
    return _overridden([a.replace("{d}", str(d)) for a in BASE], args)


def _overridden(base: list[str], args: list[str]) -> list[str]:
    """``base`` without the options ``args`` gives again (with their values), then ``args``: the override a second
    value of an option makes, without the warning a command line holding both earns."""
    given, kept, skip = {a.split("=", 1)[0] for a in args if a.startswith("-")}, [], False
    for a in base:
        if a.startswith("-"):
            skip = a in given
        if not skip:
            kept.append(a)
    return kept + args


def _snapshot(root: Path) -> dict[str, str]:
    """{path relative to ``root``: sha256} of every file under ``root``: what a refused command must leave alone."""
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


def finished_store(root: Path) -> ResultsStore:
    """A results store at ``root`` holding one finished synthetic run (``done1``: denoise, l1, seed 0, one psnr
    row): what a command refused as bad input must leave untouched (compare :func:`_snapshot` before and after)."""
    store = ResultsStore(root)
    store.ensure_writable()
    store.write_eval("done1", [DONE_ROW], ["psnr"], {})
    store.write_meta("done1", {"run_id": "done1", "status": "ok", "config": DONE_CFG})
    return store


#: the row and the config of :func:`finished_store`'s run
DONE_ROW = {"run_id": "done1", "task": "denoise", "task_version": "1", "task_params": "{}", "loss": "l1", "seed": 0,
            "net": "tiny", "weights": "none", "train_data": "x", "dataset": "imgs", "image": "im0", "metric": "psnr",
            "value": 30.0, "higher_is_better": True, "code_version": "0.1.0+c1"}
DONE_CFG = {"task": "denoise", "loss": "l1", "seed": 0}  # a complete record (an incomplete one is a damaged run)


@pytest.mark.parametrize("name,args,code,pattern", CASES, ids=CASE_IDS)
def test_bad_input(name, args, code, pattern, d, capsys, monkeypatch):
    if name == "read-only results directory" and os.geteuid() == 0:
        # root ignores permission bits; make the access check see what any other user would
        real = os.access
        monkeypatch.setattr(os, "access", lambda p, mode, **kw: False if str(p).startswith(str(d / "readonly"))
                            and mode & os.W_OK else real(p, mode, **kw))
    from benchmark.registry import LOSSES

    before = _snapshot(d)
    registered = set(LOSSES.names())
    capsys.readouterr()
    try:
        got = main(_argv(args, d))
    except SystemExit as exc:  # argparse
        got = exc.code
    finally:
        for extra in set(LOSSES.names()) - registered:  # a loss file's losses: gone for the next test
            LOSSES.remove(extra)
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if line.strip()]
    assert got == code, err
    assert len(lines) == 1 and lines[0].startswith("error: "), err
    assert re.search(pattern, lines[0]), lines[0]
    assert "Traceback" not in err
    after = _snapshot(d)
    changed = {k for k in before.keys() | after.keys() if before.get(k) != after.get(k)}
    assert not changed, f"bad input changed files: {sorted(changed)}"


def test_corpus_size():
    assert len(CASES) >= 119  # the README's count ("tests/test_bad_inputs.py, 119 cases")


@pytest.mark.skipif(torch.cuda.is_available(), reason="asks for CUDA where there is none")
def test_cuda_requested_without_cuda(d, capsys):
    assert main(_argv(["--device", "cuda"], d)) == 2
    assert "CUDA is not available" in capsys.readouterr().err


@pytest.mark.parametrize("args,pattern", [
    (["--bogus"], r"^error: unrecognized arguments: --bogus"),
    (["--loss-file", "{d}/raises.py"], r"^error: raises\.py failed to import: RuntimeError: boom at import"),
], ids=["argparse", "loss-file"])
def test_bad_input_through_the_real_command(args, pattern, d):
    """As a user sees it: stderr is the one error line (log warnings aside), exit code 2."""
    env = dict(os.environ, HF_HUB_OFFLINE="1", OMP_NUM_THREADS="1")
    proc = subprocess.run([sys.executable, str(ROOT / "run_all.py"), *_argv(args, d)], capture_output=True,
                          text=True, env=env, cwd=ROOT, timeout=300)
    assert proc.returncode == 2, proc.stderr
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and re.search(pattern, lines[0]), proc.stderr


def _disk_full_args(out: Path, d: Path) -> list[str]:
    """The grid the disk-full tests run: 2 losses × 2 seeds into ``out``, a checkpoint every iteration."""
    args = [a.replace("{d}", str(d)) for a in BASE if a not in ("-q",)]
    i = args.index("--out")
    args[i + 1] = str(out)
    return _overridden(args, ["--losses", "l1", "l2", "--seeds", "0", "1", "--checkpoint-every", "1", "-q"])


def _disk_full_run(out: Path, env_extra: dict, d: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ, HF_HUB_OFFLINE="1", OMP_NUM_THREADS="1", **env_extra)
    return subprocess.run([sys.executable, str(ROOT / "run_all.py"), *_disk_full_args(out, d)], capture_output=True,
                          text=True, env=env, cwd=ROOT, timeout=300)


def _check_disk_full(proc, out: Path, before: dict) -> None:
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert proc.returncode == 3, proc.stderr
    assert len(lines) == 1 and re.match(r"error: disk full while writing .* results written before are intact",
                                        lines[0]), proc.stderr
    assert not [p for p in out.rglob("*") if ".tmp" in p.name], "a half-written file was left"
    after = _snapshot(out)
    log, logged = out / "finished.log", before.pop("finished.log", None)  # append-only: a run finished since adds
    assert {k: after.get(k) for k in before} == before, "results written before were changed"
    if logged is not None:  # its line; the lines before stay as they were, and no line is left half-written
        text = log.read_bytes()
        assert text.endswith(b"\n") and any(hashlib.sha256(text[:i]).hexdigest() == logged
                                              for i in [0, *(j + 1 for j, b in enumerate(text) if b == 10)])


@pytest.mark.parametrize("nth", [pytest.param(1, marks=pytest.mark.slow), 4, pytest.param(9, marks=pytest.mark.slow)])
@pytest.mark.usefixtures("one_thread")  # as the first command (OMP_NUM_THREADS=1)
def test_disk_full_mid_grid(nth, d, tmp_path, capsys):
    """ENOSPC injected at the n-th file write of a grid: one line, exit 3, no temporary file left,
    every file written before untouched; the same command afterwards finishes the grid."""
    import shutil

    out = tmp_path / "r"
    shutil.copytree(d / "existing", out)
    before = _snapshot(out)
    _check_disk_full(_disk_full_run(out, {"PLBENCH_DISK_FULL_AT": str(nth)}, d), out, before)
    # the same command, in this process (no second interpreter to start: ~4 s of CPU)
    assert main(_disk_full_args(out, d)) == 0, capsys.readouterr().err
    assert len(ResultsStore(out).table()) > 1


def test_a_really_full_disk(d, tmp_path):
    """The same on a real 1 MiB tmpfs (Linux, root; skipped where mounting is not allowed)."""
    import shutil

    mnt = tmp_path / "small"
    mnt.mkdir()
    if os.geteuid() != 0 or subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(mnt)],
                                           capture_output=True).returncode != 0:
        pytest.skip("cannot mount a tmpfs here (needs root on Linux)")
    try:
        out = mnt / "r"
        shutil.copytree(d / "existing", out)
        (mnt / "ballast").write_bytes(b"\0" * (1024 * 1024 - 160 * 1024))  # leave ~160 KiB free
        before = _snapshot(out)
        _check_disk_full(_disk_full_run(out, {}, d), out, before)
    finally:
        subprocess.run(["umount", str(mnt)], capture_output=True)
