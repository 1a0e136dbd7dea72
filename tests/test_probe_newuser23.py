"""Probe (newuser, round 23): what a new user types in their first hour, and the one line each slip gets."""

from __future__ import annotations

import pytest

from benchmark.errors import UserError


@pytest.mark.parametrize("written", ["photos holdout=34%", "photos:holdout=34%", "photos,holdout=34%",
                                     "photos max_images=3", "photos:max_images=3"])
def test_a_source_option_written_without_brackets_names_the_bracketed_form(tmp_path, monkeypatch, written):
    """``--train-data "photos holdout=34%"`` (the help's ``SOURCE[holdout=P%]`` read as an optional part) was "dataset
    folder not found: photos holdout=34%", or with a colon "no sub-folder 'holdout=34%' to take as split": now one
    line naming the form that is read, ``photos[holdout=34%]``."""
    from benchmark.data import DataSpec

    (tmp_path / "photos").mkdir()
    monkeypatch.chdir(tmp_path)
    name, value = written.replace(":", " ").replace(",", " ").split()[1].split("=")
    with pytest.raises(UserError) as err:
        DataSpec.parse(written, role="train")
    msg = str(err.value)
    assert f"photos[{name}={value}]" in msg and "\n" not in msg, msg


def test_a_source_option_passed_as_its_own_argument_is_named_as_an_option(tmp_path, monkeypatch):
    """``--train-data photos holdout=34%`` unquoted: the shell passes ``holdout=34%`` as a source of its own (was
    "dataset folder not found: holdout=34%"): said to be the option of the source before it, in brackets."""
    from benchmark.data import DataSpec

    monkeypatch.chdir(tmp_path)
    with pytest.raises(UserError, match=r"holdout=34% .*SOURCE\[holdout=34%\]") as err:
        DataSpec.parse("holdout=34%", role="train")
    assert "not found" not in str(err.value)


def test_a_folder_whose_name_holds_an_option_like_text_is_read_as_written(tmp_path, monkeypatch):
    """A folder really named ``photos holdout=34%`` is the source, as every existing path is."""
    from benchmark.data import DataSpec

    (tmp_path / "photos holdout=34%").mkdir()
    monkeypatch.chdir(tmp_path)
    spec = DataSpec.parse("photos holdout=34%", role="train")
    assert spec.source.endswith("photos holdout=34%") and spec.holdout is None


def test_timm_saying_it_loads_hub_weights_is_not_in_normal_output():
    """``plbench list metrics --probe`` offline printed timm's ``I … timm.models._builder: Loading pretrained weights
    from Hugging Face hub (timm/resnet50.a1_in1k)`` between its table's lines, for a file then said not cached (nothing
    was loaded): timm's hub chatter is quiet as ``huggingface_hub``'s is, and shown under ``--debug`` as theirs is."""
    import logging

    from benchmark.cli import _setup_logging

    class Args:
        quiet, debug = False, False

    builder = logging.getLogger("timm.models._builder")
    names = ("timm", "datasets", "huggingface_hub", "urllib3", "filelock", "fsspec", "matplotlib", "PIL", "fontTools")
    levels = {name: logging.getLogger(name).level for name in names}  # as this process had them
    try:
        _setup_logging(Args())
        assert not builder.isEnabledFor(logging.INFO)
        assert builder.isEnabledFor(logging.WARNING)  # its warnings still shown
        Args.debug = True
        _setup_logging(Args())
        assert builder.isEnabledFor(logging.INFO)
    finally:
        for name, level in levels.items():
            logging.getLogger(name).setLevel(level)
