"""Review of session 27's lazy-import commits: each problem found, with its test (failing before its fix)."""

from __future__ import annotations

import importlib
import inspect
import textwrap

from benchmark import findings, registry

#: a loss folder's file whose __init__ defaults the file does not show as written: the ast reader must say "unknown"
#: (None, or UNREAD for one argument) wherever Python's own signature would answer otherwise
_LOSSES = '''
import dataclasses
import sys

from benchmark.registry import register_loss


class Module:
    """nn.Module's stand-in: its __init__ takes nothing."""


EPS = 1e-3
if sys.version_info > (3,):
    EPS = 0.5  # rebound in a branch: the default is 0.5
GLOB = 0.4
ALT = 0.25
OK = 0.125


def _rebind():
    global GLOB
    GLOB = 0.9


_rebind()


def _init(self, eps: float = 0.2):
    pass


def _defaults(f):
    return _init  # a decorator that changes the defaults


@register_loss("dc")
@dataclasses.dataclass(eq=False)
class DC(Module):  # dataclass-style: an __init__ the file never writes
    eps: float = 1e-3


@register_loss("branchy")
class Branchy(Module):
    def __init__(self, eps: float = EPS):
        pass


@register_loss("globby")
class Globby(Module):
    def __init__(self, eps: float = GLOB):
        pass


@register_loss("classscope")
class ClassScope(Module):
    ALT = 0.75  # a default is evaluated in the class body: this ALT

    def __init__(self, eps: float = ALT):
        pass


@register_loss("assigned")
class Assigned(Module):
    __init__ = _init


@register_loss("decorated")
class Decorated(Module):
    @_defaults
    def __init__(self, eps: float = 0.1):
        pass


@register_loss("redefined")
class Redefined(Module):
    def __init__(self, eps: float = 0.1):
        pass

    def __init__(self, eps: float = 0.6):  # noqa: F811 - the last one is the class's
        pass


if sys.version_info > (3,):
    class Twice(Module):
        def __init__(self, eps: float = 0.7):
            pass
else:
    class Twice(Module):
        def __init__(self, eps: float = 0.1):
            pass
register_loss("twice")(Twice)


class _Base(Module):
    def __init__(self, eps: float = OK, k: int = 2, **kwargs):
        pass


@register_loss("plain")
class Plain(_Base):
    pass


@register_loss("bare")
class Bare(Module):
    pass
'''


def _fake_losses(tmp_path, monkeypatch, package: str, text: str) -> tuple[registry.Registry, object]:
    """A registry of a fresh loss package ``package`` holding ``text`` as its one file (nothing imported), and that
    file's module imported with a ``register_loss`` that registers nothing (Python's own answer, no change to this
    process's registry)."""
    pkg = tmp_path / package
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "fake.py").write_text(textwrap.dedent(text))
    monkeypatch.syspath_prepend(str(tmp_path))
    fresh = registry.Registry("loss", package=package, identifiers=True)
    assert fresh.declared_names() is not None  # read before the import below
    monkeypatch.setattr(registry, "register_loss", lambda name, **meta: (lambda obj: obj))
    return fresh, importlib.import_module(f"{package}.fake")


def _as_python_builds_it(fresh: registry.Registry, module, classes: dict[str, str]) -> dict[str, dict]:
    """{name: declared_params} of each of ``classes`` ({loss: class name}) the file is read for, each asserted to
    be the signature Python builds: the same arguments, each default read equal to Python's (or UNREAD)."""
    read = {}
    for name, cls in classes.items():
        found = fresh.declared_params(name)
        if found is None:
            continue
        params = inspect.signature(getattr(module, cls)).parameters
        real = {k: registry.REQUIRED if p.default is p.empty else p.default
                for k, p in params.items() if p.kind not in (p.VAR_KEYWORD, p.VAR_POSITIONAL)}
        if any(p.kind is p.VAR_KEYWORD for p in params.values()):
            real[registry.VAR_KEYWORD] = registry.UNREAD
        read[name] = found
        assert set(found) == set(real), name
        assert all(v is registry.UNREAD or v == real[k] or v is real[k] for k, v in found.items()), (name, found)
    return read


_CLASSES = {"dc": "DC", "branchy": "Branchy", "globby": "Globby", "classscope": "ClassScope", "assigned": "Assigned",
            "decorated": "Decorated", "redefined": "Redefined", "twice": "Twice", "plain": "Plain", "bare": "Bare"}


def test_declared_params_never_read_a_default_python_does_not_give(tmp_path, monkeypatch):
    """68e84fd6's Registry.declared_params read an __init__ the file does not show as the class's: a dataclass's
    (``{}``: no arguments, so ``dc(eps=0.001)`` was told apart from ``dc``, one loss to the identity), a default
    written as a module constant rebound in a branch or by a ``global``, or as a name of the class body, an
    ``__init__`` bound by assignment, decorated, defined twice, or a class of one name defined twice. Each answer
    it gives equals the signature Python builds; plainly written classes are still read (the built-ins all are)."""
    fresh, module = _fake_losses(tmp_path, monkeypatch, "review_lazy27_losses", _LOSSES)
    read = _as_python_builds_it(fresh, module, _CLASSES)
    assert read["plain"] == {"eps": 0.125, "k": 2, registry.VAR_KEYWORD: registry.UNREAD} and read["bare"] == {}
    monkeypatch.setattr(registry, "LOSSES", fresh)
    assert not findings._declared_apart("dc(eps=0.001)", "dc")
    assert findings._declared_apart("plain(eps=0.5)", "plain")  # a default read: told apart without the identity


_LATER = '''
from benchmark.registry import register_loss


class Module:
    """nn.Module's stand-in: its __init__ takes nothing."""


LAYERS = ["relu1_2"]
LAYERS.append("relu2_2")  # a list constant changed after: the default is the changed list
SCALES = {"a": 1}
SCALES["a"] = 2


@register_loss("listy")
class Listy(Module):
    def __init__(self, layers=LAYERS, scales=SCALES):
        pass


@register_loss("patched")
class Patched(Module):
    def __init__(self, eps: float = 0.1):
        pass


Patched.__init__.__defaults__ = (0.3,)  # a default changed after the class


@register_loss("set_later")
class SetLater(Module):
    def __init__(self, eps: float = 0.1):
        pass


setattr(SetLater, "__init__", Patched.__init__)
'''


def test_declared_params_never_read_a_default_changed_after_its_definition(tmp_path, monkeypatch):
    """A default written as a module-level list or dict that the file then changes (``LAYERS.append``, an item
    set), or an ``__init__``/``__defaults__`` set on the class after it (an attribute, ``setattr``): Python's
    default is the changed one, so the file's text is not read as it (unread, or no answer)."""
    fresh, module = _fake_losses(tmp_path, monkeypatch, "review_lazy27_later", _LATER)
    read = _as_python_builds_it(fresh, module, {"listy": "Listy", "patched": "Patched", "set_later": "SetLater"})
    assert set(read) <= {"listy"}
