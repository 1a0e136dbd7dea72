"""Name → factory registries for tasks, losses and metrics.

Modelled on timm's ``register_model``/``create_model``/``list_models`` and
lm-evaluation-harness's registry: one decorator per kind, duplicate names raise,
unknown names raise with "did you mean …" suggestions, and metadata (citation,
``higher_is_better``, what a loss needs) is stored at registration time.

Registries fill themselves lazily: the first lookup imports every ``*.py`` in the
package that holds the entries (``tasks/``, ``losses/``), BasicSR-style, so a new
file is picked up with no second place to edit; then the entries of installed
packages, through the entry-point groups ``plbench.losses``, ``plbench.tasks`` and
``plbench.metrics`` (a plugin's ``pyproject.toml``: ``[project.entry-points."plbench.losses"]
my_loss = "my_pkg.losses"``). A user's file outside the repo is added with
:func:`load_user_file`.
"""

from __future__ import annotations

import ast
import collections
import fnmatch
import functools
import hashlib
import importlib
import importlib.util
import keyword
import logging
import os
import pkgutil
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from benchmark.errors import AGAIN, UnknownName, UserError, again, did_you_mean, did_you_mean_path, expand_home

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Entry:
    """One registered object and its metadata."""

    name: str
    obj: Any
    kind: str
    version: str = "1"
    citation: str = ""
    meta: dict = field(default_factory=dict)
    source: str = ""  # module or file that registered it

    @property
    def doc(self) -> str:
        doc = (getattr(self.obj, "__doc__", None) or "").strip()
        return doc.splitlines()[0] if doc else ""


#: the Python call that lists what ``plbench list <kind>s`` lists, for a line said within :func:`benchmark.api.run`
PYTHON_LISTS = {"task": "benchmark.registry.TASKS.names()", "loss": "benchmark.registry.LOSSES.names()",
                "metric": "benchmark.metrics.available_metrics()", "finding": "benchmark.registry.FINDINGS.names()"}


def lister(kind: str) -> str:
    """What lists every name of ``kind`` (task, loss, metric, finding), as an unknown name's line ends:
    ``(`plbench list tasks`)``, and within :func:`benchmark.api.run` (:func:`benchmark.errors.again`: a notebook or a
    script, which may have no ``plbench`` to run) the Python call beside it."""
    plural = kind + ("es" if kind.endswith("s") else "s")
    command = "plbench findings --list" if kind == "finding" else f"plbench list {plural}"
    python = PYTHON_LISTS.get(kind) if again() == AGAIN["api"] else None
    return f"`{command}`" + (f" or {python}" if python else "")


class Registry:
    """A named collection of entries of one kind (``"loss"``, ``"task"``, ``"metric"``): the
    built-in ones of ``package`` (every module in it), and those of installed plugins."""

    def __init__(self, kind: str, package: str | None = None, identifiers: bool = False):
        self.kind = kind
        self.package = package
        self.identifiers = identifiers  # names must be Python identifiers (loss specs are parsed as Python)
        self._entries: dict[str, Entry] = {}
        self._scanned = False

    # -- registration -------------------------------------------------------------------
    def register(self, name: str, *, version: str = "1", citation: str = "", **meta) -> Callable:
        """Decorator: ``@REG.register("l1", citation="...")`` on a class or function."""

        def deco(obj):
            self.add(name, obj, version=version, citation=citation, **meta)
            return obj

        return deco

    def add(self, name: str, obj: Any, *, version: str = "1", citation: str = "", **meta) -> Entry:
        if not name or not all(c.isalnum() or c in "_-." for c in name):
            raise ValueError(f"invalid {self.kind} name {name!r}: use letters, digits, _ - .")
        if self.identifiers and (not name.isidentifier() or keyword.iskeyword(name)):
            like = re.sub(r"\W", "_", name)
            like = like if like.isidentifier() and not keyword.iskeyword(like) else f"my_{like}"
            raise ValueError(f"invalid {self.kind} name {name!r}: {self.kind} specs ('0.5*name + l1') are parsed as "
                             f"Python, so a name is an identifier: letters, digits and _ (e.g. {like!r})")
        if name in self._entries:
            other = self._entries[name]  # a user's file by its path, not its internal module name
            by = other.meta.get("file") or other.meta.get("plugin") or \
                getattr(sys.modules.get(other.source), "__file__", None) or other.source  # a file still loading
            raise ValueError(f"{self.kind} {name!r} is already registered (by {by})")
        for key in ("needs", "weights"):  # needs="degraded" means ("degraded",), not its letters; weights alike
            if isinstance(meta.get(key), str):
                meta[key] = (meta[key],)
        meta = dict(meta)
        # a script's module: __main__, and __mp_main__ where a spawned worker (--workers N) runs the script again
        # and must version the loss as its driver did (else its runs are written under other ids)
        if getattr(obj, "__module__", "") in ("__main__", "__mp_main__") and "file_sha256" not in meta:
            self._hash_script_source(name, obj, meta)
        entry = Entry(name, obj, self.kind, str(version), citation, meta,
                      getattr(obj, "__module__", ""))
        self._entries[name] = entry
        try:
            obj.registered_name = name
        except (AttributeError, TypeError):
            pass
        return entry

    def _hash_script_source(self, name: str, obj: Any, meta: dict) -> None:
        """An entry registered in a script or notebook (``__main__``) has no file whose hash versions it (as a
        ``--loss-file`` has): its source's hash stands in (``meta["file_sha256"]``), so an edited class is not
        taken for the one whose results are cached. Source that cannot be read is logged, not hashed."""
        import inspect

        try:  # a class's methods by their own lines (a class is found by name: an edited twin reads as the first)
            methods = [v for v in vars(obj).values() if inspect.isfunction(v)] if isinstance(obj, type) else []
            source = "\n".join(inspect.getsource(x) for x in (obj, *methods))
        except (OSError, TypeError):
            log.warning("%s %r is registered in __main__ but its source cannot be read: an edit to it will not "
                        "change its run ids (put it in a file and pass --loss-file / load_user_file)", self.kind, name)
            return
        meta["file_sha256"] = hashlib.sha256(source.encode()).hexdigest()

    def _hash_plugin_source(self, entry: Entry, cache: dict | None = None) -> None:
        """``meta["file_sha256"]``: the hash of the code that defines a plugin's entry, so its run ids and its
        row's version change when that code does (:func:`benchmark.lossfn.loss_versions`), as a
        ``--loss-file``'s do (a metric's: its scores of other code are re-scored, :func:`benchmark.metrics.
        weights_digest`). Unlike a loss file, a plugin is a package whose loss may call its other modules
        (a helper imported at the top or inside ``forward``): every ``*.py`` of the top-level package that
        defines it is hashed (its module file alone when that is not a package; ``cache``: {package: hash},
        once per scan). Code that cannot be found or read is logged, not hashed."""
        import inspect

        try:
            path = inspect.getsourcefile(entry.obj) or inspect.getsourcefile(sys.modules[entry.source])
            module = getattr(entry.obj, "__module__", None) or entry.source
            top = sys.modules.get(str(module).split(".")[0])
            roots = [Path(p) for p in getattr(top, "__path__", ())]  # a package's folders (a namespace: several)
            if not roots:
                entry.meta["file_sha256"] = file_sha256(path)
                return
            cache = {} if cache is None else cache
            if top.__name__ not in cache:
                digest = hashlib.sha256()
                for root in roots:
                    for f in sorted(root.rglob("*.py")):
                        digest.update(f"{f.relative_to(root).as_posix()}\0{file_sha256(f)}\n".encode())
                cache[top.__name__] = digest.hexdigest()
            entry.meta["file_sha256"] = cache[top.__name__]
        except (OSError, TypeError, KeyError):
            log.warning("%s %r (plugin %s): its source file cannot be read, so an edit to it will not %s",
                        self.kind, entry.name, entry.meta.get("plugin"),
                        "re-score its stored scores" if self.kind == "metric" else "change its run ids")

    def remove(self, name: str) -> None:
        """Drop an entry (used by tests that register throw-away entries)."""
        self._entries.pop(name, None)

    # -- lookup -------------------------------------------------------------------------
    @property
    def group(self) -> str:
        """The entry-point group third-party packages register into, e.g. ``plbench.losses``."""
        return f"plbench.{self.kind}{'es' if self.kind.endswith('s') else 's'}"

    def _scan(self) -> None:
        if self._scanned:
            return
        self._scanned = True
        if self.package is not None:
            pkg = importlib.import_module(self.package)
            for info in sorted(pkgutil.iter_modules(pkg.__path__), key=lambda i: i.name):
                if not info.name.startswith("_"):
                    importlib.import_module(f"{self.package}.{info.name}")
        self._load_plugins()

    def _load_plugins(self) -> None:
        """Entries of installed packages, from the entry-point group :attr:`group`: a point may name a
        module (importing it runs its ``@register_…`` decorators) or an object, registered under the
        entry point's name. A plugin that fails to import is logged and left out, with every entry it
        registered before it failed."""
        from importlib.metadata import entry_points

        hashed: dict[str, str] = {}  # a package's code hash, computed once for all its entries
        for ep in sorted(entry_points(group=self.group), key=lambda e: e.name):
            before = set(self._entries)
            try:
                obj = ep.load()
            except Exception as exc:  # noqa: BLE001 - a broken plugin must not break the tool
                own = ep.value.split(":")[0].strip().split(".")[0]  # the failing plugin's top-level package
                for name in set(self._entries) - before:  # what it registered before failing: not a whole plugin
                    module = self._entries[name].source
                    if module in sys.modules and module.split(".")[0] != own:  # another plugin's module it
                        sys.modules.pop(module)  # imported, whole: its own entry point imports it again, as alone
                    self.remove(name)
                log.warning("plugin %s = %s (group %s) failed to load: %s: %s", ep.name, ep.value, self.group,
                            type(exc).__name__, exc)
                continue
            added = set(self._entries) - before
            if not added and not isinstance(obj, type(importlib)) and ep.name not in self._entries:
                try:
                    self.add(ep.name, obj)
                except ValueError as exc:  # a name a spec cannot write (`my-loss`): left out, as a failed import
                    log.warning("plugin %s = %s (group %s) left out: %s", ep.name, ep.value, self.group, exc)
                    continue
                added = {ep.name}
            for name in added:
                entry = self._entries[name]
                entry.meta.setdefault("plugin", f"{ep.value} ({ep.dist.name if ep.dist else '?'})")
                # versioned by its code, as a loss file is: an edited plugin (often installed editable) is a new
                # version, never pooled; a metric's scores of other code re-scored (benchmark.metrics.weights_digest).
                # A task's version never reads the hash (unfixed)
                if self.kind in ("loss", "metric") and "file_sha256" not in entry.meta:
                    self._hash_plugin_source(entry, hashed)

    def get(self, name: str) -> Entry:
        self._scan()
        try:
            return self._entries[name]
        except KeyError:
            raise UnknownName(self.unknown_message(name), self.kind, name) from None

    def unknown_message(self, name: str) -> str:
        """One line: the unknown name, the names it may mean (close spellings, or names it begins:
        ``zhao`` → ``zhao2017_l1_vs_l2, zhao2017_mix_best``) and the command that lists them all."""
        prefix = sorted(n for n in self._entries if n.lower().startswith(name.lower()))[:4] if name else []
        hint = f"; did you mean {', '.join(prefix)}?" if prefix else did_you_mean(name, self._entries, n=3, cutoff=0.5)
        python = again() == AGAIN["api"]  # within api.run (a notebook, a script): its keyword too
        if not hint and self.kind == "loss":  # maybe the loss of the user's own file, --loss-file forgotten
            hint = f"; a loss of your own file is loaded with {'loss_files=[FILE]' if python else '--loss-file FILE'}"
        return f"unknown {self.kind} {name!r}{hint} ({lister(self.kind)} shows all)"

    def __contains__(self, name: str) -> bool:
        self._scan()
        return name in self._entries

    def holds(self, name: str) -> bool:
        """Is ``name`` registered in this process so far (a script's ``add``, a module imported)? No scan of the
        package, no plugin lookup: no import (no torch) for a caller asking of one that may never have been loaded."""
        return name in self._entries

    def held(self, name: str) -> Entry | None:
        """The entry of ``name`` where it is registered in this process so far (:meth:`holds`: no scan, no import);
        None where it is not."""
        return self._entries.get(name)

    def names(self, pattern: str = "*") -> list[str]:
        """Sorted names matching a shell-style wildcard, as timm's ``list_models``."""
        self._scan()
        return sorted(n for n in self._entries if fnmatch.fnmatch(n, pattern))

    def entries(self) -> list[Entry]:
        return [self._entries[n] for n in self.names()]

    def declared_names(self) -> list[str] | None:
        """Sorted names the package's own files register, read from their ``register_<kind>("name", …)`` /
        ``….register("name", …)`` calls with :mod:`ast` (each file's parse cached by its size and mtime), without
        importing them (no torch): for code that needs the built-in names only (a figure's colour order).
        ``None`` when the registry itself must answer, as :meth:`names` would differ: it is loaded already,
        holds entries added by hand, or installed plugins may add names."""
        files = self._declared_files()
        return None if files is None else sorted({n for names, *_ in files for n in names})

    def declared_default(self, name: str, param: str) -> tuple[bool, object]:
        """``(True, default)`` of keyword ``param`` of the class the package's own files register as ``name``, read
        from its ``__init__`` with :mod:`ast` as :meth:`declared_names` reads names (no import, no torch); ``(False,
        None)`` where the registry must answer: :meth:`declared_names` is None, or the default is not written there
        as a literal (an inherited ``__init__``, a computed default)."""
        found = self.declared_params(name)
        if found is None:
            return False, None
        if param not in found:  # an argument its __init__ lacks: no default (as the signature's .get), unless **kwargs
            return (False, None) if VAR_KEYWORD in found else (True, None)
        value = found[param]
        return (False, None) if value is UNREAD or value is REQUIRED else (True, value)

    def declared_params(self, name: str) -> dict[str, object] | None:
        """{argument: its literal default} of the ``__init__`` of the class the package's own files register as
        ``name`` — by a decorator or a call (``register_loss("lpips", …)(LPIPSLoss)``), its own ``__init__`` or one it
        inherits from a class of the same file, none from ``nn.Module`` (``l1``: no arguments) — read with :mod:`ast`
        (no import, no torch); :data:`UNREAD` for a default that is no literal (or a name the file binds more than
        once), :data:`REQUIRED` for none, the key :data:`VAR_KEYWORD` where it takes ``**kwargs``. None where the
        registry must answer (:meth:`declared_names` is None, or the file does not show the class's ``__init__`` as
        Python builds it: :func:`_init_defaults`)."""
        for _, defaults, _ in self._declared_files() or ():
            if name in defaults:
                return defaults[name]
        return None

    def declared_version(self, name: str) -> tuple[bool, str | None]:
        """``(True, version)`` of ``name`` as the package's own files register it (``version=`` of its
        ``register_<kind>`` call, :meth:`register`'s ``"1"`` where none is written), read with :mod:`ast` as
        :meth:`declared_names` reads names (no import, no torch: a findings check of a store reads task versions so);
        ``(True, None)`` where no file registers ``name``; ``(False, None)`` where the registry must answer
        (:meth:`declared_names` is None, or the version is not a literal)."""
        files = self._declared_files()
        if files is None:
            return False, None
        for _, _, versions in files:
            if name in versions:
                v = versions[name]
                return (True, v) if v is not None else (False, None)
        return True, None

    def _declared_files(self) -> list[tuple[tuple[str, ...], dict[str, dict], dict[str, str | None]]] | None:
        """(names, {name: {keyword: literal default}}, {name: version}) of each of the package's own files
        (:func:`_declared`), in
        file order; None where :meth:`declared_names` is (the installed plugins looked up once per ``sys.path``:
        :func:`_plugins`)."""
        if self.package is None or self._scanned or self._entries or _plugins(self.group, tuple(sys.path)):
            return None
        spec = importlib.util.find_spec(self.package)
        out = []
        for folder in dict.fromkeys(spec.submodule_search_locations or ()) if spec else ():  # a folder listed twice
            # os.scandir, not Path.glob and sorted Paths: asked once per loss of each is_loss (~1 ms each → ~0.1 ms)
            try:
                with os.scandir(folder) as found:
                    files = sorted(e.path for e in found if e.name.endswith(".py") and not e.name.startswith("_"))
            except OSError:  # no folder (an editable install's path-hook entry)
                continue
            for f in files:
                st = os.stat(f)
                out.append(_declared(f, st.st_mtime_ns, st.st_size, self.kind))
        return out


@functools.lru_cache(maxsize=16)
def _plugins(group: str, path: tuple[str, ...]) -> bool:
    """Do installed packages on ``path`` (``sys.path``, which keys the cache with ``group``) declare entry points of
    ``group``? Asked once per process, not once per :meth:`Registry.declared_default` (a findings check asks ~80
    times; :func:`importlib.metadata.entry_points` reads every installed distribution, ~6 ms)."""
    from importlib.metadata import entry_points

    return bool(entry_points(group=group))


def _registers(node, registers: tuple[str, ...]) -> bool:
    """Is ``node`` a call ``register_<kind>("name", …)`` (``….register("name", …)``)?"""
    return isinstance(node, ast.Call) and bool(node.args) and isinstance(node.args[0], ast.Constant) \
        and isinstance(node.args[0].value, str) \
        and (node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", "")) in registers


#: :meth:`Registry.declared_params`' marks: a default that is no literal, an argument without one, ``**kwargs`` taken
UNREAD, REQUIRED, VAR_KEYWORD = object(), object(), "**"


def _bindings(tree: ast.AST) -> collections.Counter:
    """{name: how many times ``tree`` binds it}, at any depth: an assignment, a ``for``/``with``/``except`` target,
    a walrus, an import, a ``def``/``class``, a ``global``/``nonlocal``, a ``del`` (``"*"``: a star import)."""
    bound: collections.Counter = collections.Counter()
    for n in ast.walk(tree):
        if isinstance(n, ast.Name) and not isinstance(n.ctx, ast.Load):
            bound[n.id] += 1
        elif isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            bound[n.name] += 1
        elif isinstance(n, ast.alias):
            bound[(n.asname or n.name).partition(".")[0]] += 1
        elif isinstance(n, (ast.Global, ast.Nonlocal)):
            bound.update(n.names)
        elif isinstance(n, (ast.ExceptHandler, ast.MatchAs, ast.MatchStar)) and n.name:
            bound[n.name] += 1
        elif isinstance(n, ast.MatchMapping) and n.rest:
            bound[n.rest] += 1
        elif isinstance(n, ast.Attribute) and not isinstance(n.ctx, ast.Load):  # `X.__init__.__defaults__ = …`
            bound["." + n.attr] += 1
        elif isinstance(n, ast.Call) and getattr(n.func, "id", "") == "setattr" and len(n.args) > 1 \
                and isinstance(n.args[1], ast.Constant) and isinstance(n.args[1].value, str):
            bound["." + n.args[1].value] += 1
    return bound


#: attributes that, set anywhere in a file (``X.__init__ = …``, ``setattr(X, "__defaults__", …)``), may change a
#: class's ``__init__`` after the text that defines it: its file's classes are not read
_REBOUND = tuple("." + a for a in ("__init__", "__defaults__", "__kwdefaults__", "__signature__", "__wrapped__"))


def _frozen(value) -> bool:
    """Is a literal immutable (no list, dict or set in it): a module constant that no later line can have changed?"""
    if isinstance(value, (list, dict, set)):
        return False
    return all(_frozen(v) for v in value) if isinstance(value, tuple) else True


def _constants(tree: ast.Module, bound: collections.Counter) -> dict[str, object]:
    """{name: literal} of each name a file binds once in all (at any depth: a branch, a ``global`` in a function, a
    class body, an import), by a module-level assignment of a literal (``PDL_LAYERS = ("relu1_2", …)``): a default
    written as such a name is read as its value, where it holds no list, dict or set (a later line may change one);
    any other is unread (every one, with a star import). ``bound``:
    :func:`_bindings` of ``tree``."""
    out = {}
    for node in tree.body:
        target = node.targets[0] if isinstance(node, ast.Assign) and len(node.targets) == 1 else \
            node.target if isinstance(node, ast.AnnAssign) and node.value is not None else None
        if isinstance(target, ast.Name) and bound[target.id] == 1 and not bound["*"]:
            try:
                value = ast.literal_eval(node.value)
            except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
                continue
            if _frozen(value):  # a list a later line may append to (``LAYERS.append``): unread
                out[target.id] = value
    return out


def _init_defaults(cls: ast.ClassDef, classes: dict[str, ast.ClassDef], constants: dict[str, object],
                   registers: tuple[str, ...], seen: frozenset = frozenset()) -> dict[str, object] | None:
    """:meth:`Registry.declared_params` of one class of a file (``classes``: the file's classes by name, each defined
    once; ``constants``: :func:`_constants`; ``registers``: :func:`_registers`' names): its own ``__init__``, else the
    one of its one base defined in the file, else ``{}`` for a class of ``nn.Module`` alone (whose ``__init__`` takes
    nothing); None where the file does not show it as written: a class decorated other than by its registration (a
    dataclass builds its own ``__init__``) or given a metaclass, an ``__init__`` decorated, bound twice or by an
    assignment, a ``__signature__`` set."""
    if cls.keywords or not all(_registers(d, registers) for d in cls.decorator_list):
        return None
    inits = [n for n in ast.walk(cls) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Name))
             and getattr(n, "name", getattr(n, "id", "")) in ("__init__", "__signature__")
             and not isinstance(getattr(n, "ctx", None), ast.Load)]
    init = inits[0] if len(inits) == 1 and inits[0] in cls.body and isinstance(inits[0], ast.FunctionDef) \
        and inits[0].name == "__init__" and not inits[0].decorator_list else None
    if init is None:
        if inits:
            return None
        bases = [b.id if isinstance(b, ast.Name) else b.attr if isinstance(b, ast.Attribute) else "" for b in cls.bases]
        if bases == ["Module"]:
            return {}
        if len(bases) == 1 and bases[0] in classes and bases[0] not in seen:
            return _init_defaults(classes[bases[0]], classes, constants, registers, seen | {cls.name})
        return None
    a = init.args
    positional = (a.posonlyargs + a.args)[1:]  # self
    out: dict[str, object] = {}
    pairs = [(p, None) for p in positional[:len(positional) - len(a.defaults)]]
    pairs += list(zip(positional[len(positional) - len(a.defaults):], a.defaults)) + list(zip(a.kwonlyargs,
                                                                                              a.kw_defaults))
    for arg, node in pairs:
        if node is None:
            out[arg.arg] = REQUIRED
            continue
        if isinstance(node, ast.Name) and node.id in constants:
            out[arg.arg] = constants[node.id]
            continue
        try:
            out[arg.arg] = ast.literal_eval(node)
        except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
            out[arg.arg] = UNREAD
    if a.kwarg is not None:
        out[VAR_KEYWORD] = UNREAD
    return out


@functools.lru_cache(maxsize=256)
def _declared(path: str, mtime_ns: int, size: int, kind: str
              ) -> tuple[tuple[str, ...], dict[str, dict], dict[str, str | None]]:
    """(the names one file registers as ``kind``, {name: :meth:`Registry.declared_params`} of each class it registers
    (:func:`_init_defaults`), {name: its ``version=``,
    "1" where none is written, None where it is no literal}) — :meth:`Registry.declared_names`,
    :meth:`Registry.declared_default` and :meth:`Registry.declared_version` — from one parse; ``mtime_ns``/``size``
    key the cache, so an edited file is read again."""
    try:
        tree = ast.parse(Path(path).read_text(encoding="utf-8"), filename=path)
    except (OSError, SyntaxError, ValueError, UnicodeDecodeError):
        return (), {}, {}
    registers = (f"register_{kind}", "register")
    names = []
    versions: dict[str, str | None] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant) \
                and isinstance(node.args[0].value, str):
            func = node.func
            called = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""
            if called in registers:
                names.append(node.args[0].value)
                given = next((k.value for k in node.keywords if k.arg == "version"), None)
                try:
                    version = "1" if given is None else str(ast.literal_eval(given))
                except (ValueError, SyntaxError, TypeError):
                    version = None
                versions[node.args[0].value] = version
    bound = _bindings(tree)  # a class of a name bound twice (defined in two branches): which one runs is not read;
    # none where a line may set an __init__ or its defaults after the class (:data:`_REBOUND`)
    classes = {n.name: n for n in ast.walk(tree) if isinstance(n, ast.ClassDef) and bound[n.name] == 1
               and not any(bound[a] for a in _REBOUND)}
    registered: dict[str, str] = {}  # {name: the class registered as it}
    for cls in classes.values():
        registered.update({d.args[0].value: cls.name for d in cls.decorator_list if _registers(d, registers)})
    for node in ast.walk(tree):  # register_loss("lpips", …)(LPIPSLoss): a class registered by a call
        if isinstance(node, ast.Call) and _registers(node.func, registers) and len(node.args) == 1 \
                and isinstance(node.args[0], ast.Name) and node.args[0].id in classes:
            registered[node.func.args[0].value] = node.args[0].id
    out: dict[str, dict] = {}
    constants = _constants(tree, bound)
    for name, cls in registered.items():
        defaults = _init_defaults(classes[cls], classes, constants, registers)
        if defaults is not None:
            out[name] = defaults
    return tuple(names), out, versions


TASKS = Registry("task", package="tasks")
LOSSES = Registry("loss", package="losses", identifiers=True)
#: the harness's own metrics (beside pyiqa's) and those of plugins. An entry is a module class
#: built as ``cls(weights=…, device=…)`` (``weights``: the text after ``name@``, or "pretrained")
#: whose forward maps pred[, target] (N, 3, H, W) in [0, 1] to (N,) scores; its attributes
#: ``lower_better`` and ``metric_mode`` ("FR"/"NR") follow pyiqa's, ``provenance`` names its weights.
METRICS = Registry("metric")
register_metric = METRICS.register
FINDINGS = Registry("finding", package="findings")  # published claims checked on results (benchmark.findings)

register_task = TASKS.register
register_loss = LOSSES.register
register_finding = FINDINGS.register


def file_sha256(path: str | Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def _slip_hint(exc: BaseException, path: Path) -> str:
    """What Python's own traceback adds to a user file's failed import, which its one line lost: the name it meant
    (``'; did you mean torch?'`` of a NameError, AttributeError or ``from M import X``'s ImportError on a misspelt
    name) and the file's line it failed on (``' (my_loss.py, line 6)'``; a SyntaxError's line is in its message)."""
    import builtins

    from benchmark.errors import did_you_mean

    tb, line, inner = exc.__traceback__, None, None
    while tb is not None:
        line = tb.tb_lineno if tb.tb_frame.f_code.co_filename == str(path) else line
        inner, tb = tb.tb_frame, tb.tb_next
    hint, name = "", getattr(exc, "name", None)

    def meant(names) -> list[str]:  # a dunder (__name__ for name, __call__ for .call) only for a name written so
        return [a for a in names if a != name and (not (a.startswith("__") and a.endswith("__"))
                                                   or str(name).startswith("__"))]
    try:
        if isinstance(exc, NameError) and name and inner is not None:
            hint = did_you_mean(name, meant({*inner.f_locals, *inner.f_globals, *dir(builtins)}))
        elif isinstance(exc, AttributeError) and name and getattr(exc, "obj", None) is not None:
            hint = did_you_mean(name, meant(dir(exc.obj)))
        elif isinstance(exc, ImportError) and (m := re.match(r"cannot import name '([^']+)'", str(exc))) \
                and name in sys.modules:
            hint = did_you_mean(m.group(1), [a for a in dir(sys.modules[name]) if not a.startswith("_")])
    except Exception:  # noqa: BLE001 - an object whose dir() fails: Python's line alone, as before
        hint = ""
    return hint + (f" ({path.name}, line {line})" if line and not isinstance(exc, SyntaxError) else "")


def load_user_file(path: str | Path, registry: Registry = LOSSES) -> list[str]:
    """Import a user's Python file (e.g. ``--loss-file my_loss.py``) so its decorators run.

    Returns the names it registered. A file that cannot be imported, or that registers
    nothing, is a :class:`UserError` with one line saying why.
    """
    path = expand_home(path, f"{registry.kind} file").resolve()
    if path.is_dir():
        raise UserError(f"{registry.kind} file {path} is a directory: pass a Python file (.py)")
    if not path.is_file():
        raise UserError(f"{registry.kind} file not found: {path}" + did_you_mean_path(path, kind="file"))
    if path.suffix != ".py":
        raise UserError(f"{registry.kind} file {path.name} is not a Python file (.py): it is imported as Python")
    registry._scan()  # built-ins first so a clash is reported against them
    sha = file_sha256(path)
    mod_name = f"plbench_user_{path.stem}_{sha[:8]}"
    if mod_name in sys.modules:  # already loaded in this process
        names = sorted(getattr(sys.modules[mod_name], "__plbench_registered__", []))
        if names and all(n in registry._entries and registry._entries[n].meta.get("file_sha256") == sha
                         for n in names):
            return names
        sys.modules.pop(mod_name)  # its entries were removed or replaced since: load it again
    # the same file loaded before with other contents (edited in a notebook session): its new version
    # replaces the entries of the old one instead of clashing with them; they come back if it fails
    stale = {n: e for n, e in registry._entries.items() if e.meta.get("file") == str(path)}
    for name in stale:
        registry.remove(name)
    before = set(registry._entries)
    spec = importlib.util.spec_from_file_location(mod_name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[mod_name] = module
    try:
        spec.loader.exec_module(module)
    except (Exception, SystemExit) as exc:  # noqa: BLE001 - any failure in user code is reported in one line
        sys.modules.pop(mod_name, None)
        for name in set(registry._entries) - before:
            registry.remove(name)
        registry._entries.update(stale)
        if isinstance(exc, SystemExit):
            raise UserError(f"{path.name} called sys.exit({exc.code!r}) while being imported: a loss file must "
                            "only define and register losses") from None
        near = (getattr(exc, "name", None) or "").split(".")[0] if isinstance(exc, ModuleNotFoundError) else ""
        if near and ((path.parent / f"{near}.py").is_file() or (path.parent / near / "__init__.py").is_file()):
            raise UserError(f"{path.name} imports {near!r} from its folder, which is not on the import path: a "
                            f"{registry.kind} file is one self-contained file (its hash versions the results): "
                            "copy what it needs into it, or install the helpers as a package") from None
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        from benchmark.errors import download_hint

        raise UserError(f"{path.name} failed to import: {type(exc).__name__}{': ' + first if first else ''}"
                        f"{download_hint(exc)}{_slip_hint(exc, path)}") from exc
    added = sorted(set(registry._entries) - before)
    if not added:
        sys.modules.pop(mod_name, None)
        registry._entries.update(stale)
        raise UserError(f"{path.name} registers no {registry.kind}: decorate a class with "
                        f"@register_{registry.kind}(\"name\") from benchmark.registry")
    for name in added:
        entry = registry._entries[name]
        entry.meta.setdefault("file", str(path))
        entry.meta.setdefault("file_sha256", sha)
    module.__plbench_registered__ = added
    log.info("loaded %s from %s: %s", registry.kind, path, ", ".join(added))
    return added


def check_not_all(key: str, names, source: str | None = None, every: str = "") -> None:
    """``all`` (or ``*``) among a grid's ``tasks`` or ``metrics``: only losses take it (:func:`expand_losses`), so a
    one-line error saying so in the words of the source that gave it (``source``: a config file's name,
    ``"api.run()"``, or None for the flags): ``--metrics all`` was told of the file key ``metrics: 'all' names every
    loss among losses``, and ``--tasks all`` only 'unknown task 'all''. Tasks are listed (a handful), metrics
    pointed to. ``every``: how the command itself takes every one (``compare``: no ``--tasks``), said instead of the
    names to give."""
    for n in names:
        if n not in ("all", "*") and (not set("*?[") & set(str(n)) or "@" in str(n)):  # (a checkpoint path: its own)
            continue
        kind = key[:-1]
        if n != "all" and n != "*":  # `--tasks 'de*'` (as --losses 'vgg*'): was 'unknown task 'de*'' (compare's:
            import fnmatch  # "'de*' names no task")
            import shlex

            where = {"api.run()": f"{key}=[{n!r}]"}.get(source or "", f"{key}: {n}" if source else
                                                        f"--{key} {shlex.quote(str(n))}")
            # the losses' key in the source's own words (a config file has no --losses)
            takes = {"api.run()": "losses=['vgg*']"}.get(source or "", "losses: ['vgg*']" if source else
                                                         "--losses takes ('vgg*')")
            takes = takes if not source else f"losses takes ({takes})"
            matched = fnmatch.filter(TASKS.names(), str(n)) if key == "tasks" else []
            fix = (f"name the {key}: " + (f"--{key} {' '.join(matched)}" if not source else ", ".join(matched))
                   if matched else f"name the {key} ({lister(kind)} shows all)")
            raise UserError(f"{source + ': ' if source else ''}{where}: a pattern, which only {takes}; {fix}"
                            + (f", or {every}" if every else ""))
        if key == "tasks":
            example, known = TASKS.names()[:2], f"registered: {', '.join(TASKS.names())}"
        else:  # (pyiqa's too: more than the registry holds, counted where the metrics are loaded)
            example, known = ["psnr", "ssim", "lpips"], f"{lister(kind)} shows all"
        if source == "api.run()":
            given, losses, fix = f"{key}=[{n!r}]", "losses=['all']", f"{key}={example!r}"
        elif source:  # a config file's key
            given, losses, fix = f"{key}: {n}", "losses: all", f"{key}: [{', '.join(example)}]"
        else:
            given, losses, fix = f"--{key} {n}", "--losses all", f"--{key} {' '.join(example)}"
        if every:
            raise UserError(f"{source + ': ' if source else ''}{given}: {n!r} names no {kind}: {every}")
        raise UserError(f"{source + ': ' if source else ''}{given}: {n!r} is for losses only ({losses} names every "
                        f"registered loss), not every {kind}: name the {key}, e.g. {fix} ({known})")
