"""Add a loss and compare: train only the new loss under the cached field's exact settings.

:func:`compare` reads the configs of the finished runs already in a results store (the *field*),
groups them per task by everything except ``loss`` and ``seed`` (net, iterations, batch size,
crop, lr, data, task parameters, backbone weights) plus the code version, and:

* when a task's field was made with one setting and the current code version, trains and
  evaluates only the new loss(es), on the field's seeds and metrics, with exactly those settings
  (the rebuilt :class:`~benchmark.config.RunConfig` is checked field by field against the cached
  one);
* when a task's field holds several settings, it says which fields differ and compares against
  the largest consistent group only (the others are set aside, never mixed in);
* when the field was made by another code version, it says so and skips that task (the numbers
  would not be comparable); when that leaves no task to compare, it is an error (exit 2), not a comparison.

It then writes ``compare/<loss>.md`` (and prints it; one edited since plbench wrote it is kept as
``compare/<loss>.edited.md``: :func:`write_keeping_edits`): per task, the field's ranking by mean rank with the
new loss marked in it, the new loss's rank per metric and mean rank, its significant wins and losses against
every existing loss (the run as the unit: per-run scores paired by seed, :mod:`benchmark.runstats`; Holm over
each metric column's pairs of losses, the top group's own tests; none with fewer than ``MIN_RUNS`` runs), and
its spot on the perception–distortion plane (coordinates, CI, whether it is on the Pareto front), with a
``compare/<loss>_pd_plane.png`` that highlights it; the full report is regenerated as well.
"""

from __future__ import annotations

import json
import logging
import re
import shlex
import time
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from benchmark.docmarkup import agree, isolate_rtl_markdown, plural
from benchmark.errors import UserError, did_you_mean, update_plbench
from benchmark.export import (
    FEW_IMAGES,
    WORSE,
    _below_gap,
    _fmt,
    _gap_text,
    few_images,
    few_images_text,
    fragile_note,
    md_code,
    md_name,
    md_text,
    one_image,
    one_image_text,
)
from benchmark.results import ResultsStore, atomic_write_bytes, current_digests, gone_task, of_this_grid
from benchmark.runstats import MIN_RUNS, NO_SPREAD, SAME_DIFFERENCE_WHY, more_images
from benchmark.stats import (
    INPUT,
    VERSION_SUFFIX,
    compute,
    family_losses,
    fragile_text,
    labels,
    name_key,
    pair_decided_by,
    pareto_front,
    pd_metrics,
    smoke_test,
)

log = logging.getLogger(__name__)
IDENTITY_FREE = ("loss", "seed", "backbone_weights")


@dataclass
class CompareResult:
    text: str
    path: Path
    trained: int
    paths: dict
    #: runs of the new losses that failed (``plbench compare`` then exits 1, as ``plbench run`` does)
    failed: int = 0


def _setting(meta: dict) -> str:
    """The run's setting as a JSON key (``meta["setting"]``; the config minus loss, seed and weights)."""
    from benchmark.config import as_current_code, setting_json

    if meta.get("setting"):
        return setting_json(meta["setting"])
    cfg = meta.get("config") or {}  # a meta without its setting: the config and code version stand for it
    return setting_json({**{k: v for k, v in cfg.items() if k not in IDENTITY_FREE},
                         "code_version": as_current_code(meta.get("code_version"))})


def field_groups(metas: list[dict], exclude: set[str]) -> tuple[dict[str, list[list[dict]]], dict[str, list[dict]]]:
    """({task: [group of metas sharing one setting (code version included), largest first]},
    {setting key of a group: the metas of its budget checks}); budget checks
    (:func:`benchmark.settings.is_budget_check`) are not groups of their own."""
    from benchmark.settings import is_budget_check

    by_task: dict[str, dict[str, list[dict]]] = {}
    for m in metas:
        cfg = m.get("config")
        if m.get("kind") == "input" or not cfg or m.get("status") not in ("ok", "diverged"):
            continue
        if cfg["loss"] in exclude:
            continue
        by_task.setdefault(cfg["task"], {}).setdefault(_setting(m), []).append(m)
    checks = {}
    for g in by_task.values():
        of = {key: next((k for k, other in g.items() if k != key and
                         is_budget_check(ms[0].get("setting") or {}, other[0].get("setting") or {})), None)
              for key, ms in g.items()}  # decided before any is taken out: a chain 3200/1600/800 leaves 3200
        for key, main in of.items():
            if main is not None:
                checks[main] = g.pop(key)
    return ({t: sorted(g.values(), key=lambda ms: tuple(-n for n in _group_size(ms))) for t, g in by_task.items()},
            checks)


def _spellings_of(new: list[str], specs) -> set[str]:
    """The loss specs of ``specs`` (as a results store records them) that are one of the losses ``new``: the same spec,
    or another spelling of one — an alias read as the loss it is (``lpips_vgg`` is ``lpips(net='vgg')``), arguments in
    another order, a default written out (:func:`benchmark.lossfn.loss_identity`) — by the store's rule of one loss
    spelt two ways (:func:`benchmark.config.merged_spellings`, which :func:`_group_size` counts by too: no loss module
    loaded where no two specs call the same losses); a spec this code does not know (a loss file not loaded) is one of
    ``new`` only spelt alike. compare's one rule of which runs are the compared loss's, never the field's
    (tests/test_probe_compare26.py)."""
    from benchmark.config import merged_spellings

    specs = list(dict.fromkeys(specs))
    read_as = merged_spellings((spec, True) for spec in dict.fromkeys([*new, *specs]))
    mine = {read_as.get(n, n) for n in new}
    return {spec for spec in specs if read_as.get(spec, spec) in mine}


def _diff(a: dict, b: dict) -> str:
    keys = sorted(k for k in set(a) | set(b) if k not in IDENTITY_FREE and a.get(k) != b.get(k))
    return ", ".join(f"{k}: {a.get(k)!r} vs {b.get(k)!r}" for k in keys)


def _field_weights(metas: list[dict], loss: str) -> str:
    """The backbone weights a new ``loss`` trains with beside a field group's runs (``metas``, one setting): those of
    the field's losses that take weights — ``none`` is a pixel loss's, and gpl's ``random`` says nothing either
    (:func:`_says_nothing`) —, which a field planned with
    ``--backbone-weights auto`` may hold two of (pretrained where a loss's files were cached, else random): then what
    auto gives the new loss here (:func:`benchmark.config.weights_for`); a pixel-only field, ``random`` (as before).
    Not the first run's alone: where that was a pixel loss's (``none``), a new deep loss beside a field of pretrained
    VGG and LPIPS runs trained on a random VGG, or not, by the order of run ids."""
    kinds = _followed_weights(metas)
    if not kinds:
        return "random"
    if len(kinds) == 1:
        return kinds[0]
    from benchmark.config import weights_for

    auto = weights_for(loss, "auto")
    return auto if auto in kinds else sorted(kinds)[0]


def _says_nothing(meta: dict) -> bool:
    """Does a field run's recorded ``backbone_weights`` say nothing of the weights the field was run with: ``none`` (a
    pixel loss's), or ``random`` of a loss that computes the same under random and pretrained weights (gpl,
    ``pdl(layers=())``: :func:`benchmark.weights.same_on_random_and_pretrained`; recorded ``random`` whatever
    ``--backbone-weights``, :func:`benchmark.config.resolve`)?"""
    cfg = meta["config"]
    kind = str(cfg.get("backbone_weights", "random"))
    if kind == "none":
        return True
    if kind != "random" or "loss" not in cfg:
        return False
    from benchmark.weights import same_on_random_and_pretrained

    try:
        return same_on_random_and_pretrained(str(cfg["loss"]))
    except UserError:  # a --loss-file loss not registered in this process: its record read as it stands
        return False


def _followed_weights(metas: list[dict]) -> list[str]:
    """The distinct backbone weights of a field's runs that tell which weights it was run with (:func:`_says_nothing`
    left out), in order."""
    return list(dict.fromkeys(str(m["config"].get("backbone_weights", "random")) for m in metas
                              if not _says_nothing(m)))


def field_weights_note(metas: list[dict], loss: str) -> str:
    """What compare says of a new ``loss`` beside a field group (``metas``) of pixel losses alone, whose runs record
    ``none`` whatever ``--backbone-weights`` they were run with, or of losses that load no pretrained file either way
    (gpl, ``pdl(layers=())``: ``random`` whatever, :func:`_says_nothing`; named in the note), so
    :func:`_field_weights` has none to follow: which weights its terms that take weights and name none get (random),
    and the spec that trains them on pretrained ones.
    "" where the field has a deep loss's weights to take, or the loss takes none or names its own."""
    from benchmark.lossfn import Term, parse_loss_spec

    if _followed_weights(metas):
        return ""
    terms = parse_loss_spec(loss)
    open_ = [i for i, t in enumerate(terms) if "weights" not in dict(t.kwargs) and _pretrained_changes(t)]
    if not open_:
        return ""
    spec = " + ".join(str(Term(t.weight, t.name, (*t.kwargs, ("weights", "pretrained"))) if i in open_ else t)
                      for i, t in enumerate(terms))
    same = list(dict.fromkeys(str(m["config"].get("loss")) for m in metas
                              if str(m["config"].get("backbone_weights", "random")) != "none"))
    pixel = any(str(m["config"].get("backbone_weights", "random")) == "none" for m in metas)
    alone = ("are pixel losses alone, which record" if not same else
             f"are {'pixel losses and ' if pixel else ''}{', '.join(same)}, which load"
             " no pretrained file either way and record")
    return (f"{loss} trains on random backbone weights: the field's runs here {alone} "
            "no backbone weights to follow (whatever --backbone-weights they were run with); to train it on "
            f'pretrained weights, compare --loss "{spec}"')


def _pretrained_changes(term) -> bool:
    """Would ``weights='pretrained'`` give this spec term other weights than the random ones a pixel-only field
    leaves it? Only where it then loads a pretrained file — a trunk's download or a checkpoint, not a file shipped in
    a package (lpips' heads, read either way): not gpl (its random VGG is the method, whatever ``weights``), nor the
    pixel-only ``pdl(layers=())`` (no backbone), nor a trunk no published file exists for (``vgg(arch='tinycnn')``).
    A registration that declares no ``weights=`` at all (a ``--loss-file`` deep loss building its own trunk) is not
    known to load none: yes, as the note said of every term taking weights (tests/test_review_stats22.py)."""
    from benchmark.weights import term_loads_pretrained

    return bool(term_loads_pretrained(term))  # None: no published file, pretrained refused: no other weights


def _config_from(meta: dict, loss: str, seed: int, data, device_type: str, field: list[dict] | None = None):
    """The field's config for a new loss and seed, resolved on today's data: the same setting or an error. ``field``:
    the metas of ``meta``'s group, whose weights the new loss takes (:func:`_field_weights`; ``meta``'s alone without).
    """
    import dataclasses

    from benchmark.config import RunConfig, resolve, setting

    cfg = meta["config"]
    if (kind := cfg.get("device_type", "cpu")) != device_type:
        import torch

        there = kind == "cuda" and not torch.cuda.is_available()  # `--device cuda` is refused here: no GPU
        raise UserError(f"the field of task {cfg['task']!r} was trained on {kind} ({cfg.get('precision', 'fp32')}); "
                        + (f"this machine has no CUDA GPU: compare on one that has (--device {kind} there, or auto)"
                           if there else f"compare on the same kind of device (--device {kind})"))
    base = RunConfig.from_dict(cfg)
    from benchmark.task import build_task

    task = build_task(base.task, **dict(base.task_params))
    for key, specs in (("train_fingerprint", base.train_data), ("test_fingerprint", base.test_data)):
        which = key.split("_")[0]
        try:
            old, now = getattr(base, key), data.fingerprint(specs, role=which, task=task, device_type=kind)
        except UserError as exc:  # a folder moved since: the user never named it to compare, the field's meta did
            raise UserError(f"the field of task {cfg['task']!r} was {'trained' if which == 'train' else 'scored'} "
                            f"on {', '.join(map(str, specs))}, which cannot be read now ({exc}): restore it there to "
                            "compare a new loss with this field") from None
        if old and old != now:  # the field cannot be re-planned from here: say what would make them comparable
            raise UserError(f"the {which} data {', '.join(map(str, specs))} is not what the field of task "
                            f"{cfg['task']!r} was {'trained' if which == 'train' else 'scored'} on (content "
                            f"fingerprint {old} → {now}): a new loss would not be comparable; restore that data, "
                            f"or re-run the field on it (`plbench run --out <new dir> ...`) and compare there")
    weights = _field_weights(field or [meta], loss)
    new = resolve(dataclasses.replace(base, loss=loss, seed=seed, backbone_weights=weights,
                                      weights_fingerprint=""), data)  # the new loss's own, not the field's
    if new.crop != base.crop:  # a field stored before Task.train_crop (sr4 at crop 42: 40-px crops, images filtered at
        new = dataclasses.replace(new, crop=base.crop)  # 42): the new loss is trained as its runs were, at their crop
    want = meta.get("setting") or {}
    mismatch = _diff(json.loads(json.dumps(setting(new), default=str)), json.loads(json.dumps(want, default=str))) \
        if want else ""
    if mismatch:
        raise UserError(f"cannot reproduce the field's settings for task {cfg['task']!r} ({mismatch}); "
                        "re-run the field with this code version")
    return new


def _safe(name: str) -> str:
    """A file name for ``name`` (the compared specs joined by ``_``): :func:`benchmark.results.file_name`'s rule, as
    a task's figures are named (:func:`benchmark.report.task_file_name`), at most 80 characters, so two specs that
    differ only in what is replaced or cut (`tag='a b'` / `tag='a_b'`, a long spec's last weight) never write one
    file, and ``L1`` and ``l1`` (a plugin's beside the built-in) are two files on a case-insensitive disk too."""
    from benchmark.results import file_name

    return file_name(name, "loss")


def _stem(new: list[str]) -> str:
    """The name of the comparison of the specs ``new`` (``compare/<stem>.md``, ``<stem>_<task>_pd_plane``): one
    spec's :func:`_safe` name; several specs' joined by a line break, which no spec holds, so its hash tells
    ``huber`` + ``l1`` from the loss ``huber_l1`` (joined by ``_``, as before, they wrote one file)."""
    return _safe("\n".join(new))


def pd_plane_name(new: list[str], task: str) -> str:
    """The file name (no suffix) of the comparison's perception–distortion plane of ``task``:
    ``<stem>_<task>_pd_plane``, the task as :func:`benchmark.report.task_file_name` writes it (a plugin's ``SR4``
    beside ``sr4``: two files on a case-insensitive disk too)."""
    from benchmark.report import task_file_name

    return f"{_stem(new)}_{task_file_name(task)}_pd_plane"


def _header(new: list[str]) -> str:
    """The first line of ``compare/<name>.md`` for the specs ``new``: each a code span that holds it whole
    (:func:`benchmark.export.md_code`; a spec without a backtick as every version of plbench wrote it)."""
    return f"# Where {', '.join(md_code(n) for n in new)} lands"


def _old_header(new: list[str]) -> str:
    """:func:`_header` as plbench wrote it before a backtick in a spec was fenced (the file of such a spec)."""
    return f"# Where {', '.join(f'`{n}`' for n in new)} lands"


def _keep_aside(path: Path) -> Path | None:
    """Move ``path`` (a compare file plbench cannot prove it wrote) to the first free ``<stem>.edited<suffix>``
    (``-2``, ``-3``, … when taken) without reading it — an unreadable file is kept too — by a hard link, which never
    replaces a file, then the old name's removal (a rename to a name free a moment before where the file system has
    no hard links). Returns the new path, or None where ``path`` is gone (a compare of the same specs at once moved
    it first); a full disk or a read-only folder is one line (:class:`UserError`)."""
    from benchmark.results import _write_error, device_safe, link_to_free_name

    # `aux.md` of before names were hashed, kept as `aux.edited.md`, is a Windows device still: `aux_.edited.md`
    stem = device_safe(path.stem)
    dest = path.with_name(f"{stem}.edited{path.suffix}")
    try:
        dest, moved = link_to_free_name(path, lambda n: path.with_name(f"{stem}.edited{'' if n == 1 else f'-{n}'}"
                                                                     f"{path.suffix}"))
        if not moved:
            path.unlink()
    except FileNotFoundError:  # moved by another compare of the same specs meanwhile: kept there
        return None
    except OSError as exc:
        raise _write_error(dest, exc) from None
    return dest


def write_keeping_edits(path: Path, text: str) -> Path | None:
    """Write ``compare/<name>.md`` (``text``) over an earlier one only where that one is as plbench wrote it: the
    SHA-256 of what it wrote is kept beside it (``.<name>.md.sha256``, written after the file). A file that differs
    from it (edited by hand, or written by a plbench that kept no checksum) and from ``text``, or that cannot be read,
    is first moved to ``<name>.edited.md`` (:func:`_keep_aside`), with one warning; its path is returned (None
    otherwise). A crash between the file and its checksum costs one such copy, never the user's text."""
    import hashlib

    data = isolate_rtl_markdown(text).encode()  # as leaderboard.md: a right-to-left name's number on its right
    stamp = path.with_name(f".{path.name}.sha256")
    try:
        old, unreadable = (path.read_bytes() if path.is_file() else None), False
    except OSError:  # there, but not readable (its permissions, an I/O error): the user's, never overwritten
        old, unreadable = None, True
    kept = None
    if unreadable or (old is not None and old != data and hashlib.sha256(old).hexdigest() != _stamp_of(stamp)):
        kept = _keep_aside(path)
        if kept is not None:
            log.warning("%s %s: kept as %s, rewritten with this comparison", path, "cannot be read" if unreadable
                        else "differs from what plbench wrote there (edited by hand?)", kept.name)
    atomic_write_bytes(path, data)
    atomic_write_bytes(stamp, hashlib.sha256(data).hexdigest().encode())
    return kept


def _stamp_of(stamp: Path) -> str:
    """The checksum plbench kept of a compare file it wrote (``.<name>.md.sha256``), or "" (none, unreadable)."""
    try:
        return stamp.read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError):
        return ""


def prune_unhashed(directory: Path, new: list[str]) -> list[Path]:
    """Delete the comparison of ``new`` written under its name of before :func:`_safe` hashed changed names
    (``my_loss_w_0.5.md`` beside ``my_loss_w_0.5-<hash>.md``) and the figures it shows, so a reader finds
    one file per comparison. Only a file whose first line is this comparison's own (:func:`_header`: two
    specs that the old names confused keep each other's file) and the ``*_pd_plane`` figures of that
    name, never a symlink (plbench writes none); anything else stays (as
    :func:`benchmark.figures.prune_figures`). The file itself is removed only where its checksum says plbench wrote
    it as it is (every file of that time has none): else it is kept as ``<old>.edited.md`` (:func:`_keep_aside`),
    as :func:`write_keeping_edits` keeps an edited one."""
    from benchmark.figures import FIGURE_FORMATS

    name = "_".join(new)
    # its names of before: unhashed, and (several specs) hashed as joined by `_`, which loss names hold too
    olds = [o for o in dict.fromkeys([re.sub(r"[^A-Za-z0-9_.-]+", "_", name).strip("_")[:80] or "loss", _safe(name)])
            if o != _stem(new)]
    return [p for old in olds for p in _prune_named(Path(directory), old, new, FIGURE_FORMATS)]


def _prune_named(directory: Path, old: str, new: list[str], formats) -> list[Path]:
    """:func:`prune_unhashed` of the comparison of ``new`` under one earlier name ``old``."""
    import hashlib

    md = directory / f"{old}.md"
    try:  # plbench writes by rename, never a link: a symlink under that name is the user's
        raw = md.read_bytes() if md.is_file() and not md.is_symlink() else b""
        text = raw.decode("utf-8")
    except (OSError, UnicodeDecodeError):
        return []
    if text.partition("\n")[0] not in (_header(new), _old_header(new)):
        return []
    # the figures it shows, in every format: `![perception–distortion](<old>_<task>_pd_plane.png)`
    shown = {Path(f).stem for f in re.findall(r"^!\[[^\]]*\]\(([^)/\\]+)\)$", text, flags=re.M)}
    removed = [md] + [p for p in sorted(directory.iterdir()) if p.is_file() and not p.is_symlink()
                      and p.stem in shown and p.stem.startswith(f"{old}_") and p.stem.endswith("_pd_plane")
                      and p.suffix[1:] in formats]
    stamp = md.with_name(f".{md.name}.sha256")
    if hashlib.sha256(raw).hexdigest() != _stamp_of(stamp) and (kept := _keep_aside(md)) is not None:
        log.warning("%s, this comparison under its earlier name, is not as plbench wrote it (edited by hand, or "
                    "written before plbench kept a checksum): kept as %s", md, kept.name)
    for p in [*removed, stamp]:
        p.unlink(missing_ok=True)  # a compare of the same specs at once may have removed it first
    log.info("removed the comparison written under its earlier name: %s", ", ".join(p.name for p in removed))
    return removed


def compare(out: str | Path, *, loss_files=(), losses=(), tasks=None, device: str = "auto", progress: bool = False,
            baseline: str = "l1", alpha: float = 0.05, n_boot: int = 1000, formats=("png", "pdf"),
            visual: bool = True, where: dict | None = None) -> CompareResult:
    """Train only the new losses under the field's settings and report where they land (``where``:
    only field runs whose setting matches, as in ``plbench report --where``). The new losses are
    ``losses`` (specs) when given, else every loss the ``loss_files`` register."""
    from benchmark.config import expand_losses, spelt_as_stored
    from benchmark.lossfn import check_loss_arguments, parse_loss_spec
    from benchmark.registry import LOSSES, load_user_file
    from benchmark.report import write_report
    from benchmark.runner import code_version, resolve_device, run_grid

    began = time.time()  # the new loss's runs that started before were taken from the store (_timed_when)
    store = ResultsStore(out)
    # as `plbench report`: a missing folder, a file, a folder of other files (where `plbench run`
    # would refuse to write: never offered), a store of plbench 0.1 — one line each, nothing trained
    store.require_results(out)
    store.check_version()
    store.check_foreign()
    new: list[str] = []
    for f in loss_files:  # loaded so their names resolve; compared when no --loss names what to compare
        new += load_user_file(f, LOSSES)
    if losses:  # as `run --loss-file F --losses X`: X only, not also every loss of F at its defaults
        added, new = new, list(losses)
        used = {t.name for s in new for t in parse_loss_spec(s)}  # a typo: the one line below, via parse_loss_spec
        if unused := [n for n in dict.fromkeys(added) if n not in used]:  # said as `plbench run` says it
            log.warning("the loss %s %s, which this comparison does not train: the new losses are %s "
                        "(from --loss or --losses); add %s to them to compare it",
                        agree(len(loss_files), "file registers", "files register"), ", ".join(unused),
                        ", ".join(new),
                        " ".join(unused))
    with store.naming_file_losses():  # `--loss my_loss` of a file the field's runs were trained from, not loaded
        for s in new:  # as `plbench run`: a keyword the loss does not take is one line, said as typed
            parse_loss_spec(s)  # an unknown loss first, named with the file the store's runs came from
            check_loss_arguments(s)
        # as `plbench run --losses`: a spec given twice, or one loss written two ways (a default written out,
        # eps=1 / eps=1.0), is one new loss, first written, with a warning — not two rows of one loss
        new = expand_losses(new)
    new = spelt_as_stored(new, store.recorded_losses())  # a field loss spelt differently: its runs, one row
    metas = store.metas()
    # the compared losses' runs under any spelling the store records (lpips_vgg beside lpips(net='vgg'), ffl beside
    # ffl(alpha=1): one loss, one row of its tables) are theirs, never the field's
    mine = _spellings_of(new, {m["config"]["loss"] for m in metas if "loss" in (m.get("config") or {})})
    groups, check_groups = field_groups(metas, mine)  # checks found before `where` narrows the field
    table = store.table()
    stale_left = dict(store.stale_left)  # what that table left out as another file's scores (ResultsStore.table)
    if where:
        from benchmark.settings import _matches, check_where, settings_of

        check_where(settings_of(table), where)  # a typo'd field, task, parameter or value: one line
        before = groups
        groups = {t: kept for t, gs in groups.items()
                  if (kept := [g for g in gs if g[0].get("setting") and
                               _matches(g[0]["setting"].get("task", ""), g[0]["setting"], where)])}
        if before and not groups:  # not "no finished field runs": there are, at other settings
            from benchmark.settings import _by_value, _fmt

            settings = [g[0]["setting"] for gs in before.values() for g in gs if g[0].get("setting")]
            have = "; ".join(f"{k}: {' | '.join(sorted({_fmt(s[k]) for s in settings if k in s}, key=_by_value))}"
                             for k in where if "." not in k and any(k in s for s in settings))
            raise UserError(f"no field runs match {' '.join(f'{k}={v}' for k, v in where.items())} in {store.root}"
                            + (f" (they have {have})" if have else "")
                            + f"; `plbench report --out {shlex.quote(str(store.root))}` lists the settings")
    if tasks:
        missing = sorted(set(tasks) - set(groups))
        if missing:
            raise UserError(f"no field results for {agree(len(missing), 'task', 'tasks')} {', '.join(missing)} "
                            f"in {store.root}"
                            + did_you_mean(missing[0], sorted(groups)) + f" (field tasks: {', '.join(sorted(groups))})")
    if baseline != "l1":  # asked for by name, as `plbench report --baseline`: a typo is refused before training
        from benchmark.report import resolve_baseline

        baseline = resolve_baseline(store, baseline, new, what="these results or the new one",
                                    table=table)  # or a row's label
    if not groups:  # every finished run of the loss compared (`compare --loss l1` of a store of l1): said so
        own = sorted({m["config"]["loss"] for gs in field_groups(metas, set())[0].values() for g in gs
                      for m in g} & mine)
        # a first grid stopped before any finished
        stopped, retrains = (0, False) if own else _stopped_field_runs(store, new)
        raise UserError(f"no finished field runs in {store.root} to compare against"
                        + (f": its finished runs are of {', '.join(own)}, the loss compared; a field is runs of other "
                           f"losses (`plbench run --out {shlex.quote(str(out))} --losses …` trains them)"
                           if own else
                           f": {plural(stopped, 'run')} {agree(stopped, 'stands', 'stand')} stopped with a checkpoint, "
                           f"not finished: the same `plbench run` {'resumes or retrains' if retrains else 'resumes'} "
                           f"{agree(stopped, 'it', 'them')}, then compare"
                           if stopped else ""))
    from benchmark.config import run_id
    from benchmark.runner import DataCache, is_attempted

    kinds = _field_devices(groups, tasks, code_version())
    if len(set(kinds.values())) > 1:  # one --device for all: whichever is passed, the other tasks' field refuses it
        by = {k: [t for t, v in sorted(kinds.items()) if v == k] for k in sorted(set(kinds.values()))}
        raise UserError("the field's tasks were trained on " + " and on ".join(
            f"{'the CPU' if k == 'cpu' else 'a GPU' if k == 'cuda' else k} ({', '.join(ts)})" for k, ts in by.items())
            + ", and compare trains with the field's exact settings: compare them one kind at a time ("
            + "; ".join(f"--tasks {' '.join(ts)} --device {k}" for k, ts in by.items()) + ")")
    dev = resolve_device(device)
    if device == "auto" and dev.type != "cpu" and set(kinds.values()) == {"cpu"}:
        dev = resolve_device("cpu")  # the field's exact settings: a CPU field's new loss trains on the CPU, GPU or not
        log.info("the field was trained on the CPU: %s is trained there too (--device auto)", ", ".join(new))
    here = code_version()
    data = DataCache()
    notes: dict[str, list[str]] = {}
    chosen: dict[str, list[dict]] = {}
    trained = failed = wrote = 0
    current: set[str] = set()  # the run ids of the loss files as they are now (not of an earlier edit)
    held: dict[str, list] = {}  # {task: its new runs' configs} where run_grid left some to another process
    lost_of: dict[str, tuple] = {}  # {task: (its new runs' configs, the metrics)}: their failures said at the end
    _probe_new_losses(groups, new, here, tasks, data, dev.type)
    field: dict[str, list[str]] = {}  # each task's field settings, the one compared against first: the store's
    tied: dict[str, set[str]] = {}  # a task not compared now whose largest field settings tie (_pick_group)
    for task, gs in sorted(groups.items()):  # report keeps the tasks not compared now (_field_keep)
        try:
            group, task_notes = _pick_group(gs, here, task)
        except UserError:  # two settings of one size: refused for a task compared now (_probe_new_losses)
            if not tasks or task in tasks:
                raise
            group, task_notes = None, []
            # still in the store's report, at the setting that shares the compared tasks' when one alone does
            field[task] = [_setting(g[0]) for g in gs]
            tied[task] = _tied_settings(gs, here)
        if group:
            field[task] = list(dict.fromkeys([_setting(group[0]), *(_setting(g[0]) for g in gs)]))
        ids = {m["run_id"] for m in group or ()}
        # the field's metrics: its table's, and those whose scores the table left out as another file's than today's
        # (ResultsStore.stale_left: every field run's, where the degraded input alone was re-scored) — the new loss is
        # scored on them and the field re-scored (_rescore_stale_field), never a metric silently dropped
        metrics = tuple(sorted(set(table.loc[table["run_id"].isin(ids), "metric"].astype(str))
                               | {m for m, left in stale_left.items() if ids & set(left["stale"])}))
        seeds = sorted({m["config"]["seed"] for m in group or ()})
        configs = [_config_from(group[0], loss, s, data, dev.type, group) for loss in new for s in seeds] if group \
            else []
        check = check_groups.get(_setting(group[0])) if group else None
        if check:  # the field has budget checks (benchmark.convergence): the new loss gets them too
            configs += [_config_from(check[0], loss, s, data, dev.type, group) for loss in new for s in seeds]
        current |= {run_id(c) for c in configs}
        # a new deep loss beside a pixel-only field: which weights it gets, and how to choose — logged while planning
        # and in the saved comparison (its task's notes), whose reader would otherwise trust a random-VGG result
        weights_said = [said for loss in new if group and (said := field_weights_note(group, loss))]
        if tasks and task not in tasks:
            # not asked for now: its section is kept (rebuilt from the store) when an earlier compare
            # trained the new loss here, so `compare --tasks X` never drops the other tasks' results
            if group and metrics and any(is_attempted(store, run_id(c), metrics) for c in configs):
                notes[task], chosen[task] = task_notes + weights_said, group
            continue
        notes[task] = task_notes
        for n in task_notes:
            log.warning("%s: %s", task, n)
        if group is None:
            continue
        notes[task] += weights_said
        chosen[task] = group
        if not metrics:
            notes[task].append("skipped: the field has no scored metrics for this task.")
            continue
        todo = [c for c in configs if not is_attempted(store, run_id(c), metrics)]
        cached = len(configs) - len(todo)
        log.info("%s: %s of %s with the field's settings (seeds %s; metrics %s): %d to train, %d already "
                 "in the store", task, plural(len(configs), "run"), ", ".join(new), seeds, ", ".join(metrics),
                 len(configs) - cached, cached)
        for said in weights_said:
            log.info("%s: %s", task, said)
        # as `run` plans: test images trained on are warned of and recorded in the new runs' meta.json, as the
        # field's; only for the runs to train (those in the store have theirs: a compare run again decodes nothing)
        for pair in dict.fromkeys((c.train_data, c.test_data) for c in todo):
            data.overlap(*pair)
        summary = run_grid(configs, store, metrics, dev, progress=progress, data=data)
        trained += summary.trained
        # rows added: the table read above is no longer the store's — by this compare, or by another process working
        # on the same loss (a second compare of it at once) that finished a run meanwhile, or holds one it may finish
        # before this compare's summary: read again below
        done = sum(is_attempted(store, run_id(c), metrics) for c in configs)
        wrote += summary.trained + summary.rescored + summary.locked + max(done - cached, 0)
        if summary.locked:
            held[task] = configs
        rescored, said = _rescore_stale_field(store, [*group, *(check or [])], metrics, dev, data, progress)
        wrote += rescored
        notes[task] += said
        failed += summary.failed + summary.unscored
        lost_of[task] = (configs, metrics)  # its failed or diverged runs: said once the store is read again below
    if not any(not tasks or t in tasks for t in chosen):  # no asked-for task's field made by this code: nothing
        # compared — an error, not a comparison of "skipped" (another task's section kept from an earlier compare
        # is not this comparison)
        from benchmark.config import as_current_code, code_order

        old = [m for t, gs in groups.items() if not tasks or t in tasks for g in gs for m in g
               if as_current_code(m.get("code_version")) != here]
        versions = ", ".join(code_order(m.get("code_version") for m in old))
        every, some = _newer_field([[m] for m in old])
        raise UserError(f"no field runs in {store.root} were made by this code version ({here}): its "
                        f"{plural(len(old), 'run')} {agree(len(old), 'was', 'were')} made by {versions}, " + (
                            f"a newer plbench than this one: {_update()}" if every else
                            "whose numbers a new loss trained now cannot be compared with; re-run the field first "
                            "(`plbench run --out <new dir>` with its settings) and compare there"
                            + (f" (its runs of a newer plbench: {_update()})" if some else "")))
    keep = _field_keep(field, {t: _setting(g[0]) for t, g in chosen.items()}, tied)
    # finished runs whose folders are gone, as read by the report before it noted them as named, and the runs stopped
    # with a checkpoint, as it read them: the comparison names them too, from the report's one read of each
    gone: dict = {}
    stopped: dict = {}
    judged: list = []  # the report's findings, with the new loss's runs: compare's summary names what they changed
    stale: dict = {}  # the store's stale scores, read once by the report: its findings' and the summary's
    superseded: dict = {}  # its failed runs left out as superseded, worked out once by the report: the summary's too
    paths = write_report(store, baseline=baseline, alpha=alpha, n_boot=n_boot, formats=formats, visual=visual,
                         keep=keep or None, hint="plbench compare", findings_out=judged, stale_out=stale,
                         superseded_out=superseded, gone_out=gone, stopped_out=stopped)
    path = store.root / "compare" / f"{_stem(new)}.md"
    # two compares of one loss at once: each reads the store and writes its summary under the comparison's lock, so
    # the last to write read the store after the other's runs were done (never a 'being trained' note left behind)
    with _summary_lock(store, path):
        for task, (cs, ms) in lost_of.items():  # as the store is now: a run left to another process included
            notes[task] += _lost_run_notes(store, cs, ms)
        for task, cs in held.items():  # still in training there now, this compare's own work done: said so
            notes[task] += _left_notes(store, cs)
        text, figs = _summary(store, chosen, new, notes, alpha, n_boot, baseline, formats, current, keep=keep or None,
                              table=None if wrote else table, gone=gone,  # nothing trained or re-scored: read once
                              since=began, findings_after=judged, stale_all=stale, superseded=superseded,
                              stopped_all=stopped)
        write_keeping_edits(path, text)
        prune_unhashed(path.parent, new)
    paths.update(figs)
    return CompareResult(text, path, trained, paths, failed)


def _rescore_stale_field(store: ResultsStore, metas: list[dict], metrics, dev, data,
                         progress: bool) -> tuple[int, list[str]]:
    """Re-score from its ``net.pt`` each field run (``metas``) whose scores of a metric were made with another file
    than the one there now (``contrique_fr@<checkpoint>`` retrained or copied over in place:
    :meth:`ResultsStore.stale_metrics`), so the new loss, scored with today's file, is ranked against scores of the
    same file; nothing is retrained. A run that cannot be (its net.pt gone, damaged, a config that no longer gives
    its id) keeps its rows, which :meth:`ResultsStore.table` leaves out of the comparison. Each re-score is a new
    evaluation pass (written whole or not at all), the earlier scores kept in their ``eval-*.parquet``: an interrupted
    compare loses nothing, and the next one re-scores the rest. Returns the runs re-scored and one note per metric
    saying so (the comparison's)."""
    from benchmark.config import RunConfig, run_id
    from benchmark.runner import run_grid

    digests = current_digests(metrics, store)
    configs, was = [], {}
    for m in metas if digests else ():
        rid = m["run_id"]
        if m.get("status") != "ok" or not (stale := store.stale_metrics(rid, digests)) \
                or store.damage(rid, deep=False):
            continue
        if not (store.run_dir(rid) / "net.pt").is_file():
            continue
        try:
            cfg = RunConfig.from_dict(m["config"])
        except (TypeError, ValueError, KeyError, UserError):
            continue
        if run_id(cfg) == rid:  # else run_grid would train a run of another id: the field is never retrained
            configs.append(cfg)
            for metric, old in stale.items():
                was.setdefault(metric, []).append(old)
    if not configs:
        return 0, []
    log.info("%s of %s %s scored with another file or code than today's %s: re-scoring %s",
             plural(len(configs), "field run"), configs[0].task, agree(len(configs), "was", "were"),
             ", ".join(sorted(was)),
             agree(len(configs), "it from its net.pt", "them from their net.pt"))
    done = run_grid(configs, store, metrics, dev, progress=progress, data=data).rescored
    from benchmark.metric_code import changed

    return done, [(f"`{m}`: {plural(len(olds), 'field run')} had been scored by its code before today's fix"
                   if changed(m) == "fix" else f"`{m}`: {plural(len(olds), 'field run')} had been scored with the "
                   f"{changed(m)} there before (sha256 {olds[0][:8]}…{agree(len(set(olds)), '', ', …')}), now "
                   f"{digests[m][:8]}…")
                  + agree(len(olds), ": re-scored from its net.pt before this ranking, nothing retrained (the earlier "
                          "scores stay in its eval-*.parquet", ": re-scored from their net.pt before this ranking, "
                          "nothing retrained (the earlier scores stay in their eval-*.parquet")
                  + ", out of every table)" for m, olds in sorted(was.items())]


def _left_notes(store: ResultsStore, configs: list) -> list[str]:
    """The notes on the new losses' runs of one task (``configs``) that this compare left to another process, per new
    loss, as :func:`_lost_run_notes` names them (``l2: 1 of 3 runs of the new loss …``): those it still trains (held
    now) and those it stopped before they finished (no process holds them, none failed: the same compare trains them),
    each count of that loss's runs, with the words that agree with it."""
    from benchmark.config import run_id

    by_loss: dict[str, list] = {}
    for c in configs:
        by_loss.setdefault(c.loss, []).append(c)
    out = []
    for loss, cs in by_loss.items():
        left = sorted({run_id(c) for c in cs} - {r for r in map(run_id, cs) if store.is_done(r)})
        held_now = [r for r in left if _held(store, r)]
        if n := len(held_now):
            out.append(f"{loss}: {n} of {plural(len(cs), 'run')} of the new loss {agree(n, 'is', 'are')} being "
                       f"trained by another process on this results directory (runs/{held_now[0]}"
                       f"{agree(n, '', ', the first')}; this compare left {agree(n, 'it', 'them')} to that process): "
                       f"the same `plbench compare` once it finishes shows {agree(n, 'it', 'them')}.")
        stopped = [r for r in left if r not in held_now and (store.meta(r) or {}).get("status") != "failed"]
        if n := len(stopped):
            out.append(f"{loss}: {n} of {plural(len(cs), 'run')} of the new loss left to another process "
                       f"{agree(n, 'was', 'were')} stopped there before {agree(n, 'it', 'they')} finished "
                       f"(runs/{stopped[0]}{agree(n, '', ', the first')}): the same `plbench compare` trains "
                       f"{agree(n, 'it', 'them')}.")
    return out


def _lost_run_notes(store: ResultsStore, configs: list, metrics=()) -> list[str]:
    """One note per new loss whose runs (``configs``, after training) failed or diverged: the loss, how many of
    its runs, the first error (or iteration of divergence) and that run's ``meta.json``; per loss whose runs ran out
    of memory and trained at half the batch (``batch_size_used``: a setting of its own, in no table here); and per
    loss whose finished runs lack some of ``metrics`` (the field's: its ``net.pt`` missing or unreadable, so it could
    not be scored on them), those metrics and the first such run's ``net.pt``. Read from the store, not from this
    pass: a diverged run is cached (a second compare skips it)."""
    from benchmark.config import run_id
    from benchmark.runner import halved_batch

    by_loss: dict[str, list[tuple[object, str, dict]]] = {}  # loss: (config, run id, meta) of each of its runs
    for c in configs:
        rid = run_id(c)
        by_loss.setdefault(c.loss, []).append((c, rid, store.meta(rid) or {}))
    out = []
    for loss, runs in by_loss.items():
        for status, what in (("failed", "failed"), ("diverged", "diverged")):
            lost = [(rid, m) for _, rid, m in runs if m.get("status") == status]
            if not lost:
                continue
            rid, m = lost[0]
            why = (m.get("error") or "no error recorded") if status == "failed" else (
                f"a non-finite loss at iteration {m['diverged_at']}" if m.get("diverged_at") else "a non-finite loss")
            out.append(f"{loss}: {len(lost)} of {plural(len(runs), 'run')} of the new loss {what} ({why}; "
                       f"runs/{rid}/meta.json{agree(len(lost), '', ', the first')}).")
        # out of memory at the field's batch size, trained at half of it (runner._train_with_oom_retry): a setting of
        # its own, in no table of this comparison, as `plbench run` says of such runs (runner.halved_runs)
        if halved := [(c, rid, used) for c, rid, m in runs if (used := halved_batch(m)) is not None]:
            c, rid, used = halved[0]
            out.append(f"{loss}: {len(halved)} of {plural(len(runs), 'run')} of the new loss ran out of memory at "
                       f"batch size {c.batch_size} and trained at batch size {used} (runs/{rid}"
                       f"{agree(len(halved), '', ', the first')}): a setting of its own, not in this comparison — "
                       f"train the field at batch size {used} too and compare with `--where batch_size={used}`.")
        lacking = {rid: [x for x in metrics if x not in have] for _, rid, m in runs if metrics
                   and m.get("status") == "ok" and not set(metrics) <= (have := store.metrics_attempted(rid))}
        if lacking:
            rid, missing = next(iter(lacking.items()))
            out.append(f"{loss}: {len(lacking)} of {plural(len(runs), 'run')} of the new loss could not be scored on "
                       f"{', '.join(missing)}: net.pt missing or unreadable (runs/{rid}/net.pt"
                       f"{agree(len(lacking), '', ', the first')}; see the log).")
    return out


def _field_keep(field: dict[str, list[str]], chosen: dict[str, str], tied: dict[str, set[str]] | None = None
                ) -> set[str]:
    """The settings the store's report keeps after a compare: each compared task's (``chosen``: {task: setting
    key}) and, for every other task of the field (``field``: {task: its setting keys, preferred first}), its
    first setting that shares the compared ones' (iterations, net, data, ...: what a leaderboard never mixes
    across tasks) — a task with none is left out of the report, with a warning that says how to see it.
    ``tied``: {task: its largest settings, of one size}: where two of them share the compared ones', none
    is preferred and the task is left out too, with its warning."""
    from benchmark.settings import _parse, _shared

    def shared(key: str) -> str:
        return json.dumps(_shared(_parse(key)), sort_keys=True, default=str)

    keep = set(chosen.values())
    want = {shared(k) for k in keep}
    for task, keys in sorted(field.items()):
        if task in chosen:
            continue
        match = next((k for k in keys if not want or shared(k) in want), None)
        if match in (tied or {}).get(task, ()) and sum(not want or shared(k) in want for k in tied[task]) > 1:
            log.warning("%s: left out of the store's leaderboard: its field holds %d settings of one size that "
                        "share the compared tasks' (`plbench report --where ...` shows each)", task,
                        len(tied[task]))
            continue
        if match is None:
            log.warning("%s: left out of the store's leaderboard: none of its field settings shares the compared "
                        "tasks' (`plbench report --where ...` shows it)", task)
            continue
        keep.add(match)
        want = want or {shared(match)}
    return keep


def _probe_new_losses(groups: dict[str, list[list[dict]]], new: list[str], here: str, tasks, data,
                      device_type: str) -> None:
    """Each new loss run once on each compared task's training-shaped crop, before anything trains.

    As ``plbench run`` plans a grid (:func:`benchmark.lossfn.check_loss_on_crop`): a loss whose forward
    raises, returns a NaN or cannot run on the field's crop is one :class:`UserError` line, not a failed
    run recorded in the field's store."""
    from benchmark.lossfn import build_loss, check_loss_on_crop
    from benchmark.task import build_task

    for task, gs in sorted(groups.items()):
        if tasks and task not in tasks:
            continue
        group, _ = _pick_group(gs, here, task)
        if not group:
            continue
        for loss in new:
            cfg = _config_from(group[0], loss, group[0]["config"]["seed"], data, device_type, group)
            check_loss_on_crop(loss, build_loss(loss, seed=0, weights=cfg.backbone_weights),
                               [build_task(cfg.task, **dict(cfg.task_params))], crop=cfg.crop,
                               batch=cfg.batch_size, device_type=device_type, images=data.pooled(cfg.train_data))


def _group_size(g: list[dict]) -> tuple[int, int]:
    """A field group's size, as groups are ranked (:func:`field_groups`): its losses (one spelt two ways once:
    :func:`benchmark.config.merged_spellings`), then its runs (one seed of it under both spellings once), of the
    runs that finished with scores (a diverged run is part of its setting, but a setting whose runs
    diverged is not the field a new loss is ranked against: the field is what trained)."""
    from collections import Counter

    from benchmark.config import merged_spellings

    done = [m for m in g if m.get("status") == "ok"]
    losses = {m["config"]["loss"] for m in done}
    # one loss spelt two ways (ffl, ffl(alpha=1)) is one row of the board: one loss (tests/test_probe_compare26.py),
    # and a run of it under each spelling with the rest of the config alike (a seed trained in both) one run, as the
    # board averages them (stats.stored_twice_lines; tests/test_review_compare26.py): of each such run, the most of
    # any one spelling (two ids of one spelling, a loss file edited between them, still count apart)
    read_as = merged_spellings((loss, True) for loss in sorted(losses))
    if not read_as:  # no loss spelt two ways (a store's usual case): each run id a run, nothing more read
        return len(losses), len(done)
    ids = Counter((read_as.get(c["loss"], c["loss"]), c["loss"], json.dumps(
        {k: v for k, v in c.items() if k != "loss"}, sort_keys=True, default=str)) for c in (m["config"] for m in done))
    runs: dict[tuple[str, str], int] = {}
    for (loss, _, rest), n in ids.items():
        runs[loss, rest] = max(runs.get((loss, rest), 0), n)
    return len({loss for loss, _ in runs}), sum(runs.values())


def _tied_settings(gs: list[list[dict]], here: str) -> set[str]:
    """The setting keys of a task's largest field groups made by this code version, when two or more
    are of one size (:func:`_pick_group` refuses to pick among them); else empty."""
    from benchmark.config import as_current_code

    usable = [g for g in gs if as_current_code(g[0].get("code_version")) == here]
    top = [g for g in usable if usable and _group_size(g) == _group_size(usable[0])]
    return {_setting(g[0]) for g in top} if len(top) > 1 else set()


def _where_pick(task: str, key: str, a: dict, b: dict) -> str:
    """```--where KEY=A`` or ``--where KEY=B```: the ``--where`` that picks each of two settings ``a``, ``b``
    differing in ``key`` (a task parameter as ``TASK.PARAM=VALUE``, as :func:`benchmark.settings._matches`
    reads it)."""
    from benchmark.settings import _fmt, _param

    scalar = (str, int, float, bool)
    if key == "task_params" and task and all(isinstance(c.get(key), dict) for c in (a, b)):
        # a parameter one setting does not record (stored before it existed, or recorded only off its default:
        # sr4's resize, every task's modcrop) reads as its default, as --where reads it
        pa, pb = ({k: _param(task, c[key], k) for k in set(a[key]) | set(b[key])} for c in (a, b))
        param = next((k for k in sorted(pa) if pa[k] != pb[k]), None)
        if param and all(isinstance(p[param], scalar) for p in (pa, pb)):
            return " or ".join(f"`--where {task}.{param}={_fmt(p[param])}`" for p in (pa, pb))
    elif key and all(isinstance(c.get(key), scalar) for c in (a, b)):
        return " or ".join(f"`--where {key}={_fmt(c[key])}`" for c in (a, b))
    return "`--where FIELD=VALUE` (`plbench report` lists the settings)"


def _pick_group(gs: list[list[dict]], here: str, task: str = "") -> tuple[list[dict] | None, list[str]]:
    """The field group a task compares against (the first made by this code version: the most
    losses, then the most runs) and the notes on the groups set aside. Two settings with as many
    losses and runs each are a :class:`UserError` naming a ``--where`` for each: which one the
    field is would otherwise be the order the runs were listed in (``report`` refuses them too)."""
    from benchmark.config import as_current_code

    notes = []
    usable = [g for g in gs if as_current_code(g[0].get("code_version")) == here]

    size = _group_size
    if len(usable) > 1 and size(usable[0]) == size(usable[1]):
        a, b = (json.loads(_setting(g[0])) for g in usable[:2])  # what the groups differ in: their settings
        keys = sorted((k for k in set(a) | set(b) if k not in IDENTITY_FREE and a.get(k) != b.get(k)),
                      key=lambda k: (k in ("net_signature", "train_fingerprint", "test_fingerprint"), k))
        raise UserError(f"{task or 'a task'}: the field holds {len(usable)} settings with "
                        f"{plural(size(usable[0])[0], 'loss', 'losses')} and {plural(size(usable[0])[1], 'run')} "
                        f"each ({_diff(a, b)}): compare against one "
                        f"with {_where_pick(task, keys[0] if keys else '', a, b)}")
    for g in gs:
        if as_current_code(g[0].get("code_version")) != here:
            notes.append(f"{plural(len(g), 'field run')} {agree(len(g), 'was', 'were')} made by code version "
                         f"{g[0].get('code_version')} (this is {here}); "
                         f"{agree(len(g), 'it is', 'they are')} not comparable and {agree(len(g), 'is', 'are')} "
                         "left out.")
    if not usable:
        every, some = _newer_field(gs)
        notes.append("skipped: no field runs made by this code version; " + (
            f"they were made by a newer plbench: {_update()}." if every else
            "re-run the field first" + (f" (its runs of a newer plbench: {_update()})." if some else ".")))
        return None, notes
    for other in usable[1:]:
        lost = "every one of them diverged; " if not _group_size(other)[0] else ""
        notes.append(f"{plural(len(other), 'field run')} ({', '.join(sorted({m['config']['loss'] for m in other}))}) "
                     f"used different settings ({_diff(other[0]['config'], usable[0][0]['config'])}); "
                     f"{lost}they are set aside, not mixed in.")
    return usable[0], notes


def _field_devices(groups: dict[str, list[list[dict]]], tasks, here: str) -> dict[str, str]:
    """{task: the kind of device its field was trained on} of each task compared (the group :func:`_pick_group`
    compares against; a task it refuses or skips is said by the step that meets it)."""
    kinds = {}
    for task, gs in groups.items():
        if tasks and task not in tasks:
            continue
        try:
            group, _ = _pick_group(gs, here, task)
        except UserError:
            continue
        if group:
            kinds[task] = group[0]["config"].get("device_type", "cpu")
    return kinds


def _update() -> str:
    """How a field of a later release than this checkout is made comparable (re-running it here makes it with older
    code)."""
    return f"{update_plbench()} and compare with that"


def _newer_field(gs) -> tuple[bool, bool]:
    """(every, any) of the field groups ``gs`` (lists of metas) made by a later release than this checkout: compared by
    updating plbench, not by re-running the field with this older code."""
    from benchmark.config import newer_code

    newer = [newer_code(g[0].get("code_version")) for g in gs]
    return bool(newer) and all(newer), any(newer)


def _held(store: ResultsStore, rid: str) -> bool:
    """Whether a live process holds the run ``rid`` (:meth:`ResultsStore.lock` taken and let go at once: a process
    that ended, by a failure or a kill, holds nothing; a run whose folder is gone is held by none, and no folder is
    made for it)."""
    if not store.run_dir(rid).is_dir():
        return False
    lock = store.lock(rid)
    if isinstance(lock, str):
        return True
    lock.release()
    return False


def _summary_lock(store: ResultsStore, path: Path):
    """The lock a comparison's summary (``compare/<name>.md``, its figures) is read and written under:
    ``compare/.<name>.md.lock``, waited for while another compare of the same loss writes it."""
    return store.waiting_lock(path.with_name(f".{path.name}.lock"), "another comparison of this loss is writing its "
                              "summary into %s (%s); waiting for it, then reading the store again")


def _full_stop(note: str) -> str:
    """A task's note as the summary quotes it: ended by a full stop, as every note of leaderboard.md is
    (:func:`benchmark.export.notes` ends the smoke test's line; here it came bare)."""
    note = note.rstrip()
    return note if note.endswith((".", "!", "?")) else note + "."


def _stopped_field_runs(store: ResultsStore, new: list[str]) -> tuple[int, bool]:
    """(how many runs of ``store`` stand stopped with a checkpoint of a loss other than ``new``'s, as their checkpoints
    record it — one that does not say, or is unreadable: counted —, whether the same ``plbench run`` retrains one of
    them from iteration 0 rather than resume it): the runs :func:`benchmark.report.stopped_lines` names, by its rule
    (:func:`benchmark.report.standing_stopped`: one superseded left out; one unreadable or holding another run's
    checkpoint retrains). The compared loss's own (under any spelling: :func:`_spellings_of`), resumed, is no field
    run."""
    from benchmark.report import standing_stopped

    def loss(rec):
        return (((rec or {}).get("fingerprint") or {}).get("config") or {}).get("loss")

    stopped = list(standing_stopped(store).values())
    mine = _spellings_of(new, {str(loss(rec)) for _, rec, _ in stopped if loss(rec) is not None})
    field = [(rec, why) for _, rec, why in stopped if loss(rec) not in mine]
    return len(field), any(rec is None or why for rec, why in field)


def _summary(store: ResultsStore, chosen: dict[str, list[dict]], new: list[str], notes: dict[str, list[str]],
             alpha: float, n_boot: int, baseline: str, formats, current: set[str] | None = None,
             keep: set[str] | None = None, table: pd.DataFrame | None = None,
             gone: dict[str, str] | None = None, since: float | None = None,
             findings_after: list | None = None, stale_all: dict | None = None,
             superseded: dict[str, str] | None = None,
             stopped_all: dict | None = None) -> tuple[str, dict]:
    """The Markdown of ``compare`` and its figures. ``current``: the run ids of the new loss as its
    file is now; runs of an earlier version of that file (another hash, another label) are then
    part of the field, not the loss being compared. ``keep``: the settings of the store's leaderboard
    (default: the chosen tasks'); a loss's label (its version or not) is decided over their rows, as the
    leaderboard decides it, not one task at a time. ``table``: the store's (read when not given: compare passes its own
    when it added no rows). ``gone``: :meth:`ResultsStore.gone` as it was before compare's report noted them (read when
    not given). ``since``: when this compare began; the new loss's runs that started before it were taken from the
    store, timed when an earlier command trained them, and the header says so (None: every one timed now).
    ``findings_after``: the store's findings as its report just judged them, with the new loss's runs (judged here when
    not given); ``stale_all``: the store's :meth:`~benchmark.results.ResultsStore.stale_scores` of every run, as its
    report read them (read here once when not given): each task's coverage and the findings'; ``superseded``: the
    failed runs its report left out as superseded (:meth:`~benchmark.results.ResultsStore.standing_metas`; worked out
    here once when not given), left out of every table and finding here alike; ``stopped_all``: the runs stopped with a
    checkpoint (:func:`benchmark.report.standing_stopped`) as its report read them (read here when not given)."""
    from benchmark import figures as F
    from benchmark.export import (
        clipped_ci_lines,
        cost_spread_lines,
        device_cost_lines,
        metric_decimals,
        metric_unit,
        one_run_text,
        pooled_sets_text,
        reads_high_cost_lines,
        survivors_text,
        task_frame,
        unchecked_metrics_text,
        unequal_seeds_text,
    )
    from benchmark.report import (
        _in_setting,
        coverage_lines,
        coverage_table,
        gone_lines,
        in_flight_lines,
        left_out_lines,
        stale_lines,
        stopped_lines,
    )
    from benchmark.settings import lost_checks, select
    from benchmark.stats import version_scope

    table = store.table() if table is None else table
    if stale_all is None:
        stale_all = store.stale_scores(set(map(str, table["run_id"].unique())) if not table.empty else set())
    board = keep if keep is not None else {_setting(g[0]) for g in chosen.values()}
    board_rows = select(table, keep=board, hint="plbench compare").table if board else None
    scope = version_scope(board_rows) if board else None
    computed, new_all = [], set()  # each task's stats and its new losses' labels: the field's verdicts they changed
    # a loss spelt two ways: one, as in table; a failed run whose config finished since under another id (its
    # --loss-file fixed) left out, as the report leaves it (ResultsStore.failed_superseded): no command retries it
    superseded = store.failed_superseded() if superseded is None else superseded
    metas = {m["run_id"]: m for m in store.metas_as_read() if m.get("run_id") not in superseded}
    # finished runs whose folders are gone (deleted, a copy cut short): named in their task's notes — as the store
    # held them before this compare's report, which notes them as said (ResultsStore.gone names each once)
    gone = store.gone() if gone is None else gone
    every = store.renamed() if gone else {}  # the renamed of them (ResultsStore.renamed): listed once, not per task
    from benchmark.report import baseline_here, baseline_loss

    # a spec as ffl(alpha=2): quoted for the shell; a baseline given as a row's label is timed as its loss spec
    timed = perf_command([*new, baseline_loss(table, baseline)], metas.values())
    # every run of the loss compared taken from the store (a field loss, or a loss compared before): none trained now
    stored = _all_from_store(metas, current, since)
    lines = [_header(new), "",
             ("Evaluated with exactly the cached field's settings (seeds, iterations, net, data, task parameters); "
              f"the runs of {', '.join(md_code(n) for n in new)} were already in this results directory, and this "
              "compare trained none of them." if stored else
              "Trained and evaluated with exactly the cached field's settings (seeds, iterations, net, data, task "
              "parameters).") + f" Wins/losses: the run is the unit (per-run scores paired by seed; ≥ {MIN_RUNS} runs, "
             f"else none is tested), Holm over each "
             f"metric column's pairs of losses — the top group's own tests, so a loss is out of it exactly when it "
             f"is significantly worse than another — α = {alpha}. Costs (the leaderboard's `ms/it`) were timed "
             f"when each loss ran — the field's earlier, {', '.join(md_code(n) for n in new)} "
             f"{_timed_when(metas, current, since, several=len(new) > 1)} — on a machine whose load may have "
             f"differed: {md_code(timed)} times them side by side.", ""]
    header = len(lines) - 2  # its line: the families across the columns are said once they are counted
    # runs another process trains now (a node of a shared store, a grid beside this compare), not in these tables, as
    # the leaderboard's note says; the new loss's own are said in their task's notes
    held = {r: h for r, h in store.in_flight().items() if r not in (current or set())}
    # runs stopped midway, not in these tables either
    stopped = stopped_lines(store, comparison=True, stopped=stopped_all)
    lines += [f"> {md_text(line, cell=False)}" for line in in_flight_lines(store, held, comparison=True) + stopped]
    lines += [""] if held or stopped else []
    columns = 0
    figs = {}
    for task in sorted(notes):
        lines += [f"## {task}", ""]
        lines += [f"> {_full_stop(md_text(n, cell=False))}" for n in notes[task]]  # names losses: as leaderboard.md
        if task not in chosen:
            lines.append("")
            continue
        picked = select(table[table["task"] == task], keep={_setting(chosen[task][0])}, hint="plbench compare")
        t = picked.table  # less the scores of another file than the new loss's (ResultsStore.table): said below
        ids = {r for r in picked.run_ids if r in metas}
        # the runs of this setting that left no rows (diverged, failed), as the leaderboard counts them: a loss
        # judged on the runs that finished is said to be
        lost = [m for m in metas.values() if m.get("status") in ("diverged", "failed")
                and (m.get("config") or {}).get("task") == task and _in_setting(m, picked.settings)]
        # a store's row label (`mine (v2)`) as this board labels the same runs
        st = compute(t, [metas[r] for r in ids] + lost, baseline=baseline_here(table, t, baseline, scope),
                     alpha=alpha, n_boot=n_boot, checks=picked.checks, scope=scope,
                     check_metas=lost_checks(metas.values(), picked.settings))
        # as the leaderboard opens: metric coverage, runs not shown converged or too few, one test image
        covered = coverage_table(store, ids, stale=stale_all)
        stale = stale_lines(store, {r for r, m in metas.items() if r in ids or _in_setting(m, picked.settings)})
        covered = covered[~((covered["status"] == "stale") & covered["metric"].isin(stale))]  # said below
        cov = [f"Metric coverage: {line}" for line in coverage_lines(covered, len(ids)) + list(stale.values())
               + left_out_lines(store, picked.settings, [metas[r] for r in ids], task,
                                                every=list(metas.values()))
               + gone_lines(store, {r: w for r, w in gone.items() if gone_task(w) == task}, every=every)]
        cov += [x for x in (smoke_test(st), one_image_text(st, task), few_images_text(st, task)) if x]
        from benchmark.data import overlap_lines

        cov += overlap_lines([metas[r] for r in ids])  # test images trained on, as the leaderboard's notes say
        # a cell on one run: its ± is the images' spread alone, as the leaderboard's note says (tests/
        # test_probe_verdicts13.py)
        cov += [x for x in (one_run_text(st),) if x]
        cov += [x for x in (pooled_sets_text(st),) if x]  # two test sets: the marks pool them, as the leaderboard says
        # scores and runs left out of a column, runs of a budget check's setting that check no run: as the leaderboard
        cov += st.nonfinite + st.sparse + st.unpaired_checks + st.stored_twice
        cov += [x for x in (unequal_seeds_text(st),) if x]  # a mean over other seeds than the field's: said
        cov += clipped_ci_lines(st)  # a CI cut at its metric's bound (vsi ≤ 1), as the leaderboard's notes say
        cov += [x for x in (survivors_text(st),) if x]  # runs lost (diverged, failed): judged on the others
        cov += reads_high_cost_lines(st)  # ms/it with warm-up in it or timed on a busy machine, as the leaderboard
        cov += device_cost_lines(st)  # ms/it timed on a CPU for some losses and a GPU for others
        cov += cost_spread_lines(st)  # costs whose order may flip on a re-run, as the leaderboard's notes say
        if st.versions:  # an edited loss file: its earlier text's runs are rows of the field, as the leaderboard says
            cov.append("Several versions of one loss, each its own row and never pooled (for a loss file the hash of "
                       "its text: the runs of its earlier text are part of the field here, not of the loss compared), "
                       "oldest first: " + "; ".join(st.versions) + ".")
        lines += [f"> {_full_stop(line)}" for line in cov]
        if notes[task] or cov:
            lines.append("")  # a blank line ends the quotes (else Markdown folds what follows into them)
        c = st.cells
        new_labels = set(c.loc[c["loss"].isin(_spellings_of(new, c["loss"].astype(str))), "label"])
        if current is not None:
            new_labels &= set(labels(t, scope)[t["run_id"].isin(current)])
        new_labels = sorted(new_labels, key=name_key)  # a sweep's w2 before w10, as 'Ranking here' lists them
        computed.append(st)
        new_all.update(new_labels)
        if not new_labels:
            why = ("diverged or failed" if _spellings_of(new, [str(m["config"].get("loss")) for m in lost])
                   else "none of its runs finished: see the notes above")
            lines += [f"The new loss has no scored results for this task ({why}).", ""]
            continue
        n_losses = c.loc[c["label"] != INPUT, "label"].nunique()
        # the field with the new loss(es) in it, as the leaderboard's `rank` column orders the task's table
        ranks = c[c["label"] != INPUT].groupby("label", observed=True)["rank"].mean()
        # the task table's order (export.task_frame): ties by name, a number read as a number (stats.rank_order: w2
        # before w10), a loss ranked over fewer metric columns after the others, one with no rank (no finite score:
        # the leaderboard's rank column leaves it out) last, never first
        order = [lab for lab in task_frame(st, task)[2] if lab in ranks.index]
        place = {lab: f"{md_name(lab, cell=False)} (unranked)" if pd.isna(ranks[lab])
                 else f"{_fmt(ranks[lab], '.1f')} {md_name(lab, cell=False)}" for lab in order}
        # each compared loss by its own runs: of `--loss l1 --loss l2`, l1's all taken from the store and l2's trained
        # now, both read "(new)" (tests/test_probe_r3find25.py)
        row_label = labels(t, scope)
        kept = {lab for lab in new_labels if current is not None and _all_from_store(
            metas, set(t.loc[row_label == lab, "run_id"]) & current, since)}
        mark = {lab: "already in the store" if lab in kept else "new" for lab in new_labels}
        lines += [f"Ranking here (mean rank over the metric columns, 1 = best; {'compared' if kept else 'new'} in "
                  "bold): " + " · ".join(f"**{place[lab]} ({mark[lab]})**" if lab in new_labels else place[lab]
                                         for lab in order), ""]
        # the verdicts below (top group, significantly better/worse than) rest on the test images: on one, over
        # training runs on it only; on 2 to FEW_IMAGES − 1, approximate — said on each loss's line, as the findings'
        # verdicts say it, not only in the section's quoted notes
        n_img = one_image(st, task).get(task) or few_images(st, task).get(task)
        caveat = "" if not n_img else (
            "; its verdicts below on one test image only (over training runs on it, not over images)" if n_img < 2
            else f"; its verdicts below on {n_img} test images only (approximate: {more_images(FEW_IMAGES)})")
        for label in new_labels:
            shown = md_name(label, cell=False)  # a name as text in Markdown: no maths, strikethrough, tags
            mine = c[c["label"] == label].set_index("metric")
            # the leaderboard task table's `rank` (export.task_rows) with its decimals: one number, one text
            lines += [f"**{shown}** — mean rank {_fmt(mine['rank'].mean(), '.1f')} of "
                      f"{plural(n_losses, 'loss', 'losses')}{caveat}", "",
                      "| metric | value ± CI | rank | top group | vs field: significantly better than | "
                      "significantly worse than |", "|---|---|---|---|---|---|"]
            wins, losses = _pairwise(st, label, alpha)
            columns += len(_tested_metrics(st, label) & set(mine.index))  # an untested column shows no win or loss
            for m in mine.index:
                r = mine.loc[m]
                dec = metric_decimals(st, task, m)  # the leaderboard's fixed decimals for this column
                # untested (too few runs): neither in nor out of the top group
                top = "yes" if r["top_group"] else "not tested" if pd.isna(r["p_best_adj"]) else "no"
                val, lo, hi = (_fmt(r[k], f".{dec}f") for k in ("mean", "ci_low", "ci_high"))
                lines.append(f"| {m}{metric_unit(m)} {'↑' if r['higher_is_better'] else '↓'} | {val} [{lo}, {hi}] | "
                             f"{r['rank']:g} | "
                             f"{top} | {', '.join(map(md_name, wins.get(m, []))) or '–'} | "
                             f"{', '.join(map(md_name, losses.get(m, []))) or '–'} |")
            # each win and loss with its effect in the metric's units, CI and p — by name alone, a user had nothing to
            # quote (tests/test_probe_verdicts17.py)
            effects = [f"{m}: {word} than {md_name(o)} by {_pair_effect(st, task, m, label, o)}"
                       for m in mine.index for word, found in (("better", wins), ("worse", losses))
                       for o in found.get(m, [])]
            if effects:
                lines += ["", _effects_line(shown, effects, st.alpha)]
            # a fragile win or loss (stats.pair_decided_by), named as the leaderboard's fragile ▲/▼ are
            one = [f"{word} than {md_name(o)} on {m} ({fragile_text(*d, alpha=st.alpha)})"
                   for word, found in (("better", wins), ("worse", losses)) for m, names in found.items()
                   for o in names
                   if (d := pair_decided_by(st, task, m, label, o) or pair_decided_by(st, task, m, o, label))]
            if one:
                lines += ["", fragile_note("Fragile", "the pair's p Holm-adjusted over its column ≥ α, or its effect "
                                           "turned", one, lead=f"{shown} significantly ")]
            w = st.worse  # as the leaderboard's ⚠: runs that restore worse than the degraded input on psnr
            below = w[(w["task"] == task) & (w["label"] == label) & (w["worse"] > 0)] if not w.empty else w
            if len(below):
                n_below, n_runs = int(below["worse"].iloc[0]), int(below["runs"].iloc[0])
                gap = _gap_text(_below_gap(st, task, label))
                lines += ["", f"{WORSE} Worse than the degraded input: {n_below} of {plural(n_runs, 'run')} of {shown} "
                              f"{agree(n_below, 'scores', 'score')} "
                              "below the input itself on psnr (the same images)"
                              + (f", {gap} dB{'' if n_below == n_runs else ' in those runs'}" if gap else "")
                              + f"; marked {WORSE} on the leaderboard, whatever its rank among the losses."]
            # the new loss's own metrics: the field's lpips beside a new loss not scored on it (skipped here: its
            # weights not cached) gives no point of it on that plane, where the field's would look up none of it
            dist, perc = pd_metrics(mine.index)
            if dist and perc:
                restored = c[c["label"] != INPUT]
                x = restored[restored["metric"] == dist].set_index("label")
                y = restored[restored["metric"] == perc].set_index("label")
                labs = [l for l in x.index if l in y.index]
                front = dict(zip(labs, pareto_front(x.loc[labs, "mean"].to_numpy(), y.loc[labs, "mean"].to_numpy(),
                                                    st.higher()[dist], st.higher()[perc])))
                on = [l for l in labs if front[l]]
                where = _front_text(label, bool(front.get(label)), labs, x, y, st, dist, perc, wins, losses)
                xd, yd = (_fmt(v.loc[label, "mean"], f".{metric_decimals(st, task, m)}f")
                          for v, m in ((x, dist), (y, perc)))
                lines += ["", f"Perception–distortion plane: {dist} = {xd}, {perc} = {yd}; {where}"
                              f" (front: {', '.join(md_name(o, cell=False) for o in on)})."]
            tc = st.task_costs
            mine_tc = tc[(tc["task"] == task) & (tc["label"] == label)] if "unconverged" in tc.columns else tc.iloc[0:0]
            if len(mine_tc):  # the leaderboard's `unconv.` column, said in words
                ok, un = int(mine_tc["ok"].iloc[0]), int(mine_tc["unconverged"].iloc[0])
                checked = st.budget_iterations
                # a metric without a practical margin is in no arm's check: said, as the leaderboard's note says it
                # (tests/test_probe_verdictsfu14.py)
                unchecked = unchecked_metrics_text(st, task) if checked else ""
                lines += ["", f"Convergence: {ok - un} of {plural(ok, 'run')} of {shown} shown converged" + (
                    f" (budget checks at {checked[1]} of {checked[0]} iterations" + (
                        f"; {unchecked}" if unchecked else "") + ")." if checked else
                    " (the field has no budget checks: none can be).")]
            lines.append("")
        base = store.root / "compare" / pd_plane_name(new, task)
        p = F.pd_plane(st, base, F.report_formats(formats), highlight=set(new_labels))  # the PNG its text links
        if p:
            figs[f"compare_pd_{task}"] = p[0]
            # every part: a field of many long names has the plane's key apart (figures.legend_apart), which part 1
            # sends the reader to
            pngs = [q for q in p if q.suffix == ".png"]
            lines += [f"![perception–distortion{', part 2: its key' if i else ''}]({q.name})"
                      for i, q in enumerate(pngs)] + [""]
    # the field's own verdicts the new loss's tests took out of significance by joining their Holm families (a Holm p
    # only grows with its family): said, not left for a reader to find a ▼ gone from the leaderboard. Its ▲/▼ are one
    # family over the whole table: said where every task of it was computed here
    here = {task for st in computed for task in st.cells.get("task", ())}
    whole = board_rows is not None and set(board_rows["task"]) <= here
    unjudged = "" if whole or board_rows is None else unjudged_text(set(board_rows["task"]) - here, notes, chosen)
    if changed := family_losses(computed, new_all, alpha, whole=whole):
        lines += changes_section(
            "The field's verdicts this comparison changed",
            "The field's runs and their own p's are as before, but the tests of "
            f"{', '.join(md_code(n) for n in new)} joined the Holm families the field's are adjusted in "
            "(each metric column's pairs"
            + ("; the leaderboard's ▲/▼, one family over the whole table" if whole else "")
            + f"), and a Holm p only grows with its family{'. ' + unjudged if unjudged else ''}. "
            f"No longer significant at α = {alpha:g}:", changed)
    elif unjudged and new_all:
        lines += ["## The field's verdicts this comparison changed", "",
                  f"None in the metric columns' pairs. {unjudged}.", ""]
    # the store's findings (as the report's Findings tab and `plbench findings` judge them) without and with the new
    # loss's runs: a claim about every rival gains parts on it, so a published verdict can change
    if table is not None and not table.empty and new_all:
        from benchmark.findings import check_store, verdicts_changed

        mine = table["run_id"].isin(current) if current is not None else table["loss"].isin(new)
        moved = []
        if mine.any():
            after = check_store(store, alpha=alpha, table=table, stale=stale_all, superseded=superseded) \
                if findings_after is None else findings_after
            # only a finding with a part on the new loss's runs can change: judged again without them, the rest are
            # not. Its parts' labels as the leaderboard's (stats.labels), the version aside: the findings decide it
            # over every setting, compare over its board; every task of its runs, not only those compared here
            bare = {VERSION_SUFFIX.sub("", lab) for lab in labels(table[mine]).unique()}
            names = list(dict.fromkeys(r.name for r in after for p in r.parts
                                       if {VERSION_SUFFIX.sub("", p.a), VERSION_SUFFIX.sub("", p.b)} & bare))
            if names:
                moved = verdicts_changed(check_store(store, names, alpha=alpha, table=table[~mine],
                                                     stale=stale_all, superseded=superseded), after)
        if moved:
            lines += changes_section(
                "Findings this comparison changed",
                f"With the runs of {', '.join(md_code(n) for n in new)} (a rival of a claim about every other loss; "
                "`plbench findings` gives each part), the verdict before → after:", moved)
    if columns > 1:
        # each column holds α on its own: over many, a loss no different from the field shows some win or loss more
        # often than α (2 × α over 9 columns of null stores, tests/test_probe_verdicts13.py), as the leaderboard's
        # note says of bold — said where the reader counts its wins, of the columns tested (one with fewer than 5 runs
        # shows none: the note on a smoke test's untested table said nothing true)
        lines[header] += (f" Each metric column is its own family: across the {columns} tested columns below, a loss "
                          f"no different from the field shows some win or loss more often than α (the leaderboard's "
                          f"▲/▼ against its baseline are one family over the whole table).")
    return "\n".join(lines), figs


def _all_from_store(metas: dict[str, dict], current: set[str] | None, since: float | None) -> bool:
    """Were all the new loss's finished runs (``current`` in ``metas``) taken from the store, none trained by this
    compare (begun at ``since``)? (``compare --loss l1`` of a field holding l1: nothing to train.)"""
    runs = [metas[r] for r in sorted(current or ()) if r in metas and metas[r].get("status") == "ok"]
    return bool(runs) and since is not None and not any(of_this_grid(m, "started", since) for m in runs)


def _timed_when(metas: dict[str, dict], current: set[str] | None, since: float | None, several: bool = False) -> str:
    """When the new loss's runs (``current``, finished in ``metas``) were timed, for :func:`_summary`'s header: "now"
    where this compare (begun at ``since``) trained them all, else how many were taken from the store, trained and
    timed by an earlier command (a second compare of the loss trains nothing). ``several``: several new losses, whose
    runs these are together ('their', not 'its')."""
    runs = [metas[r] for r in sorted(current or ()) if r in metas and metas[r].get("status") == "ok"]
    earlier = [m for m in runs if since is not None and not of_this_grid(m, "started", since)]
    if not earlier:
        return "now"
    n, its = len(runs), "their" if several else "its"
    if len(earlier) == n:
        return (f"earlier too ({its} {plural(n, 'run')} taken from this results directory, trained by an "
                "earlier command)")
    return (f"now and earlier ({len(earlier)} of {its} {n} runs taken from this results directory, trained by an "
            "earlier command)")


def perf_command(specs: list[str], metas) -> str:
    """``plbench perf --losses SPEC…`` for ``specs`` (each once, quoted for the shell), with a ``--loss-file`` for each
    file a loss of theirs was trained from (the runs' ``meta.json``: ``loss_files``), so the command runs as
    printed — without them a loss of a file is an unknown loss to ``perf``. A loss registered now from a file (the
    ``--loss-file`` of this compare, found by its hash where its runs were trained from a file since moved or
    renamed) is given that file, not the path its runs recorded."""
    from benchmark.lossfn import parse_loss_spec
    from benchmark.registry import LOSSES

    specs = list(dict.fromkeys(specs))
    recorded = {name: str(path) for m in metas if (m.get("config") or {}).get("loss") in specs
                and isinstance(m.get("loss_files"), dict) for name, path in m["loss_files"].items()}
    needed: dict[str, None] = {}
    for spec in specs:
        try:
            needed.update(dict.fromkeys(t.name for t in parse_loss_spec(spec)))
        except Exception:  # noqa: BLE001 - a field loss of a file not loaded now: its runs' paths, as recorded
            needed.update(dict.fromkeys(n for n in recorded if re.search(rf"\b{re.escape(n)}\b", spec)))
    files: dict[str, None] = {}
    for name in [*(n for n in recorded if n in needed), *needed]:  # the runs' order first
        now = LOSSES.get(name).meta.get("file") if name in LOSSES else None
        if path := (str(now) if now else recorded.get(name)):
            files[path] = None
    return shlex.join(["plbench", "perf", "--losses", *specs, *(a for f in files for a in ("--loss-file", f))])


def _front_text(label: str, on_front: bool, labs: list[str], x: pd.DataFrame, y: pd.DataFrame, st, dist: str,
                perc: str, wins: dict, losses: dict) -> str:
    """Where ``label`` sits on the perception–distortion plane, said as what the means show and what the
    tests show: the front is drawn through the means, so "dominated" only means that some loss's means are
    better on both axes; it is *significantly* dominated when such a loss is significantly better on both
    (the top group's pair tests, ``losses``: {metric: [losses it is worse than]}). Names are escaped
    for Markdown (:func:`benchmark.export.md_text`)."""
    def names(xs):
        return ", ".join(md_name(o, cell=False) for o in xs)

    if on_front:
        return "**on the Pareto front** (by the means)"
    hx, hy = (1.0 if st.higher()[dist] else -1.0), (1.0 if st.higher()[perc] else -1.0)
    over = [o for o in labs if o != label and hx * x.loc[o, "mean"] >= hx * x.loc[label, "mean"]
            and hy * y.loc[o, "mean"] >= hy * y.loc[label, "mean"]]
    sig = [o for o in over if o in losses.get(dist, []) and o in losses.get(perc, [])]
    if sig:
        return f"significantly dominated by {names(sig)} (better on {dist} and on {perc})"
    # a loss never tested against this one on both axes (too few paired runs) is not "not significantly" better
    untested = [o for o in over if not (_tested(st, label, o, dist) and _tested(st, label, o, perc))]
    tested = [o for o in over if o not in untested]
    out = []
    if tested:
        out.append(f"dominated by the means of {names(tested)}, not significantly (no loss is significantly "
                   f"better on both {dist} and {perc})")
    # each untested pair with its own reason: a pair with no spread (SE 0) has runs enough, more would change nothing
    flat = [o for o in untested if NO_SPREAD in _statuses(st, label, o, (dist, perc))]
    few = [o for o in untested if o not in flat]
    if few:
        out.append(f"{'and' if out else 'dominated'} by the means of {names(few)}, not tested (a test "
                   f"needs ≥ {MIN_RUNS} paired runs of the two: no verdict either way)")
    if flat:
        # a pair of the field's with no spread and a difference (an exact copy is tested, p 1): runstats' words
        out.append(f"{'and' if out else 'dominated'} by the means of {names(flat)}, not tested (no spread, "
                   f"{SAME_DIFFERENCE_WHY})")
    return "; ".join(out)


def _statuses(st, a: str, b: str, metrics) -> set[str]:
    """The statuses (:attr:`benchmark.stats.Stats.pairs`) of the pair (``a``, ``b``) on ``metrics``."""
    pairs = st.pairs
    if pairs is None or pairs.empty or "status" not in pairs.columns:
        return set()
    mine = pairs[pairs["metric"].isin(list(metrics)) & (((pairs["a"] == a) & (pairs["b"] == b))
                                                        | ((pairs["a"] == b) & (pairs["b"] == a)))]
    return set(mine["status"].astype(str))


def _tested(st, a: str, b: str, metric: str) -> bool:
    """Was the pair (``a``, ``b``) tested on ``metric`` (:attr:`benchmark.stats.Stats.pairs`: a Holm p)?"""
    pairs = st.pairs
    if pairs is None or pairs.empty:
        return False
    mine = pairs[(pairs["metric"] == metric) & (((pairs["a"] == a) & (pairs["b"] == b))
                                                | ((pairs["a"] == b) & (pairs["b"] == a)))]
    return bool(mine["p_adj"].notna().any())


def _tested_metrics(st, label: str) -> set:
    """The metrics of ``st`` where ``label`` has a tested pair (a finite Holm p): the columns whose wins and losses
    can show; with fewer than 5 runs none (the header's note on the columns' families counts these)."""
    p = st.pairs
    if p is None or p.empty:
        return set()
    return set(p.loc[((p["a"] == label) | (p["b"] == label)) & p["p_adj"].notna(), "metric"])


def _effects_line(shown: str, effects: list[str], alpha: float) -> str:
    """The line of a new loss's wins and losses with their effects (:func:`_pair_effect`). Its CI is each pair's own
    95 % t interval, not adjusted for the column's pairs as its p is (a Holm p below 0.05 keeps it off 0, one below
    a larger α may not): the line says so (tests/test_review_verdicts17.py)."""
    level = "" if alpha == 0.05 else f" — at α = {alpha:g} the p decides, the CI may cross 0"
    return (f"Effects of {shown} (its paired mean difference from each loss it is significantly better or worse than, "
            f"positive = better, in the metric's units; unadjusted 95 % CI{level}; p Holm over the column's pairs): "
            + "; ".join(effects) + ".")


def unjudged_text(missing, notes: dict[str, list[str]], chosen: dict) -> str:
    """Why the leaderboard's ▲/▼ — one Holm family over the whole table, which a new loss's tests join — are not
    judged by ``plbench compare``: the board's ``missing`` tasks it computed no cells of, each with what it lacks
    (``deblur: not compared now (--tasks)``); its first form said the metric columns' families only, with no word of
    the ▲/▼ nor of which tasks were not computed (tests/test_probe_verdicts19.py). ``notes``/``chosen``: compare's
    per-task notes and picked groups."""
    def why(task: str) -> str:
        if task not in notes:
            return "not compared now: --tasks left it out"
        if task not in chosen:
            return "no setting of its field picked: its section says why"
        return "no cell computed: its section says why"

    if not missing:
        return ""
    return ("The leaderboard's ▲/▼ (one Holm family over the whole table, which these tests join too) are not judged "
            # `--tasks denoise` beside sr4: one task, the usual case
            f"here: no cells of the board's {agree(len(missing), 'task', 'tasks')} "
            + ", ".join(f"{t} ({why(t)})" for t in sorted(missing))
            + " were computed — `plbench report` re-derives them")


def changes_section(title: str, lead: str, items: list[str]) -> list[str]:
    """The Markdown lines of a section of ``plbench compare``'s summary naming what the comparison changed: its title,
    the ``lead`` sentence, then one list item per change. Its first form ran every change into one sentence joined by
    ';' — four field verdicts and a finding with its verdict sentence read as one paragraph
    (tests/test_review_verdicts18.py)."""
    return [f"## {title}", "", lead, "", *(f"- {md_text(x, cell=False)}" for x in items), ""]


def _pair_effect(st, task: str, metric: str, label: str, other: str) -> str:
    """``+0.12 dB [+0.05, +0.19] (p_holm = 0.003, 5 runs)``: ``label``'s paired effect over ``other`` on (task, metric)
    (positive = ``label`` better), its 95 % CI and Holm p over the column's pairs, from :attr:`Stats.pairs`, at the
    findings' decimals (two significant digits of the CI's half-width)."""
    from benchmark.export import metric_unit, p_text
    from benchmark.findings import _ci, _effect

    p = st.pairs
    p = p[(p["task"] == task) & (p["metric"] == metric)]
    row = p[((p["a"] == label) & (p["b"] == other)) | ((p["a"] == other) & (p["b"] == label))].iloc[0]
    s = 1.0 if row["a"] == label else -1.0
    e, lo, hi = s * row["effect"], *sorted((s * row["ci_low"], s * row["ci_high"]))
    unit = metric_unit(metric).strip(" ()")  # "dB" for PSNR
    return (f"{_effect(e, lo, hi)}{' ' + unit if unit else ''} {_ci(lo, hi)} (p_holm {p_text(row['p_adj'], st.alpha)}, "
            f"{int(row['n_runs'])} runs)")


def _pairwise(st, label: str, alpha: float) -> tuple[dict, dict]:
    """{metric: [existing losses the new one beats]} and {metric: [... it loses to]}: the pairs the top
    group tested (:attr:`benchmark.stats.Stats.pairs`, Holm over each column's pairs), so a loss is
    "significantly worse than" another exactly when it is out of the top group — one family, not two."""
    pairs = st.pairs
    wins, losses = {}, {}
    if pairs is None or pairs.empty:
        return wins, losses
    for r in pairs[(pairs["p_adj"] < alpha) & ((pairs["a"] == label) | (pairs["b"] == label))].itertuples(index=False):
        other, ahead = (r.b, r.effect > 0) if r.a == label else (r.a, r.effect < 0)
        (wins if ahead else losses).setdefault(r.metric, []).append(other)
    for found in (wins, losses):  # in the one name order (stats.name_key: v2 before v10), not the blocks' string order
        for metric, names in found.items():
            found[metric] = sorted(names, key=name_key)
    return wins, losses
