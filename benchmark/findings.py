"""Published findings, checked automatically against the tidy results table.

Each claim lives in its own file in ``findings/`` (scanned like ``losses/`` and ``tasks/``) as a
:class:`Finding` subclass registered with :func:`register_finding`: the claim in one sentence,
the citation, the table or figure it comes from, what it :class:`Needs` (tasks, losses, metrics,
weights kind), and :meth:`Finding.comparisons` — which paired comparisons of two *arms* (a loss
with its weights provenance) on one (task, metric) the claim predicts, and in which direction.
Everything else is shared here, so every finding is judged by the same rules:

* **Per part** (one comparison): per-image values are averaged over each arm's seeds, then
  ``d_i`` = arm A − arm B per test image, signed so that positive means A is better. The
  **effect** is ``mean(d)`` in the metric's units (``dz`` = mean/sd is the standardised effect);
  its **95% CI** is a two-level percentile bootstrap that resamples the test images (paired) and,
  per arm, its seeds; the **paired test** is a two-sided Wilcoxon signed-rank test of
  ``d + margin`` (Holm-adjusted over the counted parts of one finding and setting).
* **Relations**: ``better`` (A > B: margin 0) and ``at_least`` (A ≥ B, a non-inferiority claim:
  ``margin`` = :data:`NONINFERIORITY` × |B's gain over the degraded input| on that metric, or 0
  when the table has no ``input`` rows; only the inputs of the part's own setting count). A part is
  **reproduced** when the adjusted p < α, the CI lies above −margin and the signed ranks of
  ``d + margin`` favour A (W+ > W−); **contradicted** when the adjusted p < α, the CI lies below
  −margin and the signed ranks favour B; **inconclusive** otherwise — also when the test and the
  CI of the mean point to opposite sides (a few large gains against many small losses;
  with n test images no two-sided Wilcoxon p is below 2/2ⁿ, so 3
  images can never decide anything; the note says so).
* **Circular parts** (a loss scored by the metric it was trained on, :func:`benchmark.stats.is_circular`)
  are listed but not counted, unless the finding is *about* that metric (``count_circular``).
* **Verdict** of a finding in one setting: ``contradicted`` if any counted part is, else
  ``reproduced`` if every counted part is, else ``inconclusive``; ``needs weights`` when the claim
  is about pretrained networks and the results have none (never a verdict then); ``not
  applicable`` when the results lack the tasks, losses or metrics it needs. The headline part is
  the one that decides: the strongest contradiction, else the weakest reproduced part, else the
  open part closest to a decision (smallest adjusted p, then largest effect relative to its CI).
* **Setting**: findings are checked separately per setting (the part of each row's recorded
  ``setting`` shared by every task — net, schedule, data, device, code; or, in tables without
  it, the :data:`SETTING_COLUMNS` present); a task recorded under several per-task settings
  (parameters, task version) is split into as many groups, never pooled. An arm is one loss spec,
  weights kind and — when the results hold several registry versions of it — version (labelled
  ``(vN)``; a finding takes the newest). Every verdict states the setting, test images and seeds
  it was checked on.
"""

from __future__ import annotations

import logging
import math
import re
import warnings
import zlib
from collections.abc import Iterable
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from benchmark.registry import FINDINGS, register_finding
from benchmark.stats import (
    INPUT,
    holm,
    is_circular,
    is_perceptual,
    loss_label,
    metric_order,
    pd_metrics,
    wilcoxon_p,
)

log = logging.getLogger(__name__)

__all__ = ["FINDINGS", "register_finding", "Finding", "Needs", "Arm", "Comparison", "Results", "check", "check_all"]

VERDICTS = ("reproduced", "contradicted", "inconclusive", "needs weights", "not applicable")
#: non-inferiority margin of an ``at_least`` part, as a fraction of the reference arm's gain over the input
NONINFERIORITY = 0.05
#: bootstrap resamples per CI: one number, so `plbench findings` and the report's Findings tab agree
N_BOOT = 2000
#: columns that, when present, define one experimental setting (besides the task and its parameters)
SETTING_COLUMNS = ("net", "train_data", "iterations", "batch_size", "crop", "lr", "profile")


_SEED = re.compile(r"\(seed=-?\d+\)")


def arm_weights(provenance) -> str:
    """The weights of an arm: the provenance without the random-init seed, which follows the
    training seed — ``vgg16:random(seed=0)`` and ``vgg16:random(seed=1)`` are two seeds of one
    arm, ``vgg16:random`` (:func:`benchmark.stats.weights_kind`, the leaderboard's loss identity)."""
    from benchmark.stats import weights_kind

    return weights_kind(provenance)


def weights_class(provenance) -> str:
    """``none`` (no learned weights), ``random``, ``selftrained`` or ``pretrained`` from a provenance
    string such as ``vgg16:random(seed=0)`` or ``alexnet:IMAGENET1K_V1+lpips:alex:v0.1`` (the trunk
    decides: a random trunk with shipped LPIPS heads is ``random``)."""
    if provenance is None or (isinstance(provenance, float) and math.isnan(provenance)):
        return "none"
    p = str(provenance).strip().lower()
    if p in ("", "none", "<na>", "nan"):
        return "none"
    trunk = p.split("+", 1)[0]
    if "random" in trunk:
        return "random"
    if "selftrained" in trunk:
        return "selftrained"
    return "pretrained"


# --------------------------------------------------------------------------------------------
@dataclass(frozen=True, order=True)
class Arm:
    """One trained configuration compared by a finding: a loss spec and its weights provenance
    without the random-init seed (:func:`arm_weights`): its runs over seeds are one arm."""

    loss: str
    weights: str = "none"
    #: the loss's registry version when the results hold several versions of this loss and weights
    #: (different code is never pooled; the label then ends in ``(vN)``, as on the leaderboard)
    version: str = ""

    @property
    def kind(self) -> str:
        return weights_class(self.weights)

    @property
    def label(self) -> str:
        return loss_label(self.loss, self.weights) + (f" (v{self.version})" if self.version else "")


@dataclass(frozen=True)
class Needs:
    """What a finding needs from the results: any of ``tasks`` (empty: any task); every loss of
    ``losses`` (by loss name, with any weights) — or, when ``weights`` names a kind (``pretrained``,
    ``random``, ``selftrained``), at least one of them trained with that kind (a family such as
    DISTS/LPIPS; ``pretrained`` missing is reported as ``needs weights``); and any of ``metrics``
    (``"perceptual"`` stands for any of :data:`benchmark.stats.PERCEPTUAL_METRICS`)."""

    tasks: tuple[str, ...] = ()
    losses: tuple[str, ...] = ()
    metrics: tuple[str, ...] = ()
    weights: str = "any"

    def describe(self) -> str:
        parts = []
        if self.tasks:
            parts.append("tasks " + "/".join(self.tasks))
        if self.losses:
            parts.append("losses " + ", ".join(self.losses))
        if self.metrics:
            parts.append("metrics " + "/".join(self.metrics))
        if self.weights != "any":
            parts.append(f"{self.weights} weights")
        return "; ".join(parts) or "nothing"


@dataclass(frozen=True)
class Comparison:
    """A predicted paired comparison: ``a`` is ``relation`` (``better`` or ``at_least``) ``b`` on
    (task, metric)."""

    task: str
    metric: str
    a: Arm
    b: Arm
    relation: str = "better"
    note: str = ""
    #: count this part even when circular (None: the finding's :attr:`Finding.count_circular`)
    count_circular: bool | None = None


@dataclass
class Part:
    """One checked comparison: the statistics and its verdict (see the module docstring)."""

    task: str
    metric: str
    a: str
    b: str
    relation: str
    effect: float
    ci_low: float
    ci_high: float
    dz: float
    p: float
    p_adj: float
    margin: float
    n_images: int
    seeds_a: int
    seeds_b: int
    circular: bool
    counted: bool
    verdict: str = "inconclusive"
    note: str = ""
    #: side the signed-rank test points to (+1: A better by more than the margin, −1: worse, 0: tie);
    #: a verdict needs the test and the bootstrap CI of the mean to agree on the side
    direction: int = 0


@dataclass
class FindingResult:
    """The verdict of one finding in one setting, with every part."""

    name: str
    claim: str
    citation: str
    source: str
    verdict: str
    setting: str
    parts: list[Part] = field(default_factory=list)
    reason: str = ""

    @property
    def counted(self) -> list[Part]:
        return [p for p in self.parts if p.counted]

    @property
    def headline(self) -> Part | None:
        """The part that decides the verdict (see the module docstring)."""
        c = self.counted
        if not c:
            return None
        contra = [p for p in c if p.verdict == "contradicted"]
        if contra:
            return min(contra, key=lambda p: (p.p_adj, -abs(p.effect)))
        if all(p.verdict == "reproduced" for p in c):
            return max(c, key=lambda p: (p.p_adj, -p.ci_low))
        open_ = [p for p in c if p.verdict != "reproduced"]
        width = {id(p): max(p.ci_high - p.ci_low, 1e-300) for p in open_}
        return min(open_, key=lambda p: (p.p_adj, -abs(p.effect) / width[id(p)]))

    def tally(self) -> str:
        c = self.counted
        if not c:
            return "–"
        n_rep = sum(p.verdict == "reproduced" for p in c)
        n_con = sum(p.verdict == "contradicted" for p in c)
        extra = len(self.parts) - len(c)
        return f"{n_rep}/{len(c)} reproduced, {n_con} contradicted" + (f" ({extra} circular not counted)"
                                                                       if extra else "")

    def effect_text(self) -> str:
        h = self.headline
        if h is None:
            return "–"
        rel = "≥" if h.relation == "at_least" else ">"
        return (f"{h.a} {rel} {h.b} on {h.task}/{h.metric}: {h.effect:+.3g} "
                f"[{h.ci_low:+.3g}, {h.ci_high:+.3g}], p_holm = {h.p_adj:.2g}")


class Finding:
    """Base class of a registered claim. Subclasses set :attr:`claim` and :attr:`needs` and
    implement :meth:`comparisons`; citation and source come from the registration."""

    claim: str = ""
    needs: Needs = Needs()
    #: count parts where a loss is scored by its own metric (for claims *about* such metrics)
    count_circular: bool = False

    def comparisons(self, res: "Results") -> Iterable[Comparison]:
        raise NotImplementedError

    def applicable(self, res: "Results") -> tuple[str, str] | None:
        """``(verdict, reason)`` when the results cannot test the claim, else None. The default
        checks :attr:`needs`; a claim about pretrained networks says ``needs weights``."""
        n = self.needs
        tasks = [t for t in res.tasks() if not n.tasks or t in n.tasks]
        if not tasks:
            return "not applicable", f"needs task {'/'.join(n.tasks)}; results have {', '.join(res.tasks()) or 'none'}"
        arms = {a for t in tasks for a in res.arms(t)}
        missing = [loss for loss in n.losses if not any(a.loss == loss for a in arms)]
        if n.weights != "any":
            kinds = {loss: {a.kind for a in arms if a.loss == loss} for loss in n.losses}
            lacking = [loss for loss in n.losses if n.weights not in kinds[loss]]
            if lacking and len(lacking) == len(n.losses):
                have = sorted({k for ks in kinds.values() for k in ks})
                verdict = "needs weights" if n.weights == "pretrained" else "not applicable"
                return verdict, (f"needs {', '.join(n.losses)} trained with {n.weights} weights; results have "
                                 + (f"only {'/'.join(have)} ones" if have else "none")
                                 + (" (`plbench weights` shows which files and where they go)"
                                    if n.weights == "pretrained" else ""))
        if missing and n.weights == "any":
            return "not applicable", f"{', '.join(missing)} not in these results"
        if n.metrics:
            wanted = set(n.metrics)
            have = {m for t in tasks for m in res.metrics(t)}
            ok = have & wanted or ("perceptual" in wanted and any(is_perceptual(m) for m in have))
            if not ok:
                return "not applicable", (f"needs metric {'/'.join(n.metrics)}; results have "
                                          f"{', '.join(metric_order(have)) or 'none'}")
        return None


# --------------------------------------------------------------------------------------------
class Results:
    """The tidy table of one setting, indexed for findings: arms per task, paired per-image values."""

    def __init__(self, table: pd.DataFrame, setting: str = "", inputs: pd.DataFrame | None = None):
        self.table = table.assign(arm_weights=[arm_weights(w) for w in table["weights"].astype(str)]) \
            if not table.empty else table.assign(arm_weights=pd.Series(dtype=str))
        version = ""
        if "loss_version" in self.table.columns and not self.table.empty:
            v = self.table["loss_version"].astype("string").fillna("").astype(str)
            n = v.groupby([self.table["task"].astype(str), self.table["loss"].astype(str),
                           self.table["arm_weights"]]).transform("nunique")
            version = v.where(n > 1, "")
        self.table = self.table.assign(arm_version=version)
        self.setting = setting
        self.inputs = inputs if inputs is not None else table.iloc[:0]
        self.higher = table.groupby("metric", observed=True)["higher_is_better"].first().astype(bool).to_dict() \
            if not table.empty else {}
        if self.inputs is not None and not self.inputs.empty:
            for m, h in self.inputs.groupby("metric", observed=True)["higher_is_better"].first().items():
                self.higher.setdefault(m, bool(h))
        self._arrays: dict = {}
        self._groups: dict | None = None

    # -- what is there --------------------------------------------------------------------------
    def tasks(self, among: Iterable[str] = ()) -> list[str]:
        ts = sorted(self.table["task"].astype(str).unique()) if not self.table.empty else []
        among = tuple(among)
        return [t for t in ts if not among or t in among]

    def metrics(self, task: str, among: Iterable[str] = ()) -> list[str]:
        t = self.table[self.table["task"] == task]
        ms = metric_order(t["metric"].astype(str).unique())
        among = tuple(among)
        return [m for m in ms if not among or m in among]

    def perceptual_metrics(self, task: str) -> list[str]:
        return [m for m in self.metrics(task) if is_perceptual(m)]

    def perception_axis(self, task: str) -> tuple[str | None, str | None]:
        """(distortion, perception) metric of the perception–distortion plane (:func:`benchmark.stats.pd_metrics`)."""
        return pd_metrics(self.metrics(task))

    def arms(self, task: str) -> list[Arm]:
        t = self.table[self.table["task"] == task]
        pairs = t[["loss", "arm_weights", "arm_version"]].astype(str).drop_duplicates()
        return sorted(Arm(lo, w, v) for lo, w, v in pairs.itertuples(index=False) if lo != INPUT)

    def arm(self, task: str, loss: str, prefer: tuple[str, ...] = ("pretrained", "selftrained", "random", "none")
            ) -> Arm | None:
        """The arm of ``loss`` on ``task``, by weights kind in order of ``prefer`` (None if absent);
        of several registry versions, the newest."""
        cands = [a for a in self.arms(task) if a.loss == loss]
        for kind in prefer:
            of_kind = [a for a in cands if a.kind == kind]
            if of_kind:
                return max(of_kind, key=lambda a: _version_key(a.version))
        return None

    # -- values ----------------------------------------------------------------------------------
    def values(self, task: str, metric: str, arm: Arm) -> pd.DataFrame:
        """(seed × item) values of one arm; duplicates averaged; items are ``dataset/image``."""
        if self._groups is None:
            t = self.table
            keys = [t["task"].astype(str), t["metric"].astype(str), t["loss"].astype(str), t["arm_weights"],
                    t["arm_version"].astype(str)]
            self._groups = t.groupby(keys, observed=True, sort=False).indices if not t.empty else {}
        key = (task, metric, arm.loss, arm.weights, arm.version)
        if key not in self._arrays:
            idx = self._groups.get(key)
            self._arrays[key] = _pivot(self.table.iloc[idx]) if idx is not None else pd.DataFrame()
        return self._arrays[key]

    def input_values(self, task: str, metric: str) -> pd.Series:
        t = self.inputs
        if t is None or t.empty:
            return pd.Series(dtype=float)
        sel = t[(t["task"] == task) & (t["metric"] == metric)]
        if "task_params" in t.columns:  # the input of this setting's task parameters only
            params = set(self.table.loc[self.table["task"] == task, "task_params"].astype(str))
            sel = sel[sel["task_params"].astype(str).isin(params)]
        if sel.empty:
            return pd.Series(dtype=float)
        return _pivot(sel).mean(axis=0)

    def n_images(self) -> int:
        if self.table.empty:
            return 0
        return int((self.table["dataset"].astype(str) + "/" + self.table["image"].astype(str)).nunique())

    def seeds(self) -> list[int]:
        return sorted({int(s) for s in self.table["seed"].dropna().unique()}) if not self.table.empty else []


def _version_key(v: str) -> tuple:
    """Natural order of registry versions ("2" < "10"; composite "a=1,b=2" compared part by part)."""
    return tuple((0, int(x), "") if x.isdigit() else (1, 0, x) for x in re.split(r"[^0-9A-Za-z]+", v or "") if x)


def signed_rank_direction(d: np.ndarray) -> int:
    """+1 when the signed ranks of the non-zero paired differences favour positive values (W+ > W−),
    −1 when they favour negative ones, 0 on a tie: the side a Wilcoxon test rejects towards."""
    x = np.asarray(d, float)
    x = x[np.isfinite(x) & (np.abs(x) > 1e-12 * max(1.0, float(np.nanmax(np.abs(x), initial=0.0))))]
    if x.size == 0:
        return 0
    from scipy.stats import rankdata

    w = float(np.sum(np.sign(x) * rankdata(np.abs(x))))
    return int(np.sign(w))


def _pivot(rows: pd.DataFrame) -> pd.DataFrame:
    if rows.empty:
        return pd.DataFrame()
    item = rows["dataset"].astype(str) + "/" + rows["image"].astype(str)
    return (pd.DataFrame({"seed": rows["seed"].fillna(-1).astype("int64").to_numpy(), "item": item.to_numpy(),
                          "value": rows["value"].astype(float).to_numpy()})
            .pivot_table(index="seed", columns="item", values="value", aggfunc="mean"))


# --------------------------------------------------------------------------------------------
def paired_bootstrap(a: np.ndarray, b: np.ndarray, n_boot: int = N_BOOT, level: float = 0.95,
                     seed: int = 0) -> tuple[float, float]:
    """Percentile CI of mean_i(mean_s a[s, i] − mean_s b[s, i]) resampling images i (paired) and,
    independently per arm, seeds s. a: (Sa, I), b: (Sb, I), NaN where missing."""
    rng = np.random.default_rng(seed)
    n_img = a.shape[1]
    w_img = rng.multinomial(n_img, np.full(n_img, 1.0 / n_img), size=n_boot).astype(float)  # (B, I)

    def seed_means(v: np.ndarray) -> np.ndarray:
        mask = ~np.isnan(v)
        s = v.shape[0]
        if s == 1:
            return np.broadcast_to(v[0], (n_boot, n_img))
        cs = rng.multinomial(s, np.full(s, 1.0 / s), size=n_boot).astype(float)                 # (B, S)
        num = cs @ np.where(mask, v, 0.0)
        den = cs @ mask.astype(float)
        with np.errstate(invalid="ignore", divide="ignore"):
            out = num / den
        fallback = np.nanmean(v, axis=0)
        return np.where(np.isnan(out), fallback[None, :], out)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        diff = seed_means(a) - seed_means(b)                                                      # (B, I)
        est = (w_img * diff).sum(axis=1) / n_img
    alpha = (1 - level) / 2
    lo, hi = np.quantile(est, [alpha, 1 - alpha])
    return float(lo), float(hi)


def compare(res: Results, c: Comparison, n_boot: int = N_BOOT) -> Part | None:
    """Statistics of one comparison (verdict filled in later by :func:`judge`); None when the two
    arms share no test image."""
    va, vb = res.values(c.task, c.metric, c.a), res.values(c.task, c.metric, c.b)
    if va.empty or vb.empty:
        return None
    items = sorted(set(va.columns[va.notna().any()]) & set(vb.columns[vb.notna().any()]))
    if not items:
        return None
    a = va[items].to_numpy(float)
    b = vb[items].to_numpy(float)
    a = a[~np.isnan(a).all(axis=1)]
    b = b[~np.isnan(b).all(axis=1)]
    sign = 1.0 if res.higher.get(c.metric, True) else -1.0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        ma, mb = np.nanmean(a, axis=0), np.nanmean(b, axis=0)
    d = sign * (ma - mb)
    effect = float(np.mean(d))
    sd = float(np.std(d, ddof=1)) if len(d) > 1 else float("nan")
    dz = effect / sd if sd and np.isfinite(sd) and sd > 0 else float("nan")
    margin = 0.0
    if c.relation == "at_least":
        inp = res.input_values(c.task, c.metric).reindex(items)
        if inp.notna().all() and len(inp):
            margin = NONINFERIORITY * abs(float(np.mean(sign * (mb - inp.to_numpy(float)))))
    elif c.relation != "better":
        raise ValueError(f"unknown relation {c.relation!r} (better, at_least)")
    key = f"{res.setting}\0{c.task}\0{c.metric}\0{c.a}\0{c.b}".encode()
    lo, hi = paired_bootstrap(sign * a, sign * b, n_boot=n_boot, seed=zlib.crc32(key))
    p = wilcoxon_p(d + margin)
    direction = signed_rank_direction(d + margin)
    circ = is_circular(c.a.loss, c.metric) or is_circular(c.b.loss, c.metric)
    return Part(c.task, c.metric, c.a.label, c.b.label, c.relation, effect, lo, hi, dz, p, float("nan"), margin,
                len(items), a.shape[0], b.shape[0], circ, True, note=c.note, direction=direction)


def judge(parts: list[Part], alpha: float) -> None:
    """Holm over the counted parts, then each part's verdict (in place)."""
    counted = [p for p in parts if p.counted]
    adj = holm(np.array([p.p for p in counted], float)) if counted else []
    for p, pa in zip(counted, adj):
        p.p_adj = float(pa)
    for p in parts:
        if not p.counted:
            p.verdict = "not counted"
            p.note = (p.note + "; " if p.note else "") + "circular: a loss scored by its own metric"
            continue
        sig = p.p_adj < alpha
        if sig and p.ci_low > -p.margin and p.direction > 0:
            p.verdict = "reproduced"
        elif sig and p.ci_high < -p.margin and p.direction < 0:
            p.verdict = "contradicted"
        else:
            p.verdict = "inconclusive"
            if sig and (p.ci_low > -p.margin or p.ci_high < -p.margin):
                p.note = (p.note + "; " if p.note else "") + \
                    "the signed-rank test and the bootstrap CI of the mean point to opposite sides"
            floor = 2.0 / 2 ** p.n_images if p.n_images else 1.0
            if floor >= alpha:
                p.note = (p.note + "; " if p.note else "") + \
                    f"{p.n_images} images: no Wilcoxon p can be below {floor:.2g}"


def verdict_of(parts: list[Part]) -> str:
    counted = [p for p in parts if p.counted]
    if not counted:
        return "not applicable"
    if any(p.verdict == "contradicted" for p in counted):
        return "contradicted"
    if all(p.verdict == "reproduced" for p in counted):
        return "reproduced"
    return "inconclusive"


# --------------------------------------------------------------------------------------------
def settings(table: pd.DataFrame) -> list[tuple[str, pd.DataFrame]]:
    """Split the restored rows by setting (the recorded ``setting`` column, its part shared by every
    task: :mod:`benchmark.settings`; else the :data:`SETTING_COLUMNS` present in the table); returns
    [(description, rows)]. ``input`` rows are kept apart (they carry no training setting)."""
    rest = table[table["loss"].astype(str) != INPUT]
    if rest.empty:
        return []
    if "setting" in rest.columns and rest["setting"].notna().all():  # the recorded setting (benchmark.settings)
        import json

        from benchmark.settings import _parse, _shared, describe

        full = rest["setting"].astype(str)
        shared = {k: json.dumps(_shared(_parse(k)), sort_keys=True) for k in full.unique()}
        key = full.map(shared)
        # one task under several per-task settings (parameters, task version): never pool them. The
        # task's settings are numbered within its shared setting; variant v of every task is one group.
        pairs = pd.DataFrame({"s": key, "t": rest["task"].astype(str), "f": full}).drop_duplicates()
        pairs = pairs.sort_values(["s", "t", "f"])
        pairs["v"] = pairs.groupby(["s", "t"]).cumcount()
        variant = dict(zip(zip(pairs["s"], pairs["t"], pairs["f"]), pairs["v"]))
        several = set(pairs.loc[pairs["v"] > 0, ["s", "t"]].itertuples(index=False, name=None))
        if several:
            key = key + " | variant " + pd.Series([str(variant[k]) for k in zip(key, rest["task"].astype(str), full)],
                                                   index=rest.index)
        out = []
        for k, g in rest.groupby(key, sort=True):
            shared_key = str(k).split(" | ")[0]
            desc = describe(json.loads(shared_key))
            split = sorted({(t, f) for t, f in zip(g["task"].astype(str), g["setting"].astype(str))
                            if (shared_key, t) in several})
            for t, f in split:  # what tells this group's runs of that task from its other settings
                d = _parse(f)
                desc += f"; {t}: task version {d.get('task_version', '?')}, " + \
                    ", ".join(f"{a}={b}" for a, b in sorted((d.get("task_params") or {}).items()))
            out.append((desc, g, json.loads(shared_key)))
        seen: dict[str, list[int]] = {}
        for i, (desc, _, _) in enumerate(out):
            seen.setdefault(desc, []).append(i)
        for same in (v for v in seen.values() if len(v) > 1):  # alike in print: name what tells them apart
            dicts = [out[i][2] for i in same]
            fields = sorted(k for k in set().union(*dicts) if len({json.dumps(d.get(k), sort_keys=True)
                                                                    for d in dicts}) > 1)
            for i in same:
                desc, g, d = out[i]
                extra = ", ".join(f"{k} {json.dumps(d.get(k), sort_keys=True, default=str)[:40]}" for k in fields)
                out[i] = (f"{desc}; {extra}", g, d)
        return [(desc, g) for desc, g, _ in out]
    cols = [c for c in SETTING_COLUMNS if c in rest.columns]
    if "task_params" in rest.columns and rest.groupby("task", observed=True)["task_params"].nunique().max() > 1:
        cols.append("task_params")  # one task at several parameter values: never pool them
    if not cols:
        return [("", rest)]
    key = rest[cols].astype(str).agg(" | ".join, axis=1)
    out = []
    for k, g in rest.groupby(key, sort=True):
        vals = dict(zip(cols, str(k).split(" | ")))
        out.append((", ".join(f"{c} {v}" for c, v in vals.items()), g))
    return out


def describe_setting(res: Results, parts: list[Part]) -> str:
    tasks = sorted({p.task for p in parts}) or res.tasks()
    seeds = res.seeds()
    datasets = sorted(res.table["dataset"].astype(str).unique()) if not res.table.empty else []
    bits = [f"tasks {', '.join(tasks)}"]
    if res.setting:
        bits.append(res.setting)
    bits.append(f"test {'+'.join(datasets)} ({res.n_images()} images)")
    bits.append(f"{len(seeds)} seed{'s' if len(seeds) != 1 else ''}")
    kinds = sorted({weights_class(w) for w in res.table["weights"].astype(str).unique()} - {"none"})
    if kinds:
        bits.append(f"feature weights {'/'.join(kinds)}")
    return "; ".join(bits)


def check(finding: Finding, res: Results, alpha: float = 0.05, n_boot: int = N_BOOT, name: str = "",
          citation: str = "", source: str = "") -> FindingResult:
    """Run one finding on one setting's results."""
    base = FindingResult(name, finding.claim, citation, source, "not applicable", describe_setting(res, []))
    blocked = finding.applicable(res)
    if blocked:
        return replace(base, verdict=blocked[0], reason=blocked[1])
    parts = []
    for c in finding.comparisons(res):
        p = compare(res, c, n_boot)
        if p is None:
            continue
        count_circ = finding.count_circular if c.count_circular is None else c.count_circular
        if p.circular and not count_circ:
            p.counted = False
        parts.append(p)
    if not parts:
        return replace(base, reason="the results hold none of the comparisons the claim predicts")
    judge(parts, alpha)
    verdict = verdict_of(parts)
    reason = "" if verdict != "not applicable" else "every comparison is circular"
    return replace(base, verdict=verdict, parts=parts, setting=describe_setting(res, parts), reason=reason)


def check_all(table: pd.DataFrame, names: Iterable[str] | None = None, alpha: float = 0.05,
              n_boot: int = N_BOOT) -> list[FindingResult]:
    """Every registered finding (or ``names``) on every setting of ``table``."""
    names = list(names) if names else FINDINGS.names()
    entries = [FINDINGS.get(n) for n in names]
    groups = settings(table) if not table.empty else []
    inputs = table[table["loss"].astype(str) == INPUT] if not table.empty else table
    out = []
    if not groups:
        for e in entries:
            out.append(FindingResult(e.name, e.obj.claim, e.citation, e.meta.get("source", ""), "not applicable",
                                     "", reason="no restored results"))
        return out
    from benchmark.settings import _parse, matching_inputs

    group_inputs = []
    for _, rows in groups:  # each group's own degraded inputs (task parameters, version, test data, code)
        chosen = ({str(t): _parse(s) for t, s in zip(rows["task"], rows["setting"].astype(str))}
                  if "setting" in rows.columns else {str(t): {} for t in rows["task"].unique()})
        group_inputs.append(matching_inputs(inputs, chosen))
    for e in entries:
        finding = e.obj()
        for (desc, rows), inp in zip(groups, group_inputs):
            res = Results(rows, desc, inp)
            out.append(check(finding, res, alpha, n_boot, e.name, e.citation, e.meta.get("source", "")))
    return out


# --------------------------------------------------------------------------------------------
# exports: printed table, findings.md, findings.csv, the HTML report's Findings tab
# --------------------------------------------------------------------------------------------
PART_COLUMNS = ["finding", "verdict", "setting", "task", "metric", "a", "relation", "b", "effect", "ci_low",
                "ci_high", "dz", "margin", "p", "p_holm", "n_images", "seeds_a", "seeds_b", "circular", "counted",
                "part_verdict", "note"]


def parts_frame(results: list[FindingResult]) -> pd.DataFrame:
    """``findings.csv``: one row per part (a finding with no part gets one row with its reason)."""
    rows = []
    for r in results:
        if not r.parts:
            rows.append({"finding": r.name, "verdict": r.verdict, "setting": r.setting, "note": r.reason})
        for p in r.parts:
            rows.append({"finding": r.name, "verdict": r.verdict, "setting": r.setting, "task": p.task,
                         "metric": p.metric, "a": p.a, "relation": p.relation, "b": p.b, "effect": p.effect,
                         "ci_low": p.ci_low, "ci_high": p.ci_high, "dz": p.dz, "margin": p.margin, "p": p.p,
                         "p_holm": p.p_adj, "n_images": p.n_images, "seeds_a": p.seeds_a, "seeds_b": p.seeds_b,
                         "circular": p.circular, "counted": p.counted, "part_verdict": p.verdict, "note": p.note})
    return pd.DataFrame(rows, columns=PART_COLUMNS)


def _detail(r: FindingResult) -> str:
    return r.effect_text() if r.parts else r.reason


def to_text(results: list[FindingResult]) -> str:
    """The table ``plbench findings`` prints: one block per (finding, setting)."""
    if not results:
        return "no findings registered"
    w = max(len(r.name) for r in results)
    lines = []
    for r in results:
        lines.append(f"{r.name:<{w}}  {r.verdict.upper():<14}  {r.claim}")
        pad = " " * (w + 2)
        lines.append(f"{pad}{_detail(r)}")
        if r.parts:
            lines.append(f"{pad}parts: {r.tally()}")
        if r.setting:
            lines.append(f"{pad}checked on: {r.setting}")
        lines.append(f"{pad}source: {r.citation} — {r.source}")
    return "\n".join(lines)


def _md(s) -> str:
    return str(s).replace("|", "\\|")


def to_markdown(results: list[FindingResult], alpha: float = 0.05) -> str:
    """``findings.md``: the summary table, then each finding's parts."""
    lines = ["# Published findings, checked on these results", "",
             f"Verdicts: **reproduced** (every counted part significant in the claimed direction: Holm-adjusted "
             f"two-sided Wilcoxon p < {alpha} on per-image differences averaged over seeds, and the 95% bootstrap CI "
             f"beyond the non-inferiority margin), **contradicted** (some part significant the other way), "
             f"**inconclusive**, **needs weights** (the claim is about pretrained networks the results do not "
             f"have), **not applicable** (tasks, losses or metrics not in these results). Effects are A − B in "
             f"the metric's units, positive = A better; `≥` parts are non-inferiority tests with margin "
             f"{NONINFERIORITY:.0%} of B's gain over the degraded input. See `benchmark/findings.py`.", "",
             "| finding | verdict | claim | effect [95% CI], p (headline part) | parts | checked on | source |",
             "|---|---|---|---|---|---|---|"]
    for r in results:
        lines.append(f"| {r.name} | **{r.verdict}** | {_md(r.claim)} | {_md(_detail(r))} | {_md(r.tally())} | "
                     f"{_md(r.setting)} | {_md(r.citation)}: {_md(r.source)} |")
    for r in results:
        if not r.parts:
            continue
        lines += ["", f"## {r.name}: {r.verdict}", "", f"{r.claim}. {r.setting}.", "",
                  "| task | metric | A | rel | B | effect | 95% CI | p (Holm) | images | seeds A/B | part |",
                  "|---|---|---|---|---|---|---|---|---|---|---|"]
        for p in r.parts:
            rel = "≥" if p.relation == "at_least" else ">"
            lines.append(f"| {p.task} | {p.metric} | {_md(p.a)} | {rel} | {_md(p.b)} | {p.effect:+.4g} | "
                         f"[{p.ci_low:+.3g}, {p.ci_high:+.3g}] | {p.p_adj:.2g} | {p.n_images} | "
                         f"{p.seeds_a}/{p.seeds_b} | {p.verdict}{' (' + _md(p.note) + ')' if p.note else ''} |")
    lines.append("")
    return "\n".join(lines)


VERDICT_COLOURS = {"reproduced": "#1b7837", "contradicted": "#b2182b", "inconclusive": "#666",
                   "needs weights": "#8c510a", "not applicable": "#999"}


def to_html(results: list[FindingResult]) -> str:
    """The body of the HTML report's *Findings* tab: a summary table and each finding's parts."""
    import html

    e = html.escape
    rows = []
    for r in results:
        colour = VERDICT_COLOURS.get(r.verdict, "#666")
        rows.append(f'<tr data-verdict="{e(r.verdict)}"><td>{e(r.name)}</td>'
                    f'<td><span class="verdict" style="background:{colour}">{e(r.verdict)}</span></td>'
                    f"<td class=\"wrap\">{e(r.claim)}</td><td class=\"wrap\">{e(_detail(r))}</td>"
                    f"<td>{e(r.tally())}</td><td class=\"wrap\">{e(r.setting)}</td>"
                    f"<td class=\"wrap\">{e(r.citation)}; {e(r.source)}</td></tr>")
    out = ['<table class="sortable findings"><thead><tr><th>finding</th><th>verdict</th><th>claim</th>'
           "<th>effect [95% CI], p (headline part)</th><th>parts</th><th>checked on</th><th>source</th></tr></thead>"
           f"<tbody>{''.join(rows)}</tbody></table>"]
    for r in results:
        if not r.parts:
            continue
        body = []
        for p in r.parts:
            rel = "≥" if p.relation == "at_least" else ">"
            body.append(f"<tr><td>{e(p.task)}</td><td>{e(p.metric)}</td><td>{e(p.a)}</td><td>{rel}</td>"
                        f"<td>{e(p.b)}</td><td data-v=\"{p.effect:.10g}\">{p.effect:+.4g}</td>"
                        f"<td>[{p.ci_low:+.3g}, {p.ci_high:+.3g}]</td><td data-v=\"{p.p_adj:.10g}\">{p.p_adj:.2g}</td>"
                        f"<td>{p.n_images}</td><td>{p.seeds_a}/{p.seeds_b}</td><td>{e(p.verdict)}</td>"
                        f"<td class=\"wrap\">{e(p.note)}</td></tr>")
        out.append(f"<details><summary>{e(r.name)}: {e(r.verdict)} — {e(r.tally())}</summary>"
                   '<table class="sortable"><thead><tr><th>task</th><th>metric</th><th>A</th><th>rel</th><th>B</th>'
                   "<th>effect</th><th>95% CI</th><th>p (Holm)</th><th>images</th><th>seeds A/B</th><th>part</th>"
                   f"<th>note</th></tr></thead><tbody>{''.join(body)}</tbody></table></details>")
    return "".join(out)


def write(results: list[FindingResult], root, alpha: float = 0.05) -> dict[str, object]:
    """Write ``findings.md`` and ``findings.csv`` under ``root``; returns {kind: path}."""
    from pathlib import Path

    from benchmark.results import atomic_output, atomic_write_bytes

    root = Path(root)
    md = root / "findings.md"
    atomic_write_bytes(md, to_markdown(results, alpha).encode())
    csv = root / "findings.csv"
    with atomic_output(csv) as tmp:
        parts_frame(results).to_csv(tmp, index=False)
    return {"findings_md": md, "findings_csv": csv}
