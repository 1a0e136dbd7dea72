"""A new user's day on the merged code: README first commands, compare, own photos, typos, resume, report."""

from __future__ import annotations

import pytest

from benchmark.data import DataSpec, load_images
from benchmark.errors import UserError


def _one_line(err) -> str:
    msg = str(err.value)
    assert "\n" not in msg
    return msg


def test_a_misspelt_embedded_dataset_is_named_not_sent_to_the_hub(tmp_path, monkeypatch):
    """Was: `--test-data skimage-naturl:test` said it was a hub dataset not cached offline and advised
    `huggingface-cli download skimage-naturl`; the user meant the embedded skimage-natural."""
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.chdir(tmp_path)
    with pytest.raises(UserError) as err:
        load_images(DataSpec.parse("skimage-naturl:test"))
    msg = _one_line(err)
    assert "did you mean skimage-natural" in msg
    assert "huggingface-cli" not in msg
