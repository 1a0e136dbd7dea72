"""One setting per leaderboard: finding the settings in a results table and choosing one.

Every result row carries its run's *setting* (:func:`benchmark.config.setting`, as JSON in the
``setting`` column): net and its definition, schedule, batch and crop, data and their content
fingerprints, device type and precision, code version, and the task with its parameters. A
leaderboard cell pools the seeds of one loss within one setting, never across settings.

A results directory may hold several settings (a longer schedule added later, another crop, a
task parameter changed). :func:`select` keeps one: the runs matching ``where`` filters
(``iterations=300``, ``net=small``, ``denoise.sigma=0.1``), or, for ``plbench run``, the settings of
the grid just run. If what is left still mixes settings, it stops with one line naming the fields
that differ, their values and how to pick one. The degraded-input rows are kept for the tasks and
test data of the chosen setting.
"""

from __future__ import annotations

import json
import shlex
from dataclasses import dataclass

import pandas as pd

from benchmark.config import PER_RUN, PER_TASK
from benchmark.errors import UserError, did_you_mean

INPUT = "input"


def _parse(text) -> dict:
    if text is None or (not isinstance(text, str) and pd.isna(text)) or not text:
        return {}
    try:
        return json.loads(text)
    except (TypeError, ValueError):
        return {}


def _shared(d: dict) -> dict:
    return {k: v for k, v in d.items() if k not in PER_TASK}


def _fmt(v) -> str:
    if isinstance(v, list):
        return " + ".join(map(str, v))
    if isinstance(v, dict):
        return ", ".join(f"{k}={x}" for k, x in sorted(v.items())) or "defaults"
    return str(v)


def _by_value(text: str) -> tuple:
    """Sort key: numbers by value (6 before 10), then the rest by text."""
    try:
        return (0, float(text), "")
    except ValueError:
        return (1, 0.0, text)


def parse_where(items, name: str = "--where") -> dict[str, str]:
    """``["iterations=300", "denoise.sigma=0.1"]`` → ``{"iterations": "300", "denoise.sigma": "0.1"}``; ``name``: how
    an error names them, as the caller's user gave them (``where`` in :func:`benchmark.api.report`). An item of
    several pairs, ``"iterations=300 net=small"`` (the flag's words as one string), is each of them."""
    from collections.abc import Iterable

    shape = f"{name} must be FIELD=VALUE strings (one or several) or a mapping, got "
    if items is not None and (isinstance(items, bytes) or not isinstance(items, Iterable)):
        raise UserError(shape + repr(items))
    pairs = []
    for item in [items] if isinstance(items, str) else items or ():
        if not isinstance(item, str):  # where=[5]: an AttributeError from .partition
            raise UserError(shape + repr(item))
        words = item.split()  # a value with a space ('train_data=/data/My Photos') is one pair: not every word is
        pairs += words if len(words) > 1 and all("=" in w[1:] for w in words) else [item]
    out = {}
    for item in pairs:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise UserError(f"{name} {item!r}: expected FIELD=VALUE, e.g. iterations=300 or denoise.sigma=0.1")
        key, value = key.strip(), value.strip()
        if key in out and out[key] != value and not _same_number(out[key], value):  # lr=1e-3 lr=0.001: one value
            raise UserError(f"{name} {key} is given twice ({out[key]} and {value}): a run has one value; "
                            "give it once")
        out.setdefault(key, value)  # the first as written
    return out


def _same_number(a: str, b: str) -> bool:
    """Are the ``--where`` values ``a`` and ``b`` one number written two ways (``1e-3`` and ``0.001``)? A run's value
    matches both (:func:`_equal`), so giving both is giving one value."""
    try:
        return float(a) == float(b)
    except ValueError:
        return False


def _equal(value, wanted: str) -> bool:
    if isinstance(value, bool):  # as --task-param reads it (benchmark.config): true/false in any case, or 1/0
        return wanted.strip().lower() in (("true", "1") if value else ("false", "0"))
    if isinstance(value, list):
        return _fmt(value) == wanted or (len(value) == 1 and str(value[0]) == wanted)
    if str(value) == wanted:
        return True
    try:
        return float(value) == float(wanted)
    except (TypeError, ValueError):
        return False


_NO_PARAM = object()


def _param(task: str, params: dict, name: str):
    """The value of ``task``'s parameter ``name`` in a stored setting's ``params``; where it is not recorded, its
    default as the registered task declares it (a parameter added later, or one a task records only off its
    default: sr4's ``resize``), so ``--where sr4.resize=torch`` picks those runs; :data:`_NO_PARAM` for none."""
    if name in params:
        return params[name]
    import dataclasses

    from benchmark.registry import TASKS

    try:
        fields = {f.name: f for f in dataclasses.fields(TASKS.get(task).obj)}
    except Exception:  # noqa: BLE001 - a task not registered here (a plugin not loaded): only what is recorded
        return _NO_PARAM
    field = fields.get(name)
    return _NO_PARAM if field is None or field.default is dataclasses.MISSING else field.default


def _matches(task: str, setting: dict, where: dict[str, str], cut: bool = True) -> bool:
    """Does a (task, setting) match every ``where`` filter? ``crop=42`` matches a recorded 42 and, with ``cut``, the
    crop that ``--crop 42`` records for the task (sr4's 40: :func:`_trains`)."""
    for key, wanted in where.items():
        if "." in key and key.split(".", 1)[0] == task:  # denoise.sigma=0.1
            value = _param(task, setting.get("task_params", {}), key.split(".", 1)[1])
            if value is _NO_PARAM or not _equal(value, wanted):
                return False
        elif "." in key:  # a parameter of another task: does not concern this one
            continue
        elif key not in setting or not (_equal(setting[key], wanted)
                                        or (key == "crop" and cut and _trains(setting, wanted))):
            return False
    return True


def _trains(setting: dict, crop: str) -> bool:
    """Do ``--crop crop``'s runs of the setting's task record the crop it holds (sr4's 40 for ``crop=42``:
    :meth:`benchmark.task.Task.train_crop`)? False for a task this code cannot build (a plugin not loaded)."""
    from benchmark.task import build_task

    try:
        return build_task(setting["task"], **(setting.get("task_params") or {})).train_crop(int(crop)) == \
            setting["crop"]
    except Exception:  # noqa: BLE001 - not a whole number, or a task not registered here: compared as recorded
        return False


def check_where(st: pd.DataFrame, where: dict[str, str], where_name: str = "--where") -> None:
    """One line for a ``--where`` field that no setting in ``st`` (:func:`settings_of`) has, and for a
    ``TASK.PARAM=VALUE`` that names no task, no parameter or no value of it: a typo must not silently
    keep every task, or drop one. Tables without recorded settings are not checked. ``where_name``:
    :func:`parse_where`'s ``name``."""
    if st.empty or not all(st["setting"].map(bool)):
        return
    unknown = sorted(k for k in where if "." not in k and not any(k in s for s in st["setting"]))
    if unknown:
        # every field a setting records and --where reads, task (and task_version) too; its parameters as TASK.PARAM
        fields = sorted({k for s in st["setting"] for k in s if k != "task_params"})
        if unknown[0] in PER_RUN:  # a run's own field: pooled (seeds) or ranked (losses) within a setting, not one
            what = ("a setting's leaderboard pools every seed of it (the CIs and tests rest on them)"
                    if unknown[0] == "seed" else "a setting's leaderboard ranks every loss of it, a row each")
            raise UserError(f"{where_name} {unknown[0]}: a run's own field, not a setting's: {what} "
                            f"(fields: {', '.join(fields)}; task parameters as TASK.PARAM)")
        # `sigma=0.1`: a parameter of a task here, offered as TASK.PARAM (one per task that has it)
        owners = sorted({f"{t}.{unknown[0]}" for t, s in zip(st["task"], st["setting"])
                         if unknown[0] in (s.get("task_params") or {})})
        hint = f"; did you mean {', '.join(owners)}?" if owners else did_you_mean(unknown[0], fields)
        raise UserError(f"{where_name} {unknown[0]}: no such setting field{hint} "
                        f"(fields: {', '.join(fields)}; "
                        "task parameters as TASK.PARAM)")
    tasks = sorted(set(st["task"]))
    for key, wanted in where.items():
        if "." not in key:
            continue
        task, name = key.split(".", 1)
        if task not in tasks:
            raise UserError(f"{where_name} {key}: no task {task!r} in these results{did_you_mean(task, tasks)} "
                            f"(tasks: {', '.join(tasks)})")
        params = [s.get("task_params") or {} for t, s in zip(st["task"], st["setting"]) if t == task]
        values = [v for v in (_param(task, p, name) for p in params) if v is not _NO_PARAM]
        if not values:
            have = sorted({k for p in params for k in p})
            raise UserError(f"{where_name} {key}: {task} has no parameter {name!r}{did_you_mean(name, have)} "
                            f"(parameters: {', '.join(have) or 'none'})")
        if not any(_equal(v, wanted) for v in values):
            values = sorted({_fmt(v) for v in values})
            raise UserError(f"{where_name} {key}={wanted}: no {task} runs have {name} {wanted} "
                            f"(they have {' | '.join(values)})")


@dataclass
class Selection:
    table: pd.DataFrame
    run_ids: set[str]
    description: str             # one line: the chosen setting, for report headers
    settings: list[dict]         # the chosen setting of each task
    #: the rows of the chosen settings' budget checks (:func:`is_budget_check`; empty: none trained)
    checks: pd.DataFrame | None = None


def is_budget_check(setting: dict, of: dict) -> bool:
    """Is ``setting`` the budget check of ``of``: the same setting (task included) with half its
    iterations (:mod:`benchmark.convergence`)? Such runs test whether ``of``'s runs are trained to
    their plateau; they are never a leaderboard of their own while ``of`` is there."""
    if not setting or not of or "iterations" not in setting or "iterations" not in of:
        return False
    try:
        half = int(of["iterations"]) // 2
    except (TypeError, ValueError):
        return False
    return half >= 1 and setting["iterations"] == half and \
        all(setting.get(k) == v for k, v in of.items() if k != "iterations") and set(setting) == set(of)


def lost_checks(metas, settings: list[dict]) -> list[dict]:
    """The records of ``metas`` of runs that diverged in the budget check of one of ``settings`` (a report's chosen
    settings): no row names them, yet a check that diverged while its run finished sets its arm's status
    (:func:`benchmark.convergence.diverged_seeds`)."""
    return [m for m in metas if m.get("status") == "diverged" and isinstance(m.get("setting"), dict)
            and any(is_budget_check(m["setting"], s) for s in settings)]


def budget_checks(st: pd.DataFrame) -> dict[str, str]:
    """{check key: main key} among the (task, setting) rows of :func:`settings_of`."""
    out = {}
    for _, g in st.groupby("task"):
        rows = list(zip(g["key"], g["setting"]))
        for k, s in rows:
            for k2, s2 in rows:
                if k != k2 and is_budget_check(s, s2):
                    out[k] = k2
    return out


def drop_budget_checks(table: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(rows of every setting that is not the budget check of another setting in ``table``, the
    rows of those that are); the degraded-input rows stay with the first."""
    if table.empty or "setting" not in table.columns:
        return table, table.iloc[0:0]
    checks = budget_checks(settings_of(table))
    if not checks:
        return table, table.iloc[0:0]
    is_check = (table["loss"] != INPUT) & in_settings(table["setting"], checks)
    return table[~is_check], table[is_check]


def in_settings(col: pd.Series, keys) -> pd.Series:
    """Bools: the rows of a ``setting`` column (string or categorical) whose JSON is one of ``keys`` (``""``:
    a row without a setting), compared as they are — never a string made per row (10⁶-row tables)."""
    keys = set(keys)
    out = col.isin(keys)
    if "" in keys:
        out = out | col.isna()
    return out.fillna(False).astype(bool)


def settings_of(table: pd.DataFrame) -> pd.DataFrame:
    """One row per (task, setting) of the restored runs: task, setting (dict), runs, losses."""
    t = table[table["loss"] != INPUT]
    if t.empty:
        return pd.DataFrame(columns=["task", "key", "setting", "runs", "losses"])
    # the distinct (task, setting, run, loss) first: one per run, not one string per row
    t = t[[c for c in ("task", "setting", "run_id", "loss") if c in t.columns]].drop_duplicates()
    col = t["setting"] if "setting" in t.columns else pd.Series([None] * len(t), index=t.index)
    g = pd.DataFrame({"task": t["task"].astype(str), "key": col.astype("string").fillna(""),
                      "run_id": t["run_id"].astype(str), "loss": t["loss"].astype(str)})
    out = g.groupby(["task", "key"]).agg(runs=("run_id", "nunique"), losses=("loss", "nunique")).reset_index()
    out["key"] = out["key"].astype(object).map(str)
    out["setting"] = pd.Series([_parse(k) for k in out["key"]], index=out.index, dtype=object)  # plain dicts
    return out


def _differences(settings: list[dict]) -> dict[str, list]:
    keys = sorted({k for s in settings for k in s})
    diff = {}
    for k in keys:
        vals = []
        for s in settings:
            v = s.get(k, "–")
            if v not in vals:
                vals.append(v)
        if len(vals) > 1:
            diff[k] = vals
    return diff


#: the fields that tell settings apart by a hash (the net's signature, the data's fingerprints): said only where nothing
#: else differs — beside ``iterations 400 | 150`` they name no change a reader can act on
HASHES = ("net_signature", "train_fingerprint", "test_fingerprint")


def differences(*settings: dict) -> dict[str, list]:
    """{field: its distinct values, in the order of ``settings`` ("–" where one does not record it)} of the fields
    the settings differ in, :data:`HASHES` left out unless only they differ: how two settings differ, as
    :func:`select`'s refusal and a finding's "not in this setting" (:func:`benchmark.findings._elsewhere`) say it."""
    diff = _differences(list(settings))
    return {k: v for k, v in diff.items() if k not in HASHES} or diff


def matching_inputs(inputs: pd.DataFrame, chosen: dict[str, dict]) -> pd.DataFrame:
    """The degraded-input rows that belong to the chosen settings ({task: setting dict}): same task
    and every field an input row records (task parameters and version, test data and its
    fingerprint, code version) equal to the task's setting. Tables without a recorded setting: by task."""
    if inputs.empty:
        return inputs
    if "setting" not in inputs.columns or not any(chosen.values()):
        return inputs[inputs["task"].astype(str).isin(list(chosen))]
    seen: dict[tuple[str, str], bool] = {}  # judged once per distinct (task, setting), not per row

    def belongs(t: str, key: str) -> bool:
        if (t, key) not in seen:
            s, want = _parse(key), chosen.get(t)
            seen[t, key] = want is not None and (not s or all(want.get(k, v) == v for k, v in s.items()))
        return seen[t, key]

    pairs = inputs[["task", "setting"]].drop_duplicates()  # judged per distinct pair, mapped back to the rows
    keep = [(t, k) for t, k in zip(pairs["task"], pairs["setting"])
            if belongs(str(t), "" if k is None or (not isinstance(k, str) and pd.isna(k)) else str(k))]
    if not keep:
        return inputs.iloc[0:0]
    wanted = pd.MultiIndex.from_tuples(keep, names=["task", "setting"])
    return inputs[pd.MultiIndex.from_frame(inputs[["task", "setting"]]).isin(wanted)]


def schedule_parts(setting: dict) -> list[str]:
    """``["net tiny", "120 iterations", "batch 8 × 48²"]``: the parts of a setting a reader needs first."""
    parts = []
    if "net" in setting:
        parts.append(f"net {setting['net']}")
    if "iterations" in setting:
        parts.append(f"{setting['iterations']} iterations")
    if "batch_size" in setting and "crop" in setting:
        parts.append(f"batch {setting['batch_size']} × {setting['crop']}²")
    return parts


def describe(setting: dict) -> str:
    """``net tiny, 120 iterations, batch 8 × 48², lr 0.002, train skimage:train, test …, cpu fp32``."""
    if not setting:
        return "setting not recorded"
    parts = schedule_parts(setting)
    if "lr" in setting:
        parts.append(f"lr {setting['lr']:g}" if isinstance(setting["lr"], (int, float)) else f"lr {setting['lr']}")
    if "train_data" in setting:
        parts.append(f"train {_fmt(setting['train_data'])}")
    if "test_data" in setting:
        parts.append(f"test {_fmt(setting['test_data'])}")
    if "device_type" in setting:
        parts.append(f"{setting['device_type']} {setting.get('precision', '')}".strip())
    if "code_version" in setting:
        parts.append(f"code {setting['code_version']}")
    return ", ".join(parts)


def _same_images(pool: list[dict], diff: dict[str, list]) -> str:
    """The end of :func:`select`'s error when the settings differ only in where their data lay: the
    same images (equal content fingerprints) read from folders at other paths — a copy of the data,
    another machine's layout, a moved folder. A folder is recorded by its resolved path (part of
    each run's id), so such runs are never pooled: say so, and what makes them one setting."""
    paths = [k for k in ("train_data", "test_data") if k in diff]
    if not paths or set(diff) - {*paths, "train_fingerprint", "test_fingerprint"}:
        return ""
    for k in paths:
        fp = k.split("_")[0] + "_fingerprint"
        if len({s.get(fp) for s in pool}) != 1 or not pool[0].get(fp):
            return ""
    return (" (the same images — equal content fingerprints — at different paths: a folder is recorded by its "
            "resolved path, so runs made from a copy, a moved folder or another machine's layout are never pooled; "
            "keep the data at one absolute path on every machine and re-run there the runs made elsewhere)")


def _one_crop(settings: list[dict]) -> dict:
    """``{"crop": c}`` where the settings record different crops that one ``--crop c`` (the largest) gives them all:
    each task records the crop it trains (:meth:`benchmark.task.Task.train_crop`: sr4 at ``--crop 42`` records 40,
    denoise 42), so one grid's tasks are one setting; else ``{}`` (the crops are compared as recorded)."""
    crops = {s.get("crop") for s in settings}
    if len(crops) < 2 or not all(isinstance(c, int) for c in crops):
        return {}
    from benchmark.task import build_task

    top = max(crops)
    for s in settings:
        try:
            trained = build_task(s["task"], **(s.get("task_params") or {})).train_crop(top)
        except Exception:  # noqa: BLE001 - a task not registered here (a plugin not loaded): compared as recorded
            return {}
        if trained != s["crop"]:
            return {}
    return {"crop": top}


def _several(st: pd.DataFrame, crop: dict) -> tuple[str, str, list[dict], dict] | None:
    """``(counts, example, pool, diff)`` where the settings ``st`` (:func:`settings_of`, budget checks left out) are
    several — ``counts`` what they differ in (``iterations (150 | 200)``), ``example`` the ``--where`` value of one
    (``iterations=200``) —, else None: :func:`select`'s refusal and :func:`several_settings_text`'s line."""
    shared = {json.dumps({**_shared(s), **crop}, sort_keys=True, default=str) for s in st["setting"]}
    per_task_conflict = st.groupby("task")["key"].nunique()
    if not (len(shared) > 1 or (per_task_conflict > 1).any()):
        return None
    tasks = [t for t, n in per_task_conflict.items() if n > 1]
    pool = list(st["setting"]) if len(shared) > 1 else list(st[st["task"] == tasks[0]]["setting"])
    diff = differences(*[_shared(s) if len(shared) > 1 else s for s in pool])
    field_, values = next(iter(diff.items()))
    if field_ == "task_params":
        param = next(iter(_differences([v if isinstance(v, dict) else {} for v in values])), None)
        example = f"{tasks[0]}.{param}={values[0].get(param)}" if param and tasks else "TASK.PARAM=VALUE"
    else:
        example = f"{field_}={_fmt(next(v for v in reversed(values) if v != '–'))}"  # '–': field not recorded
    counts = ", ".join(f"{k} ({' | '.join(_fmt(x) for x in v)})" for k, v in diff.items())
    return counts, example, pool, diff


def several_settings_text(table: pd.DataFrame, hint: str) -> str:
    """One line where ``table`` holds several settings (budget checks apart), as :func:`select` refuses them, for a
    command that checks each apart (``plbench findings``): what they differ in and the ``--where`` that shows one
    (``hint``: the command, e.g. ``plbench findings --out results``); "" for one setting. `plbench findings` on runs
    at 150 and 200 iterations printed every finding twice with no word of how to pick one
    (tests/test_probe_verdicts19.py)."""
    st = settings_of(table)
    if st.empty:
        return ""
    checks = budget_checks(st)
    st = st[~st["key"].isin({k for k, main in checks.items() if main in set(st["key"])})]
    several = _several(st, _one_crop(list(st["setting"]))) if len(st) > 1 else None
    if not several:
        return ""
    counts, example, _, _ = several
    return (f"the results hold {len(st)} settings that differ in {counts}: each is checked apart, their parts one "
            f"Holm family per finding; `{hint} --where {shlex.quote(example)}` shows one")


def select(table: pd.DataFrame, where: dict[str, str] | None = None, keep: set[str] | None = None,
           hint: str = "plbench report", where_name: str = "--where") -> Selection:
    """Keep one setting (see the module docstring); ``keep``: setting JSON strings to keep (a grid's own);
    ``where_name``: how a ``where`` typo is named (:func:`check_where`), and how a message says to pick a setting
    (``where``, :func:`benchmark.api.report`'s keyword: not ``hint``'s command and its flag).

    Raises :class:`UserError` (one line) when the rows left hold several settings, or none."""
    where = where or {}
    st = settings_of(table)
    all_checks = budget_checks(st)
    if keep is not None and "key" in st.columns:
        st = st[st["key"].isin(keep)]
    before = st
    if where:
        check_where(st, where, where_name)
        # a task with runs recorded at the crop asked (sr4's crop-42 runs stored before Task.train_crop): those alone
        exact = {t for t, s in zip(st["task"], st["setting"])
                 if "crop" in where and _equal(s.get("crop"), where["crop"])}
        # a boolean Series: an empty list would select no columns (and `st["key"]` then fails)
        st = st[pd.Series([_matches(t, s, where, cut=t not in exact) for t, s in zip(st["task"], st["setting"])],
                          index=st.index, dtype=bool)]
    st = st[~st["key"].isin({k for k, main in all_checks.items() if main in set(st["key"])})]
    if st.empty:
        if table.empty or (table["loss"] == INPUT).all():
            return Selection(table.iloc[0:0], set(), "no results", [])
        have = "; ".join(f"{k}: {' | '.join(sorted({_fmt(s[k]) for s in before['setting'] if k in s}, key=_by_value))}"
                         for k in where if "." not in k and any(k in s for s in before["setting"]))
        raise UserError("no results match " + (" ".join(f"{k}={v}" for k, v in where.items()) or "this grid's "
                                               "settings") + f" ({'they have ' + have + '; ' if have else ''}"
                        + (f"`{hint}` without --where lists the settings)" if where_name == "--where" else
                           f"without {where_name}, api.report() lists the settings)"))
    crop = _one_crop(list(st["setting"]))  # one --crop that sr4 records as the 40 px it trains at 42, denoise as 42
    if several := _several(st, crop):
        counts, example, pool, diff = several
        raise UserError(f"the results hold {len(st)} settings that differ in {counts}; a leaderboard never "
                        f"averages across settings: pick one with "
                        + (f"`{hint} --where {shlex.quote(example)}`" if where_name == "--where" else
                           f"{where_name}={example!r}")
                        + _same_images(pool, diff))
    keys = set(st["key"])
    restored = table[(table["loss"] != INPUT) & in_settings(table["setting"], keys)] \
        if "setting" in table.columns else table[table["loss"] != INPUT]
    chosen = {t: s for t, s in zip(st["task"], st["setting"])}
    inputs = matching_inputs(table[table["loss"] == INPUT], chosen)
    out = pd.concat([inputs, restored], ignore_index=True)
    first = next(iter(chosen.values()))
    check_keys = {k for k, main in all_checks.items() if main in keys}
    checks = table[(table["loss"] != INPUT) & in_settings(table["setting"], check_keys)] \
        if check_keys else table.iloc[0:0]
    cut = "".join(f"; {t} trains {s['crop']}² crops" for t, s in sorted(chosen.items())
                  if crop and s.get("crop") != crop["crop"])
    return Selection(out, {str(r) for r in out["run_id"].dropna().unique()},
                     describe({**_shared(first), **crop}) + cut + task_parameters_text(chosen), list(chosen.values()),
                     checks)


def task_conventions(settings: list[dict]) -> list[str]:
    """``["sr4: bicubic ×4 by torch's interpolate …", …]``: each chosen setting's task, built with its recorded
    parameters, says how it degraded (:meth:`benchmark.task.Task.convention`) and which pixels it scored: the test
    images are cut at the bottom/right to multiples of the task's :attr:`~benchmark.task.Task.test_multiple` px
    (Kodak's 500² to 496², Set5's 228-px side to 224), where the papers score the whole image, or, for ×s
    super-resolution, cut it to a multiple of s (modcrop, what ``sr4.modcrop=true`` does) — a difference no other
    line names (Set5 bicubic ×4, psnr_y@shave4: 28.421 dB cut to 8, 28.429 modcropped to 4). A task this code
    cannot build (a plugin not loaded) is left out."""
    from benchmark.task import build_task

    out = []
    for s in settings:
        task = (s or {}).get("task")
        try:
            built = build_task(task, **((s or {}).get("task_params") or {}))
            text = built.convention()
            multiple = built.test_multiple
        except Exception:  # noqa: BLE001 - a task not registered here, or parameters this version refuses
            continue
        scale = getattr(built, "scale", None)  # ×s super-resolution (a Bayer's 2 is no modcrop)
        if built.modcrops and isinstance(scale, int):
            cut = f"test images modcropped to multiples of {multiple} px, as the papers"
        elif built.modcrops:
            cut = "whole test images scored" if multiple == 1 else \
                f"test images cut at the bottom/right to multiples of {multiple} px only (the task's own need)"
        else:
            cut = f"test images cut at the bottom/right to multiples of {multiple} px"
            if isinstance(scale, int):
                cut += f" (the papers' modcrop cuts to {scale})"
        out.append(f"{task}: {text}; {cut}" if text else f"{task}: {cut}")
    return sorted(set(out))


def task_parameters_text(chosen: dict[str, dict]) -> str:
    """``", task parameters: denoise sigma=0.2; sr4 scale=2"``: the parameters of each task's setting that
    differ from the task's defaults (else ``""``). Without it a leaderboard of ×2 SR was headed ``sr4``
    and one at σ = 0.2 ``denoise``, like the defaults."""
    from benchmark.registry import TASKS
    from benchmark.task import build_task

    parts = []
    for task, setting in sorted(chosen.items()):
        params = json.loads(json.dumps((setting or {}).get("task_params") or {}, default=str))  # as read back
        try:
            defaults = json.loads(json.dumps(build_task(task).params, default=str)) if task in TASKS.names() else {}
        except Exception:  # noqa: BLE001 - a task this code cannot build: every recorded parameter is shown
            defaults = {}
        changed = {k: v for k, v in params.items() if k not in defaults or defaults[k] != v}
        if changed:
            parts.append(f"{task} " + " ".join(f"{k}={_fmt(v) if not isinstance(v, list) else tuple(v)}"
                                               for k, v in sorted(changed.items())))
    return ", task parameters: " + "; ".join(parts) if parts else ""
