"""A module imported on first use: ``torch = lazy_module("torch")`` at the top of a module that needs torch in
only some of its functions, so importing that module (and what imports it: ``plbench check`` and
``merge``) does not pay torch's import (seconds, more with CUDA). The real module is imported, and put in
``sys.modules``, on the first attribute read (``torch.Tensor``, ``torch.from_numpy``); then it replaces the
stand-in in the globals of the module that made it, so from then on ``torch`` there *is* the real module: no
further read goes through the stand-in (each one cost a failed attribute look-up and an exception, ≈3 µs: a
third more time in :func:`benchmark.data.sample_batch`, once per training iteration), and a test's
``monkeypatch.setattr(torch, …)`` is seen there as with ``import torch``."""

from __future__ import annotations

import importlib
import sys
import types


class _LazyModule(types.ModuleType):
    def __init__(self, name: str, importer: dict | None = None):
        super().__init__(name)
        self.__dict__["_lazy_target"] = None
        self.__dict__["_lazy_importer"] = importer

    def _load(self) -> types.ModuleType:
        mod = self.__dict__["_lazy_target"]
        if mod is None:
            mod = importlib.import_module(self.__name__)
            self.__dict__["_lazy_target"] = mod
            importer = self.__dict__["_lazy_importer"]
            for key, value in list((importer or {}).items()):  # the stand-in's name(s) there: the real module now
                if value is self:
                    importer[key] = mod
        return mod

    def __getattr__(self, attr: str):  # only for names not in this proxy's own __dict__
        return getattr(self._load(), attr)

    def __dir__(self):
        return dir(self._load())

    def __repr__(self) -> str:
        loaded = self.__dict__["_lazy_target"] is not None
        return f"<lazy module {self.__name__!r}{'' if loaded else ' (not imported yet)'}>"


def lazy_module(name: str) -> types.ModuleType:
    """A stand-in for ``import name`` at a module's top level that imports ``name`` on its first attribute read,
    then replaces itself there (the calling module's globals) with the real module."""
    return _LazyModule(name, sys._getframe(1).f_globals)
