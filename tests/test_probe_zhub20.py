"""The online hub check's leftovers: one request per hub id and revision within one planning, and a deadline on
the whole request (a broken network's name resolution or connect)."""
import re


def _online(monkeypatch, tmp_path):
    for switch in ("huggingface_hub.constants.HF_HUB_OFFLINE", "datasets.config.HF_HUB_OFFLINE"):
        monkeypatch.setattr(switch, False)
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.delenv("PLBENCH_OFFLINE", raising=False)
    monkeypatch.setenv("HF_DATASETS_CACHE", str(tmp_path / "cache"))
    monkeypatch.chdir(tmp_path)


def test_a_hub_id_used_for_training_and_testing_is_asked_of_the_hub_once(tmp_path, monkeypatch, capsys):
    """``--train-data me/photos:train me/photos@v2:train me/photos:train --test-data me/photos:test
    me/photos:validation`` asked the hub about me/photos (no revision) three times while planning (one
    HfApi().dataset_info request per use, each up to the ETag timeout on a slow network): once per hub id and
    revision within one planning; another revision is asked too."""
    from huggingface_hub import HfApi

    from benchmark.cli import main

    _online(monkeypatch, tmp_path)
    asked = []
    monkeypatch.setattr(HfApi, "dataset_info", lambda self, repo, **kw: asked.append((repo, kw.get("revision"))))

    def load(*a, **k):  # the load itself never reaches the hub here
        raise ConnectionError("Couldn't reach 'me/photos' on the Hub (LocalEntryNotFoundError)")

    monkeypatch.setattr("datasets.load_dataset", load)
    code = main(["run", "--tasks", "denoise", "--losses", "l1", "--seeds", "0",
                 "--train-data", "me/photos:train", "me/photos@v2:train", "me/photos:train",
                 "--test-data", "me/photos:test", "me/photos:validation", "--out", str(tmp_path / "r"), "--dry-run",
                 "--no-progress"])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and re.search(r"'me/photos' is not cached and the hub cannot be reached", err[-1]), err
    assert asked == [("me/photos", "v2"), ("me/photos", None)], asked
