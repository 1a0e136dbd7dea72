"""Review of the newuser fixes (probe 19): the shipped configs named as a path is spelt, and a device's case slip."""

import pytest

from benchmark.config import GridSpec
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
