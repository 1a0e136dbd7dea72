"""Review of probe-journey4 (common flags first, compare's refusal of tied field settings, stale visual
grids): defects a user would hit, each with the test that failed before its fix."""

from __future__ import annotations

import pytest

from benchmark.cli import main

FIELD = ["--crop", "32", "--batch-size", "2", "--metrics", "psnr", "--seeds", "0", "--no-budget-check",
         "--device", "cpu", "--no-progress", "-q", "--no-report"]


@pytest.mark.slow  # ≈ 60 s on 2 busy cores: three one-run grids, then compare
def test_compare_on_one_task_keeps_another_task_whose_field_settings_tie(tmp_path):
    """Was (f3daba8): sr4's field at 2 and at 3 iterations, one loss each, and denoise's at 2;
    `compare --tasks denoise` left sr4 out of the store's leaderboard.md, silently: the tie refused for
    the compared tasks was taken as 'no field' for sr4, though its 2-iteration setting is the one that
    shares denoise's (as _field_keep keeps another task's). Now sr4 stays, at 2 iterations."""
    out = tmp_path / "r"
    assert main(["run", "--tasks", "denoise", "sr4", "--losses", "l1", "--iterations", "2", *FIELD,
                 "--out", str(out)]) == 0
    assert main(["run", "--tasks", "sr4", "--losses", "l1", "--iterations", "3", *FIELD, "--out", str(out)]) == 0
    assert main(["compare", "--loss", "charbonnier", "--tasks", "denoise", "--out", str(out), "--device", "cpu",
                 "--no-progress", "-q", "--no-visual", "--formats", "png", "--bootstrap", "100"]) == 0
    board = (out / "leaderboard.md").read_text()
    assert "## denoise" in board and "## sr4" in board, board
    assert "charbonnier" in board.split("## denoise")[1].split("## sr4")[0]


def _key(task, iterations, **params):
    import json

    return json.dumps({"task": task, "iterations": iterations, "task_params": params}, sort_keys=True)


def test_field_keep_leaves_out_a_task_whose_tied_settings_both_share_the_compared_ones(caplog):
    """A task not compared now whose two largest settings tie keeps the one that shares the compared
    tasks' setting; where both share it (they differ in a task parameter only) neither is picked by
    the order the runs were listed in: the task is left out, with a warning."""
    from benchmark.compare import _field_keep

    den = _key("denoise", 2)
    two, three = _key("sr4", 2), _key("sr4", 3)
    assert _field_keep({"denoise": [den], "sr4": [three, two]}, {"denoise": den},
                       {"sr4": {two, three}}) == {den, two}
    x2, x4 = _key("sr4", 2, scale=2), _key("sr4", 2, scale=4)
    with caplog.at_level("WARNING", logger="benchmark.compare"):
        keep = _field_keep({"denoise": [den], "sr4": [x4, x2]}, {"denoise": den}, {"sr4": {x2, x4}})
    assert keep == {den} and "sr4: left out" in caplog.text and "2 settings of one size" in caplog.text
    assert _field_keep({"denoise": [den], "sr4": [x4, x2]}, {"denoise": den}) == {den, x4}  # no tie: as before


def test_a_grids_own_report_keeps_the_visual_grids_of_the_stores_other_tasks(tmp_path):
    """Was (8435826): `plbench run --tasks sr4` on a store whose `plbench report` had drawn visual_denoise
    (a grid that re-runs every loss's net) deleted it: the run's own report (no visuals) holds only the grid
    just run, and the grids of every task not in it were pruned, though denoise is still in the results.
    Only the grid of a task no longer in the results goes."""
    from benchmark.report import write_report
    from benchmark.settings import settings_of
    from benchmark.synthetic import write_store

    store = write_store(tmp_path, tasks=("denoise", "sr4"), metrics=("psnr",), seeds=(0, 1), offsets={"l1": 0.0},
                        budget_check=False)
    st = settings_of(store.table())
    figs = tmp_path / "figures"
    figs.mkdir()
    for name in ("visual_denoise.png", "visual_denoise.pdf", "visual_sr4.png", "visual_jpeg.png"):
        (figs / name).write_bytes(b"\x89PNG")
    write_report(store, formats=("png",), visual=False, html=False, keep=set(st.loc[st["task"] == "sr4", "key"]))
    assert "## denoise" not in (tmp_path / "leaderboard.md").read_text()  # the grid's own report: sr4 alone
    assert (figs / "visual_denoise.png").exists() and (figs / "visual_denoise.pdf").exists()
    assert (figs / "visual_sr4.png").exists() and not (figs / "visual_jpeg.png").exists()


@pytest.mark.parametrize("argv,says", [
    (["-q", "reprot", "--out", "r"], "error: unknown command 'reprot'; did you mean report?"),
    (["--debug", "rn"], "error: unknown command 'rn'; did you mean run?"),
])
def test_a_misspelt_command_after_the_common_flags_is_named(argv, says, capsys):
    """Was (3550662): `plbench reprot` says 'unknown command … did you mean report?', but with the common
    flags first, as that commit takes them, `plbench -q reprot --out r` was read as run's arguments:
    'unrecognized arguments: reprot (`plbench run -h` …)'."""
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith(says) and err.count("\n") == 1, err


def test_version_after_the_common_flags(capsys):
    """Was: `plbench -q --version` said 'unrecognized arguments: --version; did you mean --version?'."""
    with pytest.raises(SystemExit) as e:
        main(["-q", "--version"])
    assert e.value.code == 0 and capsys.readouterr().out.startswith("plbench ")


def _tied_meta(loss, seed, setting):
    cfg = {"task": "denoise", "loss": loss, "seed": seed, "iterations": 5,
           "task_params": setting.get("task_params", {})}
    return {"run_id": f"{loss}-{seed}-{sorted(setting.items())}", "status": "ok", "code_version": "x",
            "config": cfg, "setting": {"task": "denoise", "iterations": 5, **setting}}


@pytest.mark.parametrize("a,b,picks", [
    ({"task_params": {"sigma": 0.1}}, {"task_params": {"sigma": 0.2}},
     ("`--where denoise.sigma=0.1`", "`--where denoise.sigma=0.2`")),  # the same grid at two noise levels
    ({"task_version": "1"}, {"task_version": "2"}, ("`--where task_version=1`", "`--where task_version=2`")),
])
def test_compare_refusal_names_a_where_that_picks_each_tied_setting(a, b, picks):
    """Was (f3daba8): the refusal compared the runs' configs, not their settings: the same grid at
    σ = 0.1 and 0.2 got `--where FIELD=VALUE` (no value named, though `--where denoise.sigma=0.1` picks
    one), and two settings that differ in a field no config holds (task_version, net_signature) read
    '… 2 run(s) each (): …', naming no difference at all."""
    from benchmark.compare import _pick_group
    from benchmark.errors import UserError

    tie = [[_tied_meta("l1", 0, a), _tied_meta("l2", 0, a)], [_tied_meta("l2", 1, b), _tied_meta("l1", 0, b)]]
    with pytest.raises(UserError) as e:
        _pick_group(tie, "x", task="denoise")
    msg = str(e.value)
    assert "each ()" not in msg and all(p in msg for p in picks), msg
