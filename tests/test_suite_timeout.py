"""The per-test limits of the suite (pytest-timeout): 600 s for a default test (pyproject.toml), 30 minutes for
a slow one (conftest), and a limit the user gives for the run (``--timeout``, ``PYTEST_TIMEOUT``) for every test."""

from __future__ import annotations

from types import SimpleNamespace

import conftest
import pytest


class _Item:
    def __init__(self, *marks):
        self.marks = list(marks)

    def get_closest_marker(self, name):
        return next((m for m in reversed(self.marks) if m.name == name), None)

    def add_marker(self, mark):
        self.marks.append(mark.mark)


def _config(timeout=None):
    return SimpleNamespace(getoption=lambda name, default=None: timeout if name == "timeout" else default,
                           pluginmanager=SimpleNamespace(hasplugin=lambda name: name == "timeout"))


def _limits(config, monkeypatch, env=None):
    monkeypatch.delenv("PYTEST_TIMEOUT", raising=False)
    if env is not None:
        monkeypatch.setenv("PYTEST_TIMEOUT", env)
    items = [_Item(), _Item(pytest.mark.slow.mark), _Item(pytest.mark.slow.mark, pytest.mark.timeout(60).mark)]
    conftest.pytest_collection_modifyitems(config, items)
    return [(m := i.get_closest_marker("timeout")) and m.args[0] for i in items]


def test_slow_tests_get_longer_than_default_ones(monkeypatch):
    assert _limits(_config(), monkeypatch) == [None, conftest.SLOW_TIMEOUT_S, 60]  # None: pyproject's 600 s


@pytest.mark.parametrize("given", [{"timeout": 0}, {"timeout": 3600}, {"env": "0"}])
def test_a_limit_given_for_the_run_holds_for_slow_tests_too(given, monkeypatch):
    """``pytest -m slow --timeout 3600`` on a slow machine (or ``--timeout 0`` under a debugger) must reach the
    slow tests: a marker would win over the command line, so none is added then (a test's own is kept)."""
    assert _limits(_config(given.get("timeout")), monkeypatch, given.get("env")) == [None, None, 60]


def test_no_network_records_and_refuses_every_attempt(no_network):
    """conftest's ``no_network``, which stands for the timed "failed fast, without a download" assertions."""
    import socket
    import urllib.request

    with pytest.raises(OSError):
        urllib.request.urlopen("http://example.invalid/x", timeout=1)
    with pytest.raises(OSError), socket.socket() as s:
        s.connect(("192.0.2.1", 80))
    assert [what for what, _ in no_network] == ["create_connection", "connect"]
