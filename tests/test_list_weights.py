"""What ``plbench list losses`` and ``plbench weights`` tell a new user: citations, no docstring
markup, every metric file (niqe, musiq) and how to fetch the missing ones."""

from __future__ import annotations

import re

import pytest

from benchmark.cli import main
from benchmark.docmarkup import inline_text, to_html, to_text

MARKUP = re.compile(r"``|\*\*|:(class|func|data|mod|meth|attr):`|(?<!\w)\*\w[^*\n]*\*(?!\w)")


def test_docmarkup_subset():
    doc = """First line with ``code`` and :class:`~benchmark.errors.UserError`.

    * **bold** item,
      continued *here*;
    * ``a < b`` and :func:`compute`.

    A literal::

        x = 1
    """
    html = to_html(doc)
    assert html == ("<p>First line with <code>code</code> and <code>UserError</code>.</p>"
                    "<ul><li><strong>bold</strong> item, continued <em>here</em>;</li>"
                    "<li><code>a &lt; b</code> and <code>compute</code>.</li></ul><p>A literal:</p><pre>x = 1</pre>")
    assert to_text(doc).splitlines()[:3] == ["First line with code and UserError.", "",
                                              "• bold item, continued here;"]
    # arithmetic and loss specs are not emphasis
    assert inline_text("0.84*ms_ssim+0.16*l1, a * b") == "0.84*ms_ssim+0.16*l1, a * b"


def test_list_losses_shows_citations_and_no_markup(capsys):
    from benchmark.registry import LOSSES

    assert main(["list", "losses"]) == 0
    out = capsys.readouterr().out
    for e in LOSSES.entries():
        if "file" in e.meta:  # a user's throw-away loss another test loaded: its citation is optional
            continue
        assert e.citation, f"{e.name}: no citation registered"
        assert e.citation in out, e.name
    assert "LPIPS with the SqueezeNet 1.1 trunk (see LPIPSLoss)" in out  # was ":class:`LPIPSLoss`"
    assert not MARKUP.search(out), MARKUP.search(out).group(0)


def _weights(monkeypatch, capsys, *argv, online: bool = False):
    import torch.hub

    def no_network(*a, **k):
        raise AssertionError("plbench weights downloaded something")

    monkeypatch.setattr(torch.hub, "download_url_to_file", no_network)
    monkeypatch.delenv("PLBENCH_OFFLINE", raising=False)
    monkeypatch.setenv("HF_HUB_OFFLINE", "0" if online else "1")
    code = main(["weights", *argv])
    out = capsys.readouterr()
    return code, out.out, out.err


def test_weights_lists_metric_files_and_says_how_to_fetch(monkeypatch, capsys, tmp_path):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))  # nothing cached
    code, out, _ = _weights(monkeypatch, capsys, online=True)
    assert code == 0
    metrics = out.split("metrics (default set")[1]
    for name, file in (("niqe", "niqe_modelparameters.mat"), ("musiq", "musiq_koniq_ckpt-e95806b9.pth"),
                       ("lpips", "LPIPS_v0.1_alex-df73285e.pth"), ("dists", "DISTS_weights-f5e65c96.pth")):
        assert re.search(rf"^  {name} +MISSING +{re.escape(file)}  →  {re.escape(str(tmp_path))}", metrics, re.M), name
    assert re.search(r"^  psnr +no weights needed", metrics, re.M)
    assert "run `plbench weights prefetch` to download" in out
    assert "CONTRIQUE_checkpoint25.tar: no download URL" in out  # what prefetch cannot get, and where it goes
    code, out, _ = _weights(monkeypatch, capsys)  # offline: the command for a connected machine
    assert code == 0 and "`HF_HUB_OFFLINE=0 plbench weights prefetch` on a machine with a network" in out


def test_prefetch_fails_fast_offline(monkeypatch, capsys, tmp_path):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    code, _, err = _weights(monkeypatch, capsys, "prefetch")
    assert code == 2 and err.count("\n") == 1
    assert "HF_HUB_OFFLINE=1 forbids downloads" in err and "plbench weights prefetch" in err


@pytest.mark.parametrize("metric", ["lpips", "dists", "niqe", "musiq"])
def test_metric_weight_table_matches_pyiqa(metric):
    """pyiqa opened without its files names one of the files :data:`METRIC_WEIGHTS` lists for it."""
    from benchmark.metrics import open_metric
    from benchmark.weights import get_file, metric_weight_keys

    files = [get_file(k) for k in metric_weight_keys(metric)]
    if all(f.present for f in files):
        pytest.skip(f"{metric}'s files are cached here")
    m, reason = open_metric(metric)
    assert m is None and any(f.filename in reason for f in files if not f.present), reason
