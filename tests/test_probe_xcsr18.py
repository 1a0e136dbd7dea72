"""Probe of the full profile's dry run and csr (session 18)."""
import pytest

from benchmark.errors import UserError

MEDICAL = "skimage-medical:train"


@pytest.mark.parametrize("given", ["auto", "random"])
def test_csr_on_named_data_under_weights_that_load_no_encoder_is_refused_when_planned(monkeypatch, tmp_path, given):
    """``csr(selftrain_data=X)`` with ``--backbone-weights auto`` (the standard and full profiles') and X's encoder not
    yet pretrained: auto chose ``random``, which csr refuses — but only once every source was decoded (the full
    profile's BSD200 + T91), in a line naming ``weights='random'``, which the user never wrote, and no command to make
    the encoder. Now the grid's check refuses it before any image is read, naming the setting that chose random and,
    for auto, the ``plbench pretrain`` command after which auto trains it pretrained."""
    from benchmark.config import GridSpec, check_grid

    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    read = []
    monkeypatch.setattr("benchmark.data.load_images", lambda *a, **k: read.append(a) or [])
    spec = GridSpec(tasks=("denoise",), losses=(f"l1 + 0.1*csr(selftrain_data={MEDICAL!r})",), seeds=(0,),
                    backbone_weights=given)
    with pytest.raises(UserError) as err:
        check_grid(spec)
    said = str(err.value)
    assert "\n" not in said and f"--backbone-weights {given}" in said and "selftrain_data" in said, said
    assert ("pretrain --recipe simclr --data skimage-medical:train" in said) == (given == "auto"), said
    assert not read
