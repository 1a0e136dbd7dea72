"""Review of the store session 14: a comparison's loss file whose losses --loss leaves out, the store read only at
its write points."""
from __future__ import annotations

import logging

import pytest

import benchmark.compare  # noqa: F401 - imported once at collection (pandas, the store): no test here pays it
import benchmark.synthetic  # noqa: F401


def _small(root, **kw):
    from benchmark.synthetic import write_store

    kw = {"offsets": {"l1": 0.0, "good": 1.0}, "seeds": (0,), "n_images": 3, "metrics": ("psnr",),
          "budget_check": False, **kw}
    store = write_store(root, **kw)
    for rid in store.run_ids():
        store.note_finished(rid, store.meta(rid))
    return store


def test_compare_says_in_one_line_that_a_loss_files_loss_not_named_by_loss_is_not_compared(tmp_path, caplog):
    """``plbench compare --loss-file bad3.py --loss l1`` compares l1 alone (as ``plbench run --losses l1 --loss-file
    bad3.py`` trains l1 alone), but said nothing of bad3, which the user passed the file to compare: ``run`` warns
    in one line that the file's loss is not trained and how to train it; compare now says it the same way."""
    from benchmark.compare import compare
    from benchmark.errors import UserError

    store = _small(tmp_path / "r")
    f = tmp_path / "bad3_review.py"
    f.write_text("import torch\nfrom benchmark.registry import register_loss\n\n\n"
                 "@register_loss('bad3_review')\nclass Bad3(torch.nn.Module):\n"
                 "    def forward(self, pred, target):\n        return (pred - target).abs().mean()\n")
    with caplog.at_level(logging.WARNING, logger="benchmark.compare"), pytest.raises(UserError, match="no-such-task"):
        compare(store.root, loss_files=[str(f)], losses=["l1"], tasks=["no-such-task"])  # stops before any work
    (line,) = [r.getMessage() for r in caplog.records if "bad3_review" in r.getMessage()]
    assert "does not train" in line and "add bad3_review" in line and "\n" not in line, line
