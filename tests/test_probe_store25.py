"""Probe of the results store: integrity (session 25)."""
from __future__ import annotations

import pytest


def _save_checkpoint(path, cfg, iteration: int = 3):
    """A checkpoint of run config ``cfg`` at ``path``, written as the runner writes it (its fingerprint: the config and
    this code's version)."""
    import torch

    from benchmark.checkpoint import Checkpointer, CheckpointPolicy
    from benchmark.config import code_version

    path.parent.mkdir(parents=True, exist_ok=True)
    net = torch.nn.Linear(2, 2)
    opt = torch.optim.SGD(net.parameters(), lr=0.1)
    Checkpointer(path, CheckpointPolicy(), {"config": cfg.to_dict(), "code_version": code_version()}).save(
        iteration, net=net, opt=opt, sched=torch.optim.lr_scheduler.StepLR(opt, 1), loss_fn=torch.nn.Module(),
        gen=torch.Generator(), device=torch.device("cpu"), progress={"curve": [[1, 0.5]]})
    return path


def _restored(path, cfg) -> int:
    """The iteration run config ``cfg`` resumes at from its checkpoint at ``path`` as the runner restores it (0: the
    file ignored)."""
    import torch

    from benchmark.checkpoint import Checkpointer, CheckpointPolicy
    from benchmark.config import code_version

    net = torch.nn.Linear(2, 2)
    opt = torch.optim.SGD(net.parameters(), lr=0.1)
    ckpt = Checkpointer(path, CheckpointPolicy(), {"config": cfg.to_dict(), "code_version": code_version()})
    it, _ = ckpt.restore(net=net, opt=opt, sched=torch.optim.lr_scheduler.StepLR(opt, 1), loss_fn=torch.nn.Module(),
                         gen=torch.Generator(), device=torch.device("cpu"))
    return it


@pytest.mark.parametrize("name", ["ckpt.pt", "ckpt-b4.pt"])
def test_check_names_a_checkpoint_copied_into_another_run_s_folder(tmp_path, capsys, name):
    """Run B's ckpt.pt replaced by run A's (a file copied into the wrong folder, two folders' files swapped): `plbench
    check` counted B '1 unfinished (… the same plbench run resumes it)' and exited 0, though B's run ignores the file
    ('written for another configuration') and trains from iteration 0. Check names the file and the run it was
    written for, exits 1, and --repair sets it aside; the run's own checkpoint (and a half-batch retry's) is not
    named."""
    from dataclasses import replace

    from test_probe_store24 import _check_said, _small

    from benchmark.cli import main
    from benchmark.config import RunConfig, run_id

    store = _small(tmp_path / "res")
    a = RunConfig(task="denoise", loss="l1", seed=5, iterations=8, batch_size=8)
    b = replace(a, seed=6)
    ra, rb = run_id(a), run_id(b)
    half = name != "ckpt.pt"
    _save_checkpoint(store.run_dir(ra) / name, replace(a, batch_size=4) if half else a)  # A's own: not named
    copied = _save_checkpoint(store.run_dir(rb) / name, replace(a, batch_size=4) if half else a)
    said, lines = _check_said(store, capsys, name)
    assert len(lines) == 1 and f"run {rb}: not finished" in lines[0] and ra in lines[0] \
        and "iteration 0" in lines[0], said
    assert f"run {ra}:" not in said
    assert main(["check", "--out", str(store.root), "--repair"]) == 0
    assert not copied.exists() and (store.run_dir(rb) / "damaged" / "0" / name).is_file()
    assert (store.run_dir(ra) / name).is_file()
    capsys.readouterr()
    assert main(["check", "--out", str(store.root)]) == 0


def test_a_checkpoint_in_torch_s_legacy_format_is_resumed_not_called_cut_short(tmp_path, capsys, caplog):
    """A run's checkpoint re-saved in torch's legacy (non-zip) serialization (``_use_new_zipfile_serialization=False``,
    as a torch before 1.6 writes: a sync tool's or a user's conversion) is whole and loads, but the run ignored it as
    'unreadable checkpoint (BadZipFile: File is not a zip file)' and trained from iteration 0, and `plbench check`
    called it 'cannot be read (… cut short by a copy or a full disk?)', exit 1, --repair setting it aside. Its record
    reads, as torch.load reads it whole: the run resumes from its iteration, and check names nothing."""
    import logging

    import torch
    from test_probe_store24 import _small

    from benchmark.checkpoint import Checkpointer, CheckpointPolicy
    from benchmark.ckptrecord import unusable
    from benchmark.cli import main
    from benchmark.config import RunConfig, code_version, run_id

    store = _small(tmp_path / "res")
    cfg = RunConfig(task="denoise", loss="l1", seed=5, iterations=8)
    path = _save_checkpoint(store.run_dir(run_id(cfg)) / "ckpt.pt", cfg, iteration=3)
    torch.save(torch.load(path, weights_only=True), path, _use_new_zipfile_serialization=False)
    assert path.read_bytes()[:1] == b"\x80"  # a pickle, no zip
    assert unusable(path) == ""
    capsys.readouterr()
    assert main(["check", "--out", str(store.root)]) == 0, capsys.readouterr().out
    ckpt = Checkpointer(path, CheckpointPolicy(), {"config": cfg.to_dict(), "code_version": code_version()})
    assert ckpt.iteration() == 3
    with caplog.at_level(logging.WARNING, logger="benchmark.checkpoint"):
        it = _restored(path, cfg)
    assert it == 3 and "ignoring" not in caplog.text, caplog.text


def test_a_run_superseded_with_only_its_half_batch_retry_s_checkpoint_is_named_by_check_and_merge(tmp_path, capsys):
    """A run that ran out of memory before its first checkpoint, retried at half the batch (``ckpt-b4.pt``, the
    retry's config: batch size 4), was stopped, and its loss file edited: the same compare finished it under another
    id. A ``ckpt.pt`` in its place is named superseded by that run; this one was counted '1 unfinished (… the same
    `plbench run` resumes it)' by check and 'not finished there' by merge (both matched ``ckpt.pt`` alone), though no
    command resumes it. It is named superseded by both, --repair removes it; an unfinished run of no finished
    settings stays unfinished."""
    from dataclasses import replace

    from test_probe_store24 import _small

    from benchmark.cli import main
    from benchmark.config import RunConfig, code_version, run_id
    from benchmark.results import ResultsStore

    store = _small(tmp_path / "res")
    cfg = RunConfig(task="denoise", loss="l1", seed=0, iterations=8, batch_size=8)
    done = sorted(r for r in store.run_ids() if not r.startswith("input-"))[0]
    store.write_meta(done, {**store.meta(done), "config": cfg.to_dict(), "code_version": code_version()})
    orphan = "0123456789abcdef"  # its id under the loss file before the edit
    _save_checkpoint(store.run_dir(orphan) / "ckpt-b4.pt", replace(cfg, batch_size=4))
    other = replace(cfg, seed=9)
    _save_checkpoint(store.run_dir(run_id(other)) / "ckpt-b4.pt", replace(other, batch_size=4))  # resumes
    got = ResultsStore(tmp_path / "merged").merge_from(ResultsStore(store.root))
    assert got["superseded_there"] == [orphan] and got["unfinished"] == [run_id(other)], got
    capsys.readouterr()
    assert main(["check", "--out", str(store.root)]) == 0
    out = capsys.readouterr().out
    (line,) = [x for x in out.splitlines() if x.startswith(f"run {orphan}")]
    assert f"superseded by run {done}" in line, out
    assert "1 unfinished (interrupted or still training" in out and "1 superseded" in out, out
    assert main(["check", "--out", str(store.root), "--repair"]) == 0
    assert not store.run_dir(orphan).exists() and store.run_dir(run_id(other)).is_dir()


@pytest.mark.slow
def test_a_run_stopped_mid_training_is_not_named_for_its_own_checkpoint(tmp_path, monkeypatch, one_thread, capsys):
    """The other side of check naming a checkpoint written for another run: a run the grid trained and stopped (its
    config resolved as the runner resolves it: data fingerprint, crop) leaves a checkpoint check knows for its own —
    counted unfinished, exit 0, nothing named."""
    import numpy as np
    import torch
    from PIL import Image

    from benchmark import runner
    from benchmark.checkpoint import CheckpointPolicy
    from benchmark.cli import main
    from benchmark.config import RunConfig, run_id
    from benchmark.data import DataSpec
    from benchmark.results import ResultsStore

    (d := tmp_path / "imgs").mkdir()
    for i, pixels in enumerate(np.random.default_rng(0).integers(0, 256, (3, 48, 48, 3), dtype=np.uint8)):
        Image.fromarray(pixels).save(d / f"im{i}.png")
    images = DataSpec(str(d))
    cfg = runner.resolve_all([RunConfig(task="denoise", loss="l1", iterations=4, batch_size=2, crop=32,
                                        train_data=(images,), test_data=(images,))])[0]
    store = ResultsStore(tmp_path / "r")

    passed = []

    def stopped(kind):
        if kind == "iteration" and len(passed) == 2:
            raise KeyboardInterrupt
        if kind == "iteration":
            passed.append(kind)

    monkeypatch.setattr(runner, "crash_point", stopped)
    with pytest.raises(KeyboardInterrupt):
        runner.run_grid([cfg], store, ("psnr",), torch.device("cpu"), progress=False,
                        checkpoint=CheckpointPolicy(every=1, seconds=0))
    assert (store.run_dir(run_id(cfg)) / "ckpt.pt").is_file()
    assert store.unusable_checkpoints() == {}
    capsys.readouterr()
    assert main(["check", "--out", str(store.root)]) == 0
    assert "1 unfinished" in capsys.readouterr().out


@pytest.mark.parametrize("damage", ["cut", "another run's"])
def test_check_names_a_failed_run_s_checkpoint_its_retry_cannot_resume_from(tmp_path, capsys, damage):
    """A run that failed in training after a checkpoint keeps it (reset_run keeps checkpoints): the same `plbench run`
    retries it from there. check read the checkpoints of unfinished runs alone, so a failed run's ckpt.pt cut short
    by a copy (or another run's, copied in) passed unsaid — '1 failed (the same plbench run retries it …)', exit 0 —
    though the retry trains from iteration 0. It is named as an unfinished run's is, --repair sets
    it aside."""
    from dataclasses import replace

    from test_probe_store24 import _small

    from benchmark.cli import main
    from benchmark.config import RunConfig, run_id

    store = _small(tmp_path / "res")
    cfg = RunConfig(task="denoise", loss="l1", seed=5, iterations=8)
    rid = run_id(cfg)
    path = _save_checkpoint(store.run_dir(rid) / "ckpt.pt", replace(cfg, seed=6) if damage != "cut" else cfg)
    if damage == "cut":
        path.write_bytes(path.read_bytes()[:100])
    store.write_meta(rid, {"run_id": rid, "config": cfg.to_dict(), "status": "failed", "error": "RuntimeError: boom"})
    capsys.readouterr()
    assert main(["check", "--out", str(store.root)]) == 1
    said = capsys.readouterr().out
    lines = [x for x in said.splitlines() if "ckpt.pt" in x]
    assert len(lines) == 1 and f"run {rid}: failed" in lines[0] and "iteration 0" in lines[0], said
    assert "1 failed (the same `plbench run` retries it" in said, said
    assert main(["check", "--out", str(store.root), "--repair"]) == 0
    assert not path.exists() and (store.run_dir(rid) / "damaged" / "0" / "ckpt.pt").is_file()


def test_a_checkpoint_of_an_older_format_is_said_so_not_another_configuration(tmp_path, caplog):
    """A run's own checkpoint written by a plbench of an older checkpoint format (1: every visible GPU's RNG state),
    which this one does not restore: the run said 'ignoring checkpoint …: written for another configuration' — as if
    the file were another run's — and trained from iteration 0. It says the format (as check does) and that the run
    trains from iteration 0."""
    import logging

    import torch

    from benchmark.ckptrecord import FORMAT
    from benchmark.config import RunConfig

    cfg = RunConfig(task="denoise", loss="l1", seed=5, iterations=8)
    path = _save_checkpoint(tmp_path / "ckpt.pt", cfg)
    torch.save({**torch.load(path, weights_only=True), "format": FORMAT - 1}, path)
    with caplog.at_level(logging.WARNING, logger="benchmark.checkpoint"):
        it = _restored(path, cfg)
    assert it == 0
    assert "another configuration" not in caplog.text and f"format {FORMAT - 1}" in caplog.text \
        and "iteration 0" in caplog.text, caplog.text
