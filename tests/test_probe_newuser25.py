"""Probe 25 of a new user's path: a first session's slips, each one true, actionable line."""

import pytest


def test_a_missing_results_folder_is_offered_only_a_close_folder_that_holds_results(tmp_path, monkeypatch, capsys):
    """``plbench report --out tasks2`` in the checkout said 'no such directory; did you mean tasks?' — the task
    package, which ``report --out tasks`` then refuses as no results directory. Only a close folder that is a
    results store is offered; a close store still is."""
    from benchmark.cli import main
    from benchmark.results import STORE_VERSION, ResultsStore

    monkeypatch.chdir(tmp_path)
    (tmp_path / "tasks").mkdir()
    (tmp_path / "tasks" / "denoise.py").write_text("")
    assert main(["report", "--out", "tasks2"]) == 2
    (err,) = capsys.readouterr().err.strip().splitlines()
    assert err.startswith("error: no results in tasks2: no such directory (run"), err
    assert "did you mean" not in err, err
    ResultsStore(tmp_path / "results").runs.mkdir(parents=True)
    (tmp_path / "results" / "store.json").write_text(f"{{\"store_version\": {STORE_VERSION}}}")
    assert main(["report", "--out", "result"]) == 2
    (err,) = capsys.readouterr().err.strip().splitlines()
    assert "; did you mean results?" in err, err


def test_a_shared_data_set_named_bare_is_told_where_it_is(tmp_path, monkeypatch, capsys):
    """``--train-data BSD200`` (the README names the standard profile's sets so) was read as a hub id: 'not cached
    and the hub is offline … download it on a connected machine … huggingface-cli download BSD200', though the
    shared images hold it. The line names the shared folder to pass, and a close spelling of one (``Kodak``, the
    README's ``Set14`` for ``CSet14``) is offered too."""
    shared = shared_images(tmp_path, monkeypatch, ("BSD200", "CSet14", "Kodak24"))
    monkeypatch.chdir(tmp_path)
    for given, there in (("BSD200", "BSD200"), ("Set14", "CSet14"), ("kodak24", "Kodak24")):
        err = dry_run_refusal(capsys, "--train-data", given, tmp_path / "r")
        assert f"{shared / there}: pass that path" in err, err
        assert "huggingface-cli" not in err, err
    assert not (tmp_path / "r" / "runs").exists()



def shared_images(tmp_path, monkeypatch, names):
    """``tmp_path/shared`` holding a folder of one 32×32 image for each of ``names``, read as the shared images
    (:data:`benchmark.data.SHARED_DATASETS`), the hub offline. Returns that folder."""
    from PIL import Image

    from benchmark import data

    shared = tmp_path / "shared"
    for name in names:
        (shared / name).mkdir(parents=True)
        Image.new("RGB", (32, 32)).save(shared / name / "a.png")
    monkeypatch.setattr(data, "SHARED_DATASETS", shared)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    return shared


def dry_run_refusal(capsys, flag: str, given: str, out) -> str:
    """The one line a dry run of denoise/l1 with ``flag given`` (``--test-data set5``) is refused with (exit 2)."""
    from benchmark.cli import main

    assert main(["run", flag, given, "--tasks", "denoise", "--losses", "l1", "--seeds", "0", "--no-budget-check",
                 "--out", str(out), "--dry-run"]) == 2
    (err,) = capsys.readouterr().err.strip().splitlines()
    return err


def _stopped_charbonnier(store):
    """A run of ``store`` stopped at iteration 62 of 120 with a checkpoint (denoise/charbonnier seed 0)."""
    import torch

    from benchmark.ckptrecord import FORMAT

    folder = store.run_dir("0123456789abcdef")
    folder.mkdir(parents=True)
    config = {"task": "denoise", "loss": "charbonnier", "seed": 0, "iterations": 120}
    torch.save({"format": FORMAT, "fingerprint": {"config": config, "code_version": "x"}, "iteration": 62},
               folder / "ckpt.pt")


def test_a_run_stopped_with_a_checkpoint_is_named_in_the_boards_notes(tmp_path):
    """A grid stopped midway (Ctrl-C, a killed job) left runs with a checkpoint and no record; ``plbench report``
    wrote a board without them and not a word of them — a loss of the grid simply absent — though it names a run in
    flight, a damaged one and one without its record. Its notes now name each stopped run (task/loss seed, the
    iteration it stopped at) and the command that resumes it; a store with none: no such line."""
    from benchmark.report import stopped_lines
    from benchmark.synthetic import write_store

    store = write_store(tmp_path / "r", offsets={"l1": 0.0}, seeds=(0,), metrics=("psnr",), n_images=2,
                        budget_check=False)
    assert stopped_lines(store) == []
    _stopped_charbonnier(store)
    (line,) = stopped_lines(store)
    assert "(denoise/charbonnier seed 0, stopped at iteration 62 of 120): not in these tables" in line, line
    assert "the same `plbench run`" in line, line


@pytest.mark.slow
def test_the_board_names_a_run_stopped_with_a_checkpoint_that_it_leaves_out(tmp_path):
    """The board itself (leaderboard.md's notes) carries that line, once."""
    from benchmark.report import write_report
    from benchmark.synthetic import write_store

    store = write_store(tmp_path / "r", offsets={"l1": 0.0, "l2": 0.1}, seeds=(0,), metrics=("psnr",), n_images=2,
                        budget_check=False)
    _stopped_charbonnier(store)
    write_report(store, n_boot=20, formats=("png",), visual=False, html=False)
    notes = [line for line in (store.root / "leaderboard.md").read_text().splitlines()
             if "with a checkpoint" in line]
    assert len(notes) == 1 and "denoise/charbonnier seed 0, stopped at iteration 62 of 120" in notes[0], notes


@pytest.mark.slow  # _summary: scipy's stats and the figures' style imported, 4-11 s
def test_compare_names_a_field_run_stopped_with_a_checkpoint(tmp_path):
    """``compare/<loss>.md`` said nothing of a field run stopped midway (a loss of the field absent from its tables),
    as the board did not; it names it as the board now does, and says nothing where none is stopped."""
    from benchmark.compare import _summary
    from benchmark.synthetic import write_store

    store = write_store(tmp_path / "r", offsets={"l1": 0.0, "l2": 0.1}, seeds=(0,), metrics=("psnr",), n_images=2,
                        budget_check=False)
    group = [m for m in store.metas() if m.get("config")]
    new = {m["run_id"] for m in group if m["config"]["loss"] == "l2"}

    def summary():
        return _summary(store, {"denoise": group}, ["l2"], {"denoise": []}, 0.05, 20, "l1", ("png",), new)[0]

    assert "with a checkpoint" not in summary()
    _stopped_charbonnier(store)
    notes = [line for line in summary().splitlines() if "with a checkpoint" in line]
    assert len(notes) == 1 and "denoise/charbonnier seed 0, stopped at iteration 62 of 120" in notes[0], notes


def test_compare_on_a_field_of_stopped_runs_alone_says_what_resumes_them(tmp_path, capsys):
    """A first grid stopped midway (Ctrl-C before any run finished), then ``plbench compare --loss l1``: 'no
    finished field runs in … to compare against', as of an empty folder — not that its runs stand stopped with a
    checkpoint, which the same ``plbench run`` resumes. Now the line says so."""
    import shutil

    from benchmark.cli import main
    from benchmark.synthetic import write_store

    store = write_store(tmp_path / "r", offsets={"l2": 0.0}, seeds=(0,), metrics=("psnr",), n_images=2,
                        budget_check=False)
    for rid in store.run_ids():
        shutil.rmtree(store.run_dir(rid))
    _stopped_charbonnier(store)
    assert main(["compare", "--loss", "l1", "--out", str(store.root), "--no-visual"]) == 2
    (err,) = capsys.readouterr().err.strip().splitlines()
    assert err.startswith(f"error: no finished field runs in {store.root} to compare against: 1 run stands "), err
    assert "stopped with a checkpoint" in err and "the same `plbench run` resumes it" in err, err


def test_the_stopped_note_does_not_promise_a_resume_from_an_unreadable_checkpoint(tmp_path):
    """A stopped run whose ``ckpt.pt`` is cut short (a copy stopped midway) trains from iteration 0 again; the note
    named it 'run <id>' among the runs the same ``plbench run`` 'resumes'. It says the checkpoint is unreadable and
    that the run trains again from iteration 0, and names ``plbench check``."""
    from benchmark.report import stopped_lines
    from benchmark.synthetic import write_store

    store = write_store(tmp_path / "r", offsets={"l1": 0.0}, seeds=(0,), metrics=("psnr",), n_images=2,
                        budget_check=False)
    folder = store.run_dir("0123456789abcdef")
    folder.mkdir(parents=True)
    (folder / "ckpt.pt").write_bytes(b"PK\x03\x04 cut")
    (line,) = stopped_lines(store)
    assert "run 0123456789abcdef, its checkpoint unreadable: it trains again from iteration 0" in line, line
    assert f"`plbench check --out {store.root}` says why" in line, line


@pytest.mark.parametrize(("spec", "fix"), [("vgg(layers=('relu2_2'))", "('relu2_2',)"),
                                           ("l1 + 0.1*pdl(layers=('layer1'))", "('layer1',)")])
def test_a_one_item_tuple_without_its_comma_is_told_the_comma(spec, fix):
    """``vgg(layers=('relu2_2'))`` — Python's one-item-tuple slip: ``('relu2_2')`` is a string — was told only
    "argument layers expects a sequence of str, got 'relu2_2' (str)"; the line now shows the tuple to write."""
    from benchmark.errors import UserError
    from benchmark.lossfn import check_loss_arguments

    with pytest.raises(UserError, match=r"expects a sequence of str, got '\w+' \(str\)") as e:
        check_loss_arguments(spec)
    assert str(e.value).endswith(f": a one-item tuple needs its comma, {fix}"), e.value
