"""Probe of the five research methods, round 18: what a demanding user of each paper's loss and claim hits."""


MEDICAL = "skimage-medical:train"


def test_csr_on_named_data_needs_its_self_trained_encoder_not_moco(monkeypatch, tmp_path):
    """``csr(selftrain_data='skimage-medical:train')`` loads the SimCLR encoder self-trained on those images whatever
    the cache holds (c4ae790), yet ``plbench weights`` listed MoCo v2's 800-epoch checkpoint as its missing file —
    prefetch fetched a file it never loads — and ``--backbone-weights auto`` (the standard profile's) trained it on a
    random ResNet-50 even where its self-trained encoder was cached (MoCo v2 missing). Its file is that encoder's
    checkpoint: listed missing, then present once trained, and auto then trains it on it."""
    from benchmark import weights as W
    from benchmark.config import weights_for
    from benchmark.pretrain import output_path
    from losses.csr import selftrained_simclr_config

    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    spec = f"csr(selftrain_data={MEDICAL!r})"
    want = output_path(selftrained_simclr_config(MEDICAL))
    assert str(tmp_path) in str(want)
    rows = W.weights_report([spec])
    assert [(r["needs"], r["path"], r["present"]) for r in rows] == [("checkpoint", str(want), False)], rows
    assert weights_for(spec, "auto") == "random"
    want.parent.mkdir(parents=True)
    want.write_bytes(b"encoder")  # what plbench pretrain --recipe simclr --data skimage-medical:train writes
    rows = W.weights_report([spec])
    assert [(r["path"], r["present"]) for r in rows] == [(str(want), True)], rows
    assert weights_for(spec, "auto") == "pretrained"
    assert [r["needs"] for r in W.weights_report(["csr"])] == ["resnet50:moco_v2"]  # the default: as before
    line = W.missing_checkpoint_message(str(want))
    assert "plbench pretrain" in line and "\n" not in line, line  # made here, not put there by hand
