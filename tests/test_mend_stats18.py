"""Session-18 mends of stats, report, compare, figures and findings: one helper per rule, no work repeated."""
from __future__ import annotations

import os
import warnings

import scipy.stats  # noqa: F401 (imported once at collection, not in a test's time)
from conftest import figures_off

import benchmark.cli  # noqa: F401 - the command line's imports at collection, not in a test's time
import benchmark.compare  # noqa: F401
import benchmark.figures  # noqa: F401
import benchmark.metrics  # noqa: F401 (torch, scipy.stats)
import benchmark.report  # noqa: F401
import benchmark.synthetic  # noqa: F401
from benchmark.registry import FINDINGS, TASKS

FINDINGS.names(), TASKS.names()  # the registries scanned at collection, not in a test's time


def _load_fonts() -> None:
    """matplotlib's fonts and the figures' style loaded once, at collection (the first figure drawn in a process
    takes a second more), not in a test's time."""
    with benchmark.figures.style() as plt:
        fig = plt.figure()
        fig.text(0, 0, "Ag ↑")
        fig.draw_without_rendering()
        plt.close(fig)


_load_fonts()
KW = dict(seeds=(0,), n_images=2, metrics=("psnr",), budget_check=False)


def _count(monkeypatch, cls, name: str) -> list:
    """Count the calls of ``cls.name`` (each call's args appended), the method still run."""
    calls, orig = [], getattr(cls, name)

    def counted(*a, **k):
        calls.append((a, k))
        return orig(*a, **k)

    monkeypatch.setattr(cls, name, counted)
    return calls


def test_a_store_with_nothing_gone_is_not_listed_again_for_renamed_runs(tmp_path, monkeypatch):
    """Was: gone_lines listed runs/ for copies (store.copies(), a record read per copy) on every report, every task of
    compare and check, though no run was gone to be named as renamed. Now it asks
    ResultsStore.renamed_copies only when some run is gone."""
    from benchmark.report import gone_lines
    from benchmark.results import ResultsStore
    from benchmark.synthetic import write_store

    store = write_store(tmp_path / "r", offsets={"l1": 0.0}, **KW)
    rid = next(r for r in store.run_ids() if not r.startswith("input-"))
    store.note_finished(rid, store.meta(rid))
    copies = _count(monkeypatch, ResultsStore, "copies")
    renamed = _count(monkeypatch, ResultsStore, "renamed_copies")
    assert gone_lines(store, {}) == [] and gone_lines(store) == []
    assert copies == [] and renamed == []
    store.run_dir(rid).rename(store.runs / "best")
    (line,) = gone_lines(store)
    assert "renamed runs/best" in line and len(renamed) == 1, line


def test_check_the_report_and_merge_agree_on_which_copies_are_renamed_runs(tmp_path, capsys):
    """Was: three copies of 'a copy whose run's folder is gone' — check's tested is_dir(), the report's and merge's
    os.path.lexists — so where runs/<id> was a file or a link to nothing beside runs/<id>.bak, check told the user to
    `mv` the copy onto it while the board named the file (or the link) and no rename. Now all three read
    ResultsStore.renamed_copies: a copy is a renamed run only where nothing at all is at runs/<id>."""
    from benchmark.cli import main
    from benchmark.synthetic import write_store

    store = write_store(tmp_path / "r", offsets={"l1": 0.0, "l2": 0.1}, **KW)
    a, b = sorted(r for r in store.run_ids() if not r.startswith("input-"))
    store.run_dir(a).rename(store.runs / "best")  # mv: the only copy of run a
    store.run_dir(b).rename(store.runs / f"{b}.bak")
    os.symlink(tmp_path / "usb" / b, store.run_dir(b))  # a disk not mounted: runs/<b> is there, a link to nothing
    assert store.renamed_copies() == {"best": a}
    main(["check", "--out", str(store.root)])
    said = capsys.readouterr().out
    assert f"mv {store.runs / 'best'} {store.run_dir(a)}" in said, said
    assert f"mv {store.runs / f'{b}.bak'}" not in said and f"runs/{b} is a link to" in said, said
    here = write_store(tmp_path / "here", offsets={"l3": 0.0}, **KW)
    assert here.merge_from(store)["renamed_there"] == ["best"]


def test_a_report_hands_back_the_stale_scores_its_findings_were_judged_with(tmp_path, monkeypatch):
    """Was: compare's summary judged the findings again without the new loss's runs, reading every run's stale scores
    (eval files, damage, metas) again, which its report had just read. Now write_report hands them back (stale_out),
    read once: what its findings were judged with."""
    from benchmark import findings
    from benchmark.report import write_report
    from benchmark.results import ResultsStore
    from benchmark.synthetic import write_store

    figures_off(monkeypatch)  # the figures: not these tests' (seconds)
    store = write_store(tmp_path / "r", offsets={"l1": 0.0}, **{**KW, "metrics": ("gmsd",)})
    reads = _count(monkeypatch, ResultsStore, "stale_scores")
    judged = _count(monkeypatch, findings, "check_store")
    stale: dict = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        write_report(store, n_boot=20, visual=False, html=False, formats=(), stale_out=stale)
    assert len(reads) == 1 and len(judged) == 1, (reads, judged)
    assert "gmsd" in stale and judged[0][1]["stale"] == stale, stale  # synthetic gmsd: scored before today's fix


def test_compare_rejudges_only_the_findings_on_the_new_loss_with_the_reports_stale_scores(tmp_path, monkeypatch):
    """Was: compare judged every registered finding a second time without the new loss's runs (and read every run's
    stale scores again). Now only the findings with a part on the new loss are judged again, with the stale scores
    its report read (compare passes write_report's stale_out): ℓ1 vs ℓ2 (zhao2017_l1_vs_l2) and DISTS vs ℓ2
    (blau2018_pd_tradeoff) are not; Ding's claim about every rival is."""
    from benchmark import findings
    from benchmark.compare import _summary
    from benchmark.results import ResultsStore
    from benchmark.synthetic import write_store

    figures_off(monkeypatch)  # the figures: not these tests' (seconds)
    store = write_store(tmp_path / "r", tasks=("sr4",), offsets={"dists": 0.5, "l1": 0.0, "l2": 0.0, "mine": 0.5},
                        metrics=("psnr", "gmsd"), seeds=range(2), n_images=2, seed=2, budget_check=False,
                        weights={"dists": "vgg16:IMAGENET1K_V1+dists:v1"})
    # as the report judged them, with the new loss's runs (three findings: the others' parts are on none of these)
    after = findings.check_store(store, ["blau2018_pd_tradeoff", "ding2021_dists_lpips", "zhao2017_l1_vs_l2"],
                                 n_boot=20)
    stale = store.stale_scores(set(store.run_ids()))
    reads = _count(monkeypatch, ResultsStore, "stale_scores")
    judged = _count(monkeypatch, findings, "check_store")
    group = [m for m in store.metas() if m.get("config")]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        _summary(store, {"sr4": group}, ["mine"], {"sr4": []}, 0.05, 20, "l1", (), findings_after=after,
                 stale_all=stale)
    assert reads == [] and len(judged) == 1, (reads, judged)
    (_, names), kw = judged[0]
    assert names == ["ding2021_dists_lpips"] and kw["stale"] is stale, judged[0]
    assert {"zhao2017_l1_vs_l2", "blau2018_pd_tradeoff"} <= {r.name for r in after if r.parts}


def test_compare_alone_reads_the_stale_scores_once(tmp_path, monkeypatch):
    """_summary without its report's stale scores (``plbench compare``'s summary alone) reads them once, for every
    task's coverage and both judgings of the findings — not once per task and once per judging (3 reads here)."""
    from benchmark import findings
    from benchmark.compare import _summary
    from benchmark.results import ResultsStore
    from benchmark.synthetic import write_store

    figures_off(monkeypatch)  # the figures: not these tests' (seconds)
    store = write_store(tmp_path / "r", tasks=("sr4",), offsets={"l1": 0.0, "l2": 0.0, "mine": 0.5},
                        metrics=("psnr",), seeds=range(2), n_images=2, seed=2, budget_check=False)
    reads = _count(monkeypatch, ResultsStore, "stale_scores")
    judged = _count(monkeypatch, findings, "check_store")
    groups = {"sr4": [m for m in store.metas() if m.get("config")]}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        _summary(store, groups, ["mine"], {t: [] for t in groups}, 0.05, 20, "l1", ())
    assert len(reads) == 1 and judged and all(kw["stale"] is not None for _, kw in judged), (reads, judged)


def test_a_smoke_tests_pd_plane_has_a_title_of_two_lines_at_most():
    """Was: draw_pd_plane kept its own older rule for a smoke test's title — characters counted at 0.55 em, the head
    broken on that count, the smoke line under it — so one task's plane of contrique_fr against ms_ssim opened with 3
    lines ('P–D plane: perception = contrique_fr ↑,' / 'distortion = ms_ssim ↑' / 'Smoke test, not a ranking'), and
    the smoke line came last where every other figure puts it first. Now it is fit_title's (title, caption, size): 2
    lines as drawn, the smoke line first, its reasons opening the caption before the figure's own notes."""
    from benchmark import figures as F
    from benchmark.settings import drop_budget_checks
    from benchmark.stats import compute, smoke_test
    from benchmark.synthetic import synthetic_runs, synthetic_table

    kw = dict(tasks=("denoise",), offsets={"l1": 0.0, "l2": 0.1, "ssim": 0.3}, seeds=(0, 1, 2), n_images=2,
              metrics=("ms_ssim", "contrique_fr"), unconverged=("l1",))
    t, checks = drop_budget_checks(synthetic_table(**kw, budget_check=True))
    metas = [m for _, m, _ in synthetic_runs(**kw) if m.get("config", {}).get("iterations") == 150]
    stats = compute(t, metas, n_boot=20, checks=checks)
    smoke = smoke_test(stats, short=True)
    assert smoke.startswith("Smoke test, not a ranking"), smoke
    with F.style() as plt:
        fig = F.draw_pd_plane(stats)
        fig.draw_without_rendering()
        title, r = fig._suptitle, fig.canvas.get_renderer()
        probe = fig.text(0, 0, "Ag", fontsize=title.get_fontsize())
        one = probe.get_window_extent(r).height
        lines = 1 + round((title.get_window_extent(r).height / one - 1) / 1.2)  # as tests/test_probe_report18.py
        key = fig.plb_legend[3] or ""
        plt.close(fig)
    assert title.get_text().startswith("Smoke test, not a ranking") and lines <= 2, (lines, title.get_text())
    reasons = smoke.split(":", 1)[1].split()[:3] if smoke not in title.get_text().replace("\n", " ") else []
    assert " ".join(reasons) in key.replace("\n", " "), (smoke, key)  # said under the title, not dropped


def test_a_p_without_its_relation_is_one_helper():
    """Was: findings._fmt_p and stats.family_losses each stripped p_text's '= ' themselves (the former behind an
    isfinite guard p_text already has). Now both are stats.p_bare: p_text's p, its digits kept on its side of α."""
    from benchmark import findings, stats

    assert [stats.p_bare(p) for p in (0.034, 0.0496, 1e-20, float("nan"), None)] == ["0.034", "0.0496", "< 1e-16",
                                                                                    "–", "–"]
    assert stats.p_bare(0.0096, alpha=0.01) == "0.0096" and stats.p_bare(0.0096) == "0.0096"
    assert findings.p_bare is stats.p_bare and not hasattr(findings, "_fmt_p")
