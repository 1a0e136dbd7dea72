"""Probe of torch-free reading and the cheap checks, round 19: check_loss_on_crop's out-of-memory, the weights digest
read without torch, the dry run's compile."""

import pytest

HOST_OOM = ("[enforce fail at alloc_cpu.cpp:114] data. DefaultCPUAllocator: not enough memory: you tried to allocate "
            "21474836480 bytes.")


def _raising(monkeypatch, exc):
    from benchmark.lossfn import build_loss

    loss = build_loss("l1")

    def forward(*a, **k):
        raise exc

    monkeypatch.setattr(loss, "forward", forward)
    return loss


@pytest.mark.parametrize("exc", [RuntimeError(HOST_OOM), RuntimeError("CUDA out of memory. Tried to allocate 2 GiB")])
def test_the_crop_check_running_out_of_memory_says_so_not_that_the_loss_fails(monkeypatch, exc):
    """``plbench run --crop 512`` on a loaded machine: the loss probe's forward failing to allocate was "loss 'l1'
    fails on 512×512 training crops (…): it runs from --crop …", blaming the loss and sending the user up the crop
    ladder. It now says out of memory, on what shape, and what to lower."""
    from benchmark.errors import UserError
    from benchmark.lossfn import check_loss_on_crop
    from benchmark.task import build_task

    loss = _raising(monkeypatch, exc)
    with pytest.raises(UserError) as err:
        check_loss_on_crop("l1", loss, [build_task("denoise")], crop=512, batch=16)
    line = str(err.value)
    assert "\n" not in line and line.startswith("out of memory on the cpu checking loss 'l1' on 2 × 512² crops"), line
    assert str(exc).split(".")[0] in line and "--crop" in line and "fails on" not in line, line


def test_the_crop_check_still_blames_a_loss_that_fails(monkeypatch):
    """Any other error of the loss's forward is still the loss failing on that crop."""
    from benchmark.errors import UserError
    from benchmark.lossfn import check_loss_on_crop
    from benchmark.task import build_task

    loss = _raising(monkeypatch, RuntimeError("shape mismatch in my loss"))
    with pytest.raises(UserError, match=r"loss 'l1' fails on 48×48 training crops .*shape mismatch in my loss"):
        check_loss_on_crop("l1", loss, [build_task("denoise")], crop=48)
