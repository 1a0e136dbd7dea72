"""Review of the newuser fixes (probe 19): the shipped configs named as a path is spelt, and a device's case slip."""

import pytest

from benchmark.config import GridSpec
from benchmark.devices import parse_device
from benchmark.errors import UserError


@pytest.mark.parametrize("name", ["./configs/cpu.yaml", "configs/./cpu.yaml", "./cpu.yaml"])
def test_a_dotted_path_to_a_shipped_config_reads_it_from_any_folder(tmp_path, monkeypatch, name):
    """``--config ./configs/cpu.yaml`` (README's path, spelt with ``./``) in a folder without one was 'config file not
    found: configs/cpu.yaml', the very name README says reads the shipped file from any folder."""
    monkeypatch.chdir(tmp_path)
    assert GridSpec.from_file(name).out == "results-cpu"


@pytest.mark.parametrize("name", ["../configs/cpu.yaml", "/old/checkout/configs/standard-cpu.yaml"])
def test_a_configs_folder_of_an_earlier_checkout_is_offered_the_shipped_file(tmp_path, monkeypatch, name):
    """``../configs/cpu.yaml`` (an earlier checkout's folder, run from a subfolder) is not read silently in the
    shipped file's place, but offered it: it was a bare 'config file not found'."""
    monkeypatch.chdir(tmp_path)
    stem = name.rpartition("/")[2]
    with pytest.raises(UserError, match=rf"not found: .*; did you mean configs/{stem} \(shipped with plbench\)\?$"):
        GridSpec.from_file(name)


@pytest.mark.parametrize(("given", "meant"), [("CPU", "cpu"), ("Cuda:1", "cuda:1"), ("GPU", "cuda"), ("AUTO", "auto")])
def test_a_device_in_capitals_is_offered_its_name_as_other_choices_are(given, meant):
    """``--device CPU`` said only 'use auto, cpu, cuda or cuda:N', where ``--net Tiny`` says 'did you mean tiny?'."""
    with pytest.raises(UserError, match=rf"unknown device '{given}': .*; did you mean {meant}\?$"):
        parse_device(given)


def test_a_device_not_close_to_any_gets_no_guess():
    with pytest.raises(UserError) as err:
        parse_device("tpu")
    assert "did you mean" not in str(err.value)


@pytest.mark.parametrize(("argv", "said"), [
    (["--tasks", "denoise sr4"], "--tasks: 'denoise sr4' names 2 values: several values are written "
                                 "--tasks denoise sr4"),
    (["--metrics", "psnr,ssim"], "--metrics: 'psnr,ssim' names 2 values: several values are written "
                                 "--metrics psnr ssim"),
])
def test_several_tasks_or_metrics_in_one_flag_word_are_not_offered_one_of_them(tmp_path, capsys, argv, said):
    """``--tasks 'denoise sr4'`` was 'unknown task …; did you mean denoise?' (a grid of one task where two were meant),
    ``--metrics psnr,ssim`` offered three names: told how several are given, as ``--formats 'png svg'`` is."""
    from benchmark.cli import main

    assert main(["run", *argv, "--out", str(tmp_path / "r"), "--dry-run"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [f"error: {said}"], err


@pytest.mark.parametrize("losses", ["l1 l2", "l1, l2"])
def test_api_run_given_several_losses_in_one_string_is_told_the_python_list(tmp_path, losses):
    """``api.run(losses='l1 l2')`` was told the flag's and a file's way ('--losses l1 l2; a config file's list'),
    where tasks/metrics/seeds so given are told ``pass a list``; a spec with terms stays one loss."""
    from benchmark import api

    with pytest.raises(UserError, match=r"^api.run\(\): losses: .* names 2 losses: pass a list, "
                                        r"losses=\['l1', 'l2'\]$"):
        api.run(losses=losses, out=str(tmp_path / "r"))
    from benchmark.config import several_names

    assert several_names("l1 + 0.01*ms_ssim") == [] and several_names("denoise(sigma=0.1, clip=1)") == []
