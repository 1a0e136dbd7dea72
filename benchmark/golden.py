"""Golden numbers: the guard that makes a forgotten version bump fail the test suite.

A run's identity (:func:`benchmark.config.run_id`) holds the versions of the code that computes
its numbers: each task's and each loss's registry ``version``, :data:`benchmark.nets.NET_VERSION`
and :data:`benchmark.CODE_VERSION` (the training step, sampling, evaluation). A version nobody
bumps is worse than none: cached results silently stand for code that no longer produces them.

So every versioned piece has *golden numbers* — tiny fixed-seed outputs stored in
``tests/golden/numbers.json`` together with the version that produced them:

* ``task:<name>``  the task's degradation of a fixed image with a fixed generator (summary
  statistics and sampled pixels);
* ``held_out:<name>`` the task's degradation of two test images as the runner draws them (versioned by
  both ``CODE_VERSION``, which keys the draws, and the task's version, which uses them);
* ``loss:<name>``  the loss (random-init backbones, seed 0) and its gradient norm at a fixed
  (pred, target[, degraded]) pair, and again after one ``train_step`` for online losses; also
  ``loss:<spec>`` for the specs of :data:`LOSS_EXTRA_SPECS` (versioned by the loss's version),
  where the defaults hide part of the formula;
* ``metric:<name>`` each metric computed by the harness's own code (:func:`own_metrics`) on two fixed pairs,
  versioned by its ``@code_version`` tag (:mod:`benchmark.metric_code`: a new tag re-scores its stored scores);
* ``net:<preset>`` the seeded net's output on a fixed input (perturbed from the identity init);
* ``runner``       a tiny end-to-end run: crops sampled, 3 training steps, evaluation.

``tests/test_golden.py`` recomputes every entry. Numbers that moved while the version stayed the
same fail the suite (*bump the version*); a bumped version whose stored numbers are older fails
too (*regenerate*): ``python -m benchmark.golden --update`` rewrites the entries whose version
changed (and adds new ones) and refuses to overwrite numbers whose version did not change.
A new loss or task therefore needs one ``--update`` run; it is generated data, not a second
place to edit by hand.
"""

from __future__ import annotations

import json
import math
import sys
from collections.abc import Callable
from pathlib import Path

import torch

from benchmark.docmarkup import agree
from benchmark.errors import UserError
from benchmark.results import atomic_write_bytes

GOLDEN_PATH = Path(__file__).resolve().parents[1] / "tests" / "golden" / "numbers.json"
RTOL, ATOL = 2e-4, 1e-6


def _image(n: int = 1, size: int = 64, seed: int = 0) -> torch.Tensor:
    """A fixed smooth-plus-texture test image (N, 3, size, size) in [0, 1], from a seeded generator."""
    g = torch.Generator().manual_seed(seed)
    yy, xx = torch.meshgrid(torch.linspace(0, 1, size), torch.linspace(0, 1, size), indexing="ij")
    base = torch.stack([0.5 + 0.4 * torch.sin(6 * xx + c) * torch.cos(4 * yy - c) for c in (0.0, 1.0, 2.0)])
    noise = torch.nn.functional.avg_pool2d(torch.rand(n, 3, size + 2, size + 2, generator=g), 3, stride=1)
    return (0.8 * base + 0.2 * noise).clamp(0, 1)


def _summary(x: torch.Tensor) -> list[float]:
    x = x.detach().double().flatten()
    idx = torch.linspace(0, x.numel() - 1, 8).long()
    return [float(x.mean()), float(x.std()), float(x.abs().sum()), *map(float, x[idx])]


def task_numbers(name: str) -> list[float]:
    from benchmark.task import build_task

    task = build_task(name)
    clean = _image(2, 64)
    return _summary(task.degrade(clean, torch.Generator().manual_seed(0)))


#: parameters a task's held-out entry is computed with, where its defaults draw nothing (a noise-free mosaic)
HELD_OUT_PARAMS = {"demosaic": {"noise_sigma": 0.02}}


#: loss specs with golden numbers of their own besides the defaults', where the defaults leave part of the formula
#: invisible at :data:`RTOL`: contextual's eps = 1e-5 hides the scale of its raw distance (its version 1 → 2,
#: (1 − cos) → (1 − cos)/2, moved the default's numbers by 3e-5 relative); at eps = 0.1 the scale shows
LOSS_EXTRA_SPECS = {"contextual": ("contextual(eps=0.1)",)}


def held_out_numbers(name: str) -> list[float]:
    """A task's test-image degradations as the runner makes them (:func:`benchmark.runner.held_out_items`:
    one stream per component, keyed by the image's pixels), for two images and two parameter values."""
    from benchmark.data import ImageRecord
    from benchmark.runner import held_out_items
    from benchmark.task import build_task

    images = [ImageRecord(f"im{i}", (_image(1, 48, seed=4 + i)[0] * 255).round().to(torch.uint8)) for i in range(2)]
    out = []
    for scale in (1.0, 0.5):  # a noise level halved: the same draw, scaled (where the task has one)
        params = dict(HELD_OUT_PARAMS.get(name, {}))
        task = build_task(name, **params)
        for key in ("sigma", "noise_sigma"):
            if key in task.params and scale != 1.0:
                task = build_task(name, **{**params, key: task.params[key] * scale})
        out += _summary(torch.cat([it.degraded for it in held_out_items(task, {_FixedSpec(): images})]))
    return out


def loss_numbers(name: str) -> list[float]:
    from benchmark.lossfn import build_loss

    torch.manual_seed(0)
    loss = build_loss(name, seed=0, weights="random")
    target = _image(2, 64)
    g = torch.Generator().manual_seed(1)
    pred = (target + 0.1 * torch.randn(target.shape, generator=g)).clamp(0, 1).requires_grad_(True)
    degraded = (target + 0.2 * torch.randn(target.shape, generator=g)).clamp(0, 1)
    extra = {"degraded": degraded} if "degraded" in loss.needs_all else {}
    value = loss(pred, target, **extra)
    value.backward()
    out = [float(value.detach()), float(pred.grad.double().norm())]
    if hasattr(loss, "train_step") and any(hasattr(m, "train_step") for m in loss.parts):
        loss.train_step(pred.detach(), target, **extra)
        out.append(float(loss(pred.detach(), target, **extra)))
    return out


def own_metrics() -> list[str]:
    """The metrics the harness computes by its own code and no weights file: pyiqa's names it computes itself
    (:data:`benchmark.metrics.FAST`) and its registered ones (``psnr_y``, …; not a plugin's, nor ``contrique_fr``,
    whose numbers are its file's)."""
    from benchmark.metrics import FAST
    from benchmark.registry import METRICS

    return sorted([*FAST, *(e.name for e in METRICS.entries()
                            if "plugin" not in e.meta and not getattr(e.obj, "weight_keys", ()))])


def metric_version(name: str) -> str:
    """The version of ``name``'s golden numbers: its ``@code_version`` tag (:mod:`benchmark.metric_code`), "1"
    before it has one."""
    from benchmark.metric_code import CODE_VERSIONS

    return CODE_VERSIONS.get(name, "1")


def metric_numbers(name: str) -> list[float]:
    """``name`` scored on fixed (distorted, clean) pairs: 64×72 px and 97×105 px (odd sides, where mad's port went
    wrong), or 168×176 px for a metric that needs more (ms_ssim, 161 px)."""
    from benchmark.metrics import FAST, METRICS, min_side

    torch.manual_seed(0)
    module = FAST[name]() if name in FAST else METRICS.get(name).obj()
    out = []
    for h, w in [s for s in ((64, 72), (97, 105)) if min(s) >= min_side(name)] or [(168, 176)]:
        target = _image(1, max(h, w), seed=5)[..., :h, :w]
        g = torch.Generator().manual_seed(6)
        pred = (target + 0.05 * torch.randn(target.shape, generator=g)).clamp(0, 1)
        with torch.no_grad():
            val = module(pred, target) if getattr(module, "metric_mode", "FR") == "FR" else module(pred)
            out.append(float(torch.as_tensor(val).double().mean()))
    return out


def net_numbers(preset: str) -> list[float]:
    from benchmark.nets import build_net

    torch.manual_seed(0)
    net = build_net(preset)
    with torch.no_grad():
        for p in net.tail.parameters():  # away from the identity init, so the body shows
            p.copy_(0.01 * torch.randn(p.shape, generator=torch.Generator().manual_seed(2)))
        return [*_summary(net(_image(1, 32))), float(sum(p.numel() for p in net.parameters()))]


def runner_numbers() -> list[float]:
    """Three training steps and an evaluation, through the runner's own functions."""
    from benchmark.config import RunConfig
    from benchmark.data import ImageRecord
    from benchmark.metrics import MetricSet
    from benchmark.runner import evaluate, held_out_items, sample_batch, train
    from benchmark.task import build_task

    img = (_image(1, 72, seed=3)[0] * 255).round().to(torch.uint8)
    images = [ImageRecord("a", img), ImageRecord("b", img.flip(-1))]
    task = build_task("denoise")
    crops = sample_batch(images, 2, 32, 1, torch.Generator().manual_seed(0))
    cfg = RunConfig(task="denoise", loss="l1", seed=0, net="tiny", iterations=3, batch_size=2, crop=32, lr=1e-2)
    result = train(cfg, task, images, torch.device("cpu"))
    items = held_out_items(task, {_FixedSpec(): images[:1]})
    scores = evaluate(result.net, items, MetricSet(("psnr",)), torch.device("cpu"))
    return [*_summary(crops), result.final_loss, *(s["psnr"] for _, s in scores)]


class _FixedSpec:
    name = "golden"

    def __str__(self) -> str:
        return "golden"


def entries() -> dict[str, tuple[str, Callable[[], list[float]]]]:
    """{entry name: (current version, function computing its numbers)}."""
    from benchmark import CODE_VERSION
    from benchmark.nets import NET_PRESETS, NET_VERSION
    from benchmark.registry import LOSSES, TASKS

    out: dict[str, tuple[str, Callable[[], list[float]]]] = {}
    for e in TASKS.entries():
        out[f"task:{e.name}"] = (e.version, lambda n=e.name: task_numbers(n))
    for e in TASKS.entries():  # the test images' draws: the task's degradation and the harness's keys for it
        out[f"held_out:{e.name}"] = (f"{CODE_VERSION}/{e.version}", lambda n=e.name: held_out_numbers(n))
    for e in LOSSES.entries():
        if "file" in e.meta:  # a user's --loss-file: versioned by its file hash instead
            continue
        out[f"loss:{e.name}"] = (e.version, lambda n=e.name: loss_numbers(n))
        for spec in LOSS_EXTRA_SPECS.get(e.name, ()):
            out[f"loss:{spec}"] = (e.version, lambda s=spec: loss_numbers(s))
    for m in own_metrics():
        out[f"metric:{m}"] = (metric_version(m), lambda m=m: metric_numbers(m))
    for p in NET_PRESETS:
        out[f"net:{p}"] = (NET_VERSION, lambda p=p: net_numbers(p))
    out["runner"] = (CODE_VERSION, runner_numbers)
    return out


def load(path: Path = GOLDEN_PATH) -> dict:
    """The stored entries ({} where the file is not there); a file that is no JSON object (cut short, a merge conflict
    left in it) is one :class:`UserError` naming it."""
    if not path.exists():
        return {}
    try:
        stored = json.loads(path.read_text())
    except (UnicodeDecodeError, ValueError) as exc:
        stored = exc
    if not isinstance(stored, dict):
        why = f"{type(stored).__name__}: {stored}" if isinstance(stored, Exception) else "not an object"
        raise UserError(f"{path} is not readable JSON ({why}): put it back with `git checkout {path.name}` in "
                        f"{path.parent} (or from your last commit), then run this again")
    return stored


def close(a: list[float], b: list[float]) -> bool:
    return len(a) == len(b) and all(math.isclose(x, y, rel_tol=RTOL, abs_tol=ATOL) or (x != x and y != y)
                                    for x, y in zip(a, b))


def problem(name: str, version: str, numbers: list[float], stored: dict) -> str | None:
    """Why ``numbers`` (computed now at ``version``) disagree with the stored golden entry, or None."""
    rec = stored.get(name)
    if rec is None:
        return f"{name}: no golden numbers yet; run `python -m benchmark.golden --update`"
    if rec["version"] != version:
        return (f"{name}: version is {version} but the golden numbers are from version {rec['version']}; "
                "run `python -m benchmark.golden --update` and commit tests/golden/numbers.json")
    if not close(numbers, rec["numbers"]):
        return (f"{name}: numbers moved at unchanged version {version} (stored {rec['numbers'][:3]}…, now "
                f"{numbers[:3]}…); a change that alters results must bump this entry's version "
                "(registry version=, a metric's @code_version, nets.NET_VERSION or benchmark.CODE_VERSION), "
                "then --update")
    return None


def update(path: Path = GOLDEN_PATH, only: list[str] | None = None) -> tuple[list[str], list[str]]:
    """Write new or re-versioned entries; (written names, refused names whose numbers moved at an
    unchanged version)."""
    stored = load(path)
    written, refused = [], []
    for name, (version, fn) in sorted(entries().items()):
        if only and name not in only:
            continue
        numbers = fn()
        rec = stored.get(name)
        if rec is not None and rec["version"] == version:
            if not close(numbers, rec["numbers"]):
                refused.append(name)
            continue
        stored[name] = {"version": version, "numbers": numbers}
        written.append(name)
    path.parent.mkdir(parents=True, exist_ok=True)  # whole or not at all: a killed --update leaves the last one
    atomic_write_bytes(path, (json.dumps(dict(sorted(stored.items())), indent=1) + "\n").encode())
    return written, refused


def main(argv: list[str] | None = None) -> int:
    from benchmark.cli import _Parser  # plbench's: a bad command line is one line naming the closest option

    p = _Parser(prog="python -m benchmark.golden", description=__doc__.splitlines()[0])
    p.argv = list(sys.argv[1:] if argv is None else argv)
    p.add_argument("--update", action="store_true", help="write new and re-versioned entries")
    p.add_argument("--only", nargs="+", help="entry names, e.g. loss:pdl task:denoise")
    args = p.parse_args(argv)
    if args.only and (unknown := [n for n in args.only if n not in (known := entries())]):  # a typo checked nothing
        from benchmark.errors import did_you_mean  # and said "all match": each one line, no usage block

        for name in dict.fromkeys(unknown):
            print(f"error: --only: no golden entry {name}{did_you_mean(name, known)} (entries are named task:NAME, "
                  "held_out:NAME, loss:SPEC, metric:NAME, net:PRESET and runner)", file=sys.stderr)
        raise SystemExit(2)
    torch.set_num_threads(1)
    if not args.update:
        stored = load()
        bad = [m for n, (v, fn) in sorted(entries().items()) if (not args.only or n in args.only)
               for m in [problem(n, v, fn(), stored)] if m]
        print("\n".join(bad) or "golden numbers: all match")
        return 1 if bad else 0
    written, refused = update(only=args.only)
    print(f"wrote {len(written)} entr{agree(len(written), 'y', 'ies')}: {', '.join(written) or '-'}")
    if refused:
        print("refused (numbers moved but the version did not; bump it first): " + ", ".join(refused))
        return 1
    return 0


def cli(argv: list[str] | None = None) -> int:
    """:func:`main` as ``python -m benchmark.golden`` runs it: a :class:`UserError` (numbers.json unreadable, a full
    disk) is one line, not a traceback, and exits with its code, as plbench's commands do (3: a full disk)."""
    try:
        return main(argv)
    except UserError as e:
        print(f"error: {e}", file=sys.stderr)
        return e.exit_code


if __name__ == "__main__":
    sys.exit(cli())
