"""Command line: ``plbench [run] …``, ``plbench list``, ``plbench report``, ``plbench weights``, ``plbench perf``.

``run_all.py`` and the ``plbench`` console script both call :func:`main`. With no subcommand the
quick profile runs. Bad input — including a bad command line — is one line on stderr
(``error: …``) and exit code 2; ``--debug`` shows the traceback before that line, the exit code the same. A full
disk (or quota) while any command writes is one line and exit code 3 (:class:`~benchmark.results.DiskFull`; no
run recorded as failed). A grid with failed runs, or an internal error (also one line), exits 1.
Ctrl-C, SIGTERM or SIGHUP finishes the current write, exits 130 and, for ``run`` and ``compare``, prints the
command that resumes.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import itertools
import logging
import os
import re
import shlex
import sys
import time
import traceback
from pathlib import Path

from benchmark.docmarkup import agree, plural
from benchmark.errors import (  # again: what resumes a grid
    UserError,
    again,
    did_you_mean,
    exit_now,
    pip,
    reached_from_here,
    update_plbench,
)

log = logging.getLogger("benchmark")
COMMANDS = ("run", "list", "report", "weights", "pretrain", "compare", "perf", "findings", "calibrate", "check",
            "merge")


class _Parser(argparse.ArgumentParser):
    """argparse, but a bad command line is one line (``error: …``) and exit code 2, like every
    other bad input (argparse's default prints the usage block too). Subcommands inherit it.

    No abbreviations (``allow_abbrev=False``): argparse's default took ``--iteration 5`` for
    ``--iterations 5`` and ``--see 3`` for ``--seeds 3``, so a typo silently set whichever option it
    happened to prefix; an unknown flag is an error naming the closest option instead."""

    argv: list[str] = []  # what main() parses (for hints that look at the command line)

    def __init__(self, *args, **kwargs):
        kwargs["allow_abbrev"] = False  # also for every subcommand (add_parser builds this class)
        super().__init__(*args, **kwargs)
        # `--iterations -1e2`, `--lr -1e-3`: a number, as `-100` is (argparse's own pattern took them for options,
        # 'expected one argument', where `iterations: -1e2` in a file says it must be positive)
        self._negative_number_matcher = re.compile(r"^-(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")
        self.register("action", None, _Once)  # every option that keeps one value: a second, other value is said
        self.register("action", "store", _Once)

    def error(self, message: str):
        m = re.match(r"argument (--[\w-]+)(?:/[\w-]+)*: expected (?:at least )?one argument", message)
        if m and any(re.match(r"-[\d.]", a) for a in self.argv):  # `--losses -1*l1`: argparse saw an option
            message += f" (a value that begins with '-' is written {m.group(1)}=VALUE)"
        m = re.match(r"argument (--[\w-]+): invalid (?:int|float) value: '([^']*)'$", message)
        listed = m and any(m.group(1) in a.option_strings and a.nargs in ("+", "*")
                           for p in (self, self._subcommand() or self) for a in p._actions)
        words = re.split(r"[,\s]+", m.group(2).strip(", ")) if m else []  # `--seeds 0,1,2`, `--seeds '0 1'`: one word
        if listed and len(words) > 1 and all(re.fullmatch(r"[+-]?[\d.]+(?:[eE][+-]?\d+)?", w) for w in words):
            values = " ".join(words)
            message += f" (several values are written {m.group(1)} {values})"
        prog = self.prog
        m = re.match(r"invalid choice: '([^']*)' \(choose from (.*)\)$", message.split(": ", 1)[-1])
        if m:  # `list metric`, `--logger tensorbord`: the closest choice first
            choices, words = re.findall(r"'([^']*)'", m.group(2)), re.split(r"[\s,]+", m.group(1).strip(" ,"))
            flag = re.match(r"argument (--[\w-]+)", message)
            several = flag and any(flag.group(1) in a.option_strings and a.nargs in ("+", "*")
                                   for p in (self, self._subcommand() or self) for a in p._actions)
            if several and len(words) > 1 and set(words) <= set(choices):  # `--formats 'png svg'`: not 'svg?'
                message += f" (several values are written {flag.group(1)} {' '.join(words)})"
            else:
                message += did_you_mean(m.group(1), choices)
        stray = self._stray_option_before(message)
        if stray and "; did you mean " in message:  # `list --json lossess`: a typo of the choice, after a switch
            message += f"; {stray.split()[0]} is not an option of {self.prog.split()[-1]}"
            stray = ""
        if stray:  # `list --epochs 3`: argparse took the 3 for `what` and said only 'invalid choice: '3''
            message = f"unrecognized arguments: {stray}"
        if message.startswith("unrecognized arguments:"):
            # reported by the top-level parser: name the subcommand's options, not plbench's; a parser without
            # subcommands (python -m benchmark.golden's) its own
            sub = self._subcommand() or (self if stray or not self._subcommands() else None)
            if sub is not None:
                prog = sub.prog
                options = {o.lstrip("-"): o for p in (self, sub) for a in p._actions for o in a.option_strings
                           if o.startswith("--")}
                flags = [w.split("=", 1)[0] for w in message.split(":", 1)[1].split() if w.startswith("--")]
                offered: set[str] = set()  # the options said close: a help that lists them is named
                from benchmark.config import synonym_hint

                for flag in flags:  # compared without the dashes every option shares
                    said = _length_hint(sub, flag, _run_option_strings(self))
                    if said:  # `pretrain --epochs 3`: --steps; `report --epochs`: it trains nothing
                        message += said.replace("? (", f" (for {flag})? (", 1) if len(flags) > 1 else said
                        continue
                    said = synonym_hint(flag, flag=True)  # `--patch-size`: --crop, not the close --batch-size
                    if said and said.split("mean ", 1)[1].split("?")[0].lstrip("-") in options:  # this command's
                        message += said.replace("?", f" (for {flag})?", 1) if len(flags) > 1 else said
                        continue
                    hint = did_you_mean(flag.lstrip("-"), options)
                    if hint:
                        close = [options[o] for o in hint.removeprefix("; did you mean ")[:-1].split(", ")]
                        offered.update(close)
                        message += f"; did you mean {', '.join(close)}" + (f" (for {flag})?" if len(flags) > 1 else "?")
                message += _one_value_options(self.argv, sub, message.split(":", 1)[1])
                message += self._run_option_to_compare(sub, flags)
                if offered and not offered & {o for a in sub._actions for o in a.option_strings}:
                    prog = self.prog  # `--verison`: --version is the program's, which `run -h` does not list
        shown = _shown_program()  # copied, the line must run: the interpreter as reachable from here
        if shown != "plbench" and prog.startswith(shown):
            prog = shlex.join(_runnable_program()) + prog[len(shown):]
        self.exit(2, f"error: {message} (`{prog} -h` shows the options)\n")

    def _stray_option_before(self, message: str) -> str:
        """``--epochs 3`` where a positional's invalid choice is the word after an option this (sub)command has not
        (``list --epochs 3``, ``weights --steps 5``): the two words, said as the unrecognised option they are;
        else ``""``."""
        m = re.match(r"argument (\w+): invalid choice: '([^']*)'", message)
        known = {o for a in self._actions for o in a.option_strings}
        if not m or m.group(2) not in self.argv[1:]:
            return ""
        before = self.argv[self.argv.index(m.group(2), 1) - 1]
        return f"{before} {m.group(2)}" if before.startswith("--") and "=" not in before and before not in known \
            else ""

    def _run_option_to_compare(self, sub: argparse.ArgumentParser, flags: list[str]) -> str:
        """``compare --iterations 50``, ``compare --config grid.yaml``: a grid's option of ``run``, which compare has
        not (it trains at the settings of the field's runs in ``--out``): the first such flag, said so."""
        if sub.prog.split()[-1] != "compare":
            return ""
        own, runs = {o for a in sub._actions for o in a.option_strings}, _run_option_strings(self)
        theirs = [f for f in flags if f not in own and f in runs]
        return (f"; {theirs[0]} is an option of run: compare trains at the settings of the field's runs in --out"
                if theirs else "")

    def _subcommands(self) -> dict[str, argparse.ArgumentParser]:
        """{name: parser} of this parser's subcommands ({} where it has none)."""
        return next((a.choices for a in self._actions if isinstance(a, argparse._SubParsersAction)), {})

    def _subcommand(self) -> argparse.ArgumentParser | None:
        """The parser of the subcommand named in :attr:`argv` (``None`` if none)."""
        return next((p for a in self.argv if (p := self._subcommands().get(a)) is not None), None)


#: the option that sets how long a command trains or times, by its dest: run's --iterations, pretrain's --steps,
#: perf's --reps (:func:`_length_hint`)
LENGTH_DESTS = ("iterations", "steps", "reps")


def _length_hint(sub: argparse.ArgumentParser, flag: str, run_options: set[str]) -> str:
    """For a flag another library (``--epochs``, ``--max-steps``) or another command (``--iterations`` to
    ``pretrain``) names a training length with, what this command counts: ``"; did you mean --steps? (pretrain
    counts training steps, not epochs)"``; where it trains nothing, that it does not (compare: at the field's
    iterations, unless ``flag`` is run's, which :meth:`_Parser._run_option_to_compare` says); else ``""``."""
    from benchmark.config import SETTING_SYNONYMS

    word = flag.lstrip("-").replace("-", "_").lower()
    if SETTING_SYNONYMS.get(word) != "iterations" and word not in LENGTH_DESTS:
        return ""
    command = sub.prog.split()[-1]
    own = next((a for a in sub._actions if a.dest in LENGTH_DESTS), None)
    if own is not None:
        counted = re.sub(r"\s*\(.*\)$", "", own.help or own.dest)  # 'training steps (default: 500)': 'training steps'
        return f"; did you mean {own.option_strings[0]}? ({command} counts {counted}" + \
            (", not epochs)" if "epoch" in word else ")")
    if command == "compare":
        return "" if flag in run_options else \
            "; compare trains for as many iterations as the field's runs in --out (set by `plbench run --iterations`)"
    return f"; {command} trains nothing (a grid's training length is `plbench run --iterations`)"


def _one_value_options(argv: list[str], sub: argparse.ArgumentParser, stray: str) -> str:
    """For an unrecognised word (in ``stray``, argparse's list of them) right after an option of one value and that
    value (``--loss-file a.py b.py``, as ``--losses`` and ``--train-data`` take several): that the option takes one,
    and how a repeatable one is repeated."""
    actions = {o: a for a in sub._actions for o in a.option_strings}

    def strayed(word: str) -> bool:  # one of argparse's words, which it joined with spaces ('l1 + 0.1*ssim' one)
        return f" {word} " in f" {stray.strip()} "

    for i, word in enumerate(argv):
        if i < 2 or word.startswith("-") or not strayed(word):
            continue
        if argv[i - 1].startswith("--") and "=" in argv[i - 1]:  # `--loss-file=a.py b.py`
            option, value = argv[i - 1].split("=", 1)
        elif argv[i - 2].startswith("-") and not argv[i - 1].startswith("-"):
            option, value = argv[i - 2], argv[i - 1]
        else:
            continue
        action = actions.get(option)
        if action is None or action.nargs is not None:
            continue
        if isinstance(action, argparse._AppendAction):
            words = [value, *itertools.takewhile(lambda w: not w.startswith("-") and strayed(w), argv[i:])]
            said = f"; {option} takes one value at a time: " + " ".join(f"{option} {shlex.quote(w)}" for w in words)
            several = next((o for a in sub._actions if a.dest == action.dest and a.nargs in ("+", "*")
                            for o in a.option_strings if o.startswith("--")), None)  # compare's --losses
            return said + (f", or several at once: {several} {' '.join(map(shlex.quote, words))}" if several else "")
        return f"; {option} takes one value"
    return ""


class _Paired(argparse.BooleanOptionalAction):
    """``--X`` / ``--no-X``, refusing both on one command line: argparse's own took the last one silently, so
    ``--no-budget-check --budget-check`` (a line edited by appending) trained every budget check the user had turned
    off. The same flag twice is no contradiction; a config file's value is still overridden by either flag."""

    def __call__(self, parser, namespace, values, option_string=None):
        seen = vars(namespace).setdefault("_paired_seen", {})
        earlier = seen.setdefault(self.dest, option_string)
        if earlier != option_string:
            parser.error(f"{earlier} and {option_string} contradict each other: give one of them")
        super().__call__(parser, namespace, values, option_string)


class _Once(argparse._StoreAction):
    """argparse's ``store``, saying so when the same option is given again with another value: argparse keeps the
    last without a word, so ``--iterations 100 … --iterations 200`` (a line edited by appending) trained 200 and
    ``--losses l1 … --losses l2`` l2 alone. The last still wins — ``$BASE --iterations 500``, a shell variable's
    command line with an override appended, is a way to write one —, in a warning naming the option and both values
    (:func:`main` logs them once logging is set up). The same value twice says nothing; options that gather their
    repeats (``--train-data``, ``--loss-file``, ``--task-param``: ``extend``/``append``) are not this action."""

    def __call__(self, parser, namespace, values, option_string=None):
        seen = vars(namespace).setdefault("_once_seen", {})
        if self.dest in seen and seen[self.dest][1] != values:
            def shown(v):
                return " ".join(map(str, v)) if isinstance(v, list) else str(v)
            earlier, before = seen[self.dest]
            twice = f"{option_string} is given twice" if earlier == option_string else \
                f"{earlier} and {option_string} are one option, given twice"
            several = f" (several values are written {option_string} {shown(before)} {shown(values)})" \
                if self.nargs in ("+", "*") else ""
            vars(namespace).setdefault("_once_repeated", []).append(
                f"{twice} ({shown(before)} and {shown(values)}): the last, {shown(values)}, is used{several}")
        seen[self.dest] = (option_string, values)
        super().__call__(parser, namespace, values, option_string)


def _whole(text: str) -> int:
    """A flag's whole number, written as a config file may write it (``--iterations 1e4``: 10000, as
    ``iterations: 1e4``); ``2.5`` or ``ten`` is argparse's one line, "invalid int value" (its name is int's). Every
    flag of a whole-number setting a config file takes as ``1e3`` reads it so (``--seeds``, ``--slurm-cpus``, …)."""
    from benchmark.params import whole_number

    return whole_number(text)


_whole.__name__ = "int"  # argparse names the type in its error: "argument --iterations: invalid int value: '2.5'"


COMMON_FLAGS = ("--debug", "-q", "--quiet")  # every command's (_add_common); also taken before the command


def _add_common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--debug", action="store_true", help="show tracebacks")
    p.add_argument("-q", "--quiet", action="store_true", help="warnings and errors only")


def build_parser(prog: str = "plbench") -> argparse.ArgumentParser:
    """``prog``: the command usage lines and examples name (:func:`_shown_program`)."""
    from benchmark import __version__
    from benchmark.configs import shipped_configs

    parser = _Parser(prog=prog, description="Which training loss gives the best-looking "
                                     "restorations? Train a small net per (task, loss, seed), score it with pyiqa.",
                     # the flags _add_common gives every command (main takes them before its name too): `plbench -h`
                     # listed -h and -V alone
                     epilog="With no command, the command is run (the quick profile). Every command takes --debug "
                            "(an error's traceback, before its line) and -q/--quiet (warnings and errors only), "
                            "before or after its name; COMMAND -h lists its options.")
    from benchmark import CODE_VERSION

    # the same string every result row and report records (package version + code version)
    parser.add_argument("-V", "--version", action="version", version=f"plbench {__version__}+c{CODE_VERSION}")
    sub = parser.add_subparsers(dest="command")

    run = sub.add_parser("run", help="train and evaluate a grid (default)")
    _add_common(run)
    run.add_argument("--config", metavar="FILE", action="append",
                     help="a YAML (or .toml) file describing the grid; flags override it; given twice, the second "
                          "file overrides the first. Shipped with plbench, read from any folder that has no such "
                          "file: " + ", ".join(shipped_configs()))
    run.add_argument("--profile", help="quick (default: CPU, embedded photos), standard or full (GPU, overnight)")
    run.add_argument("--tasks", nargs="+", help="task names (default: the profile's)")
    run.add_argument("--losses", nargs="+", help="loss specs, e.g. l1 'l1 + 0.01*pdl' 'vgg*' all (default: the "
                     "profile's)")
    run.add_argument("--loss-file", action="append", default=[], metavar="FILE",
                     help="a Python file outside the repo that registers losses (repeatable)")
    run.add_argument("--seeds", nargs="+", type=_whole,
                     help="the seeds, a run each: --seeds 3 is seed 3, --seeds 0 1 2 three seeds (default: the "
                          "profile's)")
    run.add_argument("--iterations", type=_whole, help="training iterations per run (default: the profile's)")
    run.add_argument("--budget-check", action=_Paired, default=None,
                     help="also train every run with half the iterations, to test that the runs are trained to "
                          "their plateau (default: on; off saves a third of the time but no run is shown converged)")
    run.add_argument("--batch-size", type=_whole, help="crops per training step (default: the profile's)")
    run.add_argument("--crop", type=_whole, help="training crop side in pixels (default: the profile's)")
    run.add_argument("--lr", type=float, help="Adam learning rate, cosine-annealed (default: the profile's)")
    run.add_argument("--net", help="net preset: tiny, small, base (default: the profile's)")
    run.add_argument("--device", help="auto, cpu, cuda, cuda:N (default: auto)")
    run.add_argument("--metrics", nargs="+", help="pyiqa metric names, or contrique_fr[@<checkpoint>] (default: "
                     "the profile's)")
    run.add_argument("--train-data", nargs="+", action="extend", metavar="SOURCE",  # repeated: all of them
                     help="SOURCE[@REV][:SPLIT][#COLUMN][holdout=P%%]: skimage, a folder, a saved dataset, a hub id; "
                          "several are pooled (e.g. ../shared/datasets/BSD200 ../shared/datasets/T91)")
    run.add_argument("--test-data", nargs="+", action="extend", metavar="SOURCE",
                     help="one or more sources of held-out test images (SOURCE[holdout=10%%] here and in "
                          "--train-data: round(10%% × N) of a source's N distinct images, chosen by their pixels' "
                          "hash, tested on, the rest trained on)")
    run.add_argument("--max-train-images", type=_whole, help="use at most N images of each training source")
    run.add_argument("--backbone-weights", help="random, pretrained, auto (pretrained where the weights are "
                     "cached, else random), a weights key (vgg16:IMAGENET1K_V1, resnet50:simclr, …), a checkpoint path "
                     "or a self-trained encoder's name (`plbench pretrain`) (feature losses; default: the profile's)")
    run.add_argument("--task-param", nargs="+", action="extend", default=[], metavar="TASK.KEY=VALUE",
                     help="override task parameters, e.g. denoise.sigma=0.1 sr4.scale=2 (repeatable)")
    run.add_argument("--loss-tasks", nargs="+", action="extend", default=[], metavar="LOSS=TASK[,TASK]",
                     help="run LOSS on these tasks only, e.g. vgg=sr4 (a slow loss on fewer tasks; repeatable)")
    run.add_argument("--out", help="results directory (default: the --config file's out, else results)")
    run.add_argument("--no-report", action="store_true", help="do not render the leaderboard afterwards")
    run.add_argument("--no-progress", action="store_true", help="no progress bars")
    run.add_argument("--checkpoint-every", type=_whole, metavar="N",
                     help="checkpoint a training run every N iterations (0: never by count; default 500)")
    run.add_argument("--checkpoint-seconds", type=float, metavar="S",
                     help="… and at least every S seconds (0: never by time; default 60). Both 0: none, except "
                          "that in a SLURM job a run stopped by a time-out or preemption still saves one for its "
                          "requeue")
    run.add_argument("--stall-timeout", type=float, metavar="S",
                     help="stop a run that makes no progress (no training iteration, checkpoint or scored test image) "
                          "for S seconds as hung — a deadlock, a stalled network file system —, record it failed "
                          "with where it waited, and go on with the grid (0: never; default 1800); planning (decoding "
                          "the data before the first run) is not watched")
    run.add_argument("--compile", action=_Paired, default=None,
                     help="torch.compile the net and the loss's frozen backbones (a GPU speed-up; part of the setting; "
                          "--no-compile overrides a config file's compile: true)")
    run.add_argument("--logger", choices=("tensorboard", "wandb", "mlflow", "none"),
                     help="live training curves: TensorBoard event files when tensorboard is installed (default), "
                          "Weights & Biases or MLflow (optional extras); a CSV is always written")
    run.add_argument("--dry-run", action="store_true",
                     help="train nothing: estimate the grid's wall time from the runner's step timed at small shapes")
    _add_executor_options(run)

    perf = sub.add_parser("perf", help="time one training step per loss: it/s, × L1, × naive fp32 reference, "
                          "peak memory, FLOP/s")
    _add_common(perf)
    perf.add_argument("--losses", nargs="+",
                      help="loss specs (default: the --loss-file's losses, else vgg lpips pdl; l1 is always timed "
                           "as the baseline)")
    perf.add_argument("--loss-file", action="append", default=[], metavar="FILE",
                      help="a Python file that registers losses (repeatable)")
    perf.add_argument("--net", default="small", help="net preset: tiny, small, base (default: small)")
    perf.add_argument("--batch-size", "--batch", dest="batch", type=_whole, default=16,
                      help="crops per step (default: 16)")
    perf.add_argument("--crop", type=_whole, default=128, help="crop side in pixels (default: 128)")
    perf.add_argument("--task", default="denoise", help="task whose degradation the step runs (default: denoise)")
    perf.add_argument("--device", default="auto", help="auto, cpu, cuda, cuda:N")
    perf.add_argument("--reps", type=_whole, default=20, help="timed steps per loss (median reported)")
    perf.add_argument("--warmup", type=_whole, default=2,
                      help="untimed steps per loss first (default: 2), after two of l1 that pay the process's "
                           "one-time costs whatever this is")
    perf.add_argument("--compile", action="store_true",
                      help="torch.compile the net and the frozen backbones (the harness's step only)")
    perf.add_argument("--no-naive", action="store_true", help="skip the naive fp32 eager references")

    ls = sub.add_parser("list", help="show tasks, losses, metrics (and which metrics work offline)")
    _add_common(ls)
    ls.add_argument("what", nargs="?", default="all", choices=("all", "tasks", "losses", "metrics"),
                    help="what to list (default: all)")
    ls.add_argument("--loss-file", action="append", default=[], metavar="FILE",
                    help="a Python file that registers losses, listed with the built-in ones (repeatable)")
    ls.add_argument("--probe", action="store_true", help="open every pyiqa metric to see which are usable offline")

    rep = sub.add_parser("report", help="re-derive leaderboards, statistics, figures, LaTeX/CSV/HTML exports "
                         "from the results table")
    _add_common(rep)
    rep.add_argument("--out", default="results", help="results directory (default: results)")
    _add_report_options(rep)

    cmp = sub.add_parser("compare", help="train only a new loss under the cached field's exact settings "
                         "and report where it lands")
    _add_common(cmp)
    cmp.add_argument("--loss-file", action="append", default=[], metavar="FILE",
                     help="a Python file that registers the new losses (repeatable)")
    cmp.add_argument("--loss", action="append", default=[], dest="losses", metavar="SPEC",
                     help="a registered loss name or spec to compare (repeatable; with --loss-file, only the "
                          "specs given here are compared, e.g. 'my_loss(w=0.5)', not also the file's at defaults)")
    cmp.add_argument("--losses", action="extend", nargs="+", dest="losses", metavar="SPEC",
                     help="several specs at once, as `plbench run --losses` (added to --loss)")
    cmp.add_argument("--out", default="results", help="results directory holding the field (default: results)")
    cmp.add_argument("--tasks", nargs="+", help="only these tasks of the field")
    cmp.add_argument("--device", default="auto",
                     help="auto, cpu, cuda, cuda:N; auto: the kind of device the field trained on (a CPU field's new "
                          "loss trains on the CPU, GPU or not); another kind than the field's is refused")
    cmp.add_argument("--no-progress", action="store_true", help="no progress bars")
    _add_report_options(cmp)

    w = sub.add_parser("weights", help="which weights each loss/metric needs and whether they are present")
    _add_common(w)
    w.add_argument("action", nargs="?", default="list", choices=("list", "prefetch"),
                   help="list what is present and missing (default), or prefetch it (needs a network)")
    w.add_argument("--losses", nargs="+", help="only these losses (default: every loss and the default metrics)")
    w.add_argument("--loss-file", action="append", default=[], metavar="FILE",
                   help="a Python file that registers losses, listed with the built-in ones (repeatable)")
    fnd = sub.add_parser("findings", help="check published claims (Zhao 2017, Blau 2018, …) on the results: "
                         "reproduced / contradicted / inconclusive / needs weights / not applicable")
    _add_common(fnd)
    fnd.add_argument("--out", default="results", help="results directory (default: results); findings.md/.csv go there")
    fnd.add_argument("--only", nargs="+", metavar="NAME", help="check only these findings")
    fnd.add_argument("--list", action="store_true", help="list the registered findings and what each needs")
    fnd.add_argument("--alpha", type=float, default=0.05, help="significance level after Holm correction")
    fnd.add_argument("--bootstrap", type=_whole, default=None,
                     help="no effect: each part's 95%% CI is Student's t from the run-to-run and image levels (no "
                          "resampling); accepted, and checked as report's, so command lines that pass it still run")
    fnd.add_argument("--where", nargs="+", action="extend", metavar="FIELD=VALUE",  # repeated: all of them (AND)
                     help=_where_help("show", "; its parts stay in one Holm family with every setting's, as the "
                                              "report's Findings"))

    cal = sub.add_parser("calibrate", help="false-verdict rate of the findings checker on nulls drawn from the "
                         "results' variance components and on A/A splits of real runs; runs needed for an effect")
    _add_common(cal)
    cal.add_argument("--out", default="results", help="results directory (calibration.md goes there)")
    cal.add_argument("--nulls", type=_whole, default=200, help="simulated nulls per (task, metric) (default: 200)")
    cal.add_argument("--runs", type=_whole, help="runs per arm (default and least: the checker's minimum, "
                     "benchmark.runstats.MIN_RUNS = 5)")
    cal.add_argument("--splits", type=_whole, default=300, help="A/A splits per (task, metric, loss) at most")
    cal.add_argument("--effect", type=float, default=6.0,
                     help="effect for the power, in practical margins of each metric (default: 6 = 0.3 dB PSNR)")
    cal.add_argument("--metrics", nargs="+", help="only these metrics (default: every one in the results)")
    cal.add_argument("--alpha", type=float, default=0.05, help="significance level (default: 0.05)")
    cal.add_argument("--seed", type=_whole, default=0, help="seed of the simulations and splits (default: 0)")
    cal.add_argument("--where", nargs="+", action="extend", metavar="FIELD=VALUE",  # repeated: all of them (AND)
                     help=_where_help("calibrate on"))

    chk = sub.add_parser("check", help="verify a results directory: every run's records readable and their rows "
                         "matching their checksums; --repair sets damaged runs aside for re-scoring or retraining")
    _add_common(chk)
    chk.add_argument("--out", default="results", help="results directory (default: results)")
    chk.add_argument("--repair", action="store_true",
                     help="move each damaged run's files to runs/<id>/damaged/<n>/ (nothing is deleted); the same "
                          "`plbench run` then re-scores or retrains it")
    chk.add_argument("--full", action="store_true",
                     help="hash every saved net (net.pt, loss.pt); without it a net whose size and modification "
                          "time are those recorded when it was written is not read (a change that kept both, "
                          "bit rot, is found only with --full)")

    mrg = sub.add_parser("merge", help="copy the finished runs of other results directories (another machine's, "
                         "a cluster node's) into --out; a run unfinished here is replaced, its files set aside")
    _add_common(mrg)
    mrg.add_argument("sources", nargs="+", metavar="SRC",
                     help="results directories to copy finished runs from (exit code 1: runs not copied, their "
                          "folders here in the way, each named, or saved grids not copied, grids/ here in the way; "
                          "exit code 2: a source that cannot be read, named in "
                          "the last line, the others are merged)")
    mrg.add_argument("--out", default="results", help="results directory to merge into (default: results)")

    pt = sub.add_parser("pretrain", help="self-train a perceptual encoder (CONTRIQUE- or SimCLR-style)")
    _add_common(pt)
    pt.add_argument("--recipe", default="contrique", help="contrique (distortion classes) or simclr")
    pt.add_argument("--arch", default="tinycnn", help="tinycnn (CPU), resnet18, resnet50, vgg16, ...")
    pt.add_argument("--data", default="skimage:train", help="any source the benchmark can load")
    pt.add_argument("--steps", type=_whole, default=500, help="training steps (default: 500)")
    pt.add_argument("--batch-size", type=_whole, default=32, help="samples per batch (classes × regions)")
    pt.add_argument("--classes-per-batch", type=_whole, default=8, help="contrique: distortion classes per batch")
    pt.add_argument("--no-colour-spaces", action="store_true", help="contrique: RGB views only")
    pt.add_argument("--view-scales", choices=("fixed", "random"), default="fixed",
                    help="contrique: fixed (default) the first view full scale, the second ×0.5; random: drawn per "
                         "sample, as the authors' loader")
    pt.add_argument("--view-flips", choices=("shared", "independent"), default="shared",
                    help="contrique: shared (default) both views mirrored together; independent: each view flipped "
                         "on its own, as the authors' loader")
    pt.add_argument("--crop", type=_whole, default=64, help="crop side in pixels (default: 64)")
    pt.add_argument("--lr", type=float, default=2e-3, help="learning rate (default: 0.002)")
    pt.add_argument("--seed", type=_whole, default=0, help="seed of the initialisation and the batches (default: 0)")
    pt.add_argument("--device", default="auto", help="auto, cpu, cuda, cuda:N (default: auto)")
    pt.add_argument("--out-dir", help="where the checkpoint goes (default: <torch hub dir>/plbench/selftrained)")
    pt.add_argument("--save-every", type=_whole, default=25,
                    help="checkpoint the training state every N steps (0: never)")
    pt.add_argument("--probe", nargs="*", metavar="HELD_OUT",
                    help="afterwards, probe distortion type × level on held-out images (default "
                         "skimage:test) against random init")
    pt.add_argument("--probe-random-seeds", type=_whole, default=3, help="random inits to compare with (default 3)")
    return _describe(_state_defaults(parser), prog)


#: examples under each command's ``--help`` (tests/test_probe_journey7.py parses every one)
EXAMPLES = {
    "run": ("plbench run --tasks denoise sr4 --losses l1 'l1 + 0.01*ms_ssim' --seeds 0 1 2 --iterations 500",
            "plbench run --train-data my_photos/train --test-data my_photos/test --out results-mine",
            "plbench run --config configs/cpu.yaml --no-budget-check",
            "plbench run --profile full --dry-run --device cpu --backbone-weights random"),
    "perf": ("plbench perf --losses vgg lpips pdl --net small --batch-size 16 --crop 128",),
    "list": ("plbench list losses", "plbench list metrics --probe"),
    "report": ("plbench report --out results",  # --where: the quick profile's iterations (300 matched no new user's)
               "plbench report --out results --where iterations=120 --formats png svg"),
    "compare": ("plbench compare --loss-file my_loss.py --out results",),
    "weights": ("plbench weights", "HF_HUB_OFFLINE=0 plbench weights prefetch --losses vgg lpips"),
    "findings": ("plbench findings --out results", "plbench findings --list"),
    "calibrate": ("plbench calibrate --out results",),
    "check": ("plbench check --out results", "plbench check --out results --repair"),
    "merge": ("plbench merge node2/results --out results",),
    "pretrain": ("plbench pretrain --data ../shared/datasets/BSD200 --steps 1500 --probe",),
}


def _describe(parser: argparse.ArgumentParser, prog: str = "plbench") -> argparse.ArgumentParser:
    """Give every command's ``--help`` what ``plbench -h`` says of it (as its description) and its
    :data:`EXAMPLES` (as the epilog): ``plbench run --help`` began with the usage block, so it never said what
    the command does nor showed one command line."""
    import textwrap

    for sub in (a for a in parser._actions if isinstance(a, argparse._SubParsersAction)):
        for choice in sub._choices_actions:
            p = sub.choices[choice.dest]
            p.formatter_class = argparse.RawDescriptionHelpFormatter  # the examples keep their lines
            p.description = textwrap.fill(choice.help[0].upper() + choice.help[1:] + ".", 79)
            p.epilog = "examples:\n" + "\n".join(f"  {re.sub(r'(^|(?<= ))plbench ', prog + ' ', e, count=1)}"
                                                  for e in EXAMPLES.get(choice.dest, ()))
            for action in p._actions:  # `plbench run` in an option's help: as started (`.venv/bin/python run_all.py`)
                if isinstance(action.help, str) and "`plbench " in action.help and prog != "plbench":
                    action.help = _as_started(action.help.replace("%", "\0")).replace("%", "%%").replace("\0", "%")
    return parser


def _state_defaults(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """Append "(default: …)" to the help of every option whose default its text does not state."""
    subs = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    for p in [parser, *(sp for a in subs for sp in a.choices.values())]:
        for a in p._actions:
            d = a.default
            if a.help and d not in (None, False, [], argparse.SUPPRESS) and "default" not in a.help.lower() and \
                    not isinstance(a, (argparse._StoreTrueAction, argparse._HelpAction, argparse._VersionAction)):
                a.help += f" (default: {' '.join(map(str, d)) if isinstance(d, (list, tuple)) else d})"
    return parser


def _add_executor_options(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("executors (benchmark.executors): where the runs go")
    g.add_argument("--executor", choices=("local", "ray", "slurm"),
                   help=f"local (default), ray ({pip()} install '.[ray]') or slurm (submitit; {pip()} install "
                        "'.[slurm]')")
    g.add_argument("--workers", metavar="N|auto",
                   help="concurrent runs. local: N processes (default 1: in this process; auto: one per visible "
                        "GPU × --workers-per-gpu; with --device cpu or no visible GPU, 1, in this process); "
                        "ray: N tasks (default: one per GPU share or CPU); "
                        "slurm: N jobs (default: one job per run)")
    g.add_argument("--workers-per-gpu", type=_whole, metavar="K", help="runs sharing one GPU (default 1)")
    g.add_argument("--ray-address", help="join this Ray cluster (auto or host:port); default: a local instance")
    g.add_argument("--slurm-partition", help="SLURM partition (default: the cluster's)")
    g.add_argument("--slurm-gpus", type=_whole, help="GPUs per job (default: 1 for a cuda device, else 0)")
    g.add_argument("--slurm-time", help="time limit per job: minutes or [D-]HH:MM:SS (default 8:00:00)")
    g.add_argument("--slurm-mem", help="memory per job, e.g. 32G or 500M; a bare number is GB (default: the cluster's)")
    g.add_argument("--slurm-cpus", type=_whole, help="CPU cores per job, and its torch threads (default 1)")
    g.add_argument("--submitit-cluster", choices=("slurm", "local", "debug"),
                   help="submitit backend (default: slurm; without SLURM here the run is refused: local runs the "
                        "jobs as processes on this machine, debug in this process)")


class _AsStarted(logging.Filter):
    """A log handler's filter writing the commands a log line suggests (`` `plbench check …` ``, from any module:
    results, report, compare, …) as this process was started (:func:`_as_started`): one place for every logged
    hint, as the ``error:`` line's. The record's message is formatted once here (its ``args`` consumed)."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()  # the hint may be an argument (`log.info("%s", hint)`)
        except Exception:  # noqa: BLE001 - a malformed record: logging reports it as it would have
            return True
        if "plbench " in message and (started := _as_started(message)) != message:
            record.msg, record.args = started, None
        return True


def _setup_logging(args) -> None:
    level = logging.WARNING if getattr(args, "quiet", False) else logging.INFO
    logging.basicConfig(level=level, format="%(levelname).1s %(asctime)s %(name)s: %(message)s",
                        datefmt="%H:%M:%S", stream=sys.stderr)
    for handler in logging.getLogger().handlers:  # ours, or an embedding program's (a notebook's, pytest's)
        if not any(isinstance(f, _AsStarted) for f in handler.filters):
            handler.addFilter(_AsStarted())
    debug = getattr(args, "debug", False)
    # --debug: where data and weights came from (timm's INFO "Loading pretrained weights from Hugging Face hub" is said
    # before a file found not cached offline: in `plbench list metrics --probe`'s table, for nothing loaded)
    for noisy in ("datasets", "huggingface_hub", "urllib3", "filelock", "fsspec", "timm"):
        logging.getLogger(noisy).setLevel(logging.DEBUG if debug else logging.WARNING)
    for noisy in ("matplotlib", "PIL", "fontTools"):  # font and codec chatter: never about the user's problem
        logging.getLogger(noisy).setLevel(logging.WARNING)


def standard_streams() -> None:
    """Standard streams a daemonising wrapper closed (``plbench run … 2>&-``, a scheduler's or service manager's
    start) opened on the null device: Python starts with ``sys.stderr`` None there, and the run's first
    ``sys.stderr.isatty()`` ended the night at its start, an internal error, nothing trained; and the first file the
    process opened took the closed descriptor, so what a library writes to fd 2 (libjpeg's warnings, torch's) went
    into it, and this process's spawned workers took it as their stderr. Such a stream's output goes nowhere, as
    its closing asked. The command's first step, and :func:`benchmark.api.run`'s."""
    for fd, name, mode in ((0, "stdin", "r"), (1, "stdout", "w"), (2, "stderr", "w")):
        try:
            os.fstat(fd)
        except OSError:  # closed: the null device in its place (the lowest free descriptor is a closed one below)
            null = os.open(os.devnull, os.O_RDWR)
            if null != fd:
                os.dup2(null, fd)
                os.close(null)
        if getattr(sys, name) is None:  # closed when Python started: a stream on the descriptor as it is now
            setattr(sys, name, open(fd, mode, closefd=False, errors="backslashreplace"))


def main(argv: list[str] | None = None) -> int:
    standard_streams()
    # the step times earlier commands of this process measured or left unkept (a test's, a notebook's): not this one's
    before = dict(perf.MEASURED) if (perf := sys.modules.get("benchmark.perf")) else None
    argv = list(sys.argv[1:] if argv is None else argv)
    lead = next((i for i, a in enumerate(argv) if a not in COMMON_FLAGS), len(argv))
    word = argv[lead] if lead < len(argv) else ""  # the command, after the flags every command has
    if word and not word.startswith("-") and word not in COMMANDS:  # run takes no word: `plbench status` said
        # 'unrecognized arguments: status (`plbench run -h` shows the options)'
        suffix = os.path.splitext(word)[1].lower()
        path = "/" in word or os.sep in word or os.path.exists(word)  # `plbench runs/`: a path, no misspelt `run`
        hint = did_you_mean(word, COMMANDS, n=2) if not path and not suffix else ""
        if hint:  # `plbench rn`, `plbench -q reprot`: a misspelt command, not an argument of `run`
            hint += " (`plbench -h` lists them)"
        elif suffix in (".yaml", ".yml", ".toml", ".json", ".py"):  # `plbench grid.yaml` (merge.yaml: no `merge`
            # misspelt): the file, as run takes it
            kind, flag = ("a loss file", "--loss-file") if suffix == ".py" else ("a config file", "--config")
            hint = f"; {kind} is run with `plbench run {flag} {shlex.quote(word)}`"
        else:
            hint = f" (commands: {', '.join(COMMANDS)}; `plbench -h` describes them)"
        print(_as_started(f"error: unknown command {word!r}{hint}"), file=sys.stderr)
        return 2
    if {"--version", "-V"} & set(argv) and not {"-h", "--help", "--"} & set(argv):  # `plbench run --version`
        argv = ["--version"]  # was 'unrecognized arguments: --version; did you mean --version?' (the program's flag)
    parser = build_parser(_shown_program())  # once: run's options below, then the command line's parse
    j = lead  # `plbench -v list tasks`: an option no command has, then the command: said by that command's parser
    runs = _run_option_strings(parser) if word.startswith("-") else set()
    while j < len(argv) and argv[j].startswith("-") and argv[j] not in ("-V", "--version") \
            and (argv[j] in COMMON_FLAGS or argv[j].split("=", 1)[0] not in runs):
        j += 1  # (run's options, a value after them perhaps, stay run's: `plbench --out list`)
    if j > lead and j < len(argv) and argv[j] in COMMANDS:  # ('unrecognized arguments: -v list tasks', run's)
        argv = [argv[j], *argv[:j], *argv[j + 1:]]
    if lead and word in (*COMMANDS, "--version", "-V"):  # `plbench -q list`: the flags every command has
        argv = [word] if word in ("--version", "-V") else [word, *argv[:lead], *argv[lead + 1:]]
    if not argv or (argv[0] not in COMMANDS and argv[0] not in ("-h", "--help", "--version", "-V")):
        argv = ["run", *argv]
    _Parser.argv = argv
    args = parser.parse_args(argv)
    _setup_logging(args)
    for line in getattr(args, "_once_repeated", ()):  # `--iterations 100 --iterations 200`: the last, said
        log.warning("%s", line)
    previous_sigterm = _sigterm_as_interrupt()
    try:
        from benchmark.devices import min_cpu_share as _min_cpu_share

        _min_cpu_share()  # a typo in PLBENCH_MIN_CPU_SHARE: said now, not at the report after the training
        from benchmark.data import spill_folder

        if args.command in ("run", "compare", "perf", "pretrain", "report"):  # those that may decode images
            # (report: its visual grid's test source); findings and calibrate read the store's rows alone
            spill_folder()  # PLBENCH_SPILL_DIR naming no folder: said now, not hours into decoding a big source
        from benchmark.errors import output_to_a_reader_gone_goes_nowhere

        # a grid's output to a reader gone (`| tee night.log` killed) goes nowhere, not into its runs' errors
        with (output_to_a_reader_gone_goes_nowhere() if args.command in ("run", "compare") else
              contextlib.nullcontext()):
            return {"run": cmd_run, "list": cmd_list, "report": cmd_report, "weights": cmd_weights,
                    "pretrain": cmd_pretrain, "compare": cmd_compare, "perf": cmd_perf,
                    "findings": cmd_findings, "calibrate": cmd_calibrate, "check": cmd_check,
                    "merge": cmd_merge}[args.command](args)
    except UserError as exc:
        if getattr(args, "debug", False):  # the traceback, then the same line and exit code: a script reads 2 or 3
            traceback.print_exc(file=sys.stderr)
        print(_as_started(f"error: {exc}"), file=sys.stderr)
        return exc.exit_code
    except BrokenPipeError:  # the reader went away (`plbench findings | head`): not an error of ours
        try:
            sys.stdout = open(os.devnull, "w")
        except OSError:
            pass
        return 0
    except KeyboardInterrupt:
        if args.command in ("report", "findings"):  # each output is written whole, but not all of them: say so
            _say_stopped("\ninterrupted; the outputs in --out may be partly rewritten (some of this report's beside "
                         "the previous one's; no run is touched). The same command writes them all again:\n  "
                         + " ".join(shlex.quote(a) for a in [*_runnable_program(), *argv]))
            return 130
        if args.command not in ("run", "compare"):  # the commands that train runs (checkpointed, resumed)
            _say_stopped("\ninterrupted")
            return 130
        if getattr(args, "dry_run", False):  # trains nothing: what it keeps is the step times it measured
            perf = sys.modules.get("benchmark.perf")  # not imported: nothing measured, so nothing not kept
            kept = perf.kept_text(before) if perf else "no step time was measured yet"
            _say_stopped(f"\ninterrupted; {kept}:\n  "
                         + " ".join(shlex.quote(a) for a in [*_runnable_program(), *argv]))
            return 130
        saved = ("finished runs are saved (checkpoints are off: a run in progress starts again from iteration 0)"
                 if _checkpoints_off(args) else "finished runs and checkpoints are saved")
        _say_stopped(f"\ninterrupted; {saved}. Resume with:\n  "
                     + " ".join(shlex.quote(a) for a in [*_runnable_program(), *argv]))
        return 130
    except Exception as exc:  # noqa: BLE001 - a bug, not bad input: still one line unless --debug
        if getattr(args, "debug", False):
            raise
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        if isinstance(exc, MemoryError):  # the machine's memory, not a bug: no traceback to report
            print(f"error: the host ran out of memory (MemoryError{': ' + first if first else ''}) in "
                  f"`plbench {args.command}`: free memory (other programs, fewer --workers) or run it on a machine "
                  "with more" + ("; finished runs are saved: the same command resumes the rest"
                                 if args.command in ("run", "compare") else ""), file=sys.stderr)
            return 1
        if getattr(exc, "host_memory", False):  # a worker's (WorkerFailed): its line says the host's memory
            print(f"error: {first}" + ("; finished runs are saved: the same command resumes the rest"
                                       if args.command in ("run", "compare") else ""), file=sys.stderr)
            return 1
        print(f"error: internal error: {type(exc).__name__}{': ' + first if first else ''} "
              "(rerun with --debug for the traceback)", file=sys.stderr)
        return 1
    finally:
        _restore_sigterm(previous_sigterm)


def _run_option_strings(parser: argparse.ArgumentParser) -> set[str]:
    """``run``'s option strings (``--tasks``, ``-h``, …), as ``parser`` (:func:`build_parser`'s) names them (none: a
    parser without ``run``)."""
    run = next((a.choices.get("run") for a in parser._actions if isinstance(a, argparse._SubParsersAction)), None)
    return {o for a in run._actions for o in a.option_strings} if run is not None else set()


def _program() -> list[str]:
    """How this process was started, for the resume hint: ``plbench``, ``python run_all.py`` or
    ``python -m benchmark.cli``."""
    spec = getattr(sys.modules.get("__main__"), "__spec__", None)
    if spec is not None and spec.name.startswith("benchmark"):  # python -m benchmark[.cli]
        return [os.path.basename(sys.executable) or "python", "-m", spec.name.removesuffix(".__main__")]
    prog = sys.argv[0] if sys.argv and sys.argv[0] else "plbench"
    if prog.endswith(".py"):
        return [os.path.basename(sys.executable) or "python", prog]
    return [os.path.basename(prog)]


def _runnable_program() -> list[str]:
    """:func:`_program` for a line meant to be copied (the resume line after Ctrl-C): its interpreter as it can be
    reached from here — ``python`` only where the PATH's ``python`` is this one, else its path (relative to the
    current directory when under it: ``.venv/bin/python`` after the README's first command, the venv not activated,
    where the PATH's python has no torch)."""
    import shutil

    shown = _program()
    if shown[0] != os.path.basename(sys.executable) or len(shown) == 1:
        return shown
    here = os.path.abspath(sys.executable)
    found = shutil.which(shown[0])
    if found and os.path.abspath(found) == here:
        return shown
    return [reached_from_here(here), *shown[1:]]


def _as_started(message: str) -> str:
    """``message`` with each command it suggests (`` `plbench list tasks` ``) written as this process was started,
    ``.venv/bin/python run_all.py list tasks`` after the README's first command, where no ``plbench`` is on the
    PATH (its interpreter as :func:`_runnable_program` reaches it: the PATH's ``python`` may have no torch)."""
    if _shown_program() == "plbench":
        return message
    # `HF_HUB_OFFLINE=0 plbench weights prefetch`: after the environment it sets, as without
    return re.sub(r"`((?:[A-Za-z_]\w*=\S* )*)plbench ", lambda m: f"`{m.group(1)}{shlex.join(_runnable_program())} ",
                  message)


def _shown_program() -> str:
    """The command ``--help`` names: ``python run_all.py`` or ``python -m benchmark`` when started so (the
    README's first command runs run_all.py, with no ``plbench`` on the PATH until the venv is activated: its
    usage line and examples said ``plbench``, "command not found" when copied), else ``plbench``."""
    shown = _program()
    return shlex.join(shown) if "-m" in shown or os.path.basename(shown[-1]) == "run_all.py" else "plbench"


def _checkpoints_off(args) -> bool:
    """Were a stopped ``run``'s periodic checkpoints off (``--checkpoint-every 0 --checkpoint-seconds 0``, flags
    or config), with no SLURM job to save one on the stop (:class:`~benchmark.executors.RequeueableUnit`)? The
    debug cluster's jobs run in this process, without submitit's handler: they save none either."""
    try:
        s = grid_spec(args).resolved()
    except Exception:  # noqa: BLE001 - the grid could not be read: the usual line
        return False
    return (s.checkpoint_every == 0 and s.checkpoint_seconds == 0
            and (s.executor != "slurm" or s.submitit_cluster == "debug"))


def _sigterm_as_interrupt(default_only: bool = False) -> dict:
    """SIGTERM (a scheduler's polite kill) and SIGHUP (the terminal closed, the ssh session dropped: killed outright,
    up to --checkpoint-seconds of training were lost) are handled like Ctrl-C: the current write completes, the
    process exits cleanly and says how to resume; an ignored one (``nohup``) stays ignored. ``default_only``: only a
    signal still at its default (which ends the process at once) — :func:`benchmark.api.run`'s, which leaves a
    script's own handler to it. Returns the previous handlers."""
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread():
        return {}

    def handler(signum, frame):
        raise KeyboardInterrupt

    return {s: signal.signal(s, handler) for s in (signal.SIGTERM, getattr(signal, "SIGHUP", None))
            if s is not None and signal.getsignal(s) is not signal.SIG_IGN
            and (not default_only or signal.getsignal(s) is signal.SIG_DFL)}


def _restore_sigterm(previous: dict) -> None:
    import signal

    for s, handler in previous.items():
        signal.signal(s, handler)


def _say_stopped(text: str) -> None:
    """An interrupted command's last line on stderr, which a hangup (SIGHUP) may have left writing to no terminal
    (EIO): the stop, saved, stays one (exit 130) rather than an error of its own."""
    with contextlib.suppress(OSError):
        print(text, file=sys.stderr)


def main_entry() -> None:
    """The command line's entry (``plbench``, ``python -m benchmark``, ``run_all.py``): :func:`main`, then
    :func:`exit_now` with its code. Tests call :func:`main`, which returns."""
    try:
        code = main()
    except SystemExit as exc:  # argparse's --help, --version, a usage error (2)
        code = exc.code
    exit_now(code)


# --------------------------------------------------------------------------------------------
def grid_spec(args) -> "GridSpec":  # noqa: F821 - benchmark.config.GridSpec
    """``run``'s flags (over ``--config FILE`` when given) → a :class:`~benchmark.config.GridSpec`."""
    from benchmark.config import (
        GridSpec,
        check_task_params_of_flags,
        parse_loss_tasks,
        parse_task_params,
        several_names,
    )

    for key in ("tasks", "metrics"):  # `--tasks 'denoise sr4'` (quoted as one word) was 'did you mean denoise?'
        for item in getattr(args, key) or ():
            if len(names := several_names(item)) > 1:
                raise UserError(f"--{key}: {item!r} names {len(names)} values: several values are written "
                                f"--{key} {' '.join(names)}")
    flags = GridSpec(
        profile=args.profile, tasks=_tuple(args.tasks), task_params=parse_task_params(args.task_param),
        losses=_tuple(args.losses), loss_files=tuple(args.loss_file), loss_tasks=parse_loss_tasks(args.loss_tasks),
        seeds=_tuple(args.seeds), net=args.net,
        iterations=args.iterations, budget_check=args.budget_check, batch_size=args.batch_size, crop=args.crop,
        lr=args.lr,
        train_data=_tuple(args.train_data), test_data=_tuple(args.test_data), max_train_images=args.max_train_images,
        backbone_weights=args.backbone_weights, metrics=_tuple(args.metrics), device=args.device,
        compile=args.compile, out=args.out, executor=args.executor, workers=args.workers,
        workers_per_gpu=args.workers_per_gpu, ray_address=args.ray_address, slurm_partition=args.slurm_partition,
        slurm_gpus=args.slurm_gpus, slurm_time=args.slurm_time, slurm_mem=args.slurm_mem, slurm_cpus=args.slurm_cpus,
        submitit_cluster=args.submitit_cluster, checkpoint_every=args.checkpoint_every,
        checkpoint_seconds=args.checkpoint_seconds, stall_timeout=args.stall_timeout, logger=args.logger)
    base = GridSpec()
    paths = getattr(args, "config", None) or ()
    for path in [paths] if isinstance(paths, str) else paths:  # several: each over the one before, flags over all
        grid = GridSpec.from_file(path)
        base = base.merged(grid if flags.out else _grid_of_its_store(grid, Path(path).expanduser()))
    merged = base.merged(flags)
    try:  # the tasks the grid runs: a flag's parameters of another task are refused as such, before their values
        tasks = merged.resolved().tasks
    except UserError:  # e.g. an unknown profile: left to build_configs, which names it
        tasks = None
    check_task_params_of_flags(args.task_param, flags.task_params, base, tasks)  # named by the flag, as a file's by it
    return merged


def _grid_of_its_store(spec, path: Path):
    """A grid file that ``run`` saved in a results directory (``<out>/grids/<time>.yaml``) names the
    ``out`` it was run with; once that directory is moved, copied or downloaded, the file's runs
    belong to the directory that holds it, not to a path on the machine that wrote it (which the
    replay would otherwise create, or extend, training everything there again). Not called when
    ``--out`` is given: it overrides."""
    from benchmark.results import ResultsStore

    store = path.resolve().parent.parent
    if path.resolve().parent.name != "grids" or not (store / "store.json").is_file() or not spec.out:
        return spec
    try:
        same = Path(spec.out).expanduser().resolve() == store
    except OSError:
        same = False
    if not same and ResultsStore(store).is_store():
        log.warning("%s is a grid saved in the results directory %s: its runs go there (the file names out: %s, "
                    "where it was written; --out chooses another)", path.name, store, spec.out)
        return dataclasses.replace(spec, out=str(store))
    return spec


def _tuple(v):
    return tuple(v) if v is not None else None


def build_configs(args, data=None):
    """``run``'s flags → (resolved configs, metric names, device string); see :func:`benchmark.config.build_configs`."""
    from benchmark.config import build_configs as build
    from benchmark.results import ResultsStore

    spec = grid_spec(args)
    return build(spec, data, local=(spec.executor or "local") == "local" or getattr(args, "dry_run", False),
                 recorded=ResultsStore(spec.resolved().out).recorded_losses())


def _check_task_names(tasks) -> None:
    """An unknown task (``denoize``, ``denoise(sigma=0.1)``) as :func:`benchmark.config.build_configs` says it."""
    from benchmark.config import _task_with_parameters
    from benchmark.registry import TASKS

    for t in tasks:
        if t not in TASKS.names():
            _task_with_parameters(t)
        TASKS.get(t)


def _check_loss_and_net_names(loss_files, losses, net: str | None = None) -> None:
    """A grid's loss specs (with its ``--loss-file`` losses registered) and net, as
    :func:`benchmark.config.build_configs` says them: a typo before the ``--out`` folder's refusal."""
    from benchmark.config import expand_losses
    from benchmark.lossfn import check_loss_arguments, parse_loss_spec
    from benchmark.nets import NET_PRESETS, build_net
    from benchmark.registry import LOSSES, load_user_file

    for f in loss_files or ():  # loaded once per process: build_configs finds them loaded
        load_user_file(f, LOSSES)
    for spec in losses or ():
        for one in expand_losses([spec]):  # a wildcard matching nothing is said here
            for term in parse_loss_spec(one):
                LOSSES.get(term.name)  # unknown: one line with suggestions
            check_loss_arguments(one)
    if net is not None and net not in NET_PRESETS:
        build_net(net)


def planned(spec, dry_run: bool = False, where: str | None = None):
    """The one order ``run`` and ``api.run()`` check a grid ``spec`` (:class:`~benchmark.config.GridSpec`) in, then
    read its data: the executor's settings, names, the logger, the executor's options, then numbers and every other
    check that reads no image (:func:`benchmark.config.check_grid`), then the results folder (its preflight,
    ``where``: what writes there; a dry run: a warning), then the data, decoded once
    (:func:`benchmark.config.build_configs`). Each mistake is said before the folder's refusal, and before a minute of
    decoding. Returns (the resolved grid, the resolved configs, metric names, device string, the DataCache)."""
    from benchmark.config import build_configs as build
    from benchmark.config import check_executor_settings, check_grid, check_out
    from benchmark.executors import executor_options
    from benchmark.loggers import check_logger
    from benchmark.metrics import check_metric_names
    from benchmark.registry import check_not_all
    from benchmark.results import ResultsStore
    from benchmark.runner import DataCache

    s = spec.resolved()
    local = s.executor == "local" or dry_run  # a dry run plans here whatever the executor
    check_out(s)  # `out: ''`: named by the file or api.run() before any check reads the store
    check_executor_settings(spec, s)
    with s.blamed("metrics"):  # names, logger, executor flags and --out fail before the data is loaded
        check_not_all("metrics", s.metrics, dict(s.origins).get("metrics"))
        check_metric_names(s.metrics)
    with s.blamed("tasks"):  # a typo before the --out folder: fixed that, the next try said the typo
        check_not_all("tasks", s.tasks, dict(s.origins).get("tasks"))
        _check_task_names(s.tasks)
    with ResultsStore(s.out).naming_file_losses():  # a loss this store holds runs of, from a file not given now
        for f in s.loss_files:  # a loss file's error names that file (and the config file naming it)
            with s.blamed_loss_file(f):
                _check_loss_and_net_names((f,), ())
        with s.blamed("losses"):
            _check_loss_and_net_names((), s.losses)
        with s.blamed("loss_tasks", flag=True):  # `--loss-tasks l1=denoize`: as build_configs says it, before --out
            for loss, tasks in s.loss_tasks:
                _check_loss_and_net_names((), [loss])
                if every := next((t for t in tasks if t in ("all", "*")), None):  # was 'unknown task 'all''
                    name = s.named("loss_tasks")  # --loss-tasks, grid.yaml: loss_tasks, api.run(): loss_tasks
                    raise UserError(f"{name}: {every!r} names no task for {loss}: leave {loss} out of "
                                    f"{name.rpartition(': ')[2]} to train it on every task of the grid")
                _check_task_names(tasks)
    with s.blamed("net"):
        _check_loss_and_net_names((), (), s.net)
    if s.device not in (None, "auto"):  # `--device tpu`: its name, as build_configs says it, before --out
        from benchmark.devices import parse_device

        with s.blamed("device", flag=True):
            parse_device(s.device)
    check_logger(s.logger, setting=s.named("logger"))
    executor_options(s)  # also for --dry-run: it estimated `--workers two`, which the run then refused
    with ResultsStore(s.out).naming_file_losses():  # the values too (`--lr -1`, once: a file's and api.run()'s as a
        # flag's; `--backbone-weights rnadom`, `--crop 7`, skimage:trian)
        plan = check_grid(spec, local=local, recorded=ResultsStore(s.out).recorded_losses())
    if dry_run:  # it trains nothing: csr's encoder self-trained for its run ids took half an hour on a busy machine
        plan = _selftraining_left_out(plan)  # (not `--backbone-weights random`: csr(selftrain_data=…) refuses it)
    try:
        ResultsStore(s.out).preflight(*([where] if where else []))
    except UserError as exc:
        if not dry_run:
            raise
        # a dry run writes nothing there, so it still estimates; but the same command without it would stop
        log.warning("the run itself would stop here: %s", exc)
    data = DataCache()  # decoded once: fingerprinted for the run ids, then trained on in this process
    with ResultsStore(s.out).naming_file_losses():  # `--losses my_loss` run before with --loss-file
        configs, metrics, device = build(spec, data, local=local, plan=plan)  # the plan: checked, spelt as stored
    return s, configs, metrics, device, data


def cmd_run(args) -> int:
    from benchmark.checkpoint import CheckpointPolicy
    from benchmark.config import setting, setting_json
    from benchmark.executors import WorkersLost, execute, executor_options, refuse_in_a_starting_worker
    from benchmark.results import ResultsStore, atomic_write_new, grid_stamp
    from benchmark.runner import resolve_device

    refuse_in_a_starting_worker()  # cli.main() at a script's top level, run again in a local worker
    t0 = time.monotonic()  # the summary's seconds: a clock stepped during the night said 'in -3598.5 s'
    spec = grid_spec(args)
    s, configs, metrics, device, data = planned(spec, dry_run=args.dry_run)  # checked, then the data read: as api.run
    dev = resolve_device(device) if s.executor == "local" else device  # remote: resolved where it runs
    if args.dry_run:
        handed = _warn_runs_kept_apart(ResultsStore(s.out), configs, dry_run=True)  # read once: the estimate's too
        return _dry_run(args, configs, metrics, resolve_device(device), s.profile, executor_options(s),
                        data=data, executor=s.executor, store=ResultsStore(s.out),
                        checkpoint=CheckpointPolicy(s.checkpoint_every, s.checkpoint_seconds), handed=handed)
    store = ResultsStore(s.out)
    store.ensure_writable()
    checks = _budget_checks(configs)
    log.info("grid: %d run%s (%s profile%s), %s, on %s → %s", len(configs), agree(len(configs), "", "s"), s.profile,
             f"; {checks} of them budget checks at half the iterations" if checks else "", _seeds_said(configs), dev,
             store.root)
    _warn_runs_kept_apart(store, configs)
    stamp = grid_stamp()  # UTC: the grids of nodes in several time zones are named in the order they started
    # `--loss-file F` without --losses trains F's losses, not the profile's that resolved() fills in: the
    # saved grid names what was planned (it named the profile's nine losses, which a re-run then trained)
    saved = dataclasses.replace(s, losses=tuple(dict.fromkeys(c.loss for c in configs))) \
        if spec.losses is None and s.loss_files else s

    def save_grid() -> None:  # the resolved grid beside its results (not for input refused before any run)
        atomic_write_new(store.root / "grids", stamp, ".yaml", (  # never over another command's grid
            f"# the resolved grid of: {shlex.join(_program() + (sys.argv[1:] or ['run']))} (in {os.getcwd()})\n"
            + saved.with_absolute_paths().to_yaml()).encode())

    lost = None  # workers lost with runs left, a full disk or a bug: said last, after the summary of what was done
    try:
        summary = execute(s.executor, configs, store.root, metrics, str(dev),
                          progress=not args.no_progress and sys.stderr.isatty(),
                          checkpoint=CheckpointPolicy(s.checkpoint_every, s.checkpoint_seconds),
                          loss_files=s.loss_files, data=data, logger=s.logger, **executor_options(s))
    except KeyboardInterrupt:
        save_grid()
        say_interrupted(store, configs)  # before main()'s line with the resume command
        raise
    except Exception as exc:  # workers lost, a full disk or a bug (a worker's, WorkerFailed, or this process's):
        summary = done_before(exc)  # said last, after what the grid did
        if summary is None:
            if getattr(exc, "summary", None) is None and (isinstance(exc, WorkersLost)
                                                          or not isinstance(exc, UserError)):
                save_grid()
            raise
        lost = exc
    try:
        save_grid()
    except UserError:
        if not isinstance(lost, UserError) or isinstance(lost, WorkersLost):
            raise  # else the disk still full: its line, the grid's last, says so after the summary
    say_outcome(store, configs, summary, lost, time.monotonic() - t0)
    from benchmark.config import run_id

    if s.loss_files:  # "next to cached results": unless the cached results are at another setting
        _warn_field_apart(store, configs, s.loss_files)
    scored = sum((store.meta(run_id(c)) or {}).get("status") == "ok" for c in configs)
    in_flight = store.in_flight({run_id(c) for c in configs}) if summary.locked and not args.no_report else {}
    unsaid = None  # the board's line, where stdout could not take it
    if not args.no_report and not scored and in_flight:  # the other command's board, when it ends
        log.warning("no leaderboard yet: %d of this grid's %s %s still being trained by another process "
                    "(%s), which writes it when it ends", len(in_flight), plural(len(configs), "run"),
                    agree(len(in_flight), "is", "are"), next(iter(in_flight.values())))
    elif not args.no_report and not scored:  # no row of this grid's setting: no leaderboard to write for it
        log.error("no leaderboard: %s has results (%d failed, %d diverged; the log above "
                  "and runs/<id>/meta.json say why)",
                  "this grid's one run" if len(configs) == 1 else f"none of this grid's {len(configs)} runs",
                  summary.failed, summary.diverged)
    elif not args.no_report and (not isinstance(lost, UserError) or isinstance(lost, WorkersLost)):  # not on a full
        # disk, say
        from benchmark.report import write_report

        keep = {setting_json(setting(c)) for c in configs}  # this grid's setting(s), whatever else the directory holds
        paths = write_report(store, formats=("png",), visual=False, keep=keep)  # `plbench report` adds PDFs + visuals
        unsaid = _board_line_said(leaderboard_line(paths, in_flight))
    if unsaid is not None and (lost is not None or summary.failed or summary.unscored):
        log.error("%s", unsaid)  # the grid's own outcome gives the exit code
    if lost is not None:  # the grid's last line: the runs a lost worker left (a full disk…), and how to resume them
        raise lost
    if summary.failed or summary.unscored:
        return 1
    if unsaid is not None:
        raise unsaid
    return 0


def say_interrupted(store, configs) -> None:
    """Where a grid stopped by Ctrl-C or SIGTERM (a scheduler's preemption) stands — finished, failed (each), left, and
    that the same command resumes it —, `plbench run`'s and :func:`benchmark.api.run`'s alike; a store that cannot be
    read says nothing here, the interrupt's own line still comes. What resumes it: :func:`~benchmark.errors.again`
    (``the same api.run() call`` within :func:`benchmark.api.run`)."""
    from benchmark.runner import interrupted_lines

    with contextlib.suppress(Exception):
        for line in interrupted_lines(store, configs, again()):
            log.warning("%s", line)


def done_before(exc: BaseException):
    """The :class:`~benchmark.runner.GridSummary` that an error ending a grid carries (workers lost, a full disk, a
    worker's bug), where there is something to sum up before its line; None for bad input with nothing done."""
    from benchmark.executors import WorkersLost

    summary = getattr(exc, "summary", None)
    if summary is None:
        return None
    bug_or_lost = isinstance(exc, WorkersLost) or not isinstance(exc, UserError)
    done = summary.trained or summary.failed or summary.diverged or summary.rescored
    return summary if bug_or_lost or done else None


def say_outcome(store, configs, summary, lost: BaseException | None, seconds: float) -> None:
    """The grid's last lines, `plbench run`'s and :func:`benchmark.api.run`'s alike, at the end of a night's log: what
    was trained, skipped, re-scored, diverged and failed, each run trained at half its batch, and each failed run —
    which, why, and that the same command retries it (each said once, hours earlier, where it happened). ``lost``: the
    error that ended the grid (a lost worker, a full disk), said after these lines by the caller. What retries the
    failed runs: :func:`~benchmark.errors.again` (``the same api.run() call`` within :func:`benchmark.api.run`)."""
    from benchmark.executors import WorkersLost
    from benchmark.runner import failed_runs, halved_runs

    log.info("trained %d, skipped %d (already done), re-scored %d, diverged %d, failed %d%s%s in %.1f s",
             summary.trained, summary.skipped, summary.rescored, summary.diverged, summary.failed,
             f", not re-scored {summary.unscored} (net.pt missing or unreadable, or hung: the errors above say which)"
             if summary.unscored else "",
             "" if not summary.locked else f", {summary.locked} unfinished (a worker lost)"
             if isinstance(lost, WorkersLost) else f", {summary.locked} unfinished (the error below)" if lost
             else f", left {summary.locked} to another process", seconds)
    for line in halved_runs(store, configs):  # trained, yet on no leaderboard of this grid's setting
        log.warning("%s", line)
    if summary.failed:
        for line in failed_runs(store, configs):
            log.error("%s", line)
        log.error("%d run%s failed: fix the cause (runs/<id>/meta.json keeps each error and its traceback) "
                  "and run %s: it retries %s, and trains nothing finished again", summary.failed,
                  agree(summary.failed, "", "s"), again(), agree(summary.failed, "it", "them"))


def _board_line_said(line: str) -> "DiskFull | None":  # noqa: F821 - benchmark.results.DiskFull
    """Print ``line`` on stdout, the command's output. Where a full disk refuses it — ``plbench run > night.log`` on a
    disk that filled overnight — the one-line :class:`~benchmark.results.DiskFull` (exit 3) naming what the line said,
    for the caller to raise after the grid's own outcome: it was an 'internal error' (exit 1) that cut off a lost
    worker's line and the failed runs' exit code, everything computed being written. A reader gone (a broken pipe) is
    no error: the line goes nowhere, and the grid's exit code stands (main's handler made it 0, failed runs and all).
    Any other error is raised."""
    from benchmark.results import DiskFull, disk_full

    try:
        print(line)
        sys.stdout.flush()
    except BrokenPipeError:  # the reader went away (`| tee night.log`, tee ended): the grid's own outcome stands
        with contextlib.suppress(OSError, ValueError):
            sys.stdout = open(os.devnull, "w")
        return None
    except OSError as exc:
        if disk_full(exc) is None:
            raise
        try:  # the file it was sent to, night.log, where the system says it (Linux)
            where = os.readlink(f"/proc/self/fd/{sys.stdout.fileno()}")
        except (OSError, ValueError, AttributeError):
            where = "stdout"
        with contextlib.suppress(OSError, ValueError):  # what is left in its buffer goes nowhere at exit
            sys.stdout = open(os.devnull, "w")
        return DiskFull(f"disk full while writing this command's output to {where}; the results and the report are "
                        f"written in full — {line}")
    return None


def _first_three(names, prefix: str = "") -> str:
    """``names``' first three, each after ``prefix``, and "…" for any more: how check's summary lines name folders."""
    names = list(names)
    return ", ".join(prefix + str(n) for n in names[:3]) + (", …" if len(names) > 3 else "")


def leaderboard_line(paths: dict, in_flight: dict | None = None) -> str:
    """The run's last line: where :func:`benchmark.report.write_report`'s outputs (``paths``) are. A leaderboard
    figure split into page-sized parts names them all (``leaderboard.png … leaderboard-5.png, 5 parts``): its first
    part alone shows only the first task(s). ``in_flight``: the grid's runs another process is still training
    (:meth:`~benchmark.results.ResultsStore.in_flight`), which the board lacks: said at the end."""
    from benchmark.figures import leaderboard_parts

    line = f"leaderboard: {paths['markdown']}"
    if "heatmap" in paths:
        parts = leaderboard_parts(paths["heatmap"])
        line += f"  heatmap: {paths['heatmap']}" + (f" … {parts[-1].name} ({len(parts) + 1} parts)" if parts else "")
    line += f"  report: {paths['html']}" if "html" in paths else ""
    if in_flight:
        n, who = len(in_flight), next(iter(in_flight.values()))
        line += (f" — partial: {plural(n, 'run')} of this grid {agree(n, 'is', 'are')} still being "
                 f"trained by another process ({who}{agree(len(set(in_flight.values())), '', ', …')}), which "
                 "writes the board again when it ends")
    return line


def _warn_field_apart(store, configs, loss_files) -> None:
    """``run --loss-file F`` into a store whose other runs of a task (the field) are all at another setting
    than the grid's (other iterations, crop, data, …): the leaderboard holds none of them, so one warning
    names them, what differs, and ``plbench compare``, which trains the loss under their setting."""
    from benchmark.compare import _diff
    from benchmark.config import setting, setting_json

    ours = {c.task: setting(c) for c in configs}
    keep = {setting_json(setting(c)) for c in configs}
    new = {c.loss for c in configs}
    apart, theirs = [], set()
    for task, mine in sorted(ours.items()):
        groups: dict[str, list[dict]] = {}
        for m in store.metas():
            st, cfg = m.get("setting"), m.get("config") or {}
            if m.get("status") == "ok" and isinstance(st, dict) and st.get("task") == task \
                    and isinstance(cfg.get("loss"), str) and cfg["loss"] not in new:  # not an input run
                groups.setdefault(setting_json(st), []).append(m)
        if not groups or keep & set(groups):  # no field, or the field shares this grid's setting
            continue
        field = max(groups.values(), key=len)
        losses = sorted({m["config"]["loss"] for m in field})
        theirs |= set(losses)
        named = ", ".join(losses[:6]) + (f" and {len(losses) - 6} more" if len(losses) > 6 else "")
        apart.append(f"{task}: {plural(len(field), 'run')} of {named} ({_diff(field[0]['setting'], mine)})")
    if apart:
        # the specs run, not the files' losses at their defaults (what compare trains without --loss)
        files = " ".join([*(f"--loss-file {shlex.quote(str(f))}" for f in loss_files),
                          *(f"--loss {shlex.quote(x)}" for x in sorted(new - theirs))])
        log.warning("the results already in %s are at another setting than this grid's, so the leaderboard leaves "
                    "them out — %s (theirs vs this grid's); `plbench compare %s --out %s` trains your loss under "
                    "their setting", store.root, "; ".join(apart), files, shlex.quote(str(store.root)))


def _budget_checks(configs, among=None) -> int:
    """How many of ``among`` (default: ``configs``) are budget checks of runs in ``configs`` (the same run at half
    the iterations), as :func:`benchmark.config.build_configs` plans them: a resumed grid's dry run counts the
    checks among the runs left of the whole grid's (its full-budget runs done, the checks left are still checks)."""
    planned = set(configs)
    halves = {dataclasses.replace(c, iterations=c.iterations // 2) for c in configs if c.iterations >= 2} & planned
    return sum(c in halves for c in (configs if among is None else among))


def _seeds_said(configs) -> str:
    """The grid's seeds as its plan line names them, ``1 seed (3)``, ``3 seeds (0 1 2)``: ``seeds: 3`` in a file and
    ``--seeds 3`` are seed 3, one seed, and the plan said only "2 runs" (several seeds are ``--seeds 0 1 2``)."""
    seeds = sorted({c.seed for c in configs})
    shown = " ".join(map(str, seeds)) if len(seeds) <= 8 else f"{seeds[0]} … {seeds[-1]}"
    return f"{plural(len(seeds), 'seed')} ({shown})"


def _weights_kept_apart(store, rid: str, by: str) -> str | None:
    """The ``backbone_weights`` run ``rid``'s checkpoint records where it differs from the finished run ``by``'s only
    by that value, which :func:`benchmark.ckptrecord.as_current` reads as today's (gpl or ``pdl(layers=())`` under
    ``pretrained`` before both values were one id); None otherwise (a ``--loss-file`` edited, the task or net)."""
    from benchmark.ckptrecord import written_for

    fp, done = written_for(store.run_dir(rid) / "ckpt.pt") or {}, (store.meta(by) or {}).get("config")
    cfg = fp.get("config")
    if not isinstance(cfg, dict) or not isinstance(done, dict) or cfg == done:
        return None
    then = cfg.get("backbone_weights")
    return then if then != done.get("backbone_weights") and {**cfg, "backbone_weights": None} == \
        {**done, "backbone_weights": None} else None


def _warn_runs_kept_apart(store, configs, dry_run: bool = False) -> dict:
    """The grid's runs that ``store`` holds under another id, which ``run`` trains again: made with the same data
    at other paths (a store copied between machines) or by another code version. Also for ``run --dry-run``,
    whose estimate counts them: it said nothing, and the run then warned only after it was started. First, a run
    stopped under an older id of the same computation is given its checkpoint under the new id, to resume
    (:func:`benchmark.runner.resume_under_new_id`; ``dry_run``: said only). Returns what that hands over ({run id:
    (the old run id, its checkpoint's iteration)}), which the dry run's estimate counts without reading the old
    checkpoints again."""
    from benchmark.config import newer_code
    from benchmark.runner import (
        StoppedCheckpoints,
        code_version,
        done_under_old_id,
        made_at_other_paths,
        made_at_untrained_crop,
        made_by_other_code,
        resume_under_new_id,
        stopped_under_other_id,
    )

    if not store.runs.is_dir():
        return {}
    seen = StoppedCheckpoints(store)  # the stopped runs' checkpoints, each read once by the two looks below
    # gpl under 'pretrained' before 2026-12-07: one id since
    handed = resume_under_new_id(store, configs, dry_run=dry_run, stopped=seen)
    if twins := done_under_old_id(store, configs):  # ... and finished so: the same computation, trained again
        n = len(twins)
        log.warning("%d of the %s of this grid %s in %s under the id an older plbench gave the same computation (gpl "
                    "or pdl(layers=()) under --backbone-weights pretrained, one id since 2026-12-07: %s): trained "
                    "again under %s id now; both are kept, and the board counts each such seed once", n,
                    plural(len(configs), "run"), agree(n, "is", "are"), store.root,
                    ", ".join(f"{old} → {rid}" for rid, old in list(twins.items())[:3])
                    + (f" and {n - 3} more" if n > 3 else ""), agree(n, "its", "their"))
    # a night's run resumed after its loss file or the code changed
    stopped = stopped_under_other_id(store, configs, seen)
    if stopped:
        n = len(stopped)
        shown = ", ".join(f"{p} (iteration {it})" for p, it in list(stopped.items())[:3])
        log.warning("%d of the %s of this grid %s stopped with a checkpoint under another id (a --loss-file edited, "
                    "the code's version changed since): not resumed, trained from the start; %s: %s%s — remove "
                    "%s once not needed", n, plural(len(configs), "run"), agree(n, "was", "were"),
                    agree(n, "its checkpoint", "their checkpoints"), shown,
                    f" (and {n - 3} more)" if n > 3 else "", agree(n, "it", "them"))
    for paths, n in sorted(made_at_other_paths(store, configs).items()):  # a store copied between machines
        log.warning("%d of the %s of this grid %s in %s with the same data (same content) at other paths "
                    "(%s): the data's path is part of a run's id, so they are trained again and kept apart; to "
                    "reuse them, pass the data by those paths (a symlink to where it is here)", n,
                    plural(len(configs), "run"), agree(n, "is", "are"),
                    store.root, paths)
    for (task, crop), n in sorted(made_at_untrained_crop(store, configs).items()):  # sr4's crop 42 before 6738650
        log.warning("%d of the %s of this grid %s in %s as %s runs recorded at crop %d, made before %s recorded"
                    " the crop it trains: not reused, trained again under the crop this code records; theirs stay "
                    "apart (`plbench report --out %s --where crop=%d`)", n, plural(len(configs), "run"),
                    agree(n, "is", "are"), store.root, task, crop, task,
                    shlex.quote(str(store.root)), crop)
    for version, n in sorted(made_by_other_code(store, configs).items()):  # after a CODE_VERSION bump
        if newer_code(version):  # a later release's (a colleague's store, this clone older): said as compare says it
            log.warning("%d of the %s of this grid %s in %s as made by code version %s, a newer plbench than "
                        "this one (%s): not reused, trained again with this older code; theirs stay apart — to reuse "
                        "them, %s and run with that", n, plural(len(configs), "run"), agree(n, "is", "are"),
                        store.root, version, code_version(),
                        update_plbench())
            continue
        log.warning("%d of the %s of this grid %s in %s as made by code version %s (this is %s: the code "
                    "that computes the numbers changed, benchmark/__init__.py says how): not reused, trained again; "
                    "theirs stay apart (`plbench report --out %s --where %s`)", n, plural(len(configs), "run"),
                    agree(n, "is", "are"),
                    store.root, version, code_version(), shlex.quote(str(store.root)),
                    shlex.quote(f"code_version={version}"))
    return handed


def _dry_run(args, configs, metrics, dev, profile_name, opts: dict | None = None, *, data=None,
             executor: str = "local", store=None, checkpoint=None, handed: dict | None = None) -> int:
    """``run --dry-run``: the grid's estimated wall time from the runner's step timed at small
    shapes (kept for the next dry run) and one evaluation per test set; trains nothing. ``opts``
    (:func:`~benchmark.executors.executor_options`): how many processes evaluate (each computes the test
    images' reference sides once; SLURM's one job per run: every run). A local grid that this machine's memory
    cannot hold is refused as the run refuses it (:func:`~benchmark.resources.check_fits`), before any timing. A run
    of ``store`` interrupted with a checkpoint (``checkpoint``: the run's policy, default the default one) is estimated
    at the iterations it has left, as it resumes (:func:`_resumed`; ``handed``: the checkpoints planning found under
    an older id of the same computation, :func:`_warn_runs_kept_apart`'s answer, not read again; None: read here)."""
    import torch

    from benchmark.perf import estimate_grid

    t0 = time.monotonic()
    opts = opts or {}
    grid = configs  # the header names the grid's iterations and its budget checks left, not the runs left's alone
    inputs_scored: set = set()
    rescored = 0  # finished runs the run scores again: a worker's too (execute_local starts workers for them)
    resumed: dict = {}  # {config: iterations its checkpoint holds}: the runs left that resume from one
    if store is not None and store.runs.is_dir():  # a resumed grid: what the run trains, as its "skipping them" line
        from benchmark.config import run_id

        done = [c for c in configs if store.is_done(run_id(c))]
        # a damaged one the run sets aside (runner._repair_damaged): trained again, or re-scored where its net is kept
        damaged = {c for c in done if store.damage(run_id(c))}
        retrained = {c for c in damaged if not (store.run_dir(run_id(c)) / "net.pt").is_file()}
        pending = [c for c in configs if c not in set(done) or c in retrained]
        if len(pending) < len(configs):
            lacking, rescored = _lacking_a_metric(store, [c for c in done if c not in retrained], metrics, dev,
                                                  damaged)
            if not pending:
                every = "the one run" if len(configs) == 1 else f"every one of the {len(configs)} runs"
                print(f"dry run: {every} already has results in {store.root}: the run trains nothing{lacking}; "
                      "nothing was timed")
                return 0
            done = len(configs) - len(pending)
            it = agree(done, "it", "them")
            print(f"{done} of the {plural(len(configs), 'run')} already {agree(done, 'has', 'have')} results in "
                  f"{store.root}: the run does not train {it}, and this estimate leaves {it} out{lacking}")
            configs = pending
        from benchmark.checkpoint import CheckpointPolicy
        from benchmark.runner import input_groups, is_complete

        # the degraded test inputs a task's first run scores: not again where the results hold them (a grid stopped
        # in its first run holds them too)
        inputs_scored = {k[:3] for k, rid in input_groups(configs).items()
                         if not store.damage(rid) and is_complete(store, rid, metrics)}
        policy = checkpoint or CheckpointPolicy()  # a SLURM job saves one when stopped, whatever the policy
        resumed = _resumed(store, [c for c in configs if c not in retrained],
                           policy if executor != "slurm" else dataclasses.replace(policy, on_stop=True), handed)
    workers, per_gpu = opts.get("workers"), opts.get("workers_per_gpu", 1)
    metric_set = None  # built once: checked here, timed by estimate_grid
    if executor == "local":  # the processes execute_local starts (`--workers auto`: one per GPU × per_gpu)
        from benchmark.executors import local_workers

        workers, gpus = local_workers(str(dev), workers or 1, per_gpu, len(configs) + rescored)
        _check_fits_as_the_run(configs, dev, data, workers, gpus, per_gpu, store,  # a remote grid's: its nodes'
                               metrics)
        from benchmark.metrics import MetricSet
        from benchmark.runner import require_scorable

        # `--metrics lpips` offline: the run refuses it, so does this
        metric_set = require_scorable(MetricSet(metrics, dev))
    elif executor == "ray" and opts.get("ray_address") is None and dev.type == "cpu":
        # a Ray instance on this machine: its CPU tasks share its RAM, checked as execute_ray checks them
        # (one task per --workers slot, else one per core)
        from benchmark.executors import _cores

        slots = workers if workers not in (None, "auto") else _cores()
        _check_fits_as_the_run(configs, dev, data, int(slots), [], 1, store, metrics)
    workers = workers if isinstance(workers, int) else 1
    from benchmark.devices import torch_threads
    from benchmark.executors import threads_per_run

    # the threads each run trains on (local workers: cores // N; a SLURM job: its cores): the steps are timed, and
    # the store's measured runs looked up, at those, not at this process's own count; given back after
    threads = threads_per_run(executor, opts, dev, workers, runs=len(configs) + rescored)
    with torch_threads(threads):
        est = estimate_grid(configs, metrics, str(dev), processes=workers, process_per_run=opts.get("split") == "run",
                            metric_set=metric_set, inputs_scored=inputs_scored, data=data, trained=resumed)
        from benchmark import devices
        from benchmark.stats import device_kind

        # the device as the cost table and the store's runs name it (`cpu (<model>, 2 threads)`, `cuda (<GPU>)`): one
        # name in every line below (the header said "cpu (CPU, 2 threads)", the step times "cpu:<model>:2cores:2t");
        # under workers or a SLURM job the threads are each run's (the sequential sum is of runs so)
        machine = (str(dev), devices.device_name(dev), torch.get_num_threads())
        kind = device_kind(*machine)
        per_run = dev.type != "cuda" and threads and (workers > 1 or executor != "local")
        c0 = max(grid, key=lambda c: c.iterations)  # a full-budget run, not a budget check
        # named as `run` names them ("grid: 2 runs (…; 1 of them budget checks …)")
        checks = _budget_checks(grid, configs)
        print(f"dry run: {plural(est['runs'], 'run')} ({profile_name} profile; net {c0.net}, "
              f"{c0.iterations} iterations of {c0.batch_size}×{c0.crop}²"
              + (f"; {checks} of them budget checks at half the iterations" if checks else "")
              + f"), {_seeds_said(grid)}, on {kind}" + (", the threads each run trains on" if per_run else "")
              + "; nothing was trained")
        if resumed:
            n, trained = len(resumed), sum(resumed.values())
            print(f"{plural(n, 'run')} {agree(n, 'resumes from its checkpoint', 'resume from their checkpoints')} "
                  f"({trained} of {agree(n, 'its', 'their')} {sum(c.iterations for c in resumed)} iterations "
                  f"trained): this estimate counts the {sum(c.iterations for c in resumed) - trained} left")
        print(f"estimated wall time: {_span(est['seconds'])} sequential (training {_span(est['train_s'])}, "
              f"evaluation {_span(est['eval_s'])})")
        if dev.type == "cpu" and (executor == "local" or (executor == "ray" and opts.get("ray_address") is None)):
            from benchmark.perf import busy_machine_line

            # the runs train on this machine's cores, as other work does now
            if line := busy_machine_line(timed_busy=est.get("busy", 0)):
                print(line)
        if workers > 1:
            from benchmark.executors import _cores

            # CPU workers share this machine's cores (one thread each at least): no more run at once than there are
            # cores; so do the CPU tasks of a Ray instance started here (no --ray-address)
            here = executor == "local" or (executor == "ray" and opts.get("ray_address") is None)
            cores = _cores() if dev.type == "cpu" and here else workers
            runs = max(1, int(est["runs"]))  # a worker that only scores finished runs again trains none of these
            at_once = min(workers, cores, runs)
            # a run is not split over workers (as the run's ETA says): a grid of one PDL run of 4 h and seven ℓ1 runs
            # of 10 min on 8 workers read '≈ 39 min'
            spread, longest = est["seconds"] / at_once, est.get("longest_s", 0.0)
            print(f"  ≈ {_span(max(spread, longest))} on {workers} workers, "
                  + ("if they scale linearly" if longest <= spread else
                     f"its longest run alone (a run is not split over workers; {_span(spread)} were they shared out "
                     "evenly)")
                  + (f" ({cores} cores: at most {cores} run at once)" if cores < min(workers, runs) else
                     f" ({plural(runs, 'run')} to train: at most {runs} at once)" if runs < workers
                     else ""))
        print("per task:        " + ", ".join(f"{t} {_span(v)}" for t, v in sorted(est["by_task"].items())))
        print("per loss family: " + ", ".join(f"{f} {_span(v)}" for f, v in
                                              sorted(est["by_family"].items(), key=lambda kv: -kv[1])))
        from benchmark.perf import estimate_table_lines

        print(f"ms per training step at {c0.batch_size}×{c0.crop}² (estimated from measured small steps):")
        for line in estimate_table_lines(est["ms_per_step"], est.get("ms_busy")):
            print(line)
        if store is not None and store.runs.is_dir():  # the grid's finished runs: how far off this estimate is for them
            from benchmark.perf import estimate_check_lines, measured_in_store

            settings = {(c.task, c.loss, c.net, c.batch_size, c.crop, bool(c.compile)) for c in grid}
            measured = measured_in_store(store.metas(), settings, kind, machine=machine)
            for line in estimate_check_lines(est["ms_per_step"], measured, kind):
                print(line)
        if est.get("compile_s"):  # each compiled run compiles first, from empty caches: timed here, in the estimate
            print("compile: each run first compiles its net and the loss's backbones (torch.compile, timed here): "
                  + ", ".join(f"{loss} {_span(v)}" for loss, v in sorted(est["compile_s"].items()))
                  + " a run, in the estimate above")
        probes = ", ".join(f"{b}×{c}²" for b, c in est["probes"])
        busy = est.get("busy", 0)  # measured under load: used once, not kept (StepTimes.get)
        print(f"step times: {est['measured']} measured now"
              + (f" ({busy} of them while this machine was busy: not kept)" if busy else "")
              + f", {est['reused']} reused from {est['cache']}; "
              f"estimate in {time.monotonic() - t0:.0f} s (measured on {kind}, at {probes})")
        if dev.type != "cuda":
            print(_gpu_check_hint())
        return 0


#: the one-command GPU measurement, in a checkout (an installed wheel ships the packages, not scripts/)
_GPU_CHECK = Path(__file__).resolve().parents[1] / "scripts" / "gpu_check.py"


def _gpu_check_hint() -> str:
    """A CPU dry run's last line: where a GPU's estimate comes from. It names ``scripts/gpu_check.py`` as it runs
    from the current folder (its path relative to it when under it, else absolute) with this interpreter as the
    PATH reaches it (``python``, else its path: the README's venv, not activated); where the script is not there,
    it names none."""
    import shutil

    line = ("this estimate is for this CPU; for a GPU, run the same dry run on the GPU machine (it times the real "
            "shape there)")
    if not _GPU_CHECK.is_file():
        return line
    here = os.path.abspath(sys.executable)
    found = shutil.which("python")
    python = "python" if found and os.path.abspath(found) == here else reached_from_here(here)
    script = reached_from_here(_GPU_CHECK)
    return f"{line}, or `{shlex.join([python, script])}` for a one-command GPU measurement"


def _resumed(store, configs, policy, handed: dict | None = None) -> dict:
    """{config: the iterations its checkpoint holds} of the runs of ``configs`` that resume from one in ``store`` under
    ``policy`` (its ``ckpt.pt``, else — none there — its half-batch retry's ``ckpt-b<n>.pt``, where usable:
    :func:`benchmark.checkpoint.resumes_at`, as the run reads it): an overnight grid stopped at 3 a.m. trains what its
    runs have left, not their whole budget again. A run stopped under the id an older plbench gave the same computation
    (gpl under 'pretrained' before 2026-12-07), whose checkpoint the run hands to its id now
    (:func:`benchmark.runner.resume_under_new_id`, read here only, said by planning's warnings), resumes from it as
    well: it was timed from iteration 0. ``handed``: that hand-over as planning found it ({run id: (old id,
    iteration)}), so the old checkpoints are read once per dry run, not again here (None: read here)."""
    from benchmark.checkpoint import resumes_at
    from benchmark.config import run_id
    from benchmark.runner import resume_under_new_id

    out = {}
    for c in configs:
        if it := resumes_at(store, run_id(c), c, policy):
            out[c] = it
    if policy.enabled:  # checkpoints off: the run reads none, handed over or not
        if handed is None:
            handed = resume_under_new_id(store, [c for c in configs if c not in out], dry_run=True, say=False)
        out.update({c: it for c in configs if c not in out and (it := handed.get(run_id(c), (None, 0))[1])})
    return out


def _lacking_a_metric(store, done, metrics, dev, damaged=frozenset()) -> tuple[str, int]:
    """``"; K of them lack a metric asked for (ssim): …"``, and K, for the finished runs of ``done`` that the run scores
    again (:func:`~benchmark.runner.is_complete`, as ``run_grid`` finds them: a metric skipped before for weights
    that are still missing is no gap; a ``damaged`` one, whose passes the run sets aside, lacks every metric), else
    ``("", 0)``: a finished grid run with ``--metrics`` extended evaluates every net again, which the dry run does not
    estimate."""
    from benchmark.config import run_id
    from benchmark.runner import is_complete

    def complete(c, unavailable=()) -> bool:
        return c not in damaged and is_complete(store, run_id(c), metrics, unavailable)

    lacking = [c for c in done if not complete(c)]
    if not lacking:
        return "", 0
    from benchmark.metrics import MetricSet

    unavailable = set(MetricSet(metrics, dev).skipped)  # opened, as the run opens it for them
    lacking = [c for c in lacking if not complete(c, unavailable)]
    if not lacking:
        return "", 0
    missing = sorted(set(metrics) - unavailable - set.intersection(
        *(set() if c in damaged else store.metrics_scored(run_id(c)) for c in lacking)))
    n = len(lacking)
    return (f"; {n} of them {agree(n, 'lacks', 'lack')} a metric asked for ({', '.join(missing)}): the run "
            f"evaluates {agree(n, 'it', 'them')} again, which this estimate does not time"), n


def _span(seconds: float) -> str:
    """A dry run's duration: hours from 0.1 h up (``2.00 h``), else minutes (``10.0 min``) or seconds (``12 s``), so
    a short grid's estimate is not ``0.00 h``."""
    if seconds >= 360:
        return f"{seconds / 3600:.2f} h"
    return f"{seconds / 60:.1f} min" if seconds >= 60 else f"{seconds:.0f} s"


def _check_fits_as_the_run(configs, dev, data, workers: int, gpus: list, per_gpu: int, store=None,
                           metric_names=()) -> None:
    """The memory check the local run makes when it starts (:func:`~benchmark.executors.check_local_memory`), made
    by the dry run: a grid refused at 6:01 pm is refused by the 6 pm dry run."""
    from benchmark.executors import check_local_memory

    check_local_memory(configs, dev, data, workers, gpus, per_gpu, store, metric_names)


def cmd_perf(args) -> int:
    from benchmark.nets import build_net
    from benchmark.perf import format_rows, measure, setup_header
    from benchmark.registry import LOSSES, load_user_file
    from benchmark.runner import resolve_device

    added = []
    for f in args.loss_file:
        added += load_user_file(f, LOSSES)
    if args.losses is None:  # as `plbench run --loss-file FILE`: the file's losses are what is asked about
        args.losses = added or ["vgg", "lpips", "pdl"]
    for name, flag in (("batch", "batch-size"), ("crop", "crop"), ("reps", "reps")):
        if not getattr(args, name) > 0:
            raise UserError(f"--{flag} must be positive, got {getattr(args, name)}")
    if args.warmup < 0:
        raise UserError(f"--warmup must be 0 or more, got {args.warmup}")
    from benchmark.config import expand_losses
    from benchmark.lossfn import check_loss_arguments

    losses = expand_losses(args.losses)
    for spec in losses:
        check_loss_arguments(spec)
    build_net(args.net)  # validates the name
    dev = resolve_device(args.device, setting="--device")
    from benchmark.registry import TASKS

    TASKS.get(args.task)
    from benchmark.config import check_crop
    from benchmark.task import build_task

    check_crop(build_task(args.task), args.crop, args.task)  # as `plbench run` plans a grid
    from benchmark.weights import selftraining

    # its steps are on random backbones (perf._harness_config), but a term's own weights='pretrained' loads them:
    # csr's there with no contrastive encoder cached was self-trained first, 20–40 min, to time one step. After the
    # flags' checks: the refusal times a few pretraining steps (seconds), not to be paid for a mistyped --net
    if first := selftraining({spec: "random" for spec in losses}):
        raise UserError("perf times steps and trains nothing, but " + "; ".join(
            f"{term} would self-train its encoder first: make it with `{cmd}` ({_pretrain_estimate(cmd)})"
            for term, cmd in first) + ", then time it again")
    from benchmark.lossfn import build_loss, check_loss_on_crop
    from benchmark.perf import check_memory, training_images

    images = training_images(args.crop)  # the photos the steps are timed on: the probe draws its crops there
    # as `plbench run` checks its runs: before any step is built (a loss file's loss is probed at the whole batch), a
    # crop larger than every photo refused above (the check's own probe runs the net at the crop)
    check_memory(losses, net=args.net, batch=args.batch, crop=args.crop, device=dev, task=args.task,
                 compile=args.compile)
    for spec in losses:  # as `plbench run` plans a grid: a loss that cannot run on the crop is one line
        check_loss_on_crop(spec, build_loss(spec, seed=0, weights="random"), [build_task(args.task)],
                           crop=args.crop, batch=args.batch, device_type=dev.type, images=images)
    rows = measure(losses, net=args.net, batch=args.batch, crop=args.crop, device=str(dev), reps=args.reps,
                   warmup=args.warmup, naive=not args.no_naive, compile=args.compile, task=args.task)
    print(format_rows(rows, setup_header(dev, net=args.net, batch=args.batch, crop=args.crop, reps=args.reps,
                                         compile=args.compile, task=args.task)))
    return 0


def cmd_list(args) -> int:
    from benchmark.registry import LOSSES, TASKS, load_user_file

    for f in args.loss_file:
        load_user_file(f, LOSSES)
    if args.what in ("all", "tasks"):
        print("tasks:")
        for e in TASKS.entries():
            import dataclasses

            from benchmark.task import build_task

            # every parameter with its default: params (what a run records) leaves out modcrop=false and sr4's
            # resize='torch', the switches to the papers' conventions
            print(f"  {e.name:<12} v{e.version}  {dataclasses.asdict(build_task(e.name))}")
    if args.what in ("all", "losses"):
        from benchmark.docmarkup import inline_text

        print("losses (name, registry version, what it computes, its citation):")
        for e in LOSSES.entries():
            extra = f"  [{e.meta['file']}]" if "file" in e.meta else (
                f"  [plugin: {e.meta['plugin']}]" if "plugin" in e.meta else "")
            print(f"  {e.name:<18} v{e.version}  {inline_text(e.doc)}{extra}")
            print(f"  {'':<18} {'':<{len(e.version) + 1}}  citation: {e.citation or 'none registered'}")
    if args.what in ("all", "metrics"):
        from benchmark.config import DEFAULT_METRICS
        from benchmark.metrics import OFFLINE_OK, available_metrics, open_metric
        from benchmark.registry import METRICS

        names = available_metrics()
        print(f"metrics ({len(names)}: pyiqa's, the harness's own (NAME[@<checkpoint>]) and plugins'; "
              f"default: {', '.join(DEFAULT_METRICS)}):")
        for n in names:
            if args.probe:
                m, reason = open_metric(n)
                status = "usable" if m else f"skipped: {reason}"
            elif n in METRICS:
                from benchmark.docmarkup import inline_text

                e = METRICS.get(n)
                status = f"harness metric: {inline_text(e.doc)}" + (
                    f"  [plugin: {e.meta['plugin']}]" if "plugin" in e.meta else "")
            else:
                status = "usable offline" if n in OFFLINE_OK else "needs cached weights (--probe checks)"
            print(f"  {n:<28} {status}")
    return 0


def _add_report_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--baseline", default="l1", help="loss every other loss is tested against (default: l1): a spec "
                   "in any spelling, or a row's label as the table prints it, e.g. 'vgg [vgg16:random]'")
    p.add_argument("--alpha", type=float, default=0.05, help="significance level after Holm correction")
    p.add_argument("--bootstrap", type=_whole, default=1000, help="bootstrap resamples per CI (default: 1000)")
    p.add_argument("--formats", nargs="+", default=["png", "pdf"], choices=("png", "pdf", "svg"),
                   help="figure formats (PNG is always written; it is what the HTML embeds)")
    p.add_argument("--no-visual", action="store_true", help="skip the visual comparison grids (they re-run nets)")
    p.add_argument("--where", nargs="+", action="extend", metavar="FIELD=VALUE",  # repeated: all of them (AND)
                   help=_where_help("report"))


def _where_help(verb: str, note: str = "") -> str:
    """The help of ``--where``, one text for report, findings and calibrate, which read it by one rule
    (:func:`benchmark.settings.parse_where`): ``verb`` (what the command does with the setting) and ``note`` (what
    it alone adds) aside."""
    return (f"{verb} one setting of a directory that holds several, e.g. iterations=300 net=small denoise.sigma=0.1 "
            f"task=denoise (every --where counts; seeds and losses are pooled and ranked within a setting, not "
            f"chosen{note})")


#: the most bootstrap resamples per CI ``report``, ``compare`` and ``findings`` accept
MAX_BOOT = 100_000


def _report_kwargs(args) -> dict:
    return report_options(baseline=args.baseline, alpha=args.alpha, n_boot=args.bootstrap, formats=args.formats,
                          visual=not args.no_visual, where=args.where,
                          names={"alpha": "--alpha", "n_boot": "--bootstrap", "formats": "--formats",
                                 "where": "--where"})


def report_options(*, baseline: str = "l1", alpha: float = 0.05, n_boot: int = 1000, formats=("png", "pdf"),
                   visual: bool = True, where=None, names: dict[str, str] | None = None) -> dict:
    """The keyword arguments of :func:`benchmark.report.write_report`, checked as ``plbench report`` checks its
    flags (one-line :class:`UserError`, ``names`` naming each option as the caller's user wrote it: ``--alpha``
    on the command line, ``alpha`` in :func:`benchmark.api.report`): ``alpha`` in (0, 1), ``n_boot`` in [100,
    :data:`MAX_BOOT`], ``formats`` among png/pdf/svg (one name or several; PNG always written, the HTML embeds
    it; none, ``()``: the tables alone, :func:`benchmark.figures.report_formats`), ``where`` as ``FIELD=VALUE``
    strings (one or several) or a mapping."""
    import numbers
    from collections.abc import Iterable, Mapping

    from benchmark.figures import FIGURE_FORMATS, report_formats
    from benchmark.params import check_switch
    from benchmark.settings import parse_where

    names = names or {}
    name = lambda key: names.get(key, key)  # noqa: E731
    number = isinstance(alpha, numbers.Real) and not isinstance(alpha, bool)
    if not number or not 0 < alpha < 1:
        raise UserError(f"{name('alpha')} must be in (0, 1), got {alpha!r}" + (
            f" (a significance level: {alpha / 100:g} for {alpha:g} %)" if number and 1 <= alpha < 100 else ""))
    if isinstance(n_boot, bool) or not isinstance(n_boot, numbers.Integral):  # 2000.0 was "must be at least 100"
        raise UserError(f"{name('n_boot')} must be a whole number of resamples, got {n_boot!r}")
    if n_boot < 100:
        raise UserError(f"{name('n_boot')} must be at least 100, got {n_boot!r}")
    if n_boot > MAX_BOOT:  # its arrays grow with resamples × runs × images: 10⁶ ran out of memory
        raise UserError(f"{name('n_boot')} must be at most {MAX_BOOT}, got {n_boot} (its memory grows with "
                        "resamples × runs × test images)")
    visual = check_switch(visual, name("visual"))  # api.report(visual='no'): truthy, the nets re-run for minutes
    if not isinstance(baseline, str):  # None from Python: an AttributeError deep in the baseline's lookup
        raise UserError(f"{name('baseline')} must be a loss spec (a string), got {baseline!r}")
    if not isinstance(formats, str) and not (isinstance(formats, Iterable) and not isinstance(formats, Mapping)):
        raise UserError(f"{name('formats')} must be {', '.join(FIGURE_FORMATS[:-1])} or {FIGURE_FORMATS[-1]}, or "
                        f"several of them, got {formats!r}")
    if isinstance(formats, str) and len(words := re.split(r"[\s,]+", formats.strip(" ,"))) > 1 \
            and set(words) <= set(FIGURE_FORMATS):  # api.report(formats='png svg'): not 'did you mean svg?'
        raise UserError(f"{name('formats')}: {formats!r} names {len(words)} formats: pass "
                        f"{name('formats')}={tuple(words)!r}")
    formats = (formats,) if isinstance(formats, str) else tuple(formats)
    for f in formats:
        if f not in FIGURE_FORMATS:
            raise UserError(f"{name('formats')}: {f!r} is not one of {', '.join(FIGURE_FORMATS)}"
                            + did_you_mean(str(f), FIGURE_FORMATS))
    if isinstance(where, Mapping):
        where = [f"{k}={v}" for k, v in where.items()]
    elif isinstance(where, str):
        where = [where]
    return dict(baseline=baseline, alpha=alpha, n_boot=n_boot, formats=report_formats(formats),
                visual=visual, where=parse_where(where, name("where")))


def _hint(command: str, out) -> str:
    """``plbench <command> --out <out>``, shell-quoted: the start of a command a message tells the user to
    run on the same results (without the --out it would read ./results)."""
    return f"plbench {command} --out {shlex.quote(str(out))}"


def _not_writable(folder) -> str:
    """Why nothing can be written in ``folder`` (a read-only mount, another user's directory), or ""."""
    from benchmark.results import not_writable

    return not_writable(folder)


# cp -r keeps a file's modes: the copy of a store made read-only (chmod -R a-w) is read-only too, and was refused
# with the same advice again
_KEPT_MODES = " (then `chmod -R u+w` on the copy: cp keeps read-only modes)"


def _outputs_writable(store) -> None:
    """``report``, ``findings``, ``calibrate`` and ``compare`` write next to ``runs/`` (``compare`` its runs
    too): one line, before any work, when they cannot (a read-only mount, another user's directory)."""
    if why := _not_writable(store.root):
        raise UserError(f"results directory {store.root} is not writable ({why}): this command writes its "
                        f"outputs there; copy it first (cp -r {shlex.quote(str(store.root))} <a writable place>) and "
                        f"run on the copy{_KEPT_MODES}")


def cmd_report(args) -> int:
    from benchmark.report import write_report
    from benchmark.results import ResultsStore

    kwargs = _report_kwargs(args)  # a typo in a value (--alpha 2) before the store's "no results", as run checks
    store = ResultsStore(args.out)
    store.check_version()
    try:
        store.require_results(args.out)
    except UserError:  # no runs to hold a row's label: a misspelt loss (`--baseline l9`) is said first
        baseline_misspelt(args.baseline)
        raise
    store.check_foreign()  # the report writes next to runs/: never over files it did not write
    _outputs_writable(store)
    # asked for by name: a typo is an error, not a report without ▲/▼ marks; a loss in any spelling, or a row's
    # label, resolved on the table the report reads (the store is read once)
    flag = "--baseline" if args.baseline != "l1" else None
    t0 = time.monotonic()
    paths = write_report(store, **kwargs, hint=_hint("report", args.out), baseline_flag=flag)
    for kind, p in paths.items():
        print(f"{kind}: {p}")
    log.info("report written in %.1f s", time.monotonic() - t0)
    return 0


def baseline_misspelt(baseline: str, flag: str = "--baseline") -> None:
    """A one-line error when ``baseline`` (``report --baseline``, ``api.report(baseline=…)``: ``flag``) names a loss
    no registry holds while a registered one is spelt close to it (``l9``: l2, l1) — a typo whatever a store holds,
    said before the store's own refusal as a typo in ``--alpha`` is. Anything else (a spec, a row's label, a loss
    file's loss) is left to the store's table."""
    from benchmark.errors import UnknownName
    from benchmark.lossfn import loss_identity

    try:
        loss_identity(baseline.strip())
    except UnknownName as exc:
        if "did you mean" in str(exc):  # `l9`, or a term of a spec (`l9 + ssim`): the term named
            raise UserError(f"{flag} {exc.name!r} is no registered loss{str(exc).split(repr(exc.name), 1)[1]}"
                            if exc.name == baseline.strip() else f"{flag} {baseline!r}: {exc}") from None
    except UserError:  # a label (`vgg [vgg16:random]`), a spec of another form: the table's to judge
        pass


def cmd_findings(args) -> int:
    from benchmark.findings import FINDINGS, N_BOOT, check_store, to_text, write
    from benchmark.results import ResultsStore

    if args.list:
        for e in FINDINGS.entries():
            finding = e.obj()
            print(f"{e.name:<24} {finding.claim}\n{'':<24} needs {finding.needs_text()}; {e.citation}")
            for label, text in (("paper's regime", finding.regime), ("refuted by", finding.refuted_by)):
                if text:
                    print(f"{'':<24} {label}: {text}")
        return 0
    # as `report` checks them: --bootstrap 10⁶ ran out of memory here, where report refused it in one line
    n_boot = N_BOOT if args.bootstrap is None else args.bootstrap
    report_options(alpha=args.alpha, n_boot=n_boot, names={"alpha": "--alpha", "n_boot": "--bootstrap"})
    if args.bootstrap is not None:  # documented as resamples per CI, while every part's CI is analytic
        # no arguments: logging leaves the message as it is ("%%" printed as two)
        log.warning("findings: --bootstrap has no effect: each part's 95 % CI is Student's t from the run-to-run and "
                    "image levels of its paired runs (no resampling)")
    for name in args.only or []:
        FINDINGS.get(name)  # unknown name: one line with suggestions
    args.only = list(dict.fromkeys(args.only)) if args.only else None  # a name given twice is checked once
    from benchmark.settings import parse_where, select, several_settings_text

    where = parse_where(args.where)  # `--where foo` before the store's "no results", as report's
    store = ResultsStore(args.out)
    store.require_results(args.out)
    _outputs_writable(store)
    with store.report_lock():  # findings.md/.csv are a report's too: never one file of each of two checks
        table = store.table(categories=True)
        # --where: one setting shown, as `report --where` shows it (the Holm family still every setting's); without,
        # every setting is checked apart and a store of several says how to pick one, as the report's refusal does
        show = set(select(table, where=where, hint=_hint("findings", args.out)).run_ids) if where else None
        results = check_store(store, args.only, alpha=args.alpha, n_boot=n_boot, table=table, show=show)
        if not where and (line := several_settings_text(table, _hint("findings", args.out))):
            _say(line)
        print(to_text(results))
        from benchmark.report import unfinished_lines

        # the runs no verdict rests on for not being finished, as the board names them: in findings.md and here, as
        # the report logs them (tests/test_probe_lfind25.py)
        unfinished = unfinished_lines(store)
        for line in unfinished:
            _say(line)
        for kind, p in write(results, store.root, args.alpha, notes=unfinished).items():
            print(f"{kind}: {p}")
    return 0


def _say(*parts, **kwargs) -> None:
    """``print`` for a command's lines that suggest a command (`` `plbench run` ``): written as it was started
    (:func:`_as_started`: ``.venv/bin/python run_all.py run`` where no ``plbench`` is on the PATH)."""
    print(*(_as_started(p) if isinstance(p, str) else p for p in parts), **kwargs)


def cmd_merge(args) -> int:
    """``plbench merge SRC… --out DST``: :meth:`ResultsStore.merge_from` of each source, one line each."""
    from benchmark.results import ResultsStore, paths_not_here

    dst = ResultsStore(args.out)
    dst.preflight(writes="`plbench merge` copies the other stores' runs into it")
    blocked: list[str] = []  # runs not copied for what is in the way here
    no_grids: list[str] = []  # the sources whose saved grids were not copied, grids/ here in the way
    unread: list[tuple[str, str]] = []  # (source, why) of the sources that are no store to merge: the others merged
    check_each = f"`plbench check --out {shlex.quote(str(args.out))}` names each"  # beyond the three a line names
    for src_path in args.sources:
        try:
            src = ResultsStore(src_path, "merge source")  # (~name of a user this machine has not: one line)
            src.check_version()
            src.require_results(src_path)
            dst.refuse_itself(src)  # `merge node*/results --out node1/results`: the others are merged all the same
        except UserError as exc:  # a node's disk not mounted, a typo: the sources after it are merged all the same
            if len(args.sources) == 1:
                raise
            unread.append((src_path, str(exc)))
            continue
        got = dst.merge_from(src)
        parts = [f"{len(got['copied'])} copied", f"{len(got['kept'])} already here"]
        if got["more_there"]:
            extra = sorted(set().union(*(src.metrics_scored(r) - dst.metrics_scored(r) for r in got["more_there"])))
            parts.append(f"{len(got['more_there'])} of those scored there on metrics not scored here "
                         f"({', '.join(extra)}: not copied, a run's rows come from one net; `plbench run --out "
                         f"{shlex.quote(str(args.out))} --metrics …` with its grid re-scores them here)")
        if apart := got["trained_apart"]:  # one run id, two trainings: which one the leaderboard shows, said
            parts.append(f"{len(apart)} of those trained apart there (runs/{apart[0]}"
                         f"{agree(len(apart), '', ', the first')}: {got['trained_apart_why'][0]}"
                         " — a run trained on both machines, whose training is not bit for bit reproducible there: a "
                         "GPU's, or another thread count's; this store's results are the ones "
                         f"its tables read, the other {agree(len(apart), 'copy stays', 'copies stay')} in "
                         f"{shlex.quote(str(src.root))})")
        if got["replaced"]:
            ckpts = got.get("replaced_checkpoints") or []  # up to hundreds of MB each, where nothing looks
            parts.append(f"{len(got['replaced'])} unfinished or damaged here replaced (their files set aside under "
                         "runs/<id>/damaged/ or attempts/" + (
                             f"; {plural(len(ckpts), 'checkpoint')} of their training here among them, "
                             f"{', '.join(ckpts[:3])}{', …' if len(ckpts) > 3 else ''}: "
                             f"{agree(len(ckpts), 'it resumes', 'they resume')} nothing now the run is finished, "
                             "delete to free the space" if ckpts else "") + ")")
        if got["failed"]:
            parts.append(f"{len(got['failed'])} failed there (its record copied: the report counts it, "
                         "`plbench run` here retries it)")
        if got["unfinished"]:
            parts.append(f"{len(got['unfinished'])} not finished there (not copied)")
        sup = got.get("superseded_there") or []
        if lost_sup := [r for r in sup if (src.meta(r) or {}).get("status") == "failed"]:  # its record kept there
            parts.append(f"{len(lost_sup)} failed there and superseded by {agree(len(lost_sup), 'a run', 'runs')} "
                         "finished since under another id (its loss file fixed; not copied: no command retries "
                         f"{agree(len(lost_sup), 'it', 'them')}; `plbench check --out {shlex.quote(str(src.root))}` "
                         f"names {agree(len(lost_sup), 'it', 'them')})")
        if sup := [r for r in sup if r not in lost_sup]:  # never finished there: no merge to wait for
            parts.append(f"{len(sup)} superseded there by {agree(len(sup), 'a run', 'runs')} finished since under "
                         f"another id (not copied: `plbench check --out {shlex.quote(str(src.root))}` names "
                         f"{agree(len(sup), 'it', 'them')}, --repair removes {agree(len(sup), 'it', 'them')})")
        if bad := got["damaged_there"]:  # results the merged store lacks: which, and why
            named = "; ".join(f"{r} ({src.damage(r) or 'damaged'})" for r in bad[:3])
            parts.append(f"{len(bad)} damaged there, not copied: {named}"
                         + (f"; and {len(bad) - 3} more" if len(bad) > 3 else "")
                         + f" — `plbench check --out {shlex.quote(str(src.root))}` names each; copy "
                         f"{agree(len(bad), 'it', 'them')} again from that machine, then merge again")
        if lost := got["gone_there"]:  # finished there, but a copy cut short (or a deletion) lost them: not training
            them, there = agree(len(lost), "it", "them"), shlex.quote(str(src.root))
            parts.append(f"{len(lost)} finished there whose results are not there (the run folder gone, or holding "
                         f"none of them: a copy cut short), not copied: {_first_three(lost)} — `plbench check --out "
                         f"{there}` names each; copy {them} again from that machine, then merge again (deleted there "
                         f"on purpose: `plbench report --out {there}` notes {them} there, and no merge of that store "
                         f"names {them} again)")
        if moved := got.get("renamed_there"):  # a run folder renamed there, runs/best: its run in no merged board
            parts.append(f"{len(moved)} renamed there, not copied: "
                         + ", ".join(f"runs/{c} (run {rid})" for c, rid in zip(moved[:3], got["renamed_there_runs"]))
                         + (", …" if len(moved) > 3 else "") + f" — `plbench check --out {shlex.quote(str(src.root))}` "
                         f"names each; rename {agree(len(moved), 'it', 'them')} back there, then merge again")
        if got["held"]:
            parts.append(f"{len(got['held'])} held by a running process here (not copied: merge again later)")
        if got["held_there"]:
            parts.append(f"{len(got['held_there'])} held by a running process there (not copied: merge again "
                         "later)")
        if way := got["in_the_way"]:  # this store's own obstacle: the runs after it merged, each named, exit 1
            blocked += [r for r in way if r not in blocked]  # one run, though two sources finished it
            named = "; ".join(f"runs/{r} ({_in_the_way(why, r, dst.run_dir(r))})"
                              for r, why in zip(way[:3], got["in_the_way_why"]))
            more = f"; and {len(way) - 3} more ({check_each})" if len(way) > 3 else ""
            parts.append(f"{len(way)} not copied, {agree(len(way), 'its folder', 'their folders')} here in the "
                         f"way: {named}{more}")
        if way := got.get("grids_in_the_way"):  # grids/ here a file, or not writable: the runs merged all the same
            no_grids.append(src_path)
            parts.append(f"its saved grids not copied ({dst.root / 'grids'}: "
                         f"{_in_the_way(way[0], 'grids', dst.root / 'grids')})")
        if grids := got.get("grids"):  # the merged runs' grids, to replay here (a re-score) and name their profile
            away = {g: paths_not_here(dst.root / "grids" / g) for g in grids}  # a node's data by
            away = {g: paths for g, paths in away.items() if paths}  # its path: no replay here without it
            where = "; ".join(f"grids/{g} names {', '.join(paths[:2])}{', …' if len(paths) > 2 else ''}"
                              for g, paths in list(away.items())[:3]) + ("; …" if len(away) > 3 else "")
            n_away = sum(map(len, away.values()))
            # the command names a grid that is there (was `…/grids/<name>`: a shell's redirection from `name`) and
            # replays here: not one that names a path not on this machine (that one is said so after it), none if all do
            here = [g for g in grids if g not in away]
            replay = (f"`plbench run --config {shlex.quote(str(dst.root / 'grids' / here[0]))}` runs "
                      + agree(len(here), "it here", "the first here, each of the others alike")) if here else ""
            parts.append(f"{plural(len(grids), 'saved grid')} copied ({_first_three(grids, 'grids/')}: {replay}"
                         + (f"{'; ' if here else ''}{where}, not on this machine: "
                            f"{agree(len(away), 'it replays', 'they replay')} only "
                            f"where {agree(n_away, 'that is', 'those are')} (the same images at another path are "
                            "another setting)" if away else "") + ")")
        _say(f"{src.root} → {dst.root}: {', '.join(parts)}")
    if len(unread) < len(args.sources):
        _say(f"next: `plbench report --out {shlex.quote(str(args.out))}`")
    if blocked:  # merged what it could; what is in the way here needs the user: the last line, exit 1
        n = len(blocked)
        _say(f"merge incomplete: {plural(n, 'run')} not copied, {agree(n, 'its folder', 'their folders')} here in the "
             f"way ({_first_three(blocked, 'runs/')}: {'said above' if n <= 3 else check_each}), every other run "
             "merged" + (f", and the saved grids of {plural(len(no_grids), 'source')} not copied" if no_grids else "")
             + f"; clear {agree(n, 'it', 'them')} as said and run the same command again")
    elif no_grids:  # every run merged; the grids that replay them here are not: the last line, exit 1
        _say(f"merge incomplete: the saved grids of {plural(len(no_grids), 'source')} not copied, "
             f"{dst.root / 'grids'} in the way (said above), every run merged; clear it as said and run the same "
             "command again")
    if unread:  # bad input (exit 2), said last: each source not merged and why
        others = "none of them merged" if len(unread) == len(args.sources) else "the others were merged"
        raise UserError(f"{len(unread)} of {len(args.sources)} sources not merged: "
                        + "; ".join(f"{shlex.quote(str(src))} ({why})" for src, why in unread) + f"; {others}")
    return 1 if blocked or no_grids else 0


def _in_the_way(why: str, rid: str, folder) -> str:
    """A merge's one-line refusal of one run whose folder here is in the way (:class:`benchmark.results.InTheWay`,
    :class:`~benchmark.results.NotWritable`), shortened for merge's line naming each such run: what is in the way and
    what clears it ('a link to …, which is not there … — mount or restore it …'), without the file it
    could not write nor 'run the same command again', which merge's last line says once."""
    what, _, rest = why.partition("; nothing")
    what = re.sub(r"^cannot write \S+?: ", "", what)  # the run's lock or meta.json: its folder is what is named
    what = re.sub(rf"^(?:runs/{rid}|{re.escape(str(folder))}) is (an? )?", lambda m: m.group(1) or "", what)
    fix = rest.rpartition(": ")[2] if rest else ""
    fix = re.sub(r",? and run the same command again.*$", "", fix).strip()
    return f"{what} — {fix}" if fix else what


def _quietly_set_aside(store, path) -> bool:
    """:meth:`ResultsStore.set_aside_attempt` of ``path``; False where it could not be renamed (said at debug level:
    check's summary counts it)."""
    try:
        store.set_aside_attempt(path)
    except OSError as exc:
        log.debug("could not rename %s (%s)", path, exc)
        return False
    return True


def cmd_check(args) -> int:
    """`plbench check`: every record's lines (:func:`_check_records`), then a metric whose runs disagree on which way
    is better, said as every report, findings and compare refuse it (:func:`benchmark.results.one_direction`)."""
    from benchmark.results import ResultsStore

    found: dict = {}  # what _check_records found beside its summary (unusable checkpoints left as they are)
    rc = _check_records(args, found)
    split = _direction_split(args.out, found)
    if found.get("duplicated"):  # harmless (each counts once), but warned of by every report: named, exit unchanged
        _repeated_lines(ResultsStore(args.out), found["duplicated"], args.repair)
    return 1 if split or found.get("unusable_left") else rc


def _direction_split(out, found: dict | None = None) -> bool:
    """Whether the store's table has a metric whose rows disagree on its direction, said in the one line
    :meth:`ResultsStore.table` raises (its damaged runs left out quietly: the lines above name them). ``found``
    gets ``duplicated``: the table's runs with (run, image, metric) rows read twice
    (:attr:`ResultsStore.duplicated`)."""
    from benchmark.results import DirectionSplit, ResultsStore

    quiet = logging.getLogger("benchmark.results")
    was, quiet.disabled = quiet.disabled, True
    store = ResultsStore(out)
    try:
        store.table(categories=True)
    except DirectionSplit as e:
        _say(str(e))
        return True
    except UserError:  # a store no table reads: the lines above say why
        return False
    finally:
        quiet.disabled = was
        if found is not None:
            found["duplicated"] = store.duplicated
    return False


def _repeated_lines(store, duplicated: dict, repair: bool) -> None:
    """Check's lines of the runs whose (run, image, metric) rows a table reads twice (``{run id: rows}``): which pass
    repeats them and what to do (:meth:`ResultsStore.repeated_rows`); with ``repair``, the passes that hold nothing
    of their own set aside (:meth:`ResultsStore.set_aside_repeats`). The first three runs named, the rest counted."""
    if repair:
        _repairable(store)
    for i, rid in enumerate(sorted(duplicated)):
        passes = store.repeated_rows(rid)
        moved = store.set_aside_repeats(rid) if repair else []
        if i >= 3:
            continue
        spare = [p.stem for p, _, own in passes if not own]
        kept = [f"{p.stem} ({plural(own, 'row')} of its own)" for p, _, own in passes if own]
        _say(f"run {rid}: {plural(duplicated[rid], '(run, image, metric) row')} read twice ("
             + ", ".join(f"{p.stem}: {n} repeated" for p, n, _ in passes)
             + "): every report counts the earliest once and warns of the rest; "
             + (f"{', '.join(moved)} set aside under runs/{rid}/damaged/ (nothing deleted, no number changes)"
                if moved else f"--repair sets {', '.join(spare)} aside (nothing is deleted, no number changes)"
                if spare else "")
             + ("; " if (moved or spare) and kept else "")
             + (f"{', '.join(kept)} stays where {agree(len(kept), 'it is', 'they are')}: harmless, each row counts once"
                if kept else ""))
    if len(duplicated) > 3:
        _say(f"and {len(duplicated) - 3} more runs with rows read twice, alike"
             + (" (their passes that hold nothing of their own set aside)" if repair else ""))


def _check_records(args, found: dict) -> int:
    from benchmark.results import FINISHED_LOG, NOTHING_TO_SET_ASIDE, ResultsStore, _run_folder, copy_of

    store = ResultsStore(args.out)
    store.require_results(args.out)
    damaged = store.check()
    strays = store.strays()  # a user's own folder in runs/ (runs/old/, runs/notes/): no run, nothing to resume
    # a run folder deleted by hand, or one holding none of its finished run's results (an rsync cut short): the store's
    # finished.log (or the last results.csv) remembers it; named below, neither resumable nor counted as a run here
    gone = store.gone()
    ids = [r for r in store.run_ids() if r not in gone]  # neither a stray nor a copy
    inputs = sum(str(r).startswith("input-") for r in ids)  # each task's degraded input, scored: not a trained run
    n = len(ids) - inputs
    copies = store.copies()  # a user's backup of a run beside it: no run, neither damaged nor counted
    links = store.links()
    # ... or the run's folder renamed (mv, not cp), or moved elsewhere and linked in under another name: the only way
    # to a run whose runs/<id> is not there, to be renamed back (ResultsStore.renamed)
    every = store.renamed(copies, links)
    renamed = {c: rid for c, rid in every.items() if c not in links}
    renamed_links = {c: rid for c, rid in every.items() if c in links}
    copies = [c for c in copies if c not in renamed]
    from benchmark.report import GONE_NAMED, renamed_gone

    # a finished run's first copy or link: named below, as gone with its mv (gone_lines)
    back = renamed_gone(store, gone, every)  # {run id: its name in runs/} of the gone runs renamed: said below
    told = set(back.values()) if len(gone) <= GONE_NAMED else set()
    renamed = {c: rid for c, rid in renamed.items() if c not in told}
    # each with the mv that renames it back (more than GONE_NAMED gone: gone_lines groups them, naming none): the
    # first GONE_NAMED, the rest counted
    for c, rid in sorted(renamed.items())[:GONE_NAMED]:
        named = "is named as" if copy_of(c) else "holds"  # runs/best: its record says whose copy it is
        _say(f"runs/{c} {named} a copy of run {rid}, whose folder is gone: no report reads it as it is; to "
             f"restore the run, rename it back: mv {shlex.quote(str(store.runs / c))} "
             f"{shlex.quote(str(store.run_dir(rid)))}")
    if len(renamed) > GONE_NAMED:
        more = len(renamed) - GONE_NAMED
        _say(f"{plural(more, 'more folder')} {agree(more, 'is', 'are')} named as "
             f"{agree(more, 'a copy of a run whose folder is', 'copies of runs whose folders are')} gone ("
             + _first_three(sorted(renamed)[GONE_NAMED:], "runs/") + f"): no report reads {agree(more, 'it', 'them')} "
             f"as {agree(more, 'it is', 'they are')}; to restore {agree(more, 'the run', 'each run')}, rename its "
             "copy back to runs/<id> as above")
    if copies:
        _say(f"{plural(len(copies), 'folder')} named as {agree(len(copies), 'a copy of a run', 'copies of runs')} "
             f"({_first_three(copies, 'runs/')}): {agree(len(copies), 'not a run', 'not runs')}, read by no report "
             f"(move {agree(len(copies), 'it', 'them')} out of runs/ to keep the store tidy)")
    for name, rid in sorted(links.items()):  # never set aside through the link: that run's own files
        if name in told:  # a finished run's only way in: named below, as gone with its mv (gone_lines)
            continue
        if name in renamed_links:  # the store's only way to that run: renamed, not removed
            own = renamed_links[name]
            _say(f"runs/{name} is a link to {_run_folder(rid)}, another run's folder (run {own}, which has no "
                 f"runs/{own} here): read by no report under this name and left as it is by --repair; to read the "
                 f"run here, rename the link: mv {shlex.quote(str(store.runs / name))} "
                 f"{shlex.quote(str(store.run_dir(own)))}")
            continue
        _say(f"runs/{name} is a link to {_run_folder(rid)}, another run's folder: not a run, read by no report and "
             f"left as it is by --repair (remove the link, rm {shlex.quote(str(store.runs / name))}, to keep the "
             "store tidy)")
    for name, to in store.no_folders().items():  # no run's folder: read by no report, `plbench run` fails it there
        if name.lower() in gone:  # a finished run's link to nothing: said below, as gone (runs/<ID>, where case folds)
            continue
        _say(f"runs/{name} is a link to {to}, which is not there (a disk not mounted, a folder moved?): read by no "
             "report, and `plbench run` trains nothing through it; mount or restore it, or remove the link "
             f"(rm {shlex.quote(str(store.runs / name))}) to train it again here" if to else
             f"runs/{name} is a file, not a run's folder: read by no report, and `plbench run` fails run "
             f"{name.lower()} on it; move it out of runs/")
    if strays:
        _say(f"{plural(len(strays), 'folder')} in runs/ with no run id for a name and none of a run's files "
             f"({_first_three(strays, 'runs/')}): {agree(len(strays), 'no run', 'no runs')}, read by no report "
             f"(move {agree(len(strays), 'it', 'them')} out of runs/ to keep the store tidy)")
    listed: dict = {}  # each run's checkpoints, found in the same listing of its folder
    leftovers = store.leftover_temp_files(store_clock=args.repair, checkpoints=listed)  # --repair removes them
    ckpts = store.left_checkpoints(listed)  # a finished run's: harmless, never read, but up to hundreds of MB each
    # an unfinished run whose checkpoint's settings finished since under another id (a --loss-file edited mid-compare:
    # its hash is in the id): no command of this code resumes it, so it is not counted unfinished; --repair removes it
    superseded = store.superseded(listed)
    # a failed run whose config finished since under another id (a --loss-file fixed after the failure: its hash is
    # in the id): no command of this code retries it, so it is not counted failed (said below); its record is kept
    retried = store.failed_superseded()
    # an unfinished (or failed) run whose checkpoint no run can resume from (empty, cut short by a copy, another
    # run's): trained from iteration 0 again, not resumed as its folder suggests; --repair sets the checkpoint aside
    # (nothing deleted)
    unusable = store.unusable_checkpoints(listed, {**superseded, **retried})
    if args.repair and (damaged or leftovers or ckpts or superseded or unusable):
        _repairable(store)
    for rid, bad in unusable.items():  # ckpt.pt, or a half-batch retry's ckpt-b<n>.pt: each in a line of its own
        for ckpt, why in bad.items():
            done = ""
            if args.repair and not isinstance(lock := store.lock(rid), str):
                with lock:
                    if ckpt.is_file():
                        done = f"set aside to {store.set_aside(rid, only=lambda p, name=ckpt.name: p.name == name)}"
            if not done:  # counted apart in the summary: not a run `plbench run` resumes
                found.setdefault("unusable_left", set()).add(rid)
            half = ckpt.name != "ckpt.pt"  # ckpt-b<n>.pt: what the retry at half the batch resumes from
            failed = (store.meta(rid) or {}).get("status") == "failed"  # its retry resumes from its checkpoint
            _say(f"run {rid}: {'failed' if failed else 'not finished'}, and its checkpoint "
                 f"{ckpt.relative_to(store.root)} {why}: the same `plbench run` cannot resume "
                 + ("its retry " if failed else "") + "from it and trains the run "
                 + (f"at half the batch (batch size {ckpt.stem.split('-b', 1)[1]}, after running out of memory) "
                    if half else "") + "from iteration 0; " + (done or "--repair sets it aside (nothing is deleted)"))
    if leftovers:  # harmless (nothing reads them), but they pile up: --repair removes them
        names = _first_three([str(p.relative_to(store.root)) for p in leftovers])
        if args.repair:
            for p in leftovers:
                p.unlink(missing_ok=True)
        _say(f"{plural(len(leftovers), 'temporary file')} left by interrupted writes ({names}): "
              + ("removed" if args.repair else "never read; --repair removes them"))
    sizes = {}
    for p in ckpts:
        with contextlib.suppress(OSError):
            sizes[p] = p.stat().st_size
    if ckpts and args.repair:  # each under its run's lock: a worker that took the run since keeps its own
        ckpts = store.remove_left_checkpoints(ckpts)
    if ckpts:
        size = sum(sizes.get(p, 0) for p in ckpts)
        _say(f"{plural(len(ckpts), 'checkpoint')} of finished runs ("
             + _first_three([str(p.relative_to(store.root)) for p in ckpts])
             + f", {size / 2**20:.1f} MB), left by a run stopped right after its record: "
             + ("removed" if args.repair else "never read; --repair removes them"))
    busy: set = set()  # runs a live process holds: what it set aside there it may still move back
    if aside := store.set_aside_states(busy):  # kept on purpose: named with what to do, no error (exit unchanged)
        from benchmark.results import _is_rows_set_aside

        rows = sum(map(_is_rows_set_aside, aside))  # a pass's rows: a damaged run's, an attempt's, a copy's
        what = ", ".join([plural(len(aside) - rows, "checkpoint or saved net", "checkpoints and saved nets")]
                         * bool(len(aside) - rows)
                         + [plural(rows, "evaluation pass", "evaluation passes") + " (rows in no table: a damaged "
                            "run's, an unfinished attempt's its retry did not write again byte for byte, a pass of "
                            "rows read twice or a copy of a pass --repair set aside)"] * bool(rows))
        _say(f"{what} set aside under runs/<id>/damaged/<n>/ by a merge, --repair or a retry ("
             + _first_three([str(p.relative_to(store.root)) for p in aside])
             + f"; {sum(aside.values()) / 2**20:.1f} MB in all; every one: find {shlex.quote(str(store.runs))} "
             "-path '*/damaged/*' -regex '.*/\\(ckpt\\(-b[0-9]+\\)?\\.pt\\|net\\.pt\\|loss\\.pt\\|"
             "eval-[0-9]+[^/]*\\.parquet\\)'): nothing resumes from, re-scores with, reads or removes them; look, then "
             "delete them once you do not need them")
    if busy:  # who holds each: a lock of another machine (a copy of the store, a crashed node) may be stale
        from benchmark.results import held_from_another_machine, shown_holder

        holders = {}
        for rid in sorted(busy):
            with contextlib.suppress(OSError):
                holders[rid] = shown_holder((store.run_dir(rid) / ".lock").read_text(errors="replace").strip())
        away = [rid for rid, h in holders.items() if held_from_another_machine(h)]
        _say(f"{plural(len(busy), 'run')} in flight ("
             + _first_three([f"runs/{r}, held by {holders.get(r) or 'another process'}" for r in sorted(busy)])
             + f") {agree(len(busy), 'has', 'have')} checkpoints, saved nets or passes under damaged/: the live "
             f"process that holds {agree(len(busy), 'it', 'them')} (a retry, a merge, a repair) may still be moving "
             "them; named here once it ends"
             + (f" ({plural(len(away), 'lock')} of another machine, whose processes cannot be checked from here: if "
                "nothing of plbench runs there any more, or this results directory is a copy made while that machine "
                f"held {agree(len(away), 'it', 'them')} (rsync, cp -a, a tar: nothing here releases a copied lock), "
                "remove " + _first_three([str(store.run_dir(r) / '.lock') for r in away]) + ")" if away else ""))
    if strays_of := store.stray_passes():  # never read: named with what to do, no error (exit unchanged)
        _stray_pass_lines(store, strays_of, args.repair)
    if kept := store.kept_unreadable():  # an earlier --repair's: kept on purpose, no error (exit unchanged)
        _say(f"{plural(len(kept), 'unreadable file')} kept by an earlier `plbench check --repair` ("
             + _first_three([str(p.relative_to(store.root)) for p in kept])
             + "): a garbled finished.log's lines, an earlier attempt's record; read by nothing and no run's results "
             "depend on them; look, then delete them once you do not need them")
    for rid, by in superseded.items():
        alone = store.only_checkpoints(rid)
        gone_now = args.repair and alone and store.remove_superseded(rid)
        why = (f"its loss's code (a --loss-file edited), task or net changed after it stopped, so the command that "
               f"started it trains run {by} instead and resumes this one only if that code is put back")
        if (then := _weights_kept_apart(store, rid, by)) is not None:  # the old gpl id: nothing was edited
            why = (f"it was started under --backbone-weights {then}, which a plbench before 2026-12-07 kept apart "
                   f"from random for this loss (one computation, one id since), so the command that started it trains "
                   f"run {by} and never resumes this one")
        _say(f"run {rid}: not finished, and superseded by run {by}, finished since with the settings and code version "
             f"its checkpoint records: {why}; "
             + ("removed (its checkpoint, all it held)" if gone_now else "--repair removes it (its checkpoint, all it "
                "holds)" if alone else f"it holds more than its checkpoint: move {store.run_dir(rid)} out of runs/ "
                "once you do not need it"))
    for rid, by in retried.items():  # failed, superseded (above): its record (the error) is kept
        _say(f"run {rid}: failed, and superseded by run {by}, finished with the same settings and code version "
             "(started after it, or the --loss-file here is that run's): its loss's code (a --loss-file fixed), task "
             f"or net changed after the failure, so the command that failed it trains run {by} instead and retries "
             "this one only if that code is put back; its "
             f"record (the error, the traceback) is kept: move {store.run_dir(rid)} out of runs/ once you do not "
             "need it")
    superseded = {**superseded, **retried}
    n -= sum(r in superseded and not str(r).startswith("input-") for r in ids)
    ids = [r for r in ids if r not in superseded]
    unrecorded, unrecorded_files = store.unrecorded(), store.unrecorded_files()
    left = set(unrecorded) | set(unrecorded_files)  # results in no leaderboard: exit 1, as damage (README)
    for rid, what in sorted(unrecorded.items()):  # not damage, but rows no table shows: say so
        if holder := store.merge_killed(rid):  # a merge's copy in flight: merging again finishes it, no retraining
            _say(f"run {rid}: rows of {what} without a meta.json: a `plbench merge` ({holder.split(',')[0]}) was "
                  "stopped while copying it here; in no leaderboard: the same `plbench merge` finishes it")
            continue
        _say(f"run {rid}: rows of {what} without a meta.json (interrupted before its record, or the record "
              "was deleted or not copied): in no leaderboard; put its meta.json back, or the next `plbench run` "
              "of its grid moves them to runs/<id>/damaged/ (nothing is deleted) and retrains it")
    for rid in unrecorded_files:  # a killed merge's or run's copy: silently missing from its cell otherwise
        _say(f"run {rid}: files without any record (no meta.json, no eval-*.json): a merge or run was interrupted "
              "while writing it; in no leaderboard: the same `plbench merge` or `plbench run` finishes it")
    from benchmark.results import copied_mid_grid_hint, stale_lock_hint

    away = 0  # another node's: in flight, or a stale lock to clear, or a copy of the store made mid-grid
    for rid, holder in sorted(store.in_flight().items()):
        if hint := stale_lock_hint(store.run_dir(rid) / ".lock", holder):
            _say(f"run {rid} is not finished: {hint}")
            away += 1
    if away:  # one piece of advice for them all, as the board's note (report.in_flight_lines) gives it
        _say(f"{agree(away, 'that run is', f'those {away} runs are')} held from another machine: "
             f"{copied_mid_grid_hint(store.root, away)}")
    from benchmark.report import garbled_log_line, gone_lines

    for line in gone_lines(store, gone, check=True, every=every):  # one per run; a mass deletion one in all
        _say(line)
    moved_in = len(back)  # renamed in runs/ (ResultsStore.renamed): not lost, their mv said
    lost = ", ".join([f"{len(gone) - moved_in} gone (said above: finished here, its results not in runs/)"]
                     * bool(len(gone) - moved_in)
                     + [f"{moved_in} renamed (said above: runs/<id> renamed in runs/, the mv that puts "
                        f"{agree(moved_in, 'it', 'them')} back said)"] * bool(moved_in))
    blind = bool(store.finished_log_unread())  # warned by gone(): a deleted run folder may go unnamed; exit 1
    if garbled := store.finished_log_garbled():  # its readable lines read by gone(): a run noted in the rest unnamed
        where = store.root / FINISHED_LOG
        shown = ", ".join(f"line {i}: {text[:40]!r}" for i, text in garbled[:3]) + (", …" if len(garbled) > 3 else "")
        try:
            kept = store.mend_finished_log(store.metas()) if args.repair else None
        except OSError as exc:  # a read-only store, a full disk: said, as without --repair
            log.warning("could not write %s again (%s)", where, exc.strerror or exc)
            kept = None
        if kept is not None:
            _say(f"{where}: {plural(len(garbled), 'line')} unreadable ({shown}) kept as it was in {kept}; written "
                 "again of its readable lines and a note of each finished run here (a run folder deleted before this "
                 "repair and noted only in those lines goes unnamed)")
        else:
            blind = True
            _say(garbled_log_line(store, len(garbled), shown))
    if unread := store.unreadable_attempts():  # history only, but a record check calls readable: named, exit 1
        for path, why in list(unread.items())[:3]:
            if args.repair:
                try:
                    kept = store.set_aside_attempt(path)
                except OSError as exc:
                    log.warning("could not rename %s (%s)", path, exc.strerror or exc)
                else:
                    _say(f"{path.relative_to(store.root)} {why}: renamed {kept.name} (a failed attempt's history "
                         "only; the run's results do not depend on it)")
                    continue
            blind = True
            _say(f"{path.relative_to(store.root)} {why}: a failed attempt's record, its history lost (the run's "
                 f"results do not depend on it); --repair renames it {path.name}.unreadable, nothing deleted")
        kept = [p for p in list(unread)[3:] if not (args.repair and _quietly_set_aside(store, p))]
        blind = blind or bool(kept)
        if len(unread) > 3:
            _say(f"and {len(unread) - 3} more earlier attempts' records unreadable"
                 + (f" ({len(unread) - 3 - len(kept)} renamed so)" if args.repair else ""))
    stamped: list[str] = []  # runs whose saved nets were taken as intact by size and time, unread (not --full)
    # not damage: the rows stay valid, but a re-score or the visual grid cannot use it
    rehashed: list = []  # intact nets hashed for a changed time (a copy without times: cp -r); --repair restamps
    nets = store.check_state(quick=not args.full, by_stamp=stamped, rehashed=rehashed)
    quick = (f"; {plural(len(stamped), 'saved net')} not read: size and time as written (--full hashes "
             f"{agree(len(stamped), 'it', 'them')})") if stamped else ""
    if rehashed and args.repair and (back := store.restamp(rehashed)):
        it = agree(back, "it", "them")
        quick += (f"; {back} intact saved net{agree(back, '', 's')} given back the time "
                  f"{agree(back, 'it was', 'they were')} written (the next check need not read {it})")
    elif rehashed:
        quick += (f"; {len(rehashed)} saved net{agree(len(rehashed), '', 's')} read, intact: modification time "
                  "changed since written (a copy without times, such as `cp -r`); --repair gives "
                  f"{agree(len(rehashed), 'it', 'them')} the recorded time back, so a check need not read "
                  f"{agree(len(rehashed), 'it', 'them')}")
    # a run folder moved or deleted while this check read the store (a user's `mv`, another process): it is not
    # read as an empty or unfinished run (its iterdir raised FileNotFoundError), but named, and the check is redone
    moved = sorted(r for r in ids if not store.run_dir(r).is_dir())
    if moved:
        ids = [r for r in ids if r not in moved]
        n = len(ids) - sum(str(r).startswith("input-") for r in ids)
        damaged = {r: why for r, why in damaged.items() if r not in moved}
        nets = {r: why for r, why in nets.items() if r not in moved}
        log.warning("%d run folder%s moved or deleted while check read the store (%s): left out of this "
                    "summary; check again", len(moved), agree(len(moved), "", "s"), _first_three(moved, "runs/"))
    for rid, why in sorted(nets.items()):
        if holder := store.merge_killed(rid):  # stopped while mending it: the same merge puts the intact copy there
            _say(f"run {rid}: {why}: a `plbench merge` ({holder.split(',')[0]}) was stopped while putting an intact "
                 "copy here (a damaged one is under its damaged/); its rows are intact and counted: the same "
                 "`plbench merge` finishes it")
            continue
        _say(f"run {rid}: {why}; its rows are intact and counted, but a new metric cannot be scored on it (nor "
              f"its visual grid drawn): put the file back, or move {store.run_dir(rid)} aside to retrain the run")

    def hollows() -> set:  # an empty run folder is no run, damaged or not: counted apart and named, as the finished
        # summary below does (read only where a summary needs it: the clean path reads only runs with no record)
        return {r for r in ids if r not in damaged and r not in left and _empty_dir(store.run_dir(r))}

    if not damaged:
        if nets:
            hollow_ids = hollows()
            also_left = f"; {len(left)} with results in no leaderboard (named above)" if left else ""
            n -= sum(not str(r).startswith("input-") for r in hollow_ids)
            _say(f"{len(nets)} of {plural(n, 'run')} with a damaged saved net{also_left}"
                 + (f"; {_hollow(len(hollow_ids))}" if hollow_ids else "") + (f"; {lost}" if lost else "")
                 + "; every record readable and matching its checksum" + quick)
            return 1
        # a run folder is not a finished run: Ctrl-C leaves one with a checkpoint only, a failure one with its record;
        # one with results but no record is in no leaderboard (named above), neither finished nor resumable
        # a run a killed `plbench merge` was copying here (its lock file says so) before any of its records: not a run
        # to resume by training it again (hours) but the same merge's to finish; its results are in no leaderboard yet
        merging = sorted(r for r in ids if r not in left and store.meta(r) is None and store.merge_killed(r))
        for rid in merging:
            _say(f"run {rid}: a `plbench merge` ({store.merge_killed(rid).split(',')[0]}) was stopped while copying "
                 "it here, before its records; in no leaderboard: the same `plbench merge` finishes it")
        left = left | set(merging)
        status = {r: (store.meta(r) or {}).get("status") for r in ids if not str(r).startswith("input-")
                  and r not in left}
        cut = sum(r in found.get("unusable_left", ()) for r, st in status.items() if st is None)
        # a folder with nothing in it (a merge or run stopped by a full disk before its first file): no run begun,
        # nothing to resume or keep; the same command fills it
        empty = len([r for r, st in status.items() if st is None and _empty_dir(store.run_dir(r))])
        status = [st for st in status.values() if st is not None] + [None] * (list(status.values()).count(None)
                                                                            - empty)
        n -= empty
        # a degraded input's scoring (runs/input-…) stopped the same way: not a trained run, but the same empty folder
        empty += sum(str(r).startswith("input-") and r not in left and store.meta(r) is None
                     and _empty_dir(store.run_dir(r)) for r in ids)
        hollow = _hollow(empty) if empty else ""
        scored = sum((store.meta(r) or {}).get("status") == "ok" for r in ids if str(r).startswith("input-"))
        also = f"{plural(scored, 'scoring')} of the degraded input" if scored else ""
        failed, unfinished = status.count("failed"), sum(st not in ("ok", "diverged", "failed") for st in status)
        done = len(status) - failed - unfinished
        # an unfinished run whose checkpoint no run can resume from (named above): trained from iteration 0, not
        # "resumed", which the unfinished count's words say of the others (cut: counted above, before the folders)
        unfinished -= cut
        aside = f"{len(superseded)} superseded (said above)" if superseded else ""
        if not (failed or unfinished or cut or left or gone or superseded):
            _say(f"{store.root}: {plural(n, 'run')}" + (f" (and {also})" if also else "")
                 + (f", {hollow}" if hollow else "") + ", every record readable and matching its checksum" + quick)
            return 1 if moved or blind else 0  # a folder moved away meanwhile: check again
        runs = ", ".join(  # one bracket per part: "… resumes it) (and 1 scoring …)" read as one remark
            [f"{plural(done, 'run')} finished"]
            # a new loss's runs, which `plbench compare` trains and nothing tells apart here: compare named beside run
            # (`plbench run --out results` alone trains the quick profile's grid there, not that loss)
            + [f"{failed} failed (the same `plbench run` retries {agree(failed, 'it', 'them')}, or the same "
               "`plbench compare` for a compared loss)"] * bool(failed)
            + [f"{unfinished} unfinished (interrupted or still training: the same `plbench run` resumes "
               f"{agree(unfinished, 'it', 'them')}, or the same `plbench compare` for a compared loss)"]
            * bool(unfinished)
            + [f"{cut} unfinished whose checkpoint no run can resume from (said above)"] * bool(cut)
            + [aside] * bool(aside)
            + [f"{len(left)} with results in no leaderboard (named above)"] * bool(left)
            + [hollow] * bool(hollow)
            + [lost] * bool(lost)
            + [f"and {also}"] * bool(also))
        _say(f"{store.root}: {runs}; every record readable and matching its checksum{quick}")
        return 1 if left or gone or moved or blind else 0
    hollow_ids = hollows()
    ids = [r for r in ids if r not in hollow_ids]
    hollow = f"; {_hollow(len(hollow_ids))}" if hollow_ids else ""
    held_ids, untouched_ids = set(), set()
    for rid, why in sorted(damaged.items()):
        if args.repair:
            lock = store.lock(rid)
            if isinstance(lock, str):
                _say(f"run {rid}: {why} — held by {lock}; not repaired")
                held_ids.add(rid)
                continue
            with lock:
                done = store.repair(rid)
            if done == NOTHING_TO_SET_ASIDE:
                untouched_ids.add(rid)
            _say(f"run {rid}: {why} — {done}")
        else:
            _say(f"run {rid}: {why}")
    if args.repair:  # say what was done: a run with nothing to move, or held by a live run, was not set aside
        held, untouched = len(held_ids), len(untouched_ids)
        still = store.check()  # what a plain check would still call damaged (held, nothing to set aside, …)
        _say(f"{_of_runs(set(damaged) - held_ids - untouched_ids, ids)} set aside"
              + (f", {untouched} had nothing to set aside" if untouched else "")
              + (f", {held} held by a running process (not repaired)" if held else "")
              + "; run the same `plbench run` to re-score or retrain them"
              + (f"; {plural(len(nets), 'run')} with a damaged saved net remain (named above: "
                 "--repair moves no net)" if nets else "") + hollow + quick)
        # 0 only where a plain check after it finds nothing left to do
        return 1 if still or nets or left or gone or moved or blind else 0
    _say(f"{_of_runs(damaged, ids)} damaged: `plbench check --out {shlex.quote(args.out)} --repair` sets "
          "them aside "
          "(nothing is deleted), then the same `plbench run` re-scores or retrains them" + hollow + quick)
    return 1


def _empty_dir(d: Path) -> bool:
    """``d`` is a folder with nothing in it; False once it is gone (moved or deleted while check reads it)."""
    try:
        return not any(d.iterdir())
    except (FileNotFoundError, NotADirectoryError):
        return False


def _hollow(empty: int) -> str:
    """check's clause for ``empty`` (> 0) run folders with nothing in them (a merge or run stopped by a full disk
    before its first file): no run begun, nothing to resume or keep."""
    return (f"{empty} empty run folder{agree(empty, '', 's')} (a merge or run stopped before its first "
            "file: nothing to resume; the same command fills it)")


def _of_runs(some, ids) -> str:
    """"k of n runs" for the run ids ``some`` among all ``ids``, counting as check's finished summary does: each
    task's scoring of the degraded input (``input-…``) apart from the trained runs, e.g. "1 of 4 runs and 1 of 1
    scoring of the degraded input"; a part with none of ``some`` is left out (the runs' part when both are)."""
    def part(sel, total, noun) -> str:
        return f"{len(sel)} of {len(total)} {noun}{agree(len(total), '', 's')}"

    inputs = [r for r in ids if str(r).startswith("input-")]
    trained = [r for r in ids if not str(r).startswith("input-")]
    some_in = [r for r in some if str(r).startswith("input-")]
    some_tr = [r for r in some if not str(r).startswith("input-")]
    parts = [part(some_tr, trained, "run")] * bool(some_tr or not some_in)
    parts += [part(some_in, inputs, "scoring") + " of the degraded input"] * bool(some_in)
    return " and ".join(parts)


def _stray_pass_lines(store, strays: dict, repair: bool) -> None:
    """Check's line of the files named like an evaluation pass but none (``{run id: paths}``,
    :meth:`ResultsStore.stray_passes`): a Finder duplicate or a sync tool's conflict copy, read by no report; with
    ``repair`` set aside under ``runs/<id>/damaged/<n>/`` (the run's lock held; a run a live process holds is left)."""
    files = [p for ps in strays.values() for p in ps]
    moved: list[str] = []
    if repair:
        for rid, ps in strays.items():
            if isinstance(lock := store.lock(rid), str):
                continue
            with lock:
                names = {p.name for p in ps if p.exists()}
                if names:
                    dest = store.set_aside(rid, only=lambda p, names=names: p.name in names)
                    moved.append(str(dest.relative_to(store.root)))
    n = len(files)
    _say(f"{plural(n, 'file')} in run folders named like an evaluation pass but {agree(n, 'none', 'none of them')} ("
         + _first_three([str(p.relative_to(store.root)) for p in files])
         + "): a copy (a Finder duplicate, a sync tool's conflict copy), read by no report (a run's passes are its "
         "eval-<k>.json and eval-<k>.parquet alone); "
         + (f"set aside to {_first_three(moved)} (nothing deleted)" if moved
            else f"--repair sets {agree(n, 'it', 'them')} aside under runs/<id>/damaged/<n>/ (nothing is deleted)"))


def _repairable(store) -> None:
    """``check --repair`` moves files inside ``runs/``: one line, before anything moves, when it
    cannot (a read-only copy or mount; it was an internal error on the first run's lock file)."""
    if why := _not_writable(store.runs):
        raise UserError(f"cannot repair {store.root}: not writable ({why}); nothing was moved — "
                        f"`plbench check` without --repair lists the damage; repair a writable copy "
                        f"(cp -r {shlex.quote(str(store.root))} <a writable place>){_KEPT_MODES}")


def cmd_calibrate(args) -> int:
    import math

    from benchmark import calibrate as cal_mod
    from benchmark.results import ResultsStore, atomic_write_bytes
    from benchmark.runstats import MIN_RUNS

    if args.runs is None:
        args.runs = MIN_RUNS
    if not 0 < args.alpha < 1:
        raise UserError(f"--alpha must be in (0, 1), got {args.alpha}")
    if args.nulls < 20:
        raise UserError(f"--nulls must be at least 20, got {args.nulls}")
    if args.runs < MIN_RUNS:
        raise UserError(cal_mod.too_few_runs_text(args.runs, "--runs"))
    if args.splits < 1:
        raise UserError(f"--splits must be at least 1, got {args.splits}")
    if not 0 <= args.seed < 2**63:
        raise UserError(f"--seed must be in [0, 2**63), got {args.seed}")
    if not (math.isfinite(args.effect) and args.effect > 0):
        raise UserError(f"--effect must be a positive finite number of practical margins, got {args.effect}")
    from benchmark.settings import parse_where, select

    where = parse_where(args.where)  # `--where foo` before the store's "no results", as report's
    store = ResultsStore(args.out)
    store.require_results(args.out)
    _outputs_writable(store)
    # one setting, as the leaderboard: the variance of runs trained differently is not run-to-run variance
    chosen = select(store.table(), where=where, hint=_hint("calibrate", args.out))
    table = chosen.table
    if args.metrics:
        have = set(table["metric"].astype(str))
        unknown = [m for m in args.metrics if m not in have]
        if unknown:
            raise UserError(f"--metrics {unknown[0]}: not in these results" + (
                did_you_mean(unknown[0], sorted(have)) or f" (have: {', '.join(sorted(have))})"))
    # scores of another file or code than today's the table keeps (no run re-scored yet), as the findings read them
    ids = set(map(str, table["run_id"].unique())) if not table.empty else set()
    rescore = {m: set(s["runs"]) for m, s in store.stale_scores(ids).items() if m not in store.stale_left}
    cal = cal_mod.calibrate(table, n_nulls=args.nulls, runs=args.runs, splits=args.splits, effect=args.effect,
                            alpha=args.alpha, seed=args.seed, metrics=args.metrics, rescore=rescore,
                            run=_hint("run", args.out))
    cal.setting = chosen.description
    text = cal_mod.to_text(cal)
    print(text)
    path = store.root / "calibration.md"
    atomic_write_bytes(path, text.encode())
    print(f"calibration: {path}")
    return 0


def cmd_compare(args) -> int:
    from benchmark.compare import compare
    from benchmark.devices import resolve_device
    from benchmark.results import ResultsStore

    if not args.loss_file and not args.losses:
        raise UserError("compare needs --loss-file FILE or --loss NAME")
    with ResultsStore(args.out).naming_file_losses():  # a typo before the --out folder's refusal, as run's
        _check_loss_and_net_names(args.loss_file, args.losses)
    if args.tasks:
        from benchmark.registry import check_not_all

        check_not_all("tasks", args.tasks, every="leave --tasks out to compare on every task of the field")
        _check_task_names(args.tasks)
    resolve_device(args.device, setting="--device")  # before the store is read, named as the flag
    report = _report_kwargs(args)  # --alpha 2, --bootstrap 0: before the store's "no results", as report's
    store = ResultsStore(args.out)  # as `report`: one line before any work where it cannot write its runs and outputs
    store.check_version()
    try:
        store.require_results(args.out)
    except UserError:  # as `report`: a misspelt baseline (`--baseline l9`) said first
        baseline_misspelt(args.baseline)
        raise
    store.check_foreign()
    _outputs_writable(store)
    result = compare(args.out, loss_files=args.loss_file, losses=args.losses, tasks=args.tasks, device=args.device,
                     progress=not args.no_progress and sys.stderr.isatty(), **report)
    print(result.text)
    print(f"comparison: {result.path}")
    if result.failed:
        log.error("%s of the new loss failed: see the note in %s", plural(result.failed, "run"), result.path)
    return 1 if result.failed else 0


def cmd_weights(args) -> int:
    from benchmark.config import DEFAULT_METRICS
    from benchmark.registry import LOSSES, load_user_file
    from benchmark.weights import (
        get_file,
        hub_dir,
        known_files,
        metric_weights_report,
        missing_checkpoint_message,
        offline,
        online_prefix,
        prefetch,
        remembered_metrics,
        weights_report,
    )

    for f in args.loss_file:
        load_user_file(f, LOSSES)
    if args.losses:  # specs too ('l1 + 0.1*vgg'): the files of their terms; bad names fail before any output
        from benchmark.lossfn import check_loss_arguments
        from benchmark.weights import term_specs

        # every term's name is checked against the registry by the parse (a typo: one line, before any output);
        # each term keeps its arguments (lpips(net='vgg') loads VGG-16's files, not AlexNet's), checked as a run
        # checks them (lpips(nett='vgg'))
        args.losses = term_specs(args.losses)
        for term in args.losses:
            check_loss_arguments(term)
    # the command to run on a connected machine: these losses only, with the files that register them
    cmd = "plbench weights prefetch" + (f" --losses {' '.join(map(shlex.quote, args.losses))}" if args.losses else "") \
        + "".join(f" --loss-file {shlex.quote(f)}" for f in args.loss_file)
    if args.action == "prefetch":
        from benchmark.config import DEFAULT_METRICS

        prefetch(args.losses, metrics=None if args.losses else DEFAULT_METRICS, command=cmd)
        print("every file is in place" if not args.losses else f"the files of {', '.join(args.losses)} are in place")
        return 0
    missing: dict[str, bool] = {}  # file key → has a download URL
    read_by: dict[str, str] = {}  # the path of a file a metric outside the table read when opened → that metric
    needed_by: dict[str, str] = {}  # a missing checkpoint's path → the loss that needs it (its pretrain command)

    def show(rows, kind: str) -> None:
        for r in rows:
            name = r[kind]
            if r["needs"] in ("none", "unknown"):
                from benchmark.metrics import open_metric

                if r["needs"] == "none":
                    print(f"  {name:<20} no weights needed")
                else:  # a metric the weights table does not know: ask pyiqa (offline)
                    metric, reason = open_metric(name)
                    print(f"  {name:<20} {'usable' if metric else 'MISSING  ' + reason}")
                continue
            if not r["present"] and r["needs"] == "read":  # a file a metric read: by its path, no URL here
                missing[r["path"]] = False
                read_by[r["path"]] = name
            elif not r["present"]:  # a checkpoint given by path (needs="checkpoint"): by its path, nothing to fetch
                missing[r["path"] if r["needs"] == "checkpoint" else r["needs"]] = \
                    r["needs"] != "checkpoint" and bool(get_file(r["needs"]).url)
                if r["needs"] == "checkpoint":
                    needed_by.setdefault(r["path"], name)
            mark = "present" if r["present"] else "MISSING"
            print(f"  {name:<20} {mark:<8} {r['file']}  →  {r['path']}")

    rows = weights_report(args.losses)  # a bad argument's value (vgg(arch='vgg13')): one line before any output
    print("losses:")
    show(rows, "loss")
    if not args.losses:
        opened = [m for m in remembered_metrics() if m not in DEFAULT_METRICS]
        print(f"metrics (default set{', and the files others read when opened here' if opened else ''}; the evaluator "
              "skips missing ones and records why):")
        show(metric_weights_report([*DEFAULT_METRICS, *opened]), "metric")
    if not missing:
        print("every listed file is present")
        return 0
    fetchable = sum(missing.values())
    if not fetchable:  # checkpoints given by path, files without a URL: nothing a prefetch could get
        print(f"{plural(len(missing), 'file')} missing, none with a source URL:")
    elif offline():
        _say(f"{plural(len(missing), 'file')} missing; this machine is offline (HF_HUB_OFFLINE / PLBENCH_OFFLINE), so "
              f"nothing is downloaded here: run `{online_prefix()} {cmd}` on a machine with a network to fetch "
              f"the {fetchable} that have a source URL, then copy its {hub_dir()} here (or point TORCH_HOME at it)")
    else:
        _say(f"{plural(len(missing), 'file')} missing: run `{cmd}` to download the {fetchable} that have a source URL "
              "into the paths above")
    for key, has_url in missing.items():
        if has_url:
            continue
        if key in read_by:
            print(f"  {Path(key).name}: read by {read_by[key]} when it was last opened here, not there now; opening "
                  f"{read_by[key]} on a connected machine fetches it (pyiqa), or put it back at {key}")
            continue
        if key not in known_files():
            print(f"  {missing_checkpoint_message(key, needed_by.get(key, ''))}")
            continue
        wf = get_file(key)
        print(f"  {wf.filename}: no download URL — {wf.note or 'see its source'}; put it at {wf.path}")
    return 0


def cmd_pretrain(args) -> int:
    from benchmark.data import DataSpec, check_holdouts, check_not_empty
    from benchmark.pretrain import pretrain
    from benchmark.runner import resolve_device

    probes = [] if args.probe is None else args.probe or ["skimage:test"]
    if args.probe_random_seeds < 1:  # said before the encoder trains (17 min), not taken as 1
        raise UserError(f"--probe-random-seeds must be at least 1, got {args.probe_random_seeds}")
    check_not_empty([args.data], "--data")
    check_not_empty(probes, "--probe")
    check_holdouts([DataSpec.parse(args.data, role="train")], [DataSpec.parse(p, role="test") for p in probes],
                   ("--data", "--probe"))  # before pretraining (17 min), not when the probe is read after it
    cfg = _pretrain_config(args)
    dev = resolve_device(args.device, setting="--device")
    path = pretrain(cfg, out_dir=args.out_dir, device=dev, save_every=args.save_every,
                    progress=sys.stderr.isatty())
    from benchmark.weights import cache_dir

    ref = path.stem if path.parent == cache_dir() / "selftrained" else str(path)
    print(f"encoder: {path}")
    prog = ["plbench"] if _shown_program() == "plbench" else _runnable_program()  # as started; a path quoted
    print("use it:  " + shlex.join([*prog, "run", "--losses", f"csr(weights='{ref}')", "--metrics", "psnr", "ssim",
                                    f"contrique_fr@{ref}"]))
    for held_out in probes:
        _print_probe(cfg, path, _in_role(held_out, "test"), args.probe_random_seeds, dev)
    return 0


def _pretrain_config(args):
    """``plbench pretrain``'s flags → the :class:`~benchmark.pretrain.PretrainConfig` it trains (the one place: the
    command and a dry run's estimate of the command it names, :func:`_selftraining_left_out`)."""
    from benchmark.pretrain import PretrainConfig

    return PretrainConfig(recipe=args.recipe, arch=args.arch, data=_in_role(args.data, "train"), steps=args.steps,
                          batch_size=args.batch_size, crop=args.crop, lr=args.lr, seed=args.seed,
                          classes_per_batch=args.classes_per_batch, colour_spaces=not args.no_colour_spaces,
                          view_scales=args.view_scales, view_flips=args.view_flips)


def _pretrain_estimate(cmd: str) -> str:
    """How long the ``plbench pretrain`` command ``cmd`` (shell-quoted, as :func:`benchmark.weights.selftraining`
    gives it) takes here, measured: a few of its steps timed on its device (:func:`benchmark.pretrain.
    estimate_seconds`), e.g. "about 0.23 h here: 3 of its 500 steps timed on cpu (<model>, 2 threads), 0.61 steps/s"
    ("its 1 step timed" where that is all of them) — in the dry run's units (:func:`_span`) and naming the device as
    the dry run beside it does (:func:`benchmark.stats.device_kind`, at the threads the steps ran on)."""
    from benchmark import pretrain as P
    from benchmark.runner import resolve_device
    from benchmark.stats import timed_kind

    argv = shlex.split(cmd)
    args = build_parser().parse_args(argv[argv.index("pretrain"):])
    cfg = _pretrain_config(args)
    dev = resolve_device(args.device, setting="--device")
    seconds, rate = P.estimate_seconds(cfg, device=dev)
    k = min(P.TIMED_STEPS, cfg.steps)
    timed = f"its {plural(k, 'step')}" if k >= cfg.steps else f"{k} of its {cfg.steps} steps"
    return (f"about {_span(seconds)} here: {timed} timed on {timed_kind(dev, P.threads_on(dev))}, "
            f"{rate:.2g} steps/s as this machine is loaded now")


def _selftraining_left_out(plan):
    """A dry run's grid ``plan`` without the losses whose run ids need an encoder the run would self-train first
    (csr on pretrained weights with no contrastive encoder cached: the id holds the encoder's SHA-256), said in a
    warning with the command that makes each encoder and how long it takes here, measured
    (:func:`_pretrain_estimate`): the rest is estimated as ever. Where no loss is left, that line is the refusal. A
    dry run trains nothing (self-training it for the ids took half an hour on a busy machine)."""
    from benchmark.weights import selftrain_commands, selftraining

    first = selftraining(plan.weights)
    if not first:
        return plan
    left = [ls for ls in plan.loss_specs if selftrain_commands(ls, plan.weights[ls])]
    rest = tuple(ls for ls in plan.loss_specs if ls not in left)
    line = (f"a dry run trains nothing, but the run ids of {', '.join(left)} need an encoder the run would self-train "
            "first: make it with " + "; ".join(f"`{cmd}` ({term}; {_pretrain_estimate(cmd)})" for term, cmd in first)
            + ", then dry-run again")
    if not rest:
        raise UserError(line)
    log.warning("%s; the estimate below leaves out their runs", line)
    return dataclasses.replace(plan, loss_specs=rest, weights={ls: plan.weights[ls] for ls in rest})


def _in_role(text: str, role: str) -> str:
    """A pretrain source as recorded: the part of a hold-out its ``role`` reads (``SOURCE[holdout=P%]`` as --data: the
    training part, as --probe: the held-out one, as `run` gives --train-data and --test-data theirs), named in its
    token; any other source as written and read as before, without a role (an encoder's file name keeps its form)."""
    from benchmark.data import DataSpec

    if "[holdout=" not in text:
        return text
    spec = DataSpec.parse(text, role=role)
    return spec.token() if spec.holdout else text


def _print_probe(cfg, path, held_out: str, n_random: int, device="cpu") -> None:
    """Self-trained vs random-init accuracies, and the paired gain over images with its 95 % CI.
    Every encoder, trained or random, gets the same BatchNorm recalibration on ``cfg.data``."""
    from benchmark.pretrain import paired_gain, probe

    kw = dict(data=held_out, crop=cfg.crop, bn_data=cfg.data, device=device)
    mine = probe(cfg.arch, path, **kw)
    rand = [probe(cfg.arch, None, seed=s, **kw) for s in range(n_random)]
    print(f"probe: distortion type × level on {held_out} ({mine['images']} held-out images or tiles, {mine['samples']} "
          f"crops of {cfg.crop}², {mine['classes']} classes, chance {mine['chance']:.3f}; leave one image out; "
          f"BatchNorm of every encoder {mine['bn']})")
    w = max(len(r["weights"]) for r in [mine, *rand])
    print(f"  {'encoder':<{w}s} {'k-NN':>6s} {'linear':>7s}")
    for r in [mine, *rand]:
        print(f"  {r['weights']:<{w}s} {r['knn']:6.3f} {r['linear']:7.3f}")
    for kind in ("knn", "linear"):
        base = [sum(v) / len(v) for v in zip(*(r["per_image"][kind] for r in rand))]
        gain, lo, hi = paired_gain(mine["per_image"][kind], base)
        print(f"  gain over random init ({'k-NN' if kind == 'knn' else 'linear'}): {gain:+.3f} "
              f"(95% CI over images {lo:+.3f} … {hi:+.3f})")


if __name__ == "__main__":  # python -m benchmark.cli
    main_entry()
