"""Review of the session-18 data fixes (probe-data): adversarial tables, the hub-id slash, the CPU-noise statement."""

from __future__ import annotations

import pytest

from benchmark.data import DataSpec, load_images


def _pngs(folder, *names):
    from PIL import Image

    for name in names:
        Image.new("RGB", (24, 16), (10, 200, 30)).save(folder / f"{name}.png")


@pytest.mark.parametrize("text", ["path\na.png\nmy, photo.png\nb.png\n", '"path"\r\na.png\r\nmy, photo.png\r\n',
                                  "path\n\na.png\nmy, photo.png\n", "missing.png\nmy, photo.png\na.png\n"])
def test_a_one_column_csv_keeps_a_comma_in_a_later_path(tmp_path, text):
    """A CSV of one column (a header ``path``, or a first path not found) whose later paths hold a comma was split at
    it: 'cannot be read (Error tokenizing data. C error: Expected 1 fields in line 3, saw 2)' → a first line with no
    separator makes the table one cell a line, as one naming a file does (18d9a06)."""
    _pngs(tmp_path, "a", "my, photo", "b")
    table = tmp_path / "list.csv"
    table.write_text(text, newline="")
    ids = [r.image_id for r in load_images(DataSpec.parse(str(table)))]
    assert "my, photo" in ids and "a" in ids, ids


def test_readme_states_which_cpus_draw_noise_alike_and_the_bound_the_slow_test_keeps():
    """README said an AVX-512 CPU draws float32 noise otherwise than an AVX2 one, and within 2e-6 of σ: torch 2.14
    draws the same on both (ATEN_CPU_CAPABILITY=avx512 against avx2: equal), and one Kodak image's draws differ from
    the default kernels' by 2.2e-6 (2.5e-6 over 1e8) → it says AVX-512 draws as AVX2, ARM and x86 without AVX2 other
    code, up to 3e-6 of σ: the bound test_probe_data18's slow test keeps, on a Kodak-size draw."""
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    readme = " ".join((root / "README.md").read_text().split())
    said = readme[readme.index("That holds on one kind of CPU"):][:600]
    assert "an AVX-512 one draws the same" in said and "x86 without AVX2" in said, said
    assert re.search(r"up to 3e-6 of its σ", said), said
    slow = (root / "tests" / "test_probe_data18.py").read_text()
    assert "assert apart.max() <= 3e-6" in slow and "(1, 3, 512, 768)" in slow


def test_a_tab_separated_txt_passes_over_its_comments_below_the_header_too(tmp_path, caplog):
    """A .txt of Excel's tab-separated text had its ``#`` comments above the header passed over (83e7f50), but one
    between its rows was read as a row: 'skipping unreadable image # the next one' → a .txt's comment lines are passed
    over wherever they are, a tab table's as a list's (a row naming a file ``#1.png`` kept)."""
    import logging

    _pngs(tmp_path, "a", "b", "#1")
    (tmp_path / "table.txt").write_text("# made by Excel, then noted\nfile\tlabel\na.png\t1\n# the next one\t(b)\n"
                                        "\n# last\nb.png\t2\n#1.png\t3\n")
    with caplog.at_level(logging.WARNING, logger="benchmark.data"):
        assert [r.image_id for r in load_images(DataSpec.parse(f"{tmp_path / 'table.txt'}#file"))] == ["a", "b", "#1"]
    assert not caplog.records, caplog.text


@pytest.mark.parametrize("cell", ["C:\\photos\\a.png", "C:/photos/a.png", "\\\\nas\\share\\a.png"])
def test_a_windows_absolute_path_in_a_table_is_said_to_be_one(tmp_path, caplog, cell):
    """A table made on Windows listing its images by drive letter (``C:\\photos\\a.png``, a UNC share's
    ``\\\\nas\\share\\a.png``) had each path looked for as a relative one: 'no such file: C:\\photos\\a.png (looked in
    <the table's folder> and <cwd>)' → the line says it is a Windows path, to write the table's paths relative to its
    folder (where a relative Windows path, photos\\a.png, is found: _windows_relative)."""
    import logging

    _pngs(tmp_path, "a", "b")
    table = tmp_path / "photos.csv"
    table.write_text(f"path\r\n{cell}\r\nb.png\r\n", newline="")
    with caplog.at_level(logging.WARNING, logger="benchmark.data"):
        assert [r.image_id for r in load_images(DataSpec.parse(str(table)))] == ["b"]
    said = [r.getMessage() for r in caplog.records if cell in r.getMessage()][0]
    assert "(a Windows path: write the table's paths relative to its folder)" in said and "looked in" not in said, \
        said
    assert "\n" not in said


def _broken_links(folder):
    import os

    os.symlink("b.png", folder / "a.png")
    os.symlink("a.png", folder / "b.png")
    os.symlink("/mnt/unmounted/gone.png", folder / "dangling.png")


def test_a_table_naming_a_link_in_a_loop_or_to_nothing_says_so(tmp_path, caplog):
    """A folder's links in a loop and to nothing are named so (62dce90); a table listing them said 'no such file:
    a.png (looked in …)', though the link is there → the line names a link in a loop, or a dangling link and the
    target that is not there."""
    import logging

    _pngs(tmp_path, "ok")
    _broken_links(tmp_path)
    table = tmp_path / "list.txt"
    table.write_text("a.png\ndangling.png\nok.png\n")
    with caplog.at_level(logging.WARNING, logger="benchmark.data"):
        assert [r.image_id for r in load_images(DataSpec.parse(str(table)))] == ["ok"]
    assert "a.png: a link in a loop (it leads back to itself)" in caplog.text, caplog.text
    assert "dangling.png: a dangling link (to /mnt/unmounted/gone.png, which is not there)" in caplog.text, \
        caplog.text
    assert "no such file" not in caplog.text, caplog.text


@pytest.mark.parametrize("name, said", [("a.png", "is a link in a loop (it leads back to itself)"),
                                        ("dangling.png", "is a dangling link (to /mnt/unmounted/gone.png, which is "
                                                         "not there)"),
                                        ("photos", "is a dangling link (to /mnt/nas/photos, which is not there)")])
def test_a_source_that_is_a_broken_link_says_so(tmp_path, monkeypatch, name, said):
    """A source given as a link to nothing (``photos`` → a share not mounted) or in a loop was 'dataset folder not
    found: …/a.png; did you mean …/a.png?', itself, or read as a hub id, 'there is no local folder' → the line names
    the link and where it leads."""
    import os

    from benchmark.errors import UserError

    monkeypatch.chdir(tmp_path)
    _broken_links(tmp_path)
    os.symlink("/mnt/nas/photos", tmp_path / "photos")
    with pytest.raises(UserError) as err:
        load_images(DataSpec.parse(name))
    assert str(err.value) == f"{tmp_path / name} {said}" or str(err.value) == f"{name} {said}", str(err.value)


def _empty_tables(folder):
    import pandas as pd
    import pyarrow as pa

    (folder / "list.json").write_text("[]")
    (folder / "frame.json").write_text("{}")
    pd.DataFrame({"path": pd.Series([], dtype=str)}).to_parquet(folder / "photos.parquet")
    with pa.OSFile(str(folder / "photos.arrow"), "wb") as sink, \
            pa.ipc.new_stream(sink, pa.schema([("path", pa.string())])) as writer:
        writer.write_table(pa.table({"path": pa.array([], pa.string())}))
    (folder / "excel.txt").write_text("# noted\nfile\tlabel\n")


@pytest.mark.parametrize("name, why", [("list.json", " (no row)"), ("frame.json", " (no row)"),
                                       ("photos.parquet", " (no row)"), ("photos.arrow", " (no row)"),
                                       ("excel.txt", " (no row below its header)")])
def test_an_empty_structured_table_is_said_to_list_no_image(tmp_path, name, why):
    """A table that lists no image is said so (0d187e3), but a JSON ``[]`` was 'cannot be read (Instruction "train"
    corresponds to no data!)', a parquet of no rows '(An error occurred while generating the dataset)', and a .txt
    of Excel's tab-separated text holding its header alone '(no row: comments and blank lines only)' → one line:
    'lists no image (no row)', '(no row below its header)'."""
    from benchmark.errors import UserError

    _empty_tables(tmp_path)
    with pytest.raises(UserError) as err:
        load_images(DataSpec.parse(str(tmp_path / name)))
    assert str(err.value) == f"{tmp_path / name}: a table of images that lists no image{why}", str(err.value)


@pytest.mark.parametrize("given", ["me/photos/", "me/photos", "me/photos//"])
def test_a_local_folder_named_like_a_hub_id_stays_the_folder_with_or_without_its_slash(tmp_path, monkeypatch, given):
    """36dbd4c drops the slash after a hub id; a folder ``me/photos`` here, typed with a slash or without, is the folder
    (one token, its absolute path), not the hub id ``me/photos``."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "me" / "photos").mkdir(parents=True)
    spec = DataSpec.parse(given, role="train")
    assert spec.kind == "folder" and spec.token() == str(tmp_path / "me" / "photos"), spec.token()
