"""Probe of the results store's integrity under faults (probe-store, eleventh pass). Each test failed before its fix."""

from __future__ import annotations

import logging

import pytest

from benchmark.results import ResultsStore
from benchmark.synthetic import write_store

pytestmark = pytest.mark.usefixtures("one_thread")


def _small(root, **kw) -> ResultsStore:
    kw = {"offsets": {"l1": 0.0, "good": 1.0}, "seeds": (0,), "n_images": 3, "metrics": ("psnr",),
          "budget_check": False, **kw}
    return write_store(root, **kw)


@pytest.mark.parametrize("when", ["unrecorded", "check_state"])
def test_check_names_a_run_folder_moved_while_it_reads_and_does_not_crash(tmp_path, monkeypatch, capsys, caplog, when):
    """``plbench check`` listed the run folders, then read each: one moved away meanwhile (a user's ``mv`` of a
    run to retrain it, another process) ended the check with 'internal error: FileNotFoundError'. The moved
    folder is named in one warning, left out of the summary, and the check exits 1 (check again)."""
    from benchmark.cli import main

    store = _small(tmp_path / "r")
    rid = next(r for r in store.run_ids() if not r.startswith("input-"))
    real = getattr(ResultsStore, when)

    def moving(self, *args, **kwargs):
        out = real(self, *args, **kwargs)
        if self.run_dir(rid).is_dir():
            self.run_dir(rid).rename(tmp_path / "aside")
        return out

    monkeypatch.setattr(ResultsStore, when, moving)
    with caplog.at_level(logging.WARNING, logger="benchmark"):
        assert main(["check", "--out", str(store.root)]) == 1
    said = [r.getMessage() for r in caplog.records if "moved or deleted while check read" in r.getMessage()]
    assert len(said) == 1 and f"runs/{rid}" in said[0], caplog.text
    last = capsys.readouterr().out.strip().splitlines()[-1]
    trained = [r for r in store.run_ids() if not r.startswith("input-")]
    assert last.startswith(f"{store.root}: {len(trained)} run"), last  # the folder left is counted, the moved one not
    assert (tmp_path / "aside" / "meta.json").is_file()


def _ckpt_parts():
    import torch

    torch.manual_seed(0)
    net = torch.nn.Linear(8, 8)
    opt = torch.optim.SGD(net.parameters(), lr=0.1)
    return dict(net=net, opt=opt, sched=torch.optim.lr_scheduler.StepLR(opt, 5), loss_fn=torch.nn.L1Loss(),
                gen=torch.Generator(), device=torch.device("cpu"))


def test_a_checkpoint_of_another_release_of_the_same_numbers_code_resumes_the_run(tmp_path, caplog):
    """A run id hashes CODE_VERSION only, so after an upgrade to another release of the same numbers code
    (``0.1.0+c3`` → ``0.1.1+c3``) a finished run is kept as done — but an interrupted one's ``ckpt.pt`` was
    ignored as 'written for another configuration' (its fingerprint holds the full version) and the run started
    over from iteration 0. Such a checkpoint resumes it; one of another CODE_VERSION or config still does not."""
    from benchmark import CODE_VERSION
    from benchmark.checkpoint import Checkpointer, CheckpointPolicy
    from benchmark.config import code_version

    now = {"config": {"loss": "l1"}, "code_version": code_version()}
    policy = CheckpointPolicy(every=1, seconds=0)
    for version, config, resumes in ((f"0.0.1+c{CODE_VERSION}", {"loss": "l1"}, True),
                                     (f"0.0.1+c{CODE_VERSION}x", {"loss": "l1"}, False),
                                     (f"0.0.1+c{CODE_VERSION}", {"loss": "l2"}, False)):
        path = tmp_path / f"{len(version)}-{config['loss']}.pt"
        Checkpointer(path, policy, {"config": config, "code_version": version}).save(7, progress={"x": 1},
                                                                                    **_ckpt_parts())
        caplog.clear()
        with caplog.at_level(logging.WARNING, logger="benchmark.checkpoint"):
            got = Checkpointer(path, policy, now).restore(**_ckpt_parts())
        assert got == ((7, {"x": 1}) if resumes else (0, {})), (version, config)
        assert ("written for another configuration" in caplog.text) != resumes
