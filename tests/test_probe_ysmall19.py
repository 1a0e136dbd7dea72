"""Short round: data tables, a worker's error outside any run, report.to_markdown."""
from __future__ import annotations

import numpy as np
import pytest

from benchmark import data
from benchmark.errors import UserError


def test_a_later_row_with_a_cell_past_the_header_is_refused_in_our_line(tmp_path):
    """``file,label`` / ``a.png,1`` / ``b.png,2,keep``: pandas' 'Error tokenizing data. C error: Expected 2 fields in
    line 3, saw 3' was the whole message. Now one line names the file, the line, its cells and what to do."""
    (tmp_path / "list.csv").write_text("file,label\na.png,1\nb.png,2,keep\n")
    with pytest.raises(UserError) as e:
        data._load_table(tmp_path / "list.csv")
    said = str(e.value)
    assert "list.csv" in said and "line 3" in said and "3 cells" in said and "2 columns (file, label)" in said
    assert "header line" in said and "C error" not in said and "tokenizing" not in said and "\n" not in said


def test_a_markdown_tables_line_is_its_files_line_in_the_refusal(tmp_path):
    """A Markdown table (title and prose above it) with a row of one cell too many: the line is the file's."""
    (tmp_path / "list.txt").write_text("# Photos\n\nsome prose\n\n| path | label |\n|---|---|\n| a.png | 1 |\n"
                                       "| b.png | 2 |\n| c.png | 3 | 4 |\n")
    with pytest.raises(UserError, match=r"line 9 holds 3 cells"):
        data._load_table(tmp_path / "list.txt")


def test_an_escaped_pipe_in_a_markdown_cell_is_a_pipe(tmp_path):
    r"""``| a.png | x \| y |`` (GitHub's escaped pipe) was split at the ``\|``: the label read ``x \``, and ``y`` was
    dropped as a cell past the header's. Now the cell reads ``x | y``."""
    (tmp_path / "list.txt").write_text("| path | label |\n|---|---|\n| a.png | x \\| y |\n| b.png | 2 |\n")
    frame = data._load_table(tmp_path / "list.txt").to_pandas()
    assert list(frame.columns) == ["path", "label"] and frame["label"].tolist() == ["x | y", "2"]


def test_a_memory_error_outside_any_run_is_the_hosts_out_of_memory_line(monkeypatch, capsys):
    """A ``MemoryError()`` raised in a worker before its first run (decoding the data) came back as 'MemoryError: ',
    a colon and nothing after it, and the command's last line called it an internal error, asking for --debug's
    traceback; now the host-out-of-memory line, with what to change, as a run's and the command's say it."""
    from benchmark import cli, executors

    def short(unit):
        raise MemoryError()

    monkeypatch.setattr(executors, "run_unit", short)
    result = executors._worker_main(executors.WorkUnit((), "/nonexistent", ("psnr",), "cpu", tag="[w0]"))
    assert result["user"] is False and not result["error"].rstrip().endswith(":")
    assert "host ran out of memory" in result["error"] and "fewer workers" in result["error"]
    with pytest.raises(executors.WorkerFailed, match=r"failed: MemoryError: the host ran out of memory") as e:
        executors._raise_failures([result], "workers")
    monkeypatch.setattr(cli, "cmd_list", lambda args: (_ for _ in ()).throw(e.value))
    assert cli.main(["list", "tasks"]) == 1
    said = capsys.readouterr().err.strip()
    assert said.startswith("error: a worker (w0) failed: MemoryError: the host ran out of memory"), said
    assert "internal error" not in said and "--debug" not in said and "\n" not in said


def test_to_markdown_holds_the_by_test_set_section_its_note_points_to():
    """With two test sets the pooled note says '(By test set, below)', but report.to_markdown() left that section
    out: the note pointed at nothing. Now its text is leaderboard.md's, the section included."""
    from benchmark import report
    from benchmark.synthetic import synthetic_table

    t = synthetic_table(offsets={"l1": 0.0, "other": 0.5}, seeds=(0, 1, 2), metrics=("psnr",), n_images=6)
    t["dataset"] = np.where(t["image"].isin(["img0000", "img0001", "img0002"]), "A", "B")
    text = report.to_markdown(t, n_boot=20)
    assert "By test set, below" in text and "\n## By test set\n" in text
    assert text.index("By test set, below") < text.index("\n## By test set\n")
