"""Command-line mistakes found by trying the tool as a new user: each is one line and exit 2."""

from __future__ import annotations

import pytest

from benchmark.cli import main
from benchmark.errors import UserError
from benchmark.synthetic import write_store


@pytest.fixture
def store(tmp_path):
    write_store(tmp_path, tasks=("sr4",), metrics=("psnr",), seeds=range(3), seed_sd=0.1,
                offsets={"l1": 0.0, "l2": 0.2}, budget_check=False)
    return tmp_path


def _one_error(capsys) -> str:
    err = [line for line in capsys.readouterr().err.splitlines() if line.strip()]
    assert len(err) == 1 and err[0].startswith("error: "), err
    return err[0]


@pytest.mark.parametrize("cmd", [["report", "--no-visual"], ["findings"], ["calibrate", "--nulls", "20"]])
def test_a_read_only_results_directory_is_one_line(store, cmd, capsys, monkeypatch):
    import benchmark.cli as cli

    real = cli.os.access
    monkeypatch.setattr(cli.os, "access", lambda p, mode, **k: False if str(p) == str(store) else real(p, mode, **k))
    before = sorted(p.name for p in store.iterdir())
    assert main([*cmd, "--out", str(store), "-q"]) == 2
    assert "is not writable" in _one_error(capsys)
    assert sorted(p.name for p in store.iterdir()) == before


def test_typos_get_suggestions(store, capsys):
    assert main(["report", "--out", str(store), "--baseline", "l11", "--no-visual", "-q"]) == 2
    assert "did you mean l1" in _one_error(capsys)
    assert main(["findings", "--out", str(store), "--only", "zhao", "-q"]) == 2
    err = _one_error(capsys)
    assert "zhao2017_l1_vs_l2" in err and "plbench findings --list" in err
    assert main(["calibrate", "--out", str(store), "--seed", "-1", "-q"]) == 2
    assert "--seed" in _one_error(capsys)
    from benchmark.metrics import check_metric_names

    with pytest.raises(UserError, match="did you mean psnr"):
        check_metric_names(["PSNR"])
