"""Probe of the results store: integrity (session 24)."""
from __future__ import annotations

import json

import pytest


def _small(root, **kw):
    from benchmark.synthetic import write_store

    kw = {"offsets": {"l1": 0.0, "good": 1.0}, "seeds": (0, 1), "n_images": 2, "metrics": ("psnr",),
          "budget_check": False, **kw}
    return write_store(root, **kw)


def _edit_meta(store, rid: str, edit) -> None:
    path = store.run_dir(rid) / "meta.json"
    meta = json.loads(path.read_text())
    edit(meta)
    path.write_text(json.dumps(meta))


def _trained(store, loss: str = "l1", seed: int = 0) -> str:
    return next(r for r in store.run_ids() if (m := store.meta(r) or {}).get("config", {}).get("loss") == loss
                and m["config"]["seed"] == seed)


@pytest.mark.parametrize("categories", [False, True])
@pytest.mark.parametrize("field,value", [("seed", 1), ("task", "sr4")])
def test_the_table_leaves_out_a_run_check_calls_damaged_for_a_config_its_rows_disagree_with(
        tmp_path, field, value, categories):
    """A meta.json edited by hand so its config's seed (or task) is no longer its rows' (the rows matching their
    checksum): `plbench check` named the run damaged and `plbench run` set it aside, but the table every report,
    finding and comparison reads took its rows as they were — a leaderboard published numbers of a run check calls
    damaged. The table leaves it out and names it, as it does every other damaged run."""
    from benchmark.results import ResultsStore

    store = _small(tmp_path / "res")
    rid = _trained(store)
    _edit_meta(store, rid, lambda m: m["config"].__setitem__(field, value))
    assert set(ResultsStore(store.root).check()) == {rid}
    reader = ResultsStore(store.root)
    table = reader.table(categories=categories)
    assert rid not in set(table["run_id"].astype(str)), "the table holds the rows of a run check calls damaged"
    assert set(reader.damaged) == {rid} and f"meta.json says {field} {value}" in reader.damaged[rid]
    assert table["run_id"].astype(str).nunique() == 4  # the three other runs and the degraded input


@pytest.mark.parametrize("curve", ["oops", 3, {"1": 0.5}, [["a", "b"]], [[1]], [[1, 0.5, 2]], [[True, 0.5]],
                                   [[1, "0.5"]]])
def test_a_meta_json_whose_loss_curve_is_of_another_shape_is_damage_not_a_crashed_report(tmp_path, curve):
    """A meta.json of valid JSON whose ``loss_curve`` is no list of [iteration, loss] pairs (edited by hand, another
    tool's): `plbench check` called the store sound, and `plbench report` ended in 'internal error: ValueError: not
    enough values to unpack' when it drew the training curves — no report at all. The run is damaged, named by check
    in one line, left out of the table, and its record is read by no figure; a curve as the runner writes it (a
    diverged run's non-finite loss, a point without a loss) is no damage."""
    import matplotlib.pyplot as plt

    from benchmark.figures import draw_training_curves
    from benchmark.results import ResultsStore

    store = _small(tmp_path / "res")
    rid = _trained(store)
    _edit_meta(store, rid, lambda m: m.__setitem__("loss_curve", curve))
    _edit_meta(store, _trained(store, "good", 1), lambda m: m.__setitem__(
        "loss_curve", [[1, 0.5], [2, float("nan")], [3, None], [4, float("inf")], [5, 1]]))
    reader = ResultsStore(store.root)
    damaged = reader.check()
    assert set(damaged) == {rid} and "loss_curve" in damaged[rid], damaged
    assert rid not in set(reader.table()["run_id"].astype(str)) and rid in reader.damaged
    assert rid not in {m["run_id"] for m in reader.metas()}
    plt.close(draw_training_curves(reader.metas()))



def _check_said(store, capsys, name: str) -> tuple[str, list[str]]:
    """``plbench check`` of ``store``, which must exit 1: (all it said, its lines naming ``name``)."""
    from benchmark.cli import main

    capsys.readouterr()
    assert main(["check", "--out", str(store.root)]) == 1
    said = capsys.readouterr()
    said = said.out + said.err
    return said, [line for line in said.splitlines() if name in line]


def _stopped_run(store, seed: int = 5):
    """A run stopped with a checkpoint (a real one, written as the runner writes it, in the folder of the run its
    config is — check names one in another run's folder): (its run id, its ckpt.pt)."""
    import torch

    from benchmark.checkpoint import Checkpointer, CheckpointPolicy
    from benchmark.config import RunConfig, code_version, run_id

    cfg = RunConfig(task="denoise", loss="l1", seed=seed, iterations=8)
    rid = run_id(cfg)
    store.run_dir(rid).mkdir(parents=True)
    net = torch.nn.Linear(2, 2)
    opt = torch.optim.SGD(net.parameters(), lr=0.1)
    path = store.run_dir(rid) / "ckpt.pt"
    Checkpointer(path, CheckpointPolicy(), {"config": cfg.to_dict(), "code_version": code_version()}).save(
        3, net=net, opt=opt, sched=torch.optim.lr_scheduler.StepLR(opt, 1), loss_fn=torch.nn.Module(),
        gen=torch.Generator(), device=torch.device("cpu"), progress={"curve": [[1, 0.5]]})
    return rid, path


@pytest.mark.parametrize("cut", ["half", "empty"])
def test_check_names_an_unfinished_run_whose_checkpoint_no_run_can_resume_from(tmp_path, capsys, cut):
    """A run stopped with a checkpoint, its ckpt.pt then cut short (an rsync or copy of the store stopped midway, a
    full disk) or left empty: `plbench check` counted it '1 unfinished (... the same plbench run resumes it)' and
    exited 0, though the run ignores such a file ('ignoring unreadable checkpoint') and trains from iteration 0. Check
    names it in one line and exits 1; --repair sets the file aside under damaged/ (nothing deleted), after which a
    check is clean; an intact checkpoint beside it is not named."""
    from benchmark.cli import main

    store = _small(tmp_path / "res")
    rid, path = _stopped_run(store)
    intact, _ = _stopped_run(store, seed=6)  # intact: resumed, not named
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2] if cut == "half" else b"")
    said, lines = _check_said(store, capsys, "ckpt.pt")
    assert len(lines) == 1 and f"run {rid}: not finished" in lines[0] and "iteration 0" in lines[0], said
    assert intact not in said
    assert main(["check", "--out", str(store.root), "--repair"]) == 0
    assert not path.exists() and (store.run_dir(rid) / "damaged" / "0" / "ckpt.pt").is_file()
    capsys.readouterr()
    assert main(["check", "--out", str(store.root)]) == 0
    out = capsys.readouterr().out  # named only as set aside (test_probe_r3store25): no run's problem
    assert [line for line in out.splitlines() if "ckpt.pt" in line] == [
        line for line in out.splitlines() if "set aside under runs/<id>/damaged/<n>/" in line], out
