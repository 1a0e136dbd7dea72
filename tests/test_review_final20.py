"""Cross-area review of 2026-12-07's merged branches (final-rv)."""

from pathlib import Path

import numpy as np
from PIL import Image


def _pngs(folder, *names):
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    for name in names:
        Image.fromarray(rng.integers(0, 256, (16, 24, 3), dtype=np.uint8)).save(folder / f"{name}.png")


def test_the_readme_orders_a_sources_read_check_after_the_out_folders_refusal(tmp_path, monkeypatch, capsys):
    """data's check_source_readable (a test table's bad row, a split or column not there, a hub id asked online) runs
    after run has looked at --out, as its docstring says, while README's rule said every mistake found without
    reading an image is said before the --out refusal: a table with a row too many beside an --out that is a file
    said the --out. The README now says which: a path's check before it, a source's reading after it."""
    from benchmark.cli import main

    monkeypatch.chdir(tmp_path)
    _pngs(tmp_path, "a", "b")
    (tmp_path / "photos.csv").write_text("path,caption\na.png,x\nb.png,x,y\n")
    (tmp_path / "r").write_text("not a folder")
    code = main(["run", "--tasks", "denoise", "--losses", "l1", "--seeds", "0", "--test-data",
                 str(tmp_path / "photos.csv"), "--out", str(tmp_path / "r"), "--no-progress"])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and "photos.csv" not in err[-1] and str(tmp_path / "r") in err[-1], err
    readme = " ".join((Path(__file__).parents[1] / "README.md").read_text().split())
    assert "and that refusal before any source is read (a table's rows, a split or column not there" in readme


def test_compares_left_run_notes_name_each_new_loss_and_count_its_runs_as_its_half_batch_note_does(tmp_path):
    """store made compare name a new loss's half-batch runs per loss ('l2: 1 of 3 runs of the new loss ran out of
    memory …', as its failed/diverged notes), and agreed the words of the notes on runs left to another process,
    which still pooled every new loss's runs of the task: `compare --loss l1 --loss l2` with one of l2's runs held
    elsewhere said '1 of 4 runs of the new loss is being trained …', of no loss, against both losses' runs. Now one
    voice: per loss, its name first, its own runs counted."""
    from benchmark.compare import _left_notes
    from benchmark.config import RunConfig, run_id
    from benchmark.results import ResultsStore

    store = ResultsStore(tmp_path / "r")
    store.ensure_writable()
    configs = [RunConfig(task="denoise", loss=loss, seed=s, iterations=2) for loss in ("l1", "l2") for s in range(2)]
    lock = store.lock(run_id(configs[2]))  # one of l2's runs, trained by another process
    try:
        notes = _left_notes(store, configs)
    finally:
        lock.release()
    held = run_id(configs[2])
    assert notes[1] == (f"l2: 1 of 2 runs of the new loss is being trained by another process on this results "
                        f"directory (runs/{held}; this compare left it to that process): the same `plbench compare` "
                        "once it finishes shows it."), notes
    assert [n.split(":")[0] for n in notes] == ["l1", "l2", "l2"], notes  # l1's two and l2's other: stopped there
    assert notes[0].startswith("l1: 2 of 2 runs of the new loss left to another process were stopped"), notes


def test_the_eta_credits_a_stopped_run_what_its_checkpoint_holds_as_the_dry_run_does(tmp_path):
    """cost made the dry run charge a run stopped with a checkpoint the iterations it has left from the checkpoint
    (checkpoint.resumes_at), and the ETA its family's mean less the training seconds its curve.csv last records;
    mend made both ask resumes_at whether it resumes. But the curve goes on past the checkpoint (saved at 100, killed
    at 200): the run trains 100 → 200 again, which the dry run counted and the ETA took off (20 s left of a 200 s run,
    not 110). Now the ETA credits the seconds the curve records at the checkpoint's iteration."""
    from benchmark.config import RunConfig, code_version, run_id
    from benchmark.progress import GridProgress
    from benchmark.results import ResultsStore
    from tests.test_review_cost20 import _saved

    store = ResultsStore(tmp_path)
    store.ensure_writable()
    done, stopped = (RunConfig(task="denoise", loss="pdl", seed=s, train_fingerprint="x", test_fingerprint="y")
                     for s in (0, 1))
    store.write_meta(run_id(done), {"run_id": run_id(done), "status": "ok", "config": done.to_dict(), "wall_s": 200.0})
    folder = store.run_dir(run_id(stopped))
    folder.mkdir(parents=True)
    (folder / "curve.csv").write_text("iteration,seconds,loss,lr\n100,90.0,0.1,0.001\n200,180.0,0.1,0.001\n")
    _saved(folder / "ckpt.pt", 100, {"config": stopped.to_dict(), "code_version": code_version()})
    assert GridProgress(store, [done, stopped], workers=1).eta()[0] == 110.0
    rows = "".join(f"{i},{i * 0.9},0.1,0.001\n" for i in range(1, 1001))  # the checkpoint's row before the tail read
    (folder / "curve.csv").write_text("iteration,seconds,loss,lr\n" + rows)
    _saved(folder / "ckpt.pt", 50, {"config": stopped.to_dict(), "code_version": code_version()})
    assert GridProgress(store, [done, stopped], workers=1).eta()[0] == 200.0 - 45.0


def test_the_leaderboards_metrics_note_names_the_metrics_in_its_columns_order():
    """report put the metric columns in one order (stats.metric_order: psnr, ssim, ms_ssim, then by name, a number as a
    number), but the Metrics note above them still listed the metrics' conventions in string order, 'ms_ssim: …;
    psnr: …; ssim: …', the columns reading psnr, ssim, ms_ssim. Now the note follows the columns."""
    from benchmark.export import notes
    from benchmark.stats import compute, metric_order
    from benchmark.synthetic import synthetic_table

    st = compute(synthetic_table(metrics=("psnr", "ssim", "ms_ssim"), seeds=(0, 1, 2), n_images=4), n_boot=20)
    (line,) = [n for n in notes(st) if n.startswith("Metrics: ")]
    said = [part.split(":")[0] for part in line[len("Metrics: "):].split("; ")]
    assert said == metric_order(said) == ["psnr", "ssim", "ms_ssim"], line
