"""Session 25's probe of findings and compare leftovers (r3find): what a verdict's text and compare's notes say."""

from __future__ import annotations

from conftest import one_finding

_PRE = "vgg16:imagenet"


def _worse_on_both(perception: str):
    """A psnr + ``perception`` store of sr4 where vgg is worse than ℓ2 on both axes (5 seeds, 8 images)."""
    from benchmark.synthetic import synthetic_table

    return synthetic_table(tasks=("sr4",), metrics=("psnr", perception),
                           offsets={"l2": 0.0, "vgg": {perception: -1.0, "psnr": -1.0}},
                           weights={"vgg": _PRE}, seeds=range(5), seed_sd=0.05, n_images=8)


def test_blau_on_nima_says_a_loss_worse_on_both_axes_is_a_point_the_bound_allows():
    """Was: vgg worse than ℓ2 on nima and on PSNR read "inconclusive: … significantly against the claim but not shown
    worse by more than the practical margin (… no practical margin registered for nima: it can support a claim, never
    contradict it): no contradiction" — as if a contradiction were spared for want of a margin — while the same store
    on niqe read "a point the bound allows". Now the nima text says that too (and that nima has no margin)."""
    niqe = one_finding(_worse_on_both("niqe"), "blau2018_pd_tradeoff")
    nima = one_finding(_worse_on_both("nima"), "blau2018_pd_tradeoff")
    for r in (niqe, nima):
        assert r.verdict == "inconclusive", r.verdict_text
        assert "a point the bound allows" in r.verdict_text, r.verdict_text
        assert "no contradiction" not in r.verdict_text, r.verdict_text
    assert "nima: no practical margin" in nima.verdict_text, nima.verdict_text


def test_scope_note_names_both_the_claim_tasks_and_the_needs_tasks(monkeypatch):
    """Was: scope_note read ``claim_tasks or needs.tasks``, so a finding setting both lost its Needs tasks from the
    note. Now both, in order (claim_tasks first), each once."""
    from benchmark.findings import FINDINGS, Needs
    from benchmark.synthetic import synthetic_table

    t = synthetic_table(tasks=("sr4",), metrics=("lpips",), offsets={"pdl": 1.0, "vgg": 0.0},
                        weights={"pdl": _PRE, "vgg": _PRE}, seeds=range(5), seed_sd=0.05, n_images=8)
    r = one_finding(t, "delbracio2021_pdl")
    cls = FINDINGS.get("delbracio2021_pdl").obj
    monkeypatch.setattr(cls, "claim_tasks", ("sr4", "denoise"))
    monkeypatch.setattr(cls, "needs", Needs(tasks=("denoise", "inpaint"), losses=("pdl",)))
    assert r.scope_note() == "; not tested on tasks denoise/inpaint: not in these results", r.scope_note()


def test_one_seed_is_said_in_one_text_by_the_findings_and_the_convergence_note():
    """Was: what settles a part unsettled for one seed (findings.SETTLES["one seed"]: "one seed: its budget gain has no
    spread to test, more seeds") and the convergence note's words for an arm of one seed (convergence.ONE_SEED: "one
    seed: no spread to test its gain against the margin") said one thing two ways. Now SETTLES reads ONE_SEED, adding
    what settles it."""
    from benchmark.convergence import ONE_SEED
    from benchmark.findings import SETTLES

    assert SETTLES["one seed"].startswith(ONE_SEED), SETTLES["one seed"]
    assert SETTLES["one seed"].endswith("more seeds"), SETTLES["one seed"]


def test_compare_on_an_empty_field_counts_stopped_runs_by_the_stopped_note_s_rule(tmp_path, capsys):
    """Was: compare's refusal of a field with no finished run counted every run stopped with a checkpoint under "the
    same `plbench run` resumes it" — one whose checkpoint is unreadable, which trains again from iteration 0 (as the
    board's stopped note and ``plbench check`` say), too. Now it counts them by the note's rule
    (report.standing_stopped) and says "resumes or retrains" where one retrains; a readable one still "resumes"."""
    import torch

    from benchmark.ckptrecord import FORMAT
    from benchmark.cli import main
    from benchmark.report import stopped_lines
    from benchmark.results import ResultsStore

    store = ResultsStore(tmp_path / "r")
    store.ensure_writable()
    good = store.run_dir("fedcba9876543210")
    good.mkdir(parents=True)
    config = {"task": "denoise", "loss": "charbonnier", "seed": 0, "iterations": 120}
    torch.save({"format": FORMAT, "fingerprint": {"config": config, "code_version": "x"}, "iteration": 62},
               good / "ckpt.pt")
    assert main(["compare", "--loss", "l1", "--out", str(store.root), "--no-visual"]) == 2
    err = capsys.readouterr().err
    assert "1 run stands stopped with a checkpoint, not finished: the same `plbench run` resumes it" in err, err
    bad = store.run_dir("0123456789abcdef")
    bad.mkdir(parents=True)
    (bad / "ckpt.pt").write_bytes(b"cut short")
    (note,) = stopped_lines(store)
    assert "resumes or retrains them" in note, note
    assert main(["compare", "--loss", "l1", "--out", str(store.root), "--no-visual"]) == 2
    err = capsys.readouterr().err
    assert "2 runs stand stopped with a checkpoint, not finished: the same `plbench run` resumes or retrains them" \
        in err, err


def test_compare_of_two_losses_one_in_the_store_one_trained_now_labels_each_truly(tmp_path):
    """Probe: ``plbench compare --loss l1 --loss l2`` where l1's runs were already in the results directory and l2's
    are trained now. Each label must be true of its loss: l1 not called new (it was taken from the store), l2 not
    called already in the store, and the opening must not say this compare trained none of them."""
    import json
    import time

    from benchmark.compare import _summary
    from benchmark.results import ResultsStore
    from benchmark.synthetic import write_store

    store = write_store(tmp_path / "r", offsets={"l1": 0.0, "l2": 0.1, "charbonnier": 0.05}, seeds=(0,),
                        metrics=("psnr",), n_images=2, budget_check=False)
    since = time.time()
    for m in store.metas():
        if (m.get("config") or {}).get("loss") == "l2":  # trained by this compare: started after it began
            m["started"] = since + 1
            (store.run_dir(m["run_id"]) / "meta.json").write_text(json.dumps(m))
    store = ResultsStore(store.root)
    group = [m for m in store.metas() if m.get("config")]
    ids = {m["run_id"] for m in group if m["config"]["loss"] in ("l1", "l2")}
    md = _summary(store, {"denoise": group}, ["l1", "l2"], {"denoise": []}, 0.05, 20, "charbonnier", (), ids,
                  since=since)[0]
    ranking = next(x for x in md.splitlines() if x.startswith("Ranking"))
    assert "l1 (already in the store)**" in ranking, ranking
    assert "l2 (new)**" in ranking, ranking
    assert "trained none of them" not in md, md


def test_the_lost_workers_line_does_not_count_an_unreadable_checkpoint_as_one_to_resume_from(tmp_path):
    """Was: executors._checkpointed (the lost-workers line's "N resume from their checkpoints") counted a run with any
    ``ckpt.pt``, one cut short (unreadable) too, though the run trains again from iteration 0 (check and the stopped
    note say so). Now only a checkpoint whose record reads and is the run's own counts."""
    import torch

    from benchmark.ckptrecord import FORMAT
    from benchmark.config import RunConfig, code_version, run_id
    from benchmark.executors import _checkpoint_counts
    from benchmark.results import ResultsStore

    store = ResultsStore(tmp_path / "r")
    store.ensure_writable()
    cfg = RunConfig(task="denoise", loss="l1", seed=0, iterations=2)
    folder = store.run_dir(run_id(cfg))
    folder.mkdir(parents=True)
    (folder / "ckpt.pt").write_bytes(b"cut short")
    assert _checkpoint_counts([cfg], store.root)[0] == 0
    torch.save({"format": FORMAT, "fingerprint": {"config": cfg.to_dict(), "code_version": code_version()},
                "iteration": 1}, folder / "ckpt.pt")
    assert _checkpoint_counts([cfg], store.root)[0] == 1
