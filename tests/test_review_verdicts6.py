"""Review of probe-verdicts6: one Holm family for a finding wherever it is judged, the deblur version bump
(test inputs and the GPU draws unchanged), and the calibration tests' Monte-Carlo error."""

from __future__ import annotations

import hashlib
import json

import numpy as np
import pandas as pd
import pytest


def _two_setting_store(root, effects=(0.3, 0.3), unrecorded: bool = False):
    """A store with l1 and l2 on sr4 at two task settings (``sigma`` 0.1 and 0.2, one shared setting each):
    l1 better than l2 by ``effects[k]`` (in psnr SCALE units) in setting k. Returns (store, setting JSONs)."""
    from benchmark.results import ResultsStore, atomic_write_json
    from benchmark.synthetic import synthetic_runs

    store = ResultsStore(root)
    store.ensure_writable()
    keys = []
    for k, (sigma, eff) in enumerate(zip((0.1, 0.2), effects)):
        for rid, meta, rows in synthetic_runs(tasks=("sr4",), offsets={"l1": eff, "l2": 0.0}, seeds=range(5),
                                              metrics=("psnr",), n_images=6, seed=k, seed_sd=0.3):
            rid2 = hashlib.sha256(f"{rid}-s{k}".encode()).hexdigest()[:16]  # a run id of its own (16 hex)
            params = {"sigma": sigma}
            new = []
            for r in rows:
                setting = r["setting"]
                if setting is not None and unrecorded and k == 0:  # rows written before runs recorded one
                    setting = None
                elif setting is not None:
                    s = json.loads(setting)
                    s["task_params"] = params
                    setting = json.dumps(s, sort_keys=True)
                    keys.append(setting)
                new.append({**r, "run_id": rid2, "task_params": json.dumps(params), "setting": setting})
            meta = {**meta, "run_id": rid2}
            if "setting" in meta and unrecorded and k == 0:
                meta.pop("setting")
            elif "setting" in meta:
                meta["setting"] = {**meta["setting"], "task_params": params}
            store.write_eval(rid2, new, sorted({r["metric"] for r in new}), {})
            atomic_write_json(store.run_dir(rid2) / "meta.json", meta)
    return store, list(dict.fromkeys(keys))


@pytest.mark.usefixtures("no_report_figures")  # its reports are read for their text
def test_plbench_findings_and_the_report_judge_a_setting_in_one_holm_family(tmp_path):
    """Was: `plbench findings` made a finding's Holm family of every setting of the store while the report's
    Findings (and the findings.md/.csv it writes over the same files) made it of the report's setting alone: the
    same part of the same runs had two Holm p's, and which findings.md a store held depended on the command run
    last. Now both take the family from every setting of the store and the report shows its own setting's rows."""
    from benchmark.findings import check_store
    from benchmark.report import write_report

    store, keys = _two_setting_store(tmp_path / "r")
    assert len(keys) == 4  # two settings, each with its budget check
    cli = [p for r in check_store(store, ["zhao2017_l1_vs_l2"]) for p in r.parts]
    assert len(cli) == 2
    write_report(store, keep={keys[0]}, n_boot=100, formats=(), visual=False, html=False)
    csv = pd.read_csv(tmp_path / "r" / "findings.csv")
    rep = csv[csv["finding"] == "zhao2017_l1_vs_l2"]
    assert len(rep) == 1  # the report's own setting
    mine = [p for p in cli if np.isclose(p.p, float(rep["p"].iloc[0]))]
    assert len(mine) == 1
    assert np.isclose(float(rep["p_holm"].iloc[0]), mine[0].p_adj)  # the family of every setting, as the CLI
    md = " ".join((tmp_path / "r" / "findings.md").read_text().split())
    assert "over every setting of the store, even where a report lists its own setting alone" in md


@pytest.mark.usefixtures("no_report_figures")  # its reports are read for their text
def test_the_reports_findings_show_its_setting_when_its_rows_record_none(tmp_path):
    """A report of runs whose rows record no setting (written before runs recorded one) still finds its own
    results among the store's: they are told by their runs, not by a setting string."""
    from benchmark.report import write_report

    store, keys = _two_setting_store(tmp_path / "r", unrecorded=True)
    write_report(store, keep={""}, n_boot=100, formats=(), visual=False, html=False)
    csv = pd.read_csv(tmp_path / "r" / "findings.csv")
    rep = csv[csv["finding"] == "zhao2017_l1_vs_l2"]
    assert len(rep) == 1 and rep["task"].iloc[0] == "sr4", rep.to_dict("records")


# deblur version 2 ---------------------------------------------------------------------------------------
def _v1_sample_kernel(self, generator):
    """Deblur version 1's CPU kernel draw: 3 numbers for a motion kernel, 2 for a Gaussian one."""
    import math

    from benchmark.task import uniform
    from tasks.deblur import gaussian_kernel, motion_kernel

    if float(__import__("torch").rand(1, generator=generator)) < self.p_motion:
        length = float(uniform(generator, *self.motion_length))
        angle = float(uniform(generator, 0.0, math.pi))
        return motion_kernel(self.kernel_size, min(length, self.kernel_size - 1), angle)
    return gaussian_kernel(self.kernel_size, float(uniform(generator, *self.gaussian_sigma)))


@pytest.mark.parametrize("p_motion", [0.0, 0.5, 1.0])
def test_deblur_version_2_leaves_every_test_image_degraded_as_version_1(monkeypatch, p_motion):
    """The version bump says the test images' degradations are unchanged: each test image draws one kernel
    from a stream of its own, so the extra draws after it move nothing. Checked against version 1's draw on
    images of several sizes and keys, motion and Gaussian kernels both."""
    import torch

    from benchmark.task import build_task, image_generator
    from tasks.deblur import Deblur

    task = build_task("deblur", p_motion=p_motion)
    g = torch.Generator().manual_seed(0)
    images = [torch.rand(1, 3, h, w, generator=g) for h, w in ((32, 32), (24, 40), (48, 16))]
    keys = [f"img{i}#0" for i in range(6)]
    new = [task.degrade(im, image_generator(task, k)) for im in images for k in keys]
    monkeypatch.setattr(Deblur, "sample_kernel", _v1_sample_kernel)
    old = [task.degrade(im, image_generator(task, k)) for im in images for k in keys]
    assert all(torch.equal(a, b) for a, b in zip(new, old))


def test_deblur_version_2_keeps_the_gpu_steps_kernel_draws():
    """The batched draw (the GPU step's) took 4 numbers per kernel before version 2 and still does: the same
    kernels as version 1's formula on the same generator state."""
    import math

    import torch

    from benchmark.task import build_task
    from tasks.deblur import gaussian_kernels, motion_kernels

    task = build_task("deblur", p_motion=0.5)
    got = task.sample_kernels(16, torch.Generator().manual_seed(5))
    u = torch.rand(16, 4, generator=torch.Generator().manual_seed(5))
    length = (5.0 + 10.0 * u[:, 1]).clamp_max(20)
    want = torch.where((u[:, 0] < 0.5).view(-1, 1, 1), motion_kernels(21, length, math.pi * u[:, 2], 15.0),
                       gaussian_kernels(21, 1.0 + 2.0 * u[:, 3]))
    assert torch.equal(got, want)


def test_a_setting_with_too_few_runs_is_not_in_its_findings_holm_family():
    """A setting of the sweep with 3 paired runs (too few for a verdict) carries no test: it must not dilute the
    family of the settings that have enough runs (README: parts with too few runs are not in the family)."""
    from benchmark.findings import TOO_FEW, check_all
    from benchmark.stats import holm
    from tests.test_probe_verdicts6 import _settings_table

    t = _settings_table(np.random.default_rng(3), n_settings=3)
    t = t[~(t["run_id"].str.endswith("-4") & (t["seed"] >= 3))]  # the third setting (lr 4e-4): seeds 0–2 only
    res = check_all(t, ["zhao2017_l1_vs_l2"], n_boot=20)
    parts = [p for r in res for p in r.parts]
    few = [p for p in parts if p.status == TOO_FEW]
    ok = [p for p in parts if p.status == "ok"]
    assert len(few) == 1 and len(ok) == 2
    assert np.allclose([p.p_adj for p in ok], holm(np.array([p.p for p in ok])))


def test_by_test_set_counts_each_tasks_own_images():
    """Was: the By-test-set table named one image count per set, the union over every task, while a task can
    leave images out (too small for ×3 super-resolution's multiple, too large for JPEG): a task's means rested
    on fewer images than said. Now where the tasks' counts differ each task names its own."""
    from benchmark import stats as S
    from benchmark.export import by_dataset_markdown
    from benchmark.synthetic import synthetic_table

    t = synthetic_table(tasks=("denoise", "sr4"), offsets={"l1": 0.0, "l2": 0.3}, seeds=range(3), metrics=("psnr",),
                        n_images=8)
    t["dataset"] = np.where(t["image"].astype(str) < "img0002", "tiny", "big")
    t = t[~((t["task"] == "sr4") & (t["image"] == "img0000"))]  # sr4 left one tiny image out
    md = by_dataset_markdown(t, S.compute(t, n_boot=20))
    sr4 = md.split("### sr4")[1]
    denoise = md.split("### denoise")[1].split("### sr4")[0]
    assert "tiny 1 image" in sr4 and "big 6 images" in sr4
    assert "tiny 2 images" in denoise
    assert "tiny 2 images" not in md.split("### denoise")[0]  # no one count for every task


def test_cd_diagram_title_says_too_few_runs_once(tmp_path):
    """Was: with too few runs per loss the CD diagram's title said it twice ("Smoke test, not a ranking: … 3 run(s)
    per loss where a verdict needs ≥ 5. Mean rank … — descriptive only: 3 run(s) per loss, nothing tested (a verdict
    needs ≥ 5)"). Now the smoke line keeps what the title does not say (runs not shown converged)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from benchmark import figures as F
    from benchmark import stats as S
    from benchmark.settings import select
    from benchmark.synthetic import write_store

    store = write_store(tmp_path / "r", offsets={"l1": 0.0, "good": 0.5, "bad": -0.5}, seeds=range(3),
                        metrics=("psnr", "ssim"), tasks=("denoise",), n_images=4, unconverged=("good",))
    ch = select(store.table(), keep=None, hint="test")
    st = S.compute(ch.table, [m for m in store.metas() if m.get("run_id") in ch.run_ids], n_boot=20, checks=ch.checks)
    fig = F.draw_cd_diagram(st)
    text = " ".join(f"{fig.get_suptitle()} {fig.get_supxlabel()}".split())  # the title and its caption
    plt.close(fig)
    assert text.count("a verdict needs") == 1, text
    assert "Smoke test, not a ranking: 3 of 9 runs not shown converged" in text, text


def test_compare_counts_a_failed_run_with_rows_once(tmp_path, monkeypatch):
    """A run recorded failed after its rows were written (an error after its evaluation) has rows and a failed
    meta: compare passed its meta twice (once as a run with rows, once as a lost run), where the report passes it
    once."""
    from benchmark import compare as C
    from benchmark.results import atomic_write_json
    from benchmark.synthetic import write_store

    store = write_store(tmp_path / "r", offsets={"l1": 0.0, "good": 1.0}, seeds=range(5), metrics=("psnr",),
                        n_images=6, budget_check=False)
    meta = next(m for m in store.metas() if (m.get("config") or {}).get("loss") == "good")
    atomic_write_json(store.run_dir(meta["run_id"]) / "meta.json", {**meta, "status": "failed", "error": "OSError"})
    seen = {}
    real = C.compute

    def spy(table, metas, *a, **k):
        seen["ids"] = [m.get("run_id") for m in metas]
        return real(table, metas, *a, **k)

    monkeypatch.setattr(C, "compute", spy)
    group = [m for m in store.metas() if m.get("kind") != "input"]
    C._summary(store, {"denoise": group}, ["good"], {"denoise": []}, 0.05, 20, "l1", ())
    assert len(seen["ids"]) == len(set(seen["ids"])), seen["ids"]
