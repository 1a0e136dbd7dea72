"""A module imported on first use: ``torch = lazy_module("torch")`` at the top of a module that needs torch in
only some of its functions, so importing that module (and what imports it: ``plbench check`` and
``merge``) does not pay torch's import (seconds, more with CUDA). The real module is imported, and put in
``sys.modules``, on the first attribute read (``torch.Tensor``, ``torch.from_numpy``); from then on every
read is the real module's."""

from __future__ import annotations

import importlib
import types


class _LazyModule(types.ModuleType):
    def __init__(self, name: str):
        super().__init__(name)
        self.__dict__["_lazy_target"] = None

    def _load(self) -> types.ModuleType:
        mod = self.__dict__["_lazy_target"]
        if mod is None:
            mod = importlib.import_module(self.__name__)
            self.__dict__["_lazy_target"] = mod
        return mod

    def __getattr__(self, attr: str):  # only for names not in this proxy's own __dict__
        return getattr(self._load(), attr)

    def __dir__(self):
        return dir(self._load())

    def __repr__(self) -> str:
        loaded = self.__dict__["_lazy_target"] is not None
        return f"<lazy module {self.__name__!r}{'' if loaded else ' (not imported yet)'}>"


def lazy_module(name: str) -> types.ModuleType:
    """A stand-in for ``import name`` that imports ``name`` on its first attribute read."""
    return _LazyModule(name)
