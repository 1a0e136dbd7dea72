"""Review (outputs, round 23) of today's report, methods and new-user commits: what each mend makes true."""

from __future__ import annotations

import pytest
import scipy.special  # noqa: F401
import scipy.stats  # noqa: F401

import benchmark.convergence  # noqa: F401 (compute's lazy imports, at collection)
import benchmark.metrics  # noqa: F401
from benchmark import stats as S
from benchmark.synthetic import synthetic_table


def test_a_task_s_smoke_test_counts_its_own_thin_cells_not_the_grid_s():
    """Was: ``smoke_test(stats, task=…)`` (a LaTeX task table's caption since 3d8134f8, metrics_<task>.png) judged
    "most cells short of runs" over the whole grid: denoise, one loss of three with 3 runs (2 of its 6 cells thin),
    said "Smoke test … 8 of 12 scored cells short of runs, most of them" because every sr cell had 3 runs. Now a task
    counts its own cells; sr, and the grid as a whole, still say it."""
    from benchmark import export as E

    t = synthetic_table(tasks=("denoise", "sr"), offsets={"l1": 0.0, "l2": 0.5, "l3": 1.0}, seeds=range(5),
                        metrics=("psnr", "ssim"), n_images=4)
    t = t[~(((t["task"] == "sr") | (t["loss"] == "l3")) & (t["seed"] >= 3))]
    st = S.compute(t, n_boot=10)
    assert S.smoke_test(st) and S.smoke_test(st, task="sr")
    assert S.smoke_test(st, task="denoise") == "", S.smoke_test(st, task="denoise")
    caption = {c.split(":")[0]: c for c in (line[len(r"\caption{"):] for line in E.latex(st).splitlines()
                                            if line.startswith(r"\caption{"))}
    assert "Smoke test" not in caption["denoise"] and "l3 (3 runs" in caption["denoise"], caption["denoise"]
    assert "Smoke test" in caption["sr"]


def test_a_self_trained_encoder_s_sidecar_names_the_onednn_isa_that_made_its_bytes(monkeypatch):
    """Was: ``made_on`` (654c0a3b) named ATen's CPU capability alone, but oneDNN's convolutions decide the bytes and
    ``ONEDNN_MAX_CPU_ISA=AVX2`` (the very case measured) leaves ATen's ``AVX512``: the two files still read alike.
    Now it names oneDNN's ISA limit too (``default`` where none is set, ``off`` where oneDNN is not used)."""
    import torch

    from benchmark.pretrain import made_on

    monkeypatch.delenv("ONEDNN_MAX_CPU_ISA", raising=False)
    monkeypatch.delenv("DNNL_MAX_CPU_ISA", raising=False)
    plain = made_on("cpu")
    monkeypatch.setenv("ONEDNN_MAX_CPU_ISA", "AVX2")
    capped = made_on("cpu")
    assert capped["onednn"] == "AVX2" and plain["onednn"] in ("default", "off"), (plain, capped)
    assert capped["cpu_capability"] == plain["cpu_capability"]  # what ATen says cannot tell the two apart
    with torch.backends.mkldnn.flags(enabled=False):
        assert made_on("cpu")["onednn"] == "off"


def test_where_lists_task_among_its_fields_and_says_why_seed_is_no_setting(tmp_path):
    """Was: ``--where task=denoise`` worked but the fields a wrong ``--where`` listed left ``task`` out (as a per-task
    field), and ``--where seed=0`` was "no such setting field", as a typo is. Now ``task`` is listed, and a run's own
    field (seed, loss, backbone weights) is said in one line to be pooled (seeds) or ranked (losses) within a setting,
    not chosen by ``--where``."""
    from benchmark.errors import UserError
    from benchmark.results import ResultsStore
    from benchmark.settings import check_where, settings_of
    from benchmark.synthetic import write_store

    write_store(tmp_path / "res", tasks=("denoise", "sr"), offsets={"l1": 0.0, "l2": 0.5}, seeds=range(2),
                metrics=("psnr",), n_images=2)
    st = settings_of(ResultsStore(tmp_path / "res").table())
    check_where(st, {"task": "denoise"})  # a field: no error
    with pytest.raises(UserError) as err:
        check_where(st, {"bogus": "1"})
    assert "task" in str(err.value).split("fields: ", 1)[1], err.value
    for field, said in (("seed", "pools"), ("loss", "ranks")):
        with pytest.raises(UserError) as err:
            check_where(st, {field: "0"})
        msg = str(err.value)
        assert said in msg and "\n" not in msg and "no such setting field" not in msg, msg


@pytest.mark.parametrize("written", ["photos holdout=34", "holdout=34"])
def test_an_unbracketed_holdout_without_its_percent_sign_is_named_in_the_form_that_is_read(tmp_path, monkeypatch,
                                                                                          written):
    """Was: ``photos holdout=34`` (e4c4b1dd) was told to write ``photos[holdout=34]``, which is then refused ("a
    hold-out is a percentage … not [holdout=34]"): two tries. Now the form named is ``[holdout=34%]``, read as is."""
    from benchmark.data import DataSpec
    from benchmark.errors import UserError

    (tmp_path / "photos").mkdir()
    monkeypatch.chdir(tmp_path)
    with pytest.raises(UserError) as err:
        DataSpec.parse(written, role="train")
    assert "[holdout=34%]" in str(err.value), err.value
    assert DataSpec.parse("photos[holdout=34%]", role="train").holdout is not None


def test_the_too_few_runs_note_sets_a_loss_s_counts_apart_by_semicolons():
    """Was: a loss short of runs with two counts read "l3 (deblur: 4 runs, denoise, sr: 3 runs)" (9484f2cb): one comma
    both between tasks of a count and between counts, so "4 runs, denoise" read as denoise's 4. Now the counts are
    set apart by "; ": "l3 (deblur: 4 runs; denoise, sr: 3 runs)"; the losses still apart by ", "."""
    from benchmark import export as E

    t = synthetic_table(tasks=("deblur", "denoise", "sr"), offsets={"l1": 0.0, "l2": 0.5, "l3": 1.0, "l4": 1.2},
                        seeds=range(5), metrics=("psnr", "ssim"), n_images=4)
    deblur = t["task"] == "deblur"
    short = t["loss"].isin(["l3", "l4"]) & ((~deblur & (t["seed"] >= 3)) | (deblur & (t["seed"] >= 4)))
    line = next(n for n in E.notes(S.compute(t[~short], n_boot=10)) if n.startswith("Too few runs for a verdict on"))
    assert "on l3 (deblur: 4 runs; denoise, sr: 3 runs), l4 (deblur: 4 runs; denoise, sr: 3 runs), where" in line, line


def test_an_unbracketed_option_passed_after_its_source_is_named_with_that_source():
    """Was: ``--train-data Kodak24 holdout=10%`` unquoted (e4c4b1dd) said "write it … SOURCE[holdout=10%] (e.g.
    "photos[holdout=10%]" …)", an example of another folder though the source was right before it. Now the line names
    the source the option follows: ``'Kodak24[holdout=10%]'``, quoted as a shell needs it."""
    from benchmark.data import check_not_empty
    from benchmark.errors import UserError

    with pytest.raises(UserError) as err:
        check_not_empty(["Kodak24", "holdout=10%"], "--train-data")
    msg = str(err.value)
    assert msg.startswith("--train-data Kodak24 holdout=10%:") and "'Kodak24[holdout=10%]'" in msg, msg
    assert "photos" not in msg and "\n" not in msg
    check_not_empty(["Kodak24", "photos"], "--train-data")  # two sources: nothing said
