"""Session 26's probe of compare and loss identity across the store: which runs are the compared loss's."""

from __future__ import annotations

from pathlib import Path

import pytest


def _twin_store(root, offsets):
    """A synthetic store (denoise, one seed, psnr) whose runs record ``offsets``' losses as spelt there."""
    from benchmark.synthetic import write_store

    return write_store(root, offsets=offsets, seeds=(0,), metrics=("psnr",), n_images=2, budget_check=False)


def _stopped(store, runs):
    """Runs of ``store`` stopped with a checkpoint: {run id: its loss}, each stopped at iteration 62 of 120."""
    import torch

    from benchmark.ckptrecord import FORMAT

    store.ensure_writable()
    for rid, loss in runs.items():
        folder = store.run_dir(rid)
        folder.mkdir(parents=True)
        config = {"task": "denoise", "loss": loss, "seed": 0, "iterations": 120}
        torch.save({"format": FORMAT, "fingerprint": {"config": config, "code_version": "x"}, "iteration": 62},
                   folder / "ckpt.pt")


def test_compare_counts_a_stored_twin_spelling_of_the_compared_loss_as_its_own_not_the_field(tmp_path, capsys):
    """Was: compare told the field from the compared loss by exact spelling, so the runs of ``ffl(alpha=1)`` beside
    ``ffl``'s (one loss, one row of the store's tables) were a field loss: a store of that loss alone was a field to
    compare ``--loss ffl`` against. Now they are the compared loss's own: no field, said so."""
    from benchmark.cli import main

    store = _twin_store(tmp_path / "r", {"ffl": 0.0, "ffl(alpha=1)": 0.0})
    assert main(["compare", "--loss", "ffl", "--out", str(store.root), "--no-visual"]) == 2
    err = capsys.readouterr().err
    assert "no finished field runs" in err and "the loss compared" in err, err
    assert "ffl(alpha=1)" in err.splitlines()[-1], err


def test_compare_s_summary_finds_the_compared_loss_s_rows_under_the_spelling_the_table_reads(tmp_path):
    """Was: with ``ffl`` and ``ffl(alpha=1)`` runs in one store, the table reads both as one spelling, and compare's
    summary looked its new loss up by the spelling compared: "The new loss has no scored results for this task (none of
    its runs finished)" of a loss whose runs were all there. Now its row is found and ranked, marked in bold."""
    from benchmark.compare import _summary
    from benchmark.results import ResultsStore

    store = _twin_store(tmp_path / "r", {"l1": 0.0, "ffl": 0.3, "ffl(alpha=1)": 0.3})
    (compared, read_as), = [
        (s, r) for s, r in store.loss_spellings().items() if s != r]
    store = ResultsStore(store.root)
    group = [m for m in store.metas() if m.get("config")]
    ids = {m["run_id"] for m in group if m["config"]["loss"] == compared}
    md = _summary(store, {"denoise": group}, [compared], {"denoise": []}, 0.05, 20, "l1", (), ids)[0]
    assert "no scored results" not in md, md
    ranking = next(x for x in md.splitlines() if x.startswith("Ranking"))
    assert f"{read_as} (new)**" in ranking, ranking  # this compare's own runs (`since` not given)


def test_the_empty_field_s_stopped_count_leaves_out_the_compared_loss_under_an_alias(tmp_path):
    """Was: _stopped_field_runs left out the compared loss's own stopped runs by exact spelling, so a run stopped with
    a checkpoint of ``lpips(net='vgg')`` counted as a field run of ``compare --loss lpips_vgg`` (the same loss). Now by
    identity: none; another loss's stopped run still counts."""
    from benchmark.compare import _stopped_field_runs
    from benchmark.results import ResultsStore

    store = ResultsStore(tmp_path / "r")
    _stopped(store, {"fedcba9876543210": "lpips(net='vgg')", "0123456789abcdef": "l1"})
    assert _stopped_field_runs(store, ["lpips_vgg"]) == (1, False)
    assert _stopped_field_runs(store, ["l1"]) == (1, False)


@pytest.mark.slow
def test_compare_reads_finished_log_and_each_stopped_checkpoint_once(tmp_path, monkeypatch):
    """Was: compare read the store's finished.log (ResultsStore.gone) before its report and the report read it again,
    and the report's stopped note and the comparison's each read every stopped run's checkpoint (a file of up to
    hundreds of MB each on a big store). Now the comparison takes the report's reads (write_report's gone_out,
    stopped_out): one read of each, as one report's, the stopped run still named in compare/<loss>.md."""
    from benchmark import ckptrecord
    from benchmark.cli import main
    from benchmark.results import ResultsStore

    out = tmp_path / "r"
    assert main(["--tasks", "denoise", "--losses", "l1", "ssim", "--seeds", "0", "--iterations", "2", "--crop", "32",
                 "--batch-size", "2", "--metrics", "psnr", "--no-budget-check", "--device", "cpu", "--no-progress",
                 "-q", "--no-report", "--out", str(out)]) == 0
    _stopped(ResultsStore(out), {"fedcba9876543210": "charbonnier"})
    folder = ResultsStore(out).run_dir("fedcba9876543210")
    reads = {"log": 0, "ckpt": 0}
    read_log, record = ResultsStore._read_finished_log, ckptrecord.record

    def counted_log(self, *a, **k):
        reads["log"] += 1
        return read_log(self, *a, **k)

    def counted_record(path):
        reads["ckpt"] += Path(path).parent.name == folder.name
        return record(path)

    monkeypatch.setattr(ResultsStore, "_read_finished_log", counted_log)
    monkeypatch.setattr(ckptrecord, "record", counted_record)
    from benchmark.report import standing_stopped

    standing_stopped(ResultsStore(out))  # what one reading of the stopped runs costs: compare's is that, once
    once, reads["ckpt"] = reads["ckpt"], 0
    assert once
    assert main(["compare", "--loss", "ssim", "--out", str(out), "--device", "cpu", "--no-progress", "-q",
                 "--no-visual", "--formats", "png", "--bootstrap", "100"]) == 0
    assert reads == {"log": 1, "ckpt": once}, reads
    assert "denoise/charbonnier seed 0, stopped at iteration 62" in (out / "compare" / "ssim.md").read_text()


def test_the_stopped_note_reads_each_stopped_checkpoint_once(tmp_path, monkeypatch):
    """Was: report.standing_stopped (the board's stopped note, compare's, compare's refusal of an empty field) read each
    stopped run's checkpoint three times — ResultsStore.superseded, its record, and results._foreign's
    written_for_run — on a big store each a file of up to hundreds of MB. Now once, its record handed to both."""
    from benchmark import ckptrecord
    from benchmark.report import standing_stopped
    from benchmark.results import ResultsStore

    store = ResultsStore(tmp_path / "r")
    _stopped(store, {"fedcba9876543210": "charbonnier", "0123456789abcdef": "l1"})
    reads, record = [], ckptrecord.record

    def counted(path):
        reads.append(Path(path).parent.name)
        return record(path)

    monkeypatch.setattr(ckptrecord, "record", counted)
    stopped = standing_stopped(store)
    assert sorted(stopped) == ["0123456789abcdef", "fedcba9876543210"]
    assert sorted(reads) == sorted(stopped), reads
    assert all(rec["iteration"] == 62 and why == "" for _, rec, why in stopped.values()), stopped


def test_a_field_setting_s_size_counts_one_loss_spelt_two_ways_once():
    """Was: compare's field groups were ranked (and _pick_group's tie decided) by their losses counted by spelling, so
    a setting holding l1 and ffl under two spellings (ffl, ffl(alpha=1): one loss, one row of its board) outranked a
    setting of as many losses with more runs, and the new loss was compared against the smaller field. Now a loss
    spelt two ways counts once: the larger field first."""
    from benchmark.compare import field_groups

    def meta(loss, it, seed=0):
        return {"run_id": f"{loss}{it}{seed}", "status": "ok", "code_version": "0.1.0+c1",
                "config": {"task": "denoise", "loss": loss, "seed": seed, "iterations": it, "net": "tiny"}}

    twins = [meta(loss, 2) for loss in ("l1", "ffl", "ffl(alpha=1)")]  # 2 losses, 3 runs
    larger = [meta(loss, 3, seed) for loss in ("l1", "ssim") for seed in (0, 1)]  # 2 losses, 4 runs
    groups = field_groups(twins + larger, set())[0]["denoise"]
    assert [len(g) for g in groups] == [4, 3], [[m["config"]["loss"] for m in g] for g in groups]
