"""Small leftovers of a new user and the store (probe xnew, session 18)."""
from __future__ import annotations

import pytest

from benchmark.config import GridSpec, check_grid
from benchmark.errors import UserError


@pytest.mark.parametrize("flag", ["train_data", "test_data"])
@pytest.mark.parametrize("value", ["", "  "])
def test_empty_data_source_flag_is_named(flag, value):
    spec = GridSpec(tasks=("denoise",), losses=("l1",), **{flag: (value,)})
    with pytest.raises(UserError) as err:
        check_grid(spec)
    said = str(err.value)
    name = "--" + flag.replace("_", "-")
    assert said.startswith(f"{name} '{value}': empty dataset source"), said


def test_empty_data_source_in_config_file_names_file_and_key(tmp_path):
    path = tmp_path / "grid.yaml"
    path.write_text("tasks: [denoise]\nlosses: [l1]\ntrain_data: ['']\n")
    with pytest.raises(UserError) as err:
        check_grid(GridSpec.from_file(path))
    said = str(err.value)
    assert said.startswith(f"{path}: train_data ''") or said.startswith("grid.yaml: train_data ''"), said
    assert "empty dataset source" in said and said.count("grid.yaml") == 1, said


def _help(parser, sub: str, flag: str) -> str:
    import argparse

    action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return next(a.help for a in action.choices[sub]._actions if flag in a.option_strings)


def test_workers_auto_help_says_one_without_a_gpu(monkeypatch):
    from benchmark import executors
    from benchmark.cli import build_parser

    monkeypatch.setattr(executors, "_visible_gpus", lambda: [])
    assert executors.local_workers("cpu", "auto", 2, 10) == (1, [])  # what the help must say
    assert executors.local_workers("auto", "auto", 2, 10) == (1, [])
    said = _help(build_parser(), "run", "--workers")
    assert "auto: one per visible GPU × --workers-per-gpu; with --device cpu or no visible GPU, 1, in this process" \
        in said, said


def test_compare_loss_given_two_values_points_to_losses_too(capsys):
    """`compare --loss l1 l2` said to repeat --loss, not that compare's --losses takes several at once."""
    from benchmark.cli import main

    with pytest.raises(SystemExit) as e:
        main(["compare", "--loss", "l1", "l2"])
    assert e.value.code == 2
    said = capsys.readouterr().err.strip().splitlines()[-1]
    assert "; --loss takes one value at a time: --loss l1 --loss l2, or several at once: --losses l1 l2 (" in said, said
    with pytest.raises(SystemExit):  # run has no one-value twin of --loss-file: only the repeat is said
        main(["run", "--loss-file", "a.py", "b.py"])
    said = capsys.readouterr().err.strip().splitlines()[-1]
    assert "; --loss-file takes one value at a time: --loss-file a.py --loss-file b.py (" in said, said

    with pytest.raises(SystemExit):  # a spec with spaces, and a third: each said, as typed
        main(["compare", "--loss", "l1", "l1 + 0.1*ssim", "l2"])
    said = capsys.readouterr().err.strip().splitlines()[-1]
    assert "--loss l1 --loss 'l1 + 0.1*ssim' --loss l2, or several at once: --losses l1 'l1 + 0.1*ssim' l2 (" \
        in said, said


@pytest.mark.parametrize("archived", ["run-id", "best-run"])
def test_check_says_to_rename_a_link_that_is_the_stores_only_way_to_a_run(tmp_path, capsys, archived):
    """`runs/best -> /archive/X` (run X's folder, its meta.json) and no runs/X: check said to remove the link — the
    store's only way to reach X; it says to rename the link to runs/X, and still to remove one where runs/X is."""
    from benchmark.cli import main
    from benchmark.synthetic import write_store

    store = write_store(tmp_path / "here", offsets={"l1": 0.0}, seeds=(0,), n_images=2, metrics=("psnr",),
                        budget_check=False)
    rid = next(m["run_id"] for m in store.metas() if m.get("kind") != "input")
    archive = tmp_path / "archive" / (rid if archived == "run-id" else archived)
    archive.parent.mkdir()
    store.run_dir(rid).rename(archive)
    link = store.runs / "best"
    link.symlink_to(archive)
    (store.runs / "best2").symlink_to(archive)  # a second link to it: one rename (a second mv would move into it)
    main(["check", "--out", str(store.root)])
    said = capsys.readouterr().out
    assert f"mv {link} {store.run_dir(rid)}" in said and f"rm {link}," not in said, said
    assert f"rm {store.runs / 'best2'}" in said and f"mv {store.runs / 'best2'}" not in said, said
    (store.runs / "best2").unlink()
    link.rename(store.run_dir(rid))  # as advised: the run is read again, and no link is named
    assert rid in store.run_ids() and not store.links()
    (store.runs / "best").symlink_to(archive)  # a second link beside runs/X: remove it
    main(["check", "--out", str(store.root)])
    said = capsys.readouterr().out
    assert f"rm {link}," in said and f"mv {link}" not in said, said


@pytest.mark.parametrize("argv, said", [(["--data", ""], "--data ''"), (["--probe", " "], "--probe ' '")])
def test_pretrain_empty_data_source_names_its_flag(argv, said, capsys):
    """`plbench pretrain --data ''` said only 'empty dataset source', as run's --train-data did."""
    from benchmark.cli import main

    assert main(["pretrain", *argv]) == 2
    line = capsys.readouterr().err.strip().splitlines()[-1]
    assert line.startswith(f"error: {said}: empty dataset source"), line
