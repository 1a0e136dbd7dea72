"""Report and store leftovers (round 19): compare's notes, leaderboard.md's pooled-sets note, the CD diagram's tied
losses, check's renamed copies, finished.log's warning."""
from __future__ import annotations

import pytest
from conftest import two_seed_store


@pytest.mark.slow  # compare's summary, its statistics and findings: ~2.5 s on a loaded 2-core machine
def test_every_note_of_compares_task_ends_with_a_full_stop(tmp_path, monkeypatch):
    """Was: `plbench compare` on two seeds quoted 'Smoke test, not a ranking: … where a verdict needs ≥ 3 — no
    verdicts' with no full stop, where every other note of the task (and leaderboard.md's smoke line) ends with one.
    The task's notes are now ended in one place, each with its full stop."""
    import warnings

    from benchmark.compare import _summary

    store = two_seed_store(tmp_path, monkeypatch)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        text, _ = _summary(store, {"sr4": [m for m in store.metas() if m.get("config")]}, ["mine"], {"sr4": []},
                           0.05, 20, "l1", ())
    notes = [line for line in text.splitlines() if line.startswith("> ")]
    assert any(n.startswith("> Smoke test, not a ranking") for n in notes), text[:2000]
    assert [n for n in notes if not n.rstrip().endswith(".")] == []


@pytest.mark.slow  # the statistics of a board: ~2 s on a loaded 2-core machine
def test_leaderboard_md_points_to_its_own_by_test_set_section_as_below():
    """Was: leaderboard.md's note 'Test sets pooled: …' sent its reader to '(By test set, in leaderboard.md)' — the
    file they are reading. There it now says 'below'; the notes read elsewhere (LaTeX, HTML, compare) still name the
    file, where the section is."""
    from benchmark import export
    from benchmark.stats import compute
    from benchmark.synthetic import synthetic_table

    table = synthetic_table(tasks=("sr4",), metrics=("psnr",), seeds=range(2), n_images=4, budget_check=False)
    table["dataset"] = ["medical" if i >= "img0002" else "natural" for i in table["image"]]
    stats = compute(table, n_boot=20)
    md = export.markdown(stats)
    pooled = next(line for line in md.splitlines() if "Test sets pooled" in line)
    assert "(By test set, below)" in pooled and "leaderboard.md" not in pooled, pooled
    assert "By test set, in leaderboard.md" in export.latex(stats)
    assert "By test set, in leaderboard.md" in export.pooled_sets_text(stats)


def test_check_gives_each_renamed_copy_its_mv_when_more_than_ten_runs_are_gone(tmp_path, capsys):
    """Was: with more than 10 finished runs gone (a cleanup gone wrong), ``check`` named the run folders renamed in
    runs/ (``mv runs/<id> "runs/<id> copy"``) in one grouped line, the first three and '…', 'rename its copy back to
    runs/<id>' — and its summary said their mv was 'said above'. Each is now named with its own ``mv`` (the first 10),
    the rest counted."""
    import shlex
    import shutil

    from benchmark.cli import main
    from benchmark.report import GONE_NAMED
    from benchmark.synthetic import write_store

    store = write_store(tmp_path / "my r", offsets={"l1": 0.0, "good": 1.0}, seeds=range(6), n_images=1,
                        metrics=("psnr",), budget_check=False)
    rids = sorted(r for r in store.run_ids() if not r.startswith("input-"))[:GONE_NAMED + 2]
    for rid in rids:
        store.note_finished(rid, store.meta(rid))
        shutil.move(store.run_dir(rid), store.runs / f"{rid} copy")
    assert main(["check", "--out", str(store.root)]) == 1
    out = capsys.readouterr().out
    backs = [f"mv {shlex.quote(str(store.runs / f'{r} copy'))} {shlex.quote(str(store.run_dir(r)))}" for r in rids]
    told = [b for b in backs if b in out]
    assert len(told) == GONE_NAMED, out
    more = [x for x in out.splitlines() if "2 more" in x]
    assert len(more) == 1 and all(f"runs/{r} copy" in more[0] for r in rids if not any(r in b for b in told)), out


@pytest.mark.slow  # the statistics of a board, then the figure: ~2 s on a loaded 2-core machine
def test_the_cd_diagram_draws_tied_losses_lines_apart():
    """Was: losses tied on one mean rank drew their connectors' vertical lines on one x, the lower over the upper
    (only the markers set apart, at their own heights): a reader saw one line for two losses. Each tied loss's vertical
    now stands a few points from the next, in their order down the column (no line crosses another's), and a loss
    not tied stays on its rank."""
    import dataclasses

    from benchmark import figures as F
    from benchmark.stats import compute
    from benchmark.synthetic import synthetic_table

    stats = compute(synthetic_table(offsets={"l1": 0.0, "a": 0.5, "b": 1.0, "c": 1.5, "d": 2.0}, seeds=(0,),
                                    n_images=2, metrics=("psnr", "ssim")), n_boot=10)
    ranks = {"a": 1.5, "b": 1.5, "c": 3.5, "d": 3.5, "l1": 5.0}  # two ties in the left column, one in the right
    stats = dataclasses.replace(stats, friedman={**stats.friedman, "ranks": ranks})
    with F.style() as plt:
        fig = F.draw_cd_diagram(stats)
        ax = fig.axes[0]
        lines = [ln for ln in ax.lines if ln.get_markevery() == [1]]
        xs = [float(ln.get_xdata()[0]) for ln in lines]
        assert all(ln.get_xdata()[0] == ln.get_xdata()[1] for ln in lines)  # still a vertical line
        pts = [ax.transData.transform((x, 0))[0] * 72 / fig.dpi for x in xs]  # in points
        plt.close(fig)
    assert len(lines) == 5
    assert pts[1] - pts[0] >= 2.0 and pts[3] - pts[2] >= 2.0, pts  # a, b and c, d apart, in their order
    assert abs(xs[0] + xs[1] - 3.0) < 1e-9 and abs(xs[2] + xs[3] - 7.0) < 1e-9, xs  # centred on their rank
    assert xs[4] == 5.0, xs


def test_a_grid_of_workers_warns_once_that_finished_log_cannot_be_written(tmp_path, monkeypatch, caplog):
    """Was: with finished.log not writable (a folder in its place, a colleague's read-only file), each worker of a
    grid said 'could not note in …/finished.log' once, its own store's once: N workers, N lines. The driver now says
    it once, before the workers start, and they take it as said."""
    import dataclasses
    import logging
    import tempfile

    from benchmark import executors, runner
    from benchmark.config import RunConfig, run_id
    from benchmark.results import FINISHED_LOG, ResultsStore

    cfgs = [RunConfig(task="denoise", loss="l1", seed=seed, train_fingerprint="x", test_fingerprint="y")
            for seed in range(3)]
    root = tmp_path / "r"
    ResultsStore(root).ensure_writable()
    (root / FINISHED_LOG).mkdir()  # cannot be opened to append, as root too

    def run_grid(configs, store, *a, **k):  # each run finished: noted in finished.log by the worker's store
        for c in configs:
            store.note_finished(run_id(c), {"config": dataclasses.asdict(c), "status": "ok"})
        return runner.GridSummary()

    def run_processes(units, envs, monitor=None):  # each unit as its own worker would run it
        return [{"summary": executors.run_unit(u)} for u in units]

    monkeypatch.setattr(runner, "run_grid", run_grid)
    monkeypatch.setattr(executors, "local_workers", lambda *a: (3, []))
    monkeypatch.setattr(executors, "_to_submit", lambda configs, *a: list(configs))
    monkeypatch.setattr(executors, "check_local_memory", lambda *a, **k: None)
    monkeypatch.setattr(executors, "_run_processes", run_processes)
    monkeypatch.setattr(executors, "_collect", lambda *a, **k: None)
    (tmp_path / "tmp").mkdir()  # the grid's claim folder (never removed: _collect is stubbed) kept out of /tmp
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))
    with caplog.at_level(logging.WARNING):
        executors.execute_local(cfgs, root, ("psnr",), "cpu", workers=3)
    said = [r.getMessage() for r in caplog.records if "could not note in" in r.getMessage()]
    assert len(said) == 1 and FINISHED_LOG in said[0], said
