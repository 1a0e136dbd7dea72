"""The online hub check's leftovers: one request per hub id and revision within one planning, and a deadline on
the whole request (a broken network's name resolution or connect)."""
import re

from conftest import hub_online


def _online(monkeypatch, tmp_path):
    hub_online(monkeypatch, tmp_path)  # conftest's: the hub reachable, its caches in tmp_path
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
    monkeypatch.setattr("datasets.get_dataset_split_names", lambda *a, **k: ["train", "test", "validation"])
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
    # once each; asked at once (benchmark.data.ask_hub_ahead), in no set order
    assert sorted(asked, key=lambda a: (a[0], a[1] or "")) == [("me/photos", None), ("me/photos", "v2")], asked


def test_the_early_hub_check_gives_up_after_its_deadline_on_a_hung_network(tmp_path, monkeypatch):
    """The check's only bound was huggingface_hub's ETag timeout (10 s) on the request, which does not cover a hang
    in name resolution or connect on a broken network (no HF_HUB_OFFLINE set): planning could hang for minutes before
    any run. The whole request runs under a deadline (data.HUB_CHECK_S); past it, one line says the hub did not
    answer in so many seconds, and planning stops there (the id is not cached: its load would need that network)."""
    import threading
    import time

    import pytest
    from huggingface_hub import HfApi

    import benchmark.data as data
    from benchmark.errors import UserError

    _online(monkeypatch, tmp_path)
    monkeypatch.setattr(data, "HUB_CHECK_S", 0.05, raising=False)  # the old code: no such name
    answered = threading.Event()
    monkeypatch.setattr(HfApi, "dataset_info", lambda self, repo, **kw: answered.wait(5))
    late = threading.Timer(0.5, answered.set)  # the hub's late answer (a check without a deadline takes it as a yes)
    late.start()
    start = time.monotonic()
    try:
        with pytest.raises(UserError, match=r"'me/photos' is not cached and the hub did not answer in 0\.05 s") as e:
            data.check_source_readable(data.DataSpec.parse("me/photos:test"))
    finally:
        late.cancel()
        answered.set()
    assert time.monotonic() - start < 0.4 and "\n" not in str(e.value)
    assert "HF_HUB_OFFLINE=1" in str(e.value) and "check the network" in str(e.value), e.value
