"""Mends of the data18 review: repeated work and duplicated helpers in benchmark/data.py, losses/csr.py and
benchmark/weights.py made one."""
import logging

import datasets  # noqa: F401 - imported once at collection (1 s), not inside the first table test's time
import pytest

from benchmark import data
from benchmark.errors import UserError


def test_a_damaged_windows_1252_table_has_its_encoding_found_once(tmp_path, monkeypatch, caplog):
    """A table that failed to read had its encoding found up to 3 times (``_read_table``, the blank-file check,
    ``_holds_no_row``), each a whole read and, for Windows-1252, the same warning → found once in ``_load_table``
    and passed on: one call, one warning, the same refusal."""
    table = tmp_path / "t.json"
    table.write_bytes('[{"path": "café.png"}, {"path": '.encode("cp1252"))
    calls = []
    found = data._text_encoding
    monkeypatch.setattr(data, "_text_encoding", lambda path: calls.append(path) or found(path))
    with caplog.at_level(logging.WARNING), pytest.raises(UserError, match="cannot be read"):
        data._load_table(table)
    assert calls == [table]
    assert sum("Windows-1252" in r.getMessage() for r in caplog.records) == 1


@pytest.mark.parametrize("text, blank", [(" \r\n\t\n\ufeff\n", True), ("\n\n a.png\n", False)])
def test_the_blank_check_reads_a_text_table_in_its_encoding(tmp_path, text, blank):
    table = tmp_path / "t.txt"
    table.write_text(text, encoding="utf-16")
    assert data._blank_text(table, "utf-16") is blank


def test_csr_refusal_gives_a_shell_quoted_pretrain_command(monkeypatch, tmp_path):
    """The pretrain command was written in 3 places; ``resolve_encoder``'s refusal wrote ``--data {selftrain_data}``
    unquoted (``--data my photos``: two arguments) while the dry run quoted it → one ``_pretrain_command`` (shlex):
    the refusal's command, split as a shell does, gives back the path; the dry run says the same command."""
    import shlex

    import losses.csr as C
    from benchmark import weights as W

    monkeypatch.setattr(W, "cache_dir", lambda subdir="plbench": tmp_path / subdir)
    with pytest.raises(UserError) as err:
        C.resolve_encoder(selftrain=False, selftrain_data="my photos")
    said = str(err.value)
    cmd = C._pretrain_command("my photos")
    assert cmd in said and shlex.split(cmd)[-4:-2] == ["--data", "my photos"], said
    assert C._would_selftrain(selftrain_data="my photos") == cmd
    assert C._encoder_file(selftrain_data="my photos") == (str(C._selftrained_path("my photos")),)


def test_one_loop_gives_the_selftrain_commands_of_a_spec_and_of_a_grid(monkeypatch, tmp_path):
    """``selftrain_command`` and ``selftraining`` were the same loop twice, the second giving "term: cmd" strings the
    CLI split back → one ``selftrain_commands`` of (term, command) pairs: the first is ``selftrain_command``'s, a term
    on random weights trains nothing, and the grid's are each spec's, each once."""
    from benchmark import weights as W

    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    spec = "l1 + csr(weights='random') + csr(selftrain_data='my photos')"
    pairs = W.selftrain_commands(spec)
    assert pairs == [("csr", "plbench pretrain --recipe simclr --data 'my photos' --device cpu")]
    assert W.selftrain_command(spec) == pairs[0][1] and W.selftrain_command("l1") == ""
    assert W.selftrain_commands("csr", backbone="random") == []
    assert W.selftraining({spec: "pretrained", "csr(selftrain_data='my photos')": "random"}) == pairs


def test_decode_image_stats_a_path_once_for_the_folder_and_the_size(tmp_path, monkeypatch):
    """``decode_image`` called ``Path.is_dir()`` then ``Path.stat()`` on a file path: two stats → one ``os.stat``
    (``S_ISDIR``, then its size): a folder and an empty file still refused as before."""
    import os

    import numpy as np
    from PIL import Image

    png = tmp_path / "a.png"
    Image.fromarray(np.zeros((4, 5, 3), np.uint8)).save(png)
    (tmp_path / "empty.png").write_bytes(b"")
    (tmp_path / "folder").mkdir()
    stats = []
    real = os.stat

    def counted(p, *a, **k):
        stats.append(os.fspath(p))
        return real(p, *a, **k)

    monkeypatch.setattr(os, "stat", counted)
    data.find_file(str(png), None)
    finding = len(stats)
    stats.clear()
    assert data.decode_image(str(png), "a").shape == (3, 4, 5)
    assert stats.count(str(png)) == finding + 1, stats
    monkeypatch.undo()
    with pytest.raises(ValueError, match="a folder, not an image file"):
        data.decode_image(str(tmp_path / "folder"), "f")
    with pytest.raises(ValueError, match="empty file"):
        data.decode_image(str(tmp_path / "empty.png"), "e")
