"""Store/CLI leftovers: check's exit codes and summary, hints written as the user started the tool, cmd_run's
order of refusals, and the step-time cache's cap."""

import json


def test_steptimes_keeps_a_new_measurement_beyond_the_cap(tmp_path, monkeypatch):
    """A dry run that used more keys than :data:`~benchmark.perf.STEPTIMES_MAX` saved each new measurement before
    counting it as used: with the cap already filled by this run's keys, the new one fell outside it and was not
    written (Ctrl-C then lost it, though the docstring promises "kept as measured")."""
    from benchmark import perf

    monkeypatch.setattr(perf, "STEPTIMES_MAX", 2)
    st = perf.StepTimes(tmp_path / "steptimes.json")
    for i, key in enumerate(("a", "b", "c")):
        st.get(key, lambda i=i: float(i))
        on_disk = json.loads((tmp_path / "steptimes.json").read_text())["times"]
        assert key in on_disk, (key, on_disk)
