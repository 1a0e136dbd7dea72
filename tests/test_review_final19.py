"""Cross-area review of the 19th round's merged branches (final-rv)."""

from __future__ import annotations

import pytest


def test_api_run_names_the_python_listing_beside_the_command(tmp_path):
    """Was: api.run(tasks=['denoize']) from a notebook said "(`plbench list tasks` shows all)", a command, where
    every other line of api.run names the call (errors.again); a loss not found, "loaded with --loss-file FILE", a
    flag. Within api.run the line also names the Python listing and the keyword; the CLI's line is unchanged."""
    from benchmark import api
    from benchmark.errors import UserError, again_as
    from benchmark.registry import LOSSES, TASKS

    with pytest.raises(UserError) as got:
        api.run(tasks=["denoize"], losses=["l1"], seeds=[0], out=str(tmp_path / "r"), report=False)
    text = str(got.value)
    assert "\n" not in text and "`plbench list tasks`" in text and "benchmark.registry.TASKS.names()" in text, text
    with again_as("api"):
        mine = LOSSES.unknown_message("zzzqqq_mine")
    assert "loss_files=[FILE]" in mine and "--loss-file" not in mine and "LOSSES.names()" in mine, mine
    for kind, values, python in (("metrics", ["psnrr"], "benchmark.metrics.available_metrics()"),
                                 ("losses", ["zzq*"], "benchmark.registry.LOSSES.names()")):  # their checks' own lines
        settings = {"tasks": ["denoise"], "losses": ["l1"], "seeds": [0], kind: values}
        with pytest.raises(UserError) as got:
            api.run(out=str(tmp_path / "r"), report=False, **settings)
        assert f"(`plbench list {kind}` or {python} shows all)" in str(got.value), got.value
    assert TASKS.unknown_message("denoize").endswith("(`plbench list tasks` shows all)")
    assert "--loss-file FILE" in LOSSES.unknown_message("zzzqqq_mine")


def test_readme_says_how_to_copy_a_shipped_profile_and_the_command_prints_its_path(tmp_path, capsys):
    """Was: the profiles moved from a top-level configs/ into the package (benchmark/configs/); README said
    `--config configs/cpu.yaml` reads them from any folder but not where to find one to copy and edit (a pip install
    has no checkout to browse). README names both ways, and `python -m benchmark.configs NAME` prints the path."""
    import runpy
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    readme = " ".join((root / "README.md").read_text(encoding="utf-8").split())
    assert "`cp benchmark/configs/cpu.yaml mine.yaml`" in readme and (root / "benchmark/configs/cpu.yaml").is_file()
    assert '`cp "$(python -m benchmark.configs cpu)" mine.yaml`' in readme
    with pytest.MonkeyPatch.context() as mp:
        # as `python -m` runs it, whatever test imported the module before (runpy warned "found in sys.modules" then:
        # tests/test_probe_zmix20.py); put back after
        mp.delitem(sys.modules, "benchmark.configs.__main__", raising=False)
        for argv, want in ((["cpu"], ["cpu.yaml"]), (["configs/standard-cpu.yaml"], ["standard-cpu.yaml"]),
                           ([], ["cpu.yaml", "full.yaml", "quick.yaml", "standard-cpu.yaml", "standard.yaml"])):
            mp.setattr(sys, "argv", ["benchmark.configs", *argv])
            runpy.run_module("benchmark.configs", run_name="__main__")
            paths = capsys.readouterr().out.split("\n")[:-1]
            assert [Path(p).name for p in paths] == want and all(Path(p).is_file() for p in paths), paths
        mp.setattr(sys, "argv", ["benchmark.configs", "cpuu"])
        with pytest.raises(SystemExit) as got:
            runpy.run_module("benchmark.configs", run_name="__main__")
    said = capsys.readouterr().err
    assert got.value.code == 2 and "configs/cpu.yaml" in said and said.count("\n") == 1, said


def test_readme_states_the_api_runs_unknown_name_line_as_it_is():
    """README quotes api.run's unknown-name line; the same text as registry.unknown_message gives within api.run."""
    from pathlib import Path

    from benchmark.errors import again_as
    from benchmark.registry import TASKS

    readme = " ".join((Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8").split())
    with again_as("api"):
        line = TASKS.unknown_message("qqqzz")
    quoted = line[line.index("("):]
    assert f"``{quoted}``" in readme and "`loss_files=[FILE]`" in readme, quoted


def test_api_run_takes_sighup_at_its_default_as_an_interrupt_and_leaves_a_scripts_own(monkeypatch):
    """README: "a SIGTERM or SIGHUP the script leaves at its default is that interrupt wherever the call is";
    test_probe_overnight19 sends SIGTERM alone. Within api.run both are the interrupt's handler, a script's own
    SIGHUP handler stays its own, and each is the script's again after the call."""
    import signal

    from benchmark import api

    seen = {}
    monkeypatch.setattr(api, "_run", lambda *a, **k: seen.update(
        {s: signal.getsignal(s) for s in (signal.SIGTERM, signal.SIGHUP)}))
    before = {s: signal.getsignal(s) for s in (signal.SIGTERM, signal.SIGHUP)}
    try:
        for s in before:
            signal.signal(s, signal.SIG_DFL)
        api.run()
        assert all(callable(h) and h not in (signal.SIG_DFL, signal.SIG_IGN) for h in seen.values()), seen
        with pytest.raises(KeyboardInterrupt):
            seen[signal.SIGHUP](signal.SIGHUP, None)
        assert signal.getsignal(signal.SIGHUP) is signal.SIG_DFL
        mine = lambda signum, frame: None  # noqa: E731
        signal.signal(signal.SIGHUP, mine)
        api.run()
        assert seen[signal.SIGHUP] is mine and signal.getsignal(signal.SIGHUP) is mine
    finally:
        for s, h in before.items():
            signal.signal(s, h)


def test_findings_say_their_test_images_were_trained_on_as_the_leaderboard_does(tmp_path):
    """Was: data's train/test overlap record (meta.json ``test_overlap``) is noted on the leaderboard, report and
    compare, but `plbench findings` and findings.md judged a claim 'reproduced' on those runs with no word that their
    scores are not held-out scores. Both now say the leaderboard's line; a store without overlap says nothing."""
    import json

    from benchmark import findings
    from benchmark.synthetic import write_store

    store = write_store(tmp_path / "r", offsets={"l1": 0.0, "l2": 0.2}, metrics=("psnr",), seeds=(0, 1), n_images=3,
                        budget_check=False)
    assert not any(r.trained_on for r in findings.check_store(store, ["zhao2017_l1_vs_l2"]))
    for m in store.metas():
        if m.get("kind") != "input":
            m["test_overlap"] = {"images": ["set/img0"], "test_images": 3}
            (store.run_dir(m["run_id"]) / "meta.json").write_text(json.dumps(m))
    results = findings.check_store(type(store)(store.root), ["zhao2017_l1_vs_l2"])
    said = "Test images trained on: 1 of 3 test images is also a training image"
    assert said in findings.to_text(results) and said in findings.to_markdown(results), findings.to_text(results)
    assert findings.to_markdown(results).count(said) == 1
