"""The README's Python API example runs as written (in a temporary working directory)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"


# tiny nets: two threads on a shared 2-core machine spin, 5× the CPU; the two reports' files and text are checked,
# not their figures (drawn and checked by test_figure_layout.py and test_end_to_end.py)
@pytest.mark.usefixtures("one_thread", "no_report_figures")
def test_readme_api_example_runs(tmp_path, monkeypatch, capsys):
    text = README.read_text()
    section = text.split("## Config files, plugins and the Python API", 1)[1]
    code = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    monkeypatch.chdir(tmp_path)
    ns: dict = {}
    exec(compile(code, "README.md", "exec"), ns)  # noqa: S102 - the documented example itself
    assert ns["summary"].trained == 8 and ns["summary"].failed == 0  # 4 runs and their 4 budget checks
    table = ns["table"]
    assert set(table["loss"]) == {"input", "l1", "ssim"} and set(table["metric"]) == {"psnr", "ssim"}
    assert ns["paths"]["markdown"].exists() and (tmp_path / "results-api" / "report.html").exists()
    assert "l1" in capsys.readouterr().out
    again = ns["api"].run(tasks=["denoise"], losses=["l1", "ssim"], seeds=[0, 1], iterations=20,
                          metrics=["psnr", "ssim"], out="results-api", report=False)  # the example reported twice
    assert again.trained == 0 and again.skipped == 8  # resumed: nothing trained twice


def test_api_bad_input_is_a_user_error(tmp_path):
    from benchmark import api

    with pytest.raises(api.UserError, match="unknown setting 'iteratons'"):
        api.run(iteratons=3, out=str(tmp_path))
