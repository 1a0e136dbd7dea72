"""Probe of the default suite's wall time: slow paths found while timing its heaviest tests."""

from __future__ import annotations

import pytest

from benchmark.cli import main


@pytest.mark.parametrize("flag", ["--train-data", "--test-data"])
def test_unreadable_data_is_said_before_any_loss_is_built(flag, tmp_path, capsys, monkeypatch):
    """``plbench run --train-data nobody/nothing-here`` built and probed every loss of the grid on training
    crops (13 s of CPU for the default losses) before saying, in one line, that the data does not load: the
    data is now read first."""
    import benchmark.lossfn as lossfn
    import benchmark.runner  # noqa: F401 — binds lossfn.build_loss at import: imported here, under the patch, it
    # would keep the stand-in for every later test (test_bad_inputs' disk-full grid then 'built l1')

    built = []
    monkeypatch.setattr(lossfn, "build_loss", lambda spec, **kw: built.append(spec) or pytest.fail(f"built {spec}"))
    code = main(["run", flag, str(tmp_path / "nothing-here"), "--iterations", "1", "--metrics", "psnr",
                 "--out", str(tmp_path / "r"), "--no-progress", "-q"])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1 and "nothing-here" in err[0], err
    assert built == []
