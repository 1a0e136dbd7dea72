"""Command line: ``plbench [run] …``, ``plbench list``, ``plbench report``, ``plbench weights``.

``run_all.py`` and the ``plbench`` console script both call :func:`main`. With no subcommand the
quick profile runs. Bad input is one line on stderr (``error: …``) and exit code 2; ``--debug``
shows the traceback.
"""

from __future__ import annotations

import argparse
import logging
import os
import shlex
import sys
import time

from benchmark.errors import UserError

log = logging.getLogger("benchmark")
COMMANDS = ("run", "list", "report", "weights", "pretrain")


def _add_common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--debug", action="store_true", help="show tracebacks")
    p.add_argument("-q", "--quiet", action="store_true", help="warnings and errors only")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="plbench", description="Which training loss gives the best-looking "
                                     "restorations? Train a small net per (task, loss, seed), score it with pyiqa.")
    sub = parser.add_subparsers(dest="command")

    run = sub.add_parser("run", help="train and evaluate a grid (default)")
    _add_common(run)
    run.add_argument("--profile", default="quick", help="quick (default: CPU, embedded photos) or full (GPU, overnight)")
    run.add_argument("--tasks", nargs="+", help="task names (default: the profile's)")
    run.add_argument("--losses", nargs="+", help="loss specs, e.g. l1 'l1 + 0.01*pdl' 'vgg*' all")
    run.add_argument("--loss-file", action="append", default=[], metavar="FILE",
                     help="a Python file outside the repo that registers losses (repeatable)")
    run.add_argument("--seeds", nargs="+", type=int)
    run.add_argument("--iterations", type=int)
    run.add_argument("--batch-size", type=int)
    run.add_argument("--crop", type=int)
    run.add_argument("--lr", type=float)
    run.add_argument("--net", help="net preset: tiny, small, base")
    run.add_argument("--device", help="auto, cpu, cuda, cuda:N")
    run.add_argument("--metrics", nargs="+", help="pyiqa metric names")
    run.add_argument("--train-data", help="SOURCE[@REV][:SPLIT][#COLUMN]: skimage, a folder, a saved dataset, a hub id")
    run.add_argument("--test-data", nargs="+", help="one or more sources for the held-out test images")
    run.add_argument("--max-train-images", type=int)
    run.add_argument("--backbone-weights", help="random, pretrained or a checkpoint path (feature losses)")
    run.add_argument("--task-param", action="append", default=[], metavar="TASK.KEY=VALUE",
                     help="override a task parameter, e.g. denoise.sigma=0.1 (repeatable)")
    run.add_argument("--out", default="results", help="results directory (default: results)")
    run.add_argument("--no-report", action="store_true", help="do not render the leaderboard afterwards")
    run.add_argument("--no-progress", action="store_true", help="no progress bars")

    ls = sub.add_parser("list", help="show tasks, losses, metrics (and which metrics work offline)")
    _add_common(ls)
    ls.add_argument("what", nargs="?", default="all", choices=("all", "tasks", "losses", "metrics"))
    ls.add_argument("--loss-file", action="append", default=[], metavar="FILE")
    ls.add_argument("--probe", action="store_true", help="open every pyiqa metric to see which are usable offline")

    rep = sub.add_parser("report", help="render leaderboard.md and leaderboard.png from the results table")
    _add_common(rep)
    rep.add_argument("--out", default="results")

    w = sub.add_parser("weights", help="which weights each loss/metric needs and whether they are present")
    _add_common(w)
    w.add_argument("action", nargs="?", default="list", choices=("list", "prefetch"))
    w.add_argument("--losses", nargs="+")
    pt = sub.add_parser("pretrain", help="self-train a perceptual encoder (CONTRIQUE- or SimCLR-style)")
    _add_common(pt)
    pt.add_argument("--recipe", default="contrique", help="contrique (distortion classes) or simclr")
    pt.add_argument("--arch", default="tinycnn", help="tinycnn (CPU), resnet18, resnet50, vgg16, ...")
    pt.add_argument("--data", default="skimage:train", help="any source the benchmark can load")
    pt.add_argument("--steps", type=int, default=150)
    pt.add_argument("--batch-size", type=int, default=16)
    pt.add_argument("--crop", type=int, default=64)
    pt.add_argument("--lr", type=float, default=2e-3)
    pt.add_argument("--seed", type=int, default=0)
    pt.add_argument("--device", default="auto")
    pt.add_argument("--out-dir", help="where the checkpoint goes (default: <torch hub dir>/plbench/selftrained)")
    pt.add_argument("--save-every", type=int, default=25, help="checkpoint the training state every N steps")
    pt.add_argument("--probe", nargs="?", const="skimage:test", metavar="HELD_OUT",
                    help="afterwards, probe distortion type × level on held-out images vs random init")
    return parser


def _setup_logging(args) -> None:
    level = logging.WARNING if getattr(args, "quiet", False) else logging.INFO
    logging.basicConfig(level=level, format="%(levelname).1s %(asctime)s %(name)s: %(message)s",
                        datefmt="%H:%M:%S", stream=sys.stderr)
    for noisy in ("datasets", "huggingface_hub", "urllib3", "filelock", "fsspec", "matplotlib", "PIL"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or (argv[0] not in COMMANDS and argv[0] not in ("-h", "--help")):
        argv = ["run", *argv]
    args = build_parser().parse_args(argv)
    _setup_logging(args)
    try:
        return {"run": cmd_run, "list": cmd_list, "report": cmd_report, "weights": cmd_weights,
                "pretrain": cmd_pretrain}[args.command](args)
    except UserError as exc:
        if args.debug:
            raise
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("\ninterrupted; finished runs are saved. Resume with:\n  "
              + " ".join(shlex.quote(a) for a in [os.path.basename(sys.argv[0]) or "plbench", *argv]),
              file=sys.stderr)
        return 130


def main_entry() -> None:
    sys.exit(main())


# --------------------------------------------------------------------------------------------
def _expand_losses(specs: list[str]) -> list[str]:
    from benchmark.lossfn import canonical_spec
    from benchmark.registry import LOSSES

    out = []
    for spec in specs:
        if spec == "all":
            out += LOSSES.names()
        elif any(ch in spec for ch in "*?[") and " " not in spec:
            matched = LOSSES.names(spec)
            if not matched:
                raise UserError(f"no loss matches {spec!r} (`plbench list losses` shows all)")
            out += matched
        else:
            out.append(spec)
    return list(dict.fromkeys(canonical_spec(s) for s in out))


def _task_params(items: list[str], tasks: list[str]) -> dict[str, dict]:
    import ast

    from benchmark.registry import TASKS

    params: dict[str, dict] = {}
    for item in items:
        key, sep, value = item.partition("=")
        task, dot, name = key.partition(".")
        if not sep or not dot or not name:
            raise UserError(f"--task-param {item!r}: expected TASK.KEY=VALUE, e.g. denoise.sigma=0.1")
        TASKS.get(task)
        try:
            params.setdefault(task, {})[name] = ast.literal_eval(value)
        except (ValueError, SyntaxError):
            params.setdefault(task, {})[name] = value
    return params


def build_configs(args):
    """Profile defaults + command-line overrides → (configs, metric names, device string)."""
    from benchmark.config import PROFILES, RunConfig
    from benchmark.data import DataSpec
    from benchmark.registry import LOSSES, TASKS, load_user_file
    from benchmark.task import build_task

    if args.profile not in PROFILES:
        import difflib

        close = difflib.get_close_matches(args.profile, list(PROFILES), n=1)
        raise UserError(f"unknown profile {args.profile!r}" + (f"; did you mean {close[0]}?" if close else "")
                        + f" (choose from {', '.join(PROFILES)})")
    prof = PROFILES[args.profile]
    added = []
    for f in args.loss_file:
        added += load_user_file(f, LOSSES)
    tasks = args.tasks or list(prof.tasks)
    for t in tasks:
        TASKS.get(t)
    loss_specs = _expand_losses(args.losses or (added if added and not args.losses else list(prof.losses)))
    tparams = _task_params(args.task_param, tasks)
    for t in tparams:
        if t not in tasks:
            raise UserError(f"--task-param names task {t!r}, which is not in this grid ({', '.join(tasks)})")
    max_imgs = args.max_train_images
    train = DataSpec.parse(args.train_data or prof.train_data, max_images=max_imgs)
    tests = tuple(DataSpec.parse(s) for s in (args.test_data or prof.test_data))
    common = dict(net=args.net or prof.net, iterations=args.iterations or prof.iterations,
                  batch_size=args.batch_size or prof.batch_size, crop=args.crop or prof.crop,
                  lr=args.lr or prof.lr, train_data=train, test_data=tests,
                  backbone_weights=args.backbone_weights or prof.backbone_weights)
    for name in ("iterations", "batch_size", "crop", "lr"):
        v = getattr(args, name)
        if v is not None and v <= 0:
            raise UserError(f"--{name.replace('_', '-')} must be positive, got {v}")
    from benchmark.nets import build_net

    build_net(common["net"])  # validates the name
    configs = []
    for t in tasks:
        p = tuple(sorted(tparams.get(t, {}).items()))
        build_task(t, **dict(p))  # validates parameter names and values
        for loss in loss_specs:
            for seed in (args.seeds if args.seeds is not None else prof.seeds):
                configs.append(RunConfig(task=t, loss=loss, seed=seed, task_params=p, **common))
    metrics = tuple(args.metrics or prof.metrics)
    return configs, metrics, args.device or prof.device


def cmd_run(args) -> int:
    from benchmark.metrics import check_metric_names
    from benchmark.report import write_report
    from benchmark.results import ResultsStore
    from benchmark.runner import resolve_device, run_grid

    t0 = time.time()
    configs, metrics, device = build_configs(args)
    check_metric_names(metrics)
    dev = resolve_device(device)
    store = ResultsStore(args.out)
    store.ensure_writable()
    log.info("grid: %d runs (%s profile) on %s → %s", len(configs), args.profile, dev, store.root)
    summary = run_grid(configs, store, metrics, dev, progress=not args.no_progress and sys.stderr.isatty())
    log.info("trained %d, skipped %d (already done), re-scored %d, diverged %d, failed %d in %.1f s",
             summary.trained, summary.skipped, summary.rescored, summary.diverged, summary.failed, time.time() - t0)
    if not args.no_report:
        paths = write_report(store)
        print(f"leaderboard: {paths['markdown']}" + (f"  heatmap: {paths['heatmap']}" if "heatmap" in paths else ""))
    return 1 if summary.failed else 0


def cmd_list(args) -> int:
    from benchmark.registry import LOSSES, TASKS, load_user_file

    for f in args.loss_file:
        load_user_file(f, LOSSES)
    if args.what in ("all", "tasks"):
        print("tasks:")
        for e in TASKS.entries():
            from benchmark.task import build_task

            print(f"  {e.name:<12} v{e.version}  {build_task(e.name).params}")
    if args.what in ("all", "losses"):
        print("losses:")
        for e in LOSSES.entries():
            extra = f"  [{e.meta['file']}]" if "file" in e.meta else ""
            print(f"  {e.name:<18} v{e.version}  {e.doc}{extra}")
    if args.what in ("all", "metrics"):
        from benchmark.config import DEFAULT_METRICS
        from benchmark.metrics import OFFLINE_OK, available_metrics, open_metric

        names = available_metrics()
        print(f"metrics ({len(names)} from pyiqa; default: {', '.join(DEFAULT_METRICS)}):")
        for n in names:
            if args.probe:
                m, reason = open_metric(n)
                status = "usable" if m else f"skipped: {reason}"
            else:
                status = "usable offline" if n in OFFLINE_OK else "needs cached weights (--probe checks)"
            print(f"  {n:<28} {status}")
    return 0


def cmd_report(args) -> int:
    from benchmark.report import write_report
    from benchmark.results import ResultsStore

    store = ResultsStore(args.out)
    if not store.runs.exists():
        raise UserError(f"no results in {store.root} (run `plbench run --out {args.out}` first)")
    paths = write_report(store)
    for kind, p in paths.items():
        print(f"{kind}: {p}")
    return 0


def cmd_weights(args) -> int:
    try:
        from benchmark.weights import prefetch, weights_report
    except ImportError:
        raise UserError("the weights module is not available in this version") from None
    if args.action == "prefetch":
        prefetch(args.losses)
        return 0
    rows = weights_report(args.losses)
    for r in rows:
        mark = "present" if r.get("present") else "MISSING"
        print(f"{r.get('loss', ''):<18} {mark:<8} {r.get('file', '')}  →  {r.get('path', '')}")
    return 0


def cmd_pretrain(args) -> int:
    from benchmark.pretrain import PretrainConfig, pretrain, probe
    from benchmark.runner import resolve_device

    cfg = PretrainConfig(recipe=args.recipe, arch=args.arch, data=args.data, steps=args.steps,
                         batch_size=args.batch_size, crop=args.crop, lr=args.lr, seed=args.seed)
    dev = resolve_device(args.device)
    path = pretrain(cfg, out_dir=args.out_dir, device=dev, save_every=args.save_every,
                    progress=sys.stderr.isatty())
    print(f"encoder: {path}")
    print(f"use it:  plbench run --losses csr pdl --backbone-weights {path}")
    if args.probe:
        for label, ckpt in (("self-trained", path), ("random init", None)):
            r = probe(cfg.arch, ckpt, data=args.probe, crop=cfg.crop, seed=cfg.seed)
            print(f"probe ({label:<12}) distortion type×level on {args.probe}: k-NN {r['knn']:.3f}  "
                  f"linear {r['linear']:.3f}  (chance {r['chance']:.3f}, {r['classes']} classes, {r['samples']} crops)")
    return 0
