"""Mends made while integrating the 2026-12-07 (twenty-first session) branches."""
import subprocess
import sys
import textwrap


def test_an_old_pixel_loss_record_reads_the_same_whether_or_not_the_loss_registry_is_loaded():
    """``ckptrecord.as_current`` reads a checkpoint record of gpl under ``pretrained`` as ``random`` (one id since
    2026-12-07). A pixel loss's record under ``pretrained`` (only a very old plbench wrote one) read ``pretrained``
    while the registry was not loaded and ``none`` once it was: a store's records keyed two ways by one command.
    Now the reading maps only what loads no pretrained file under either value to ``random``; the rest as written."""
    code = textwrap.dedent("""
        from benchmark.ckptrecord import as_current
        rec = {"config": {"loss": "l1", "backbone_weights": "pretrained"}}
        before = as_current(rec)["config"]["backbone_weights"]
        import benchmark.lossfn, losses  # noqa: F401 - the registry loaded, as in a run
        from benchmark.registry import LOSSES
        LOSSES.names()
        after = as_current(rec)["config"]["backbone_weights"]
        gpl = as_current({"config": {"loss": "gpl", "backbone_weights": "pretrained"}})["config"]["backbone_weights"]
        print(before, after, gpl)
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert out == ["pretrained", "pretrained", "random"], out
