"""Review of session 24's convergence and store commits (reviewer: verdicts)."""

from __future__ import annotations

import csv

import pytest

from benchmark.results import ResultsStore, atomic_write_json
from benchmark.synthetic import synthetic_runs


def _store_with_a_respelt_lost_check(root):
    """sr4, l1 and ffl(alpha=1) × 3 seeds (150 iterations, budget checks at 75), ffl's seed 2 budget check diverged
    and recorded under an older spelling of the same loss, ffl(alpha=1.0) (made by a plbench before runs took the
    recorded spelling): the table and every other record read it as ffl(alpha=1)."""
    store = ResultsStore(root)
    store.ensure_writable()
    for rid, meta, rows in synthetic_runs(tasks=("sr4",), metrics=("psnr",), seeds=(0, 1, 2), n_images=6,
                                          offsets={"l1": 0.0, "ffl(alpha=1)": 0.5}):
        cfg = meta.get("config", {})
        if (cfg.get("loss"), cfg.get("seed"), cfg.get("iterations")) == ("ffl(alpha=1)", 2, 75):
            meta = {**meta, "config": {**cfg, "loss": "ffl(alpha=1.0)"}, "status": "diverged", "diverged_at": 70}
            rows = []
        if rows:
            store.write_eval(rid, rows, sorted({r["metric"] for r in rows}), {})
        atomic_write_json(store.run_dir(rid) / "meta.json", meta)
    return store


@pytest.mark.usefixtures("no_report_figures")  # its reports are read for their text
def test_the_board_reads_a_diverged_budget_check_recorded_under_another_spelling_as_the_findings_do(tmp_path):
    """The report gave compute the lost budget checks as recorded (lost_checks(metas_all)), while the table, the
    board's other records, the findings (metas_as_read) and compare read each loss as its merged spelling: a check
    recorded as ffl(alpha=1.0) that diverged while its ffl(alpha=1) run finished matched no arm on the board —
    convergence.csv and the board said converged — while the findings' part on the same arm said still improving.
    The board reads it as the findings do."""
    from benchmark.report import write_report

    store = _store_with_a_respelt_lost_check(tmp_path)
    assert store.loss_spellings() == {"ffl(alpha=1.0)": "ffl(alpha=1)"}
    write_report(ResultsStore(tmp_path), html=False, visual=False, n_boot=50, formats=())
    with open(tmp_path / "convergence.csv", newline="") as f:
        conv = [r for r in csv.DictReader(f) if r["loss"] == "ffl(alpha=1)"]
    assert conv and all(r["status"] == "still improving" and r["diverged_checks"] == "2" for r in conv), conv
    md = (tmp_path / "leaderboard.md").read_text()
    assert "ffl(alpha=1) still improving (seed 2 diverged in its budget check" in md, md
    from benchmark.convergence import diverged_seeds
    from benchmark.settings import drop_budget_checks

    # as the findings (check_store: metas_as_read) find it: the seed's arm is ffl(alpha=1)'s
    main, checks = drop_budget_checks(ResultsStore(tmp_path).table())
    found = diverged_seeds(ResultsStore(tmp_path).metas_as_read(), main, checks)
    assert list(zip(found["loss"], found["seed"], found["side"])) == [("ffl(alpha=1)", 2, "check")]


def test_check_s_summary_does_not_say_the_run_resumes_from_a_checkpoint_it_names_unusable(tmp_path, capsys):
    """98ad8eaa named a run whose ckpt.pt was cut short ('the same `plbench run` cannot resume from it and trains the
    run from iteration 0') and then its summary line counted it '1 unfinished (interrupted or still training: the same
    `plbench run` resumes it …)' — two lines of one check saying opposite things of one run. The summary counts it
    apart, as it counts superseded runs: '1 unfinished whose checkpoint no run can resume from (said above)'; the
    intact stopped run beside it is still the one the same command resumes. Exit 1 as before."""
    from conftest import stopped_run

    from benchmark.cli import main
    from benchmark.synthetic import write_store

    store = write_store(tmp_path / "res", offsets={"l1": 0.0, "good": 1.0}, seeds=(0, 1), n_images=2,
                        metrics=("psnr",), budget_check=False)
    path = stopped_run(store.run_dir("0123456789abcdef"))
    stopped_run(store.run_dir("fedcba9876543210"))  # intact: resumed
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    capsys.readouterr()
    assert main(["check", "--out", str(store.root)]) == 1
    said = capsys.readouterr()
    summary = [line for line in (said.out + said.err).splitlines() if "runs finished" in line]
    assert len(summary) == 1, said
    assert "1 unfinished (interrupted or still training" in summary[0], summary
    assert "1 unfinished whose checkpoint no run can resume from (said above)" in summary[0], summary
