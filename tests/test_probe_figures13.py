"""Probe of the published figures, tables and report (figures13): reports drawn from synthetic stores of 1–60 losses
with names holding Markdown/LaTeX syntax, 1–5 tasks, and every figure measured against a journal page."""

from __future__ import annotations

import pytest

#: loss names a loss file may bring that Markdown or LaTeX would read as syntax
LINKISH = ("[a](b)", "![img](x.png)", "[ref][r]", "[x]: http://e.com")


def _md_html(md: str) -> str:
    markdown_it = pytest.importorskip("markdown_it")
    return markdown_it.MarkdownIt("commonmark").enable(["table", "strikethrough"]).render(md)


def test_a_loss_name_in_link_syntax_is_text_in_every_markdown_output():
    """A loss named ``[a](b)`` showed in leaderboard.md (and findings.md, compare/<loss>.md: one escaping) as a link
    'a' to the file 'b', ``![img](x.png)`` as a broken image: ``*``, ``_``, ``|``, ``<`` and backticks were escaped,
    brackets not. A ``]`` that could close a link is escaped: every such name reads as written."""
    from benchmark import export as E
    from benchmark.stats import compute
    from benchmark.synthetic import synthetic_runs, synthetic_table

    kw = dict(tasks=("denoise",), seeds=(0,), offsets={n: 0.1 * i for i, n in enumerate(LINKISH)},
              metrics=("psnr",), n_images=3)
    metas = [m for _, m, _ in synthetic_runs(budget_check=False, **kw)]
    html = _md_html(E.markdown(compute(synthetic_table(**kw), metas, n_boot=20)))
    assert "<a " not in html.split("<h2>Figures")[0] and "<img" not in html, html
    for name in LINKISH:
        assert f"<td>{name}</td>" in html, name
    assert E.md_text("mean [low, high]") == "mean [low, high]"  # a bracket that opens no link stays as written


def test_a_loss_name_starting_with_a_bracket_is_not_an_argument_of_the_row_break_in_latex():
    """leaderboard.tex wrote a row ``[a](b) & …`` after the previous row's ``\\\\`` (or a ``\\midrule``), which
    LaTeX reads as the optional argument ``\\\\[a]``: 'Illegal unit of measure', the table did not compile. A name's
    ``[`` is now braced, ``{[}``, as LaTeX's own documentation advises."""
    import re

    from benchmark import export as E
    from benchmark.stats import compute
    from benchmark.synthetic import synthetic_runs, synthetic_table

    kw = dict(tasks=("denoise",), seeds=(0,), offsets={"l1": 0.0, "[a](b)": 0.5, "[x]y": 0.2}, metrics=("psnr",),
              n_images=3)
    metas = [m for _, m, _ in synthetic_runs(budget_check=False, **kw)]
    tex = E.latex(compute(synthetic_table(**kw), metas, n_boot=20))
    assert "{[}a]" in tex and "{[}x]y" in tex
    assert not re.search(r"(\\\\|\\[a-z]*rule)\s*\[", tex), re.findall(r"(?:\\\\|rule)\s*\[.{0,20}", tex)
    assert E.tex_label("[" + "x" * 40).startswith(r"\parbox[t]{15em}{\raggedright {[}")
