"""Command line: ``plbench [run] …``, ``plbench list``, ``plbench report``, ``plbench weights``, ``plbench perf``.

``run_all.py`` and the ``plbench`` console script both call :func:`main`. With no subcommand the
quick profile runs. Bad input — including a bad command line — is one line on stderr
(``error: …``) and exit code 2; ``--debug`` shows the traceback. A grid with failed runs, or an
internal error (also one line), exits 1. Ctrl-C or SIGTERM finishes the current write, exits 130
and prints the command that resumes.
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
COMMANDS = ("run", "list", "report", "weights", "pretrain", "compare", "perf", "findings")


class _Parser(argparse.ArgumentParser):
    """argparse, but a bad command line is one line (``error: …``) and exit code 2, like every
    other bad input (argparse's default prints the usage block too). Subcommands inherit it."""

    def error(self, message: str):
        self.exit(2, f"error: {message} (`{self.prog} -h` shows the options)\n")


def _add_common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--debug", action="store_true", help="show tracebacks")
    p.add_argument("-q", "--quiet", action="store_true", help="warnings and errors only")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="plbench", description="Which training loss gives the best-looking "
                                     "restorations? Train a small net per (task, loss, seed), score it with pyiqa.")
    sub = parser.add_subparsers(dest="command")

    run = sub.add_parser("run", help="train and evaluate a grid (default)")
    _add_common(run)
    run.add_argument("--profile", default="quick",
                     help="quick (default: CPU, embedded photos) or full (GPU, overnight)")
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
    run.add_argument("--metrics", nargs="+", help="pyiqa metric names, or contrique_fr[@<checkpoint>]")
    run.add_argument("--train-data", help="SOURCE[@REV][:SPLIT][#COLUMN]: skimage, a folder, a saved dataset, a hub id")
    run.add_argument("--test-data", nargs="+", help="one or more sources for the held-out test images")
    run.add_argument("--max-train-images", type=int)
    run.add_argument("--backbone-weights", help="random, pretrained or a checkpoint path (feature losses)")
    run.add_argument("--task-param", action="append", default=[], metavar="TASK.KEY=VALUE",
                     help="override a task parameter, e.g. denoise.sigma=0.1 (repeatable)")
    run.add_argument("--out", default="results", help="results directory (default: results)")
    run.add_argument("--no-report", action="store_true", help="do not render the leaderboard afterwards")
    run.add_argument("--no-progress", action="store_true", help="no progress bars")
    run.add_argument("--checkpoint-every", type=int, default=500, metavar="N",
                     help="checkpoint a training run every N iterations (0: never by count; default 500)")
    run.add_argument("--checkpoint-seconds", type=float, default=60.0, metavar="S",
                     help="… and at least every S seconds (0: never by time; default 60)")
    run.add_argument("--dry-run", action="store_true",
                     help="train nothing: estimate the grid's wall time from a short measured warm-up")
    _add_executor_options(run)

    perf = sub.add_parser("perf", help="time one training step per loss: it/s, × L1, × naive fp32 reference, "
                          "peak memory, FLOP/s")
    _add_common(perf)
    perf.add_argument("--losses", nargs="+", default=["vgg", "lpips", "pdl"],
                      help="loss specs (default: vgg lpips pdl; l1 is always timed as the baseline)")
    perf.add_argument("--loss-file", action="append", default=[], metavar="FILE")
    perf.add_argument("--net", default="small", help="net preset: tiny, small, base (default: small)")
    perf.add_argument("--batch", type=int, default=16)
    perf.add_argument("--crop", type=int, default=128)
    perf.add_argument("--device", default="auto", help="auto, cpu, cuda, cuda:N")
    perf.add_argument("--reps", type=int, default=20, help="timed steps per loss (median reported)")
    perf.add_argument("--warmup", type=int, default=2)
    perf.add_argument("--compile", action="store_true", help="torch.compile the net (the harness's path only)")
    perf.add_argument("--no-channels-last", action="store_true", help="NCHW even on CUDA")
    perf.add_argument("--no-naive", action="store_true", help="skip the naive fp32 eager references")

    ls = sub.add_parser("list", help="show tasks, losses, metrics (and which metrics work offline)")
    _add_common(ls)
    ls.add_argument("what", nargs="?", default="all", choices=("all", "tasks", "losses", "metrics"))
    ls.add_argument("--loss-file", action="append", default=[], metavar="FILE")
    ls.add_argument("--probe", action="store_true", help="open every pyiqa metric to see which are usable offline")

    rep = sub.add_parser("report", help="re-derive leaderboards, statistics, figures, LaTeX/CSV/HTML exports "
                         "from the results table")
    _add_common(rep)
    rep.add_argument("--out", default="results")
    _add_report_options(rep)

    cmp = sub.add_parser("compare", help="train only a new loss under the cached field's exact settings "
                         "and report where it lands")
    _add_common(cmp)
    cmp.add_argument("--loss-file", action="append", default=[], metavar="FILE",
                     help="a Python file that registers the new loss(es) (repeatable)")
    cmp.add_argument("--loss", action="append", default=[], metavar="SPEC",
                     help="a registered loss name or spec to compare (repeatable)")
    cmp.add_argument("--out", default="results", help="results directory holding the field (default: results)")
    cmp.add_argument("--tasks", nargs="+", help="only these tasks of the field")
    cmp.add_argument("--device", default="auto", help="auto, cpu, cuda, cuda:N")
    cmp.add_argument("--no-progress", action="store_true", help="no progress bars")
    _add_report_options(cmp)

    w = sub.add_parser("weights", help="which weights each loss/metric needs and whether they are present")
    _add_common(w)
    w.add_argument("action", nargs="?", default="list", choices=("list", "prefetch"))
    w.add_argument("--losses", nargs="+")
    fnd = sub.add_parser("findings", help="check published claims (Zhao 2017, Blau 2018, …) on the results: "
                         "reproduced / contradicted / inconclusive / needs weights / not applicable")
    _add_common(fnd)
    fnd.add_argument("--out", default="results", help="results directory (default: results); findings.md/.csv go there")
    fnd.add_argument("--only", nargs="+", metavar="NAME", help="check only these findings")
    fnd.add_argument("--list", action="store_true", help="list the registered findings and what each needs")
    fnd.add_argument("--alpha", type=float, default=0.05, help="significance level after Holm correction")
    fnd.add_argument("--bootstrap", type=int, default=2000, help="bootstrap resamples per CI (default: 2000)")

    pt = sub.add_parser("pretrain", help="self-train a perceptual encoder (CONTRIQUE- or SimCLR-style)")
    _add_common(pt)
    pt.add_argument("--recipe", default="contrique", help="contrique (distortion classes) or simclr")
    pt.add_argument("--arch", default="tinycnn", help="tinycnn (CPU), resnet18, resnet50, vgg16, ...")
    pt.add_argument("--data", default="skimage:train", help="any source the benchmark can load")
    pt.add_argument("--steps", type=int, default=500)
    pt.add_argument("--batch-size", type=int, default=32, help="samples per batch (classes × regions)")
    pt.add_argument("--classes-per-batch", type=int, default=8, help="contrique: distortion classes per batch")
    pt.add_argument("--no-colour-spaces", action="store_true", help="contrique: RGB views only")
    pt.add_argument("--crop", type=int, default=64)
    pt.add_argument("--lr", type=float, default=2e-3)
    pt.add_argument("--seed", type=int, default=0)
    pt.add_argument("--device", default="auto")
    pt.add_argument("--out-dir", help="where the checkpoint goes (default: <torch hub dir>/plbench/selftrained)")
    pt.add_argument("--save-every", type=int, default=25, help="checkpoint the training state every N steps")
    pt.add_argument("--probe", nargs="*", metavar="HELD_OUT",
                    help="afterwards, probe distortion type × level on held-out images (default "
                         "skimage:test) against random init")
    pt.add_argument("--probe-random-seeds", type=int, default=3, help="random inits to compare with (default 3)")
    return parser


def _add_executor_options(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("executors (benchmark.executors): where the runs go")
    g.add_argument("--executor", default="local", choices=("local", "ray", "slurm"),
                   help="local (default), ray (pip install .[ray]) or slurm (submitit; pip install .[slurm])")
    g.add_argument("--workers", metavar="N|auto",
                   help="concurrent runs. local: N processes (default 1: in this process; auto: one per visible "
                        "GPU × --workers-per-gpu); ray: N tasks (default: one per GPU share or CPU); "
                        "slurm: N jobs (default: one job per run)")
    g.add_argument("--workers-per-gpu", type=int, default=1, metavar="K", help="runs sharing one GPU (default 1)")
    g.add_argument("--ray-address", help="join this Ray cluster (auto or host:port); default: a local instance")
    g.add_argument("--slurm-partition")
    g.add_argument("--slurm-gpus", type=int, help="GPUs per job (default: 1 for a cuda device, else 0)")
    g.add_argument("--slurm-time", default="8:00:00", help="time limit per job: minutes or [D-]HH:MM:SS")
    g.add_argument("--slurm-mem", help="memory per job, e.g. 32G")
    g.add_argument("--submitit-cluster", choices=("slurm", "local", "debug"),
                   help="submitit backend (default: slurm when sbatch exists, else local)")


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
    previous_sigterm = _sigterm_as_interrupt()
    try:
        return {"run": cmd_run, "list": cmd_list, "report": cmd_report, "weights": cmd_weights,
                "pretrain": cmd_pretrain, "compare": cmd_compare, "perf": cmd_perf,
                "findings": cmd_findings}[args.command](args)
    except UserError as exc:
        if getattr(args, "debug", False):
            raise
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        if args.command != "run":
            print("\ninterrupted", file=sys.stderr)
            return 130
        print("\ninterrupted; finished runs and checkpoints are saved. Resume with:\n  "
              + " ".join(shlex.quote(a) for a in [*_program(), *argv]), file=sys.stderr)
        return 130
    except Exception as exc:  # noqa: BLE001 - a bug, not bad input: still one line unless --debug
        if getattr(args, "debug", False):
            raise
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        print(f"error: internal error: {type(exc).__name__}{': ' + first if first else ''} "
              "(rerun with --debug for the traceback)", file=sys.stderr)
        return 1
    finally:
        _restore_sigterm(previous_sigterm)


def _program() -> list[str]:
    """How this process was started, for the resume hint: ``plbench`` or ``python run_all.py``."""
    prog = sys.argv[0] if sys.argv and sys.argv[0] else "plbench"
    if prog.endswith(".py"):
        return [os.path.basename(sys.executable) or "python", prog]
    return [os.path.basename(prog)]


def _sigterm_as_interrupt():
    """SIGTERM (a scheduler's polite kill) is handled like Ctrl-C: the current write completes,
    the process exits cleanly and says how to resume. Returns the previous handler."""
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread() or \
            signal.getsignal(signal.SIGTERM) is signal.SIG_IGN:
        return None

    def handler(signum, frame):
        raise KeyboardInterrupt

    return signal.signal(signal.SIGTERM, handler)


def _restore_sigterm(previous) -> None:
    import signal

    if previous is not None:
        signal.signal(signal.SIGTERM, previous)


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
        elif _is_pattern(spec):
            matched = LOSSES.names(spec)
            if not matched:
                raise UserError(f"no loss matches {spec!r} (`plbench list losses` shows all)")
            out += matched
        else:
            out.append(spec)
    return list(dict.fromkeys(canonical_spec(s) for s in out))


def _is_pattern(spec: str) -> bool:
    """'vgg*' is a wildcard; '0.5*l2+0.1*ssim' (valid arithmetic) is a weighted sum."""
    import ast

    if not any(ch in spec for ch in "*?[") or " " in spec.strip():
        return False
    try:
        ast.parse(spec.strip(), mode="eval")
    except SyntaxError:
        return True
    return False


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
    for name in ("iterations", "batch_size", "crop", "lr", "max_train_images"):
        v = getattr(args, name, None)
        if v is not None and not v > 0:
            raise UserError(f"--{name.replace('_', '-')} must be positive, got {v}")
    for name in ("checkpoint_every", "checkpoint_seconds"):
        v = getattr(args, name, 0)
        if not v >= 0:
            raise UserError(f"--{name.replace('_', '-')} must be 0 (off) or positive, got {v}")
    for spec in loss_specs:
        _check_loss_arguments(spec)
    from benchmark.nets import build_net

    build_net(common["net"])  # validates the name
    from benchmark.lossfn import build_loss

    for spec in loss_specs:  # missing weights fail here, before anything is trained (no silent substitute)
        build_loss(spec, seed=0, weights=common["backbone_weights"])
    configs = []
    for t in tasks:
        p = tuple(sorted(tparams.get(t, {}).items()))
        build_task(t, **dict(p))  # validates parameter names and values
        for loss in loss_specs:
            for seed in (args.seeds if args.seeds is not None else prof.seeds):
                configs.append(RunConfig(task=t, loss=loss, seed=seed, task_params=p, **common))
    metrics = tuple(args.metrics or prof.metrics)
    return configs, metrics, args.device or prof.device


def _check_loss_arguments(spec: str) -> None:
    """``l1(foo=1)``: catch a keyword the loss does not take before any training starts."""
    import inspect

    from benchmark.lossfn import parse_loss_spec
    from benchmark.registry import LOSSES

    for term in parse_loss_spec(spec):
        if not term.kwargs:
            continue
        import torch.nn

        obj = LOSSES.get(term.name).obj
        init = obj.__init__ if isinstance(obj, type) else obj
        try:  # nn.Module's own __init__ (*args, **kwargs) takes nothing, as in build_loss
            params = {} if init is torch.nn.Module.__init__ else dict(inspect.signature(init).parameters)
        except (TypeError, ValueError):
            continue
        params.pop("self", None)
        if any(p.kind is p.VAR_KEYWORD for p in params.values()):
            continue
        unknown = [k for k, _ in term.kwargs if k not in params]
        if unknown:
            raise UserError(f"loss {term.name!r} has no argument {', '.join(map(repr, unknown))} "
                            f"(it takes: {', '.join(params) or 'none'})")


def cmd_run(args) -> int:
    from benchmark.checkpoint import CheckpointPolicy
    from benchmark.executors import execute
    from benchmark.metrics import check_metric_names
    from benchmark.results import ResultsStore
    from benchmark.runner import resolve_device

    t0 = time.time()
    configs, metrics, device = build_configs(args)
    check_metric_names(metrics)
    dev = resolve_device(device) if args.executor == "local" else device  # remote: resolved where it runs
    if args.dry_run:
        return _dry_run(args, configs, metrics, resolve_device(device))
    store = ResultsStore(args.out)
    store.ensure_writable()
    log.info("grid: %d runs (%s profile) on %s → %s", len(configs), args.profile, dev, store.root)
    summary = execute(args.executor, configs, store.root, metrics, str(dev),
                      progress=not args.no_progress and sys.stderr.isatty(),
                      checkpoint=CheckpointPolicy(args.checkpoint_every, args.checkpoint_seconds),
                      loss_files=args.loss_file, **_executor_options(args))
    log.info("trained %d, skipped %d (already done), re-scored %d, diverged %d, failed %d%s in %.1f s",
             summary.trained, summary.skipped, summary.rescored, summary.diverged, summary.failed,
             f", left {summary.locked} to another process" if summary.locked else "", time.time() - t0)
    if not args.no_report:
        from benchmark.report import write_report

        paths = write_report(store, formats=("png",), visual=False)  # `plbench report` adds PDFs + visual grid
        print(f"leaderboard: {paths['markdown']}" + (f"  heatmap: {paths['heatmap']}" if "heatmap" in paths else "")
              + (f"  report: {paths['html']}" if "html" in paths else ""))
    return 1 if summary.failed else 0


def _executor_options(args) -> dict:
    """--executor's options → keyword arguments of :func:`benchmark.executors.execute`."""
    workers = args.workers
    if workers not in (None, "auto"):
        try:
            workers = int(workers)
        except ValueError:
            raise UserError(f"--workers must be a number or auto, got {workers!r}") from None
        if workers < 1:
            raise UserError(f"--workers must be at least 1, got {workers}")
    if args.workers_per_gpu < 1:
        raise UserError(f"--workers-per-gpu must be at least 1, got {args.workers_per_gpu}")
    opts = dict(workers=workers, workers_per_gpu=args.workers_per_gpu)
    if args.executor == "local":
        opts["workers"] = 1 if workers is None else workers
    elif args.executor == "ray":
        opts["ray_address"] = args.ray_address
    else:  # slurm: one job per run unless --workers N asks for N shard jobs
        opts.update(cluster=args.submitit_cluster, partition=args.slurm_partition, gpus=args.slurm_gpus,
                    time=args.slurm_time, mem=args.slurm_mem, split="run" if workers in (None, "auto") else "shard")
    return opts


def _dry_run(args, configs, metrics, dev) -> int:
    """``run --dry-run``: the grid's estimated wall time from a short measured warm-up; trains nothing."""
    import torch

    from benchmark.perf import estimate_grid

    t0 = time.time()
    est = estimate_grid(configs, metrics, str(dev))
    name = torch.cuda.get_device_name(dev) if dev.type == "cuda" else f"CPU, {torch.get_num_threads()} threads"
    hours = est["seconds"] / 3600
    print(f"dry run: {est['runs']} runs ({args.profile} profile) on {dev} ({name}); nothing was trained")
    print(f"estimated wall time: {hours:.2f} h sequential (training {est['train_s'] / 3600:.2f} h, "
          f"evaluation {est['eval_s'] / 3600:.2f} h)")
    workers = args.workers
    if workers and str(workers).isdigit() and int(workers) > 1:
        print(f"  ≈ {hours / int(workers):.2f} h on {workers} workers, if they scale linearly")
    print("ms per training step (median of a short warm-up):")
    for loss, ms in sorted(est["ms_per_step"].items(), key=lambda kv: kv[1]):
        print(f"  {loss:<28} {ms:9.2f}")
    log.info("estimate measured in %.1f s", time.time() - t0)
    return 0


def cmd_perf(args) -> int:
    from benchmark.nets import build_net
    from benchmark.perf import format_rows, measure, setup_header
    from benchmark.registry import LOSSES, load_user_file
    from benchmark.runner import resolve_device

    for f in args.loss_file:
        load_user_file(f, LOSSES)
    for name in ("batch", "crop", "reps"):
        if not getattr(args, name) > 0:
            raise UserError(f"--{name} must be positive, got {getattr(args, name)}")
    if args.warmup < 0:
        raise UserError(f"--warmup must be 0 or more, got {args.warmup}")
    losses = _expand_losses(args.losses)
    for spec in losses:
        _check_loss_arguments(spec)
    build_net(args.net)  # validates the name
    dev = resolve_device(args.device)
    channels_last = False if args.no_channels_last else None
    rows = measure(losses, net=args.net, batch=args.batch, crop=args.crop, device=str(dev), reps=args.reps,
                   warmup=args.warmup, naive=not args.no_naive, channels_last=channels_last, compile=args.compile)
    print(format_rows(rows, setup_header(dev, net=args.net, batch=args.batch, crop=args.crop, reps=args.reps,
                                         compile=args.compile, channels_last=channels_last)))
    return 0


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
        print(f"metrics ({len(names)}: pyiqa's, and contrique_fr[@<self-trained checkpoint>]; "
              f"default: {', '.join(DEFAULT_METRICS)}):")
        for n in names:
            if args.probe:
                m, reason = open_metric(n)
                status = "usable" if m else f"skipped: {reason}"
            else:
                status = "usable offline" if n in OFFLINE_OK else "needs cached weights (--probe checks)"
            print(f"  {n:<28} {status}")
    return 0


def _add_report_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--baseline", default="l1", help="loss every other loss is tested against (default: l1)")
    p.add_argument("--alpha", type=float, default=0.05, help="significance level after Holm correction")
    p.add_argument("--bootstrap", type=int, default=1000, help="bootstrap resamples per CI (default: 1000)")
    p.add_argument("--formats", nargs="+", default=["png", "pdf"], choices=("png", "pdf", "svg"),
                   help="figure formats (PNG is always written; it is what the HTML embeds)")
    p.add_argument("--no-visual", action="store_true", help="skip the visual comparison grids (they re-run nets)")


def _report_kwargs(args) -> dict:
    if not 0 < args.alpha < 1:
        raise UserError(f"--alpha must be in (0, 1), got {args.alpha}")
    if args.bootstrap < 100:
        raise UserError(f"--bootstrap must be at least 100, got {args.bootstrap}")
    return dict(baseline=args.baseline, alpha=args.alpha, n_boot=args.bootstrap,
                formats=tuple(dict.fromkeys(["png", *args.formats])), visual=not args.no_visual)


def cmd_report(args) -> int:
    from benchmark.report import write_report
    from benchmark.results import ResultsStore

    store = ResultsStore(args.out)
    if not store.runs.exists():
        raise UserError(f"no results in {store.root} (run `plbench run --out {args.out}` first)")
    t0 = time.time()
    paths = write_report(store, **_report_kwargs(args))
    for kind, p in paths.items():
        print(f"{kind}: {p}")
    log.info("report written in %.1f s", time.time() - t0)
    return 0


def cmd_findings(args) -> int:
    from benchmark.findings import FINDINGS, check_all, to_text, write
    from benchmark.results import ResultsStore

    if args.list:
        for e in FINDINGS.entries():
            print(f"{e.name:<24} {e.obj.claim}\n{'':<24} needs {e.obj.needs.describe()}; {e.citation}")
        return 0
    if not 0 < args.alpha < 1:
        raise UserError(f"--alpha must be in (0, 1), got {args.alpha}")
    if args.bootstrap < 100:
        raise UserError(f"--bootstrap must be at least 100, got {args.bootstrap}")
    for name in args.only or []:
        FINDINGS.get(name)  # unknown name: one line with suggestions
    store = ResultsStore(args.out)
    if not store.runs.exists():
        raise UserError(f"no results in {store.root} (run `plbench run --out {args.out}` first)")
    results = check_all(store.table(), args.only, alpha=args.alpha, n_boot=args.bootstrap)
    print(to_text(results))
    for kind, p in write(results, store.root, args.alpha).items():
        print(f"{kind}: {p}")
    return 0


def cmd_compare(args) -> int:
    from benchmark.compare import compare

    if not args.loss_file and not args.loss:
        raise UserError("compare needs --loss-file FILE or --loss NAME")
    result = compare(args.out, loss_files=args.loss_file, losses=args.loss, tasks=args.tasks, device=args.device,
                     progress=not args.no_progress and sys.stderr.isatty(), **_report_kwargs(args))
    print(result.text)
    print(f"comparison: {result.path}")
    return 0


def cmd_weights(args) -> int:
    try:
        from benchmark.weights import prefetch, weights_report
    except ImportError:
        raise UserError("the weights module is not available in this version") from None
    if args.action == "prefetch":
        prefetch(args.losses)
        return 0
    from benchmark.config import DEFAULT_METRICS
    from benchmark.metrics import open_metric

    print("losses:")
    for r in weights_report(args.losses):
        if r.get("needs") == "none":
            print(f"  {r.get('loss', ''):<20} no weights needed")
            continue
        mark = "present" if r.get("present") else "MISSING"
        print(f"  {r.get('loss', ''):<20} {mark:<8} {r.get('file', '')}  →  {r.get('path', '')}")
    if not args.losses:
        print("metrics (default set; the evaluator skips missing ones and records why):")
        for name in DEFAULT_METRICS:
            metric, reason = open_metric(name)
            print(f"  {name:<20} {'usable' if metric else 'MISSING  ' + reason}")
    return 0


def cmd_pretrain(args) -> int:
    from benchmark.pretrain import PretrainConfig, pretrain
    from benchmark.runner import resolve_device

    cfg = PretrainConfig(recipe=args.recipe, arch=args.arch, data=args.data, steps=args.steps,
                         batch_size=args.batch_size, crop=args.crop, lr=args.lr, seed=args.seed,
                         classes_per_batch=args.classes_per_batch, colour_spaces=not args.no_colour_spaces)
    dev = resolve_device(args.device)
    path = pretrain(cfg, out_dir=args.out_dir, device=dev, save_every=args.save_every,
                    progress=sys.stderr.isatty())
    from benchmark.weights import cache_dir

    ref = path.stem if path.parent == cache_dir() / "selftrained" else str(path)
    print(f"encoder: {path}")
    print(f"use it:  plbench run --losses \"csr(weights='{ref}')\" --metrics psnr ssim contrique_fr@{ref}")
    for held_out in ([] if args.probe is None else args.probe or ["skimage:test"]):
        _print_probe(cfg, path, held_out, max(1, args.probe_random_seeds))
    return 0


def _print_probe(cfg, path, held_out: str, n_random: int) -> None:
    """Self-trained vs random-init accuracies, and the paired gain over images with its 95 % CI."""
    from benchmark.pretrain import paired_gain, probe

    mine = probe(cfg.arch, path, data=held_out, crop=cfg.crop)
    rand = [probe(cfg.arch, None, data=held_out, crop=cfg.crop, seed=s) for s in range(n_random)]
    print(f"probe: distortion type × level on {held_out} ({mine['images']} held-out images or tiles, {mine['samples']} "
          f"crops of {cfg.crop}², {mine['classes']} classes, chance {mine['chance']:.3f}; leave one image out)")
    w = max(len(r["weights"]) for r in [mine, *rand])
    print(f"  {'encoder':<{w}s} {'k-NN':>6s} {'linear':>7s}")
    for r in [mine, *rand]:
        print(f"  {r['weights']:<{w}s} {r['knn']:6.3f} {r['linear']:7.3f}")
    for kind in ("knn", "linear"):
        base = [sum(v) / len(v) for v in zip(*(r["per_image"][kind] for r in rand))]
        gain, lo, hi = paired_gain(mine["per_image"][kind], base)
        print(f"  gain over random init ({'k-NN' if kind == 'knn' else 'linear'}): {gain:+.3f} "
              f"(95% CI over images {lo:+.3f} … {hi:+.3f})")
