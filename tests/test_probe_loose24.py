"""Loose ends, round 2 (session 24): each test failed on d40c6320, the branch's start, and passes after its fix."""

from __future__ import annotations

import json
import threading

import pytest
from conftest import load_script


def test_a_net_stopped_midway_through_its_losses_keeps_the_rows_already_timed(tmp_path, monkeypatch):
    """step_times saved a net's rows once ``perf.measure`` had timed all its losses together, so a net still running
    at the --budget-s deadline (the script ends there) lost every row it had measured, while README says "each row is
    written as it is measured". Now each loss is timed (with ℓ1) on its own and its rows saved as it returns: at a
    deadline hit while vgg is timed, gpu_check.json holds l1's and ms_ssim's rows, vgg and lpips not."""
    import benchmark.perf

    mod = load_script("gpu_check")
    release, at_stop = threading.Event(), {}
    monkeypatch.setattr(mod, "environment", lambda device: {"device": str(device), "torch": "t", "cuda": None,
                                                            "cudnn": None, "plbench": "p", "threads": 1})

    def measure(names, **kw):  # l1 and ms_ssim time at once; vgg is still running at the deadline
        if "vgg" in names:
            release.wait(10)
        return [benchmark.perf.PerfRow(n, 1.0 + (n != "l1"), 500.0, 1.0 + (n != "l1"), None, None, None, None, "-")
                for n in dict.fromkeys(["l1", *names])]

    def abandon(code):  # what the process leaves behind when it ends at the deadline
        at_stop.update(code=code, json=json.loads((tmp_path / "gpu_check.json").read_text()))
        release.set()

    monkeypatch.setattr(benchmark.perf, "measure", measure)
    monkeypatch.setattr(mod, "_abandon", abandon)
    for name in ("utilisation_during_run", "runs_per_hour", "same_seed_identity"):
        monkeypatch.setattr(mod, name, lambda *a, **k: (_ for _ in ()).throw(AssertionError("not reached")))
    monkeypatch.setattr(mod, "CPU_FAMILIES", ("l1", "ms_ssim", "vgg", "lpips"))
    mod.main(["--device", "cpu", "--out", str(tmp_path), "--budget-s", "1.5"], exit_at_deadline=True)
    assert at_stop, "the check was not stopped at its --budget-s deadline"
    steps = at_stop["json"]["steps"]
    assert "--budget-s deadline" in steps["stopped"], steps
    assert [r["loss"] for r in steps.get("rows", [])] == ["l1", "ms_ssim"], steps
    assert steps["rows"][1]["x_l1"] == 2.0, steps


@pytest.mark.parametrize("beside", [True, False])
@pytest.mark.parametrize("cut", ["half", "empty"])
def test_check_names_a_half_batch_retry_s_checkpoint_no_run_can_resume_from(tmp_path, capsys, cut, beside):
    """A run that ran out of memory retries at half the batch and checkpoints to ``ckpt-b<n>.pt``
    (runner._train_with_oom_retry), which the retry resumes from. check read only ``ckpt.pt``: a ``ckpt-b8.pt`` cut
    short by a copy (or left empty) beside a sound ``ckpt.pt`` — or alone, the first try stopped before its first
    save — passed unsaid, exit 0, though the retry ignores it and trains from iteration 0. Now it is named in one line
    (exit 1), --repair sets it aside under damaged/ and leaves the sound ckpt.pt, after which a check is clean."""
    from test_probe_store24 import _check_said, _small, _stopped_run

    from benchmark.cli import main

    store = _small(tmp_path / "res")
    rid, path = _stopped_run(store)
    half = path.with_name("ckpt-b8.pt")
    data = path.read_bytes()
    half.write_bytes(data[: len(data) // 2] if cut == "half" else b"")
    if not beside:
        path.unlink()
    said, lines = _check_said(store, capsys, "ckpt-b8.pt")
    assert len(lines) == 1 and f"run {rid}: not finished" in lines[0] and "iteration 0" in lines[0], said
    assert "batch size 8" in lines[0] and not any("ckpt.pt" in line for line in said.splitlines()), said
    assert main(["check", "--out", str(store.root), "--repair"]) == 0
    assert not half.exists() and (store.run_dir(rid) / "damaged" / "0" / "ckpt-b8.pt").is_file()
    assert path.is_file() == beside  # the sound checkpoint stays, resumed
    capsys.readouterr()
    assert main(["check", "--out", str(store.root)]) == 0
    out = capsys.readouterr().out  # named only as set aside (test_probe_r3store25): no run's problem
    assert [line for line in out.splitlines() if "ckpt-b8.pt" in line] == [
        line for line in out.splitlines() if "set aside under runs/<id>/damaged/<n>/" in line], out


def test_utilisation_samples_a_mig_partition_by_the_uuid_nvidia_smi_lists_it_under(tmp_path, monkeypatch):
    """torch gives a MIG partition's UUID bare, as a whole GPU's, and the check asked nvidia-smi for
    ``--id=GPU-<uuid>``: on a MIG-partitioned GPU no device has that id, so the utilisation section had no sample.
    Now the id is the one ``nvidia-smi -L`` lists (``MIG-<uuid>``); where a query by it gives no sample, the old
    ``GPU-<uuid>`` query is taken (a fake nvidia-smi on PATH here)."""
    import os
    import time
    import types

    import torch

    mod = load_script("gpu_check")
    uuid = "6f3c1a2b-0d4e-5f60-7182-93a4b5c6d7e8"
    monkeypatch.setattr(torch.cuda, "get_device_properties",
                        lambda device: types.SimpleNamespace(uuid=uuid, name="NVIDIA H100 80GB HBM3 MIG 3g.40gb"))
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake = bin_dir / "nvidia-smi"
    fake.write_text(
        "#!/bin/sh\n"
        'echo "$*" >> "$FAKE_SMI_LOG"\n'
        'case "$*" in\n'
        "  *-L*) echo 'GPU 0: NVIDIA H100 80GB HBM3 (UUID: GPU-11111111-2222-3333-4444-555555555555)'\n"
        f"        echo '  MIG 3g.40gb     Device  0: (UUID: MIG-{uuid})' ;;\n"
        f"  *--id=MIG-{uuid}*) if [ \"$FAKE_SMI_MIG\" = 1 ]; then echo '42, 17000'; "
        "else echo 'No devices were found'; exit 6; fi ;;\n"
        f"  *--id=GPU-{uuid}*) if [ \"$FAKE_SMI_MIG\" = 1 ]; then echo 'No devices were found'; exit 6; "
        "else echo '7, 300'; fi ;;\n"
        "  *) echo '99, 99999' ;;\n"
        "esac\n")
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")

    def sampled(mig: str) -> tuple[dict, list[str]]:
        log = tmp_path / f"asked-{mig}.txt"
        monkeypatch.setenv("FAKE_SMI_LOG", str(log))
        monkeypatch.setenv("FAKE_SMI_MIG", mig)
        with mod.Utilisation(every=0.01, device=torch.device("cuda", 0)) as u:
            end = time.monotonic() + 8
            while not u.samples and time.monotonic() < end:
                time.sleep(0.01)
        return u.summary(), log.read_text().splitlines()

    summary, asked = sampled("1")  # the partition answers to its MIG- id alone
    assert summary.get("max_mem_mib") == 17000 and summary["mean_util"] == 42, (summary, asked)
    assert not any("99999" in a for a in asked) and any(f"--id=MIG-{uuid}" in a for a in asked), asked
    summary, asked = sampled("0")  # a query by the listed id gives no sample: the old GPU- query
    assert summary.get("max_mem_mib") == 300 and summary["mean_util"] == 7, (summary, asked)


@pytest.mark.parametrize("spec,says", [
    ("pdl(=1)", "an argument of 'pdl' has no keyword name"),
    ("l1 + 0.1*pdl(layers=('layer1',), =2)", "an argument of 'pdl' has no keyword name"),
    ("pdl(num-proj=4)", "argument 'num-proj' of 'pdl' is no keyword name"),
    ("pdl(**x)", "an argument of 'pdl' is unpacked (**)"),
])
def test_a_loss_keyword_with_no_name_names_the_loss_and_its_keywords(spec, says):
    """``pdl(=1)`` (a keyword with no name, or a name that is none: ``num-proj``) got the generic 'cannot parse loss
    spec …: expected e.g. 'l1' or 'l1 + 0.01*pdl'', and ``pdl(**x)`` 'arguments must be name=value', neither naming
    the loss nor what it takes. Now one line names the loss and its keywords (a close one offered), as
    ``pdl(pixels=)`` and ``pdl(1)`` already were."""
    from benchmark.errors import UserError
    from benchmark.lossfn import parse_loss_spec

    with pytest.raises(UserError) as err:
        parse_loss_spec(spec)
    msg = str(err.value)
    assert says in msg and "pdl takes: layers, pixels" in msg and "num_proj" in msg and "\n" not in msg, msg
    assert ("did you mean num_proj?" in msg) == ("num-proj" in spec), msg
