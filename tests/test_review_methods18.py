"""Review of the methods round 18 (probe-methods): each fix's category, not only its example."""

import pytest

from benchmark import registry as R


def _every(reg):
    return [(reg.kind, n) for n in reg.names()]


@pytest.mark.parametrize("kind, name", [*_every(R.TASKS), *_every(R.LOSSES), *_every(R.FINDINGS)])
def test_every_declared_version_is_the_registered_one(kind, name):
    """Registry.declared_version (read from the files with ast, f9eaf9f) agrees with the imported registry for every
    task, loss and finding: where it answers, it answers the version a run records."""
    reg = {"task": R.TASKS, "loss": R.LOSSES, "finding": R.FINDINGS}[kind]
    fresh = R.Registry(kind, package=reg.package)
    known, version = fresh.declared_version(name)
    assert (known, version) in ((True, str(reg.get(name).version)), (False, None)), (known, version)


def test_a_loss_file_or_plugin_makes_the_registry_answer_its_version(tmp_path, monkeypatch):
    """A --loss-file loss (or an installed plugin's) is in no package file: declared_version leaves it to the
    registry (False), never says "no such loss" (True, None) nor a built-in's version for it."""
    f = tmp_path / "my_review_loss.py"
    f.write_text("from benchmark.registry import register_loss\n\n"
                 "@register_loss('my_review_loss', version='7')\ndef my_review_loss(pred, target):\n"
                 "    return (pred - target).abs().mean()\n")
    try:
        assert R.load_user_file(f) == ["my_review_loss"]
        assert R.LOSSES.declared_version("my_review_loss") == (False, None)
        assert R.LOSSES.get("my_review_loss").version == "7"
    finally:
        R.LOSSES.remove("my_review_loss")
    plugged = R.Registry("task", package="tasks")
    monkeypatch.setattr(R, "_plugins", lambda group, path: True)
    assert plugged.declared_version("sr4") == (False, None)

