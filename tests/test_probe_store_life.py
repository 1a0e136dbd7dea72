"""A results store over a project's life: releases, machines, copies (probe round 4)."""

from __future__ import annotations

import json

import pytest

from benchmark.results import ResultsStore, atomic_write_json
from benchmark.synthetic import synthetic_runs


def _store_by_two_releases(root, second="0.2.0+c1", first="0.1.0+c1"):
    """A synthetic store whose seed-1 runs were written by another release (``second``)."""
    store = ResultsStore(root)
    store.ensure_writable()
    for rid, meta, rows in synthetic_runs(offsets={"l1": 0.0, "l2": -0.5}, metrics=("psnr",), seeds=(0, 1),
                                          n_images=6, budget_check=False):
        if meta.get("setting"):  # what the runner records beside the setting
            meta = {**meta, "code_version": meta["setting"]["code_version"]}
        if (meta.get("config") or {}).get("seed") == 1:
            meta = json.loads(json.dumps(meta).replace(first, second))
            rows = [json.loads(json.dumps(r).replace(first, second)) for r in rows]
        if rows:
            store.write_eval(rid, rows, sorted({r["metric"] for r in rows}), {})
        atomic_write_json(store.run_dir(rid) / "meta.json", meta)
    return store


def test_a_release_that_keeps_the_numbers_code_keeps_one_setting(tmp_path, monkeypatch):
    """After an upgrade that left CODE_VERSION (what run ids hash) alone, ``run`` skipped the old runs
    as done, but their rows' setting named the old package version: the grid's leaderboard dropped
    them (12 of 30 rows), ``report`` refused the directory and ``compare`` left the field out."""
    from benchmark.compare import _pick_group, field_groups
    from benchmark.config import code_version
    from benchmark.settings import select

    monkeypatch.setattr("benchmark.config.CODE_VERSION", "1")
    monkeypatch.setattr("benchmark.config.__version__", "0.2.0")
    store = _store_by_two_releases(tmp_path)
    table = store.table()
    chosen = select(table)  # one setting, not "settings that differ in code_version"
    runs = chosen.table[chosen.table["loss"] != "input"].groupby("loss")["seed"].nunique()
    assert runs.to_dict() == {"l1": 2, "l2": 2}
    assert "code 0.2.0+c1" in chosen.description
    assert set(table["code_version"]) == {"0.1.0+c1", "0.2.0+c1"}  # each row still says who wrote it
    groups = field_groups(store.metas(), set())[0]["denoise"]
    assert len(groups) == 1 and len(groups[0]) == 4
    group, notes = _pick_group(groups, code_version())
    assert group is not None and notes == []


def test_another_numbers_code_stays_its_own_setting(tmp_path, monkeypatch):
    monkeypatch.setattr("benchmark.config.CODE_VERSION", "1")
    from benchmark.errors import UserError
    from benchmark.settings import select

    store = _store_by_two_releases(tmp_path, second="0.2.0+c7")
    with pytest.raises(UserError, match="differ in code_version"):
        select(store.table())


@pytest.mark.parametrize("fingerprints, same", [(("f0", "f0"), True), (("f0", "f1"), False)])
def test_settings_apart_only_by_the_data_path_say_so(fingerprints, same):
    """Two machines (or a moved data folder) with the same images at other paths: the refusal named
    two test sets, and nothing said they were the same images, nor why they are not pooled."""
    from benchmark.errors import UserError
    from benchmark.settings import select
    from benchmark.synthetic import synthetic_table

    t = synthetic_table(offsets={"l1": 0.0}, metrics=("psnr",), seeds=(0, 1), n_images=4)
    restored = t["loss"] != "input"

    def moved(setting: str, seed: int) -> str:  # seed k's run made on machine k
        d = json.loads(setting)
        d.update(test_data=[f"/machine{seed}/datasets/CSet5"], test_fingerprint=fingerprints[seed])
        return json.dumps(d, sort_keys=True)

    t.loc[restored, "setting"] = [moved(s, int(k)) for s, k in zip(t.loc[restored, "setting"], t.loc[restored, "seed"])]
    with pytest.raises(UserError) as e:
        select(t)
    msg = str(e.value)
    assert "differ in test_data (/machine0/datasets/CSet5 | /machine1/datasets/CSet5)" in msg
    assert ("same images" in msg and "one absolute path" in msg) is same
    assert len(msg.splitlines()) == 1


def test_the_rows_of_an_edited_loss_file_say_which_text_is_newer():
    """Two versions of a loss file (its hash) were two rows ``myl1 (v1+…)`` that nothing explained,
    nor which one the file's current text made."""
    from benchmark.export import notes
    from benchmark.stats import compute
    from benchmark.synthetic import synthetic_table

    t = synthetic_table(offsets={"l1": 0.0, "myl1": 0.1}, metrics=("psnr",), seeds=(0, 1), n_images=4)
    mine = t["loss"] == "myl1"
    t.loc[t["loss"] == "l1", "loss_version"] = "l1=1"
    t.loc[mine, "loss_version"] = ["myl1=1+0123456789ab" if s == 0 else "myl1=1+ba9876543210"
                                   for s in t.loc[mine, "seed"]]
    metas = [{"run_id": r, "started": 1_800_000_000.0 + (100 if s == 0 else 0)}  # the seed-0 text is the newer
             for r, s in set(zip(t.loc[mine, "run_id"], t.loc[mine, "seed"]))]
    stats = compute(t, metas, n_boot=50)
    assert len(stats.versions) == 1
    line = stats.versions[0]
    assert line.startswith("`myl1`: (v1+ba9876543210) (1 run, newest started ")
    assert line.index("ba9876543210") < line.index("0123456789ab")  # oldest first
    assert any("Several versions of one loss" in n and line in n for n in notes(stats))
    assert compute(t[~mine], metas, n_boot=50).versions == []


@pytest.mark.parametrize("command", ["report", "check", "run"])
def test_a_store_of_a_newer_layout_asks_for_an_upgrade(tmp_path, capsys, command):
    """A downloaded results folder written by a newer plbench was told to "use another --out", which
    cannot help a reader: it needs a newer plbench."""
    from benchmark.cli import main

    out = tmp_path / "r"
    (out / "runs").mkdir(parents=True)
    (out / "store.json").write_text('{"store_version": 3}')
    assert main([command, "--out", str(out), "-q"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "newer plbench" in err and "upgrade plbench" in err
    assert sorted(p.name for p in out.iterdir()) == ["runs", "store.json"]


def test_run_into_an_existing_read_only_store_does_not_say_create(tmp_path, capsys, monkeypatch):
    """``run`` on a read-only copy said "cannot create results directory X: X is not writable"."""
    import benchmark.results as results
    from benchmark.cli import main
    from benchmark.synthetic import write_store

    write_store(tmp_path, offsets={"l1": 0.0}, metrics=("psnr",), seeds=(0,), n_images=3, budget_check=False)
    real = results.os.access
    monkeypatch.setattr(results.os, "access",
                        lambda p, mode, **k: False if str(p) == str(tmp_path) else real(p, mode, **k))
    assert main(["run", "--tasks", "denoise", "--losses", "l1", "--out", str(tmp_path), "-q"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "is not writable" in err and "cannot create" not in err


def test_a_saved_grid_replayed_from_a_moved_store_runs_there(tmp_path, caplog):
    """``run --config STORE/grids/<time>.yaml`` in a moved or downloaded store wrote to the ``out`` the
    grid was first run with: another folder (created afresh, every run trained again) or the
    original, not the store that holds the file."""
    from benchmark.cli import build_parser, grid_spec
    from benchmark.results import ResultsStore

    store = tmp_path / "moved"
    ResultsStore(store).ensure_writable()
    grid = store / "grids" / "20261205-021720.yaml"
    grid.parent.mkdir()
    grid.write_text(f"tasks: {{denoise: {{}}}}\nlosses: [l1]\nout: {tmp_path / 'where-it-was-written'}\n")
    with caplog.at_level("WARNING"):
        assert grid_spec(build_parser().parse_args(["run", "--config", str(grid)])).out == str(store)
    assert "its runs go there" in caplog.text
    other = str(tmp_path / "elsewhere")
    caplog.clear()
    with caplog.at_level("WARNING"):
        assert grid_spec(build_parser().parse_args(["run", "--config", str(grid), "--out", other])).out == other
    assert "its runs go there" not in caplog.text  # --out chose: nothing to say
    plain = tmp_path / "mine.yaml"  # a config file outside a store keeps its out
    plain.write_text(grid.read_text())
    kept = grid_spec(build_parser().parse_args(["run", "--config", str(plain)])).out
    assert kept == str(tmp_path / "where-it-was-written")


def test_a_finished_run_whose_rows_are_all_gone_is_named(tmp_path):
    """A run recorded ``ok`` whose eval-* files were deleted (or left out of a copy) vanished from
    the leaderboard — the baseline's row with it — while ``check`` said every record was intact."""
    from benchmark.synthetic import write_store

    store = write_store(tmp_path, offsets={"l1": 0.0, "l2": -0.3}, metrics=("psnr",), seeds=(0,), n_images=3,
                        budget_check=False)
    rid = next(m["run_id"] for m in store.metas() if (m.get("config") or {}).get("loss") == "l1")
    for p in store.run_dir(rid).glob("eval-*"):
        p.unlink()
    (store.run_dir(rid) / "net.pt").write_bytes(b"a saved net")  # what a trained run has
    assert "no evaluation pass" in store.check()[rid]
    store.table()
    assert rid in store.damaged  # named on the leaderboard, not silently absent
    assert store.eval_records(rid) == []  # re-scoring it counts nothing twice: allowed
    assert "re-scores" in store.repair(rid)
    assert sorted(p.name for p in store.run_dir(rid).iterdir()) == ["meta.json", "net.pt"]  # nothing moved


def test_a_run_retried_at_half_batch_is_re_scored_in_its_own_setting(tmp_path):
    """A new metric on a run retried at half batch after running out of memory wrote its rows under
    the configured batch size's setting: the run's rows split over two leaderboards."""
    import numpy as np
    import torch
    from PIL import Image

    from benchmark.config import RunConfig, run_id
    from benchmark.data import DataSpec
    from benchmark.registry import LOSSES
    from benchmark.runner import resolve_all, run_grid

    class OOMAboveTwo(torch.nn.Module):
        def forward(self, pred, target):
            if pred.shape[0] > 2:
                raise torch.cuda.OutOfMemoryError("CUDA out of memory. Tried to allocate 4 GiB")
            return (pred - target).abs().mean()

    d = tmp_path / "img"
    d.mkdir()
    rng = np.random.default_rng(0)
    for i in range(2):
        Image.fromarray(rng.integers(0, 256, (32, 32, 3), dtype=np.uint8)).save(d / f"im{i}.png")
    LOSSES.add("probe_oom_above_2", OOMAboveTwo)
    try:
        data = DataSpec(str(d))
        cfg = resolve_all([RunConfig(task="denoise", loss="probe_oom_above_2", iterations=3, batch_size=4, crop=16,
                                     train_data=data, test_data=(data,))])[0]
        store, rid = ResultsStore(tmp_path / "r"), run_id(cfg)
        run_grid([cfg], store, ("psnr",), torch.device("cpu"), progress=False)
        assert store.meta(rid)["batch_size_used"] == 2
        run_grid([cfg], store, ("psnr", "ssim"), torch.device("cpu"), progress=False)  # a new metric: re-scored
    finally:
        LOSSES.remove("probe_oom_above_2")
    rows = store.table()
    rows = rows[rows["run_id"] == rid]
    assert set(rows["metric"]) == {"psnr", "ssim"}
    assert rows["setting"].nunique() == 1 and '"batch_size": 2' in rows["setting"].iloc[0]


def test_check_repair_on_a_read_only_store_is_one_line(tmp_path, capsys, monkeypatch):
    """``check --repair`` on a read-only copy was ``internal error: OSError`` (the first lock file)."""
    import benchmark.cli as cli
    from benchmark.synthetic import write_store

    store = write_store(tmp_path, offsets={"l1": 0.0}, metrics=("psnr",), seeds=(0,), n_images=3, budget_check=False)
    rid = next(r for r in store.run_ids() if not r.startswith("input"))
    (store.run_dir(rid) / "eval-0.json").write_text("garbage")
    before = sorted(str(p) for p in tmp_path.rglob("*"))
    real = cli.os.access
    monkeypatch.setattr(cli.os, "access",
                        lambda p, mode, **k: False if str(p) == str(store.runs) else real(p, mode, **k))
    assert cli.main(["check", "--out", str(tmp_path), "--repair"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "cannot repair" in err and "nothing was moved" in err
    assert sorted(str(p) for p in tmp_path.rglob("*")) == before
    assert cli.main(["check", "--out", str(tmp_path)]) == 1  # listing needs no write


def test_repair_says_what_it_set_aside(tmp_path, capsys):
    """A run with no evaluation pass has nothing to move: ``check --repair`` said "1 of N runs set
    aside" all the same."""
    from benchmark.cli import main
    from benchmark.synthetic import write_store

    store = write_store(tmp_path, offsets={"l1": 0.0, "l2": -0.3}, metrics=("psnr",), seeds=(0,), n_images=3,
                        budget_check=False)
    rid = next(m["run_id"] for m in store.metas() if (m.get("config") or {}).get("loss") == "l1")
    for p in store.run_dir(rid).glob("eval-*"):
        p.unlink()
    (store.run_dir(rid) / "net.pt").write_bytes(b"a saved net")  # re-scored from it: nothing to move
    # the damage remains (the next `plbench run` re-scores it), as a plain check says: exit 1, not 0
    assert main(["check", "--out", str(tmp_path), "--repair"]) == 1
    assert "0 of 2 runs set aside, 1 had nothing to set aside;" in capsys.readouterr().out
    assert main(["check", "--out", str(tmp_path)]) == 1
