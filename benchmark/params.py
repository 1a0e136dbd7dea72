"""Typed keyword parameters of tasks and losses: checked before anything is built.

Task parameters (``--task-param denoise.sigma=0.1``) and loss keywords (``pdl(layers=('relu1_2',))``)
arrive as Python literals. :func:`check_kwargs` compares each one with the annotation of the
dataclass field or constructor argument it sets and raises a one-line :class:`UserError` that
names the parameter, the expected type and the value::

    task 'denoise' parameter sigma expects float, got 'abc' (str)

Supported annotations: ``int``, ``float`` (an int is accepted), ``bool``, ``str``, ``None``,
``tuple[X, ...]``, ``tuple[X, Y]``, ``list[X]``, ``Sequence[X]`` (a tuple or list, never a string),
``Literal[...]``, ``X | Y`` / ``Optional[X]``, and ``Annotated[X, Range(gt=…, ge=…, le=…, lt=…)]`` for a
bound (``Positive``). A float must be finite (``nan``/``inf``: "must be finite"). A list given for a
tuple parameter is accepted and converted. An unannotated argument whose default is a number, bool or
string (``alpha=1.0`` in a user's loss file) is checked against its default's type. Anything else
(``Any``, no annotation and no such default, a class) is not checked.
"""

from __future__ import annotations

import collections.abc
import dataclasses
import inspect
import math
import numbers
import types
import typing
from collections.abc import Callable

from benchmark.errors import UserError

_MISSING = object()


@dataclasses.dataclass(frozen=True)
class Range:
    """A bound on a number, used as ``Annotated[float, Range(gt=0)]``: checked with the type, and
    named in the message (``argument eps must be > 0, got -1``)."""

    gt: float | None = None
    ge: float | None = None
    le: float | None = None
    lt: float | None = None

    def violation(self, v) -> str:
        if self.gt is not None and not v > self.gt:
            return f"> {self.gt:g}"
        if self.ge is not None and not v >= self.ge:
            return f"≥ {self.ge:g}"
        if self.le is not None and not v <= self.le:
            return f"≤ {self.le:g}"
        if self.lt is not None and not v < self.lt:
            return f"< {self.lt:g}"
        return ""


Positive = Range(gt=0)


class _Bad(typing.NamedTuple):
    why: str


def type_name(tp) -> str:
    """``tuple[float, float]`` → ``'tuple[float, float]'``; ``float | None`` → ``'float | None'``."""
    if tp is type(None):
        return "None"
    origin = typing.get_origin(tp)
    if origin is typing.Annotated:
        return type_name(typing.get_args(tp)[0])
    if origin is typing.Literal:
        return "one of " + ", ".join(repr(a) for a in typing.get_args(tp))
    if origin in (typing.Union, types.UnionType):
        return " | ".join(type_name(a) for a in typing.get_args(tp))
    if origin in (collections.abc.Sequence, typing.Sequence):
        args = typing.get_args(tp)
        return f"a sequence of {type_name(args[0])}" if args else "a sequence"
    if origin in (tuple, list):
        args = typing.get_args(tp)
        if origin is tuple and len(args) == 2 and args[1] is Ellipsis:
            return f"tuple[{type_name(args[0])}, ...]"
        return f"{origin.__name__}[{', '.join(type_name(a) for a in args)}]" if args else origin.__name__
    return getattr(tp, "__name__", str(tp))


_WORDS = {int: "a whole number", float: "a number", str: "text", bool: "true or false", list: "a list",
          tuple: "a list", dict: "a mapping", type(None): "nothing"}


def type_words(tp) -> str:
    """An annotation in a config file's words, for a user who writes YAML, not Python: ``int | None`` →
    ``'a whole number'`` (``None`` is a setting left out), ``tuple[int, ...]`` → ``'a list of whole
    numbers'``; what has no words keeps :func:`type_name`'s."""
    origin = typing.get_origin(tp)
    if origin is typing.Annotated:
        return type_words(typing.get_args(tp)[0])
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        return " or ".join(type_words(a) for a in args) if args else "nothing"
    if origin in (tuple, list, collections.abc.Sequence, typing.Sequence):
        args = [a for a in typing.get_args(tp) if a is not Ellipsis]
        if len(set(args)) == 1 and args[0] in (int, float, str):
            plural = {int: "whole numbers", float: "numbers", str: "texts"}[args[0]]
            return f"a list of {plural}" if origin is not tuple or Ellipsis in typing.get_args(tp) or len(args) == 1 \
                else f"a list of {len(args)} {plural}"
        return type_name(tp)
    return _WORDS.get(tp, type_name(tp))


def conform(value, tp):
    """``value`` converted to annotation ``tp`` (int → float, list → tuple), or ``_MISSING`` if it
    does not fit. Unknown annotations accept anything unchanged."""
    if tp is typing.Any or tp is inspect.Parameter.empty:
        return value
    if typing.get_origin(tp) is typing.Annotated:
        base, *marks = typing.get_args(tp)
        got = conform(value, base)
        if got is _MISSING or isinstance(got, _Bad):
            return got
        for m in marks:
            if isinstance(m, Range) and isinstance(got, (int, float)) and m.violation(got):
                return _Bad(f"must be {m.violation(got)}")
        return got
    if tp is type(None):
        return value if value is None else _MISSING
    origin = typing.get_origin(tp)
    if origin is typing.Literal:
        return value if value in typing.get_args(tp) else _MISSING
    if origin in (typing.Union, types.UnionType):
        bad = _MISSING
        for arg in typing.get_args(tp):
            got = conform(value, arg)
            if isinstance(got, _Bad):
                bad = got
            elif got is not _MISSING:
                return got
        return bad
    if origin in (collections.abc.Sequence, typing.Sequence):  # Sequence[str]: a tuple or list, not a string
        if not isinstance(value, (tuple, list)):
            return _MISSING
        args = typing.get_args(tp)
        items = [conform(v, args[0]) if args else v for v in value]
        bad = next((i for i in items if isinstance(i, _Bad)), None)
        return bad or (_MISSING if any(i is _MISSING for i in items) else tuple(items))
    if origin in (tuple, list):
        if not isinstance(value, (tuple, list)):
            return _MISSING
        args = typing.get_args(tp)
        if not args:
            items = list(value)
        elif origin is tuple and len(args) == 2 and args[1] is Ellipsis:
            items = [conform(v, args[0]) for v in value]
        elif origin is list:
            items = [conform(v, args[0]) for v in value]
        else:
            if len(value) != len(args):
                return _MISSING
            items = [conform(v, a) for v, a in zip(value, args)]
        bad = next((i for i in items if isinstance(i, _Bad)), None)
        if bad:
            return bad
        if any(i is _MISSING for i in items):
            return _MISSING
        return tuple(items) if origin is tuple else list(items)
    if tp is bool:
        return bool(value) if _is_bool(value) else _MISSING
    if tp is int:  # a numpy integer (np.int64, an item of np.arange) too, as a Python int
        return int(value) if isinstance(value, numbers.Integral) and not _is_bool(value) else _MISSING
    if tp is float:
        if isinstance(value, str) and value.strip().lower().lstrip("+-") in ("nan", "inf", "infinity"):
            return _Bad("must be finite")
        if _is_bool(value) or not isinstance(value, numbers.Real):  # np.float32 too
            return _MISSING
        if not math.isfinite(float(value)):
            return _Bad("must be finite")
        return float(value)
    if tp is str:
        return value if isinstance(value, str) else _MISSING
    return value  # a class or another construct: not checked here


def _hints(obj) -> dict:
    try:
        return typing.get_type_hints(obj, include_extras=True)
    except Exception:  # noqa: BLE001 - an annotation we cannot resolve is simply not checked
        return dict(getattr(obj, "__annotations__", {}))


def annotations_of(obj: Callable | type) -> dict[str, object]:
    """{parameter: annotation} of a dataclass's fields or of a callable's (constructor's) arguments."""
    if dataclasses.is_dataclass(obj):
        hints = _hints(obj)
        return {f.name: hints.get(f.name, typing.Any) for f in dataclasses.fields(obj)}
    init = obj.__init__ if isinstance(obj, type) else obj
    try:
        sig = inspect.signature(init)
    except (TypeError, ValueError):
        return {}
    hints = _hints(init)
    return {n: hints.get(n, typing.Any) for n, p in sig.parameters.items()
            if n != "self" and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)}


def check_kwargs(obj: Callable | type, kwargs: dict, what: str, words: bool = False, names: dict | None = None,
                 written: dict | None = None) -> dict:
    """``kwargs`` with each value checked against (and conformed to) its annotation on ``obj``.

    ``what`` names the owner in messages, e.g. ``"task 'denoise'"`` or ``"loss 'pdl'"``; ``words``: say
    the types as a config file's reader would (:func:`type_words`: "a whole number", not "int | None");
    ``names``: a value's name as its source spelt it, where that is not the argument's (a config file's
    ``executor: {gpus: two}`` fills ``slurm_gpus``); ``written``: a value as its source wrote it, where it was read
    into another (``seeds: 0.5``, read as ``[0.5]``): a message shows that, and of a list the item at fault."""
    hints = annotations_of(obj)
    defaults = _default_types(obj)
    out = dict(kwargs)
    for name, value in kwargs.items():
        if name not in hints:
            continue
        tp, like = hints[name], ""
        if tp is typing.Any and name in defaults:  # `alpha=1.0` unannotated (a user's loss file): typed as 1.0
            tp, like = defaults[name]
        got = conform(value, tp)
        if got is _MISSING or isinstance(got, _Bad):
            noun = "" if words else "parameter " if what.startswith("task") else "argument "
            said = got.why if isinstance(got, _Bad) else f"expects {type_words(tp) if words else type_name(tp)}{like}"
            one = conform([value], tp) if isinstance(value, str) and not words else _MISSING
            comma = (f": a one-item tuple needs its comma, ({value!r},)"  # `layers=('relu2_2')`: Python's string
                     if one is not _MISSING and not isinstance(one, _Bad) else "")
            raise UserError(f"{what} {noun}{(names or {}).get(name, name)} {said}"
                            + _got(value, (written or {}).get(name, _MISSING), tp, words, isinstance(got, _Bad))
                            + comma)
        out[name] = got
    return out


def _got(value, given, tp, words: bool, bad: bool) -> str:
    """The end of :func:`check_kwargs`' message: ``, got 'two' (text)``, of ``value`` as its source wrote it
    (``given``, where one is: else ``_MISSING``); of a list so given, the item at fault: ``; 0.5 in [0, 0.5] is a
    number``."""
    def kind(v):
        return _WORDS.get(type(v), type(v).__name__) if words else type(v).__name__

    if isinstance(given, (list, tuple)):
        wrong = [x for x in given if conform([x], tp) is _MISSING or isinstance(conform([x], tp), _Bad)]
        if wrong:
            return f"; {_shown(wrong[0])} in {_shown(list(given))} is {kind(wrong[0])}"
    if isinstance(given, dict) and isinstance(value, (list, tuple)) and list(value) == [given]:  # `seeds: {a: 1}`
        return f", got {_shown(given)} ({kind(given)})"  # read as a list of it: said as the mapping it was written
    if given is _MISSING or isinstance(given, (list, tuple, dict, range)):  # a mapping of tasks: as it was read
        return f", got {_shown(value)}" + ("" if bad else f" ({kind(value)})")
    return f", got {_shown(given)} ({kind(given)})"


def _is_bool(value) -> bool:
    """Whether ``value`` is True or False: a Python bool or a numpy one (``np.True_``, what ``(a > 0).any()``
    returns: its type is ``numpy.bool`` in numpy 2, ``numpy.bool_`` before), not 0, 1 or a string."""
    return isinstance(value, bool) or (type(value).__module__ == "numpy" and type(value).__name__ in ("bool", "bool_"))


def check_switch(value, name: str) -> bool:
    """``value`` when it is True or False (a numpy bool too, as a setting's ``compile=np.True_`` is: :func:`conform`),
    else a one-line :class:`UserError` naming ``name``: a Python caller's ``visual='no'`` or ``budget_checks='yes'``
    is a string, true whatever it says."""
    if _is_bool(value):
        return bool(value)
    raise UserError(f"{name} must be True or False, got {_shown(value)}")


def _shown(value, most: int = 200) -> str:
    """``repr(value)`` for a one-line message: an object whose repr spans lines (a torchvision dataset, a DataFrame)
    on one, and a long one (an array) cut to ``most`` characters."""
    text = repr(value)
    if "\n" in text:
        text = " ".join(text.split())
    return text if len(text) <= most else text[:most - 1] + "…"


def _default_types(obj: Callable | type) -> dict[str, tuple[object, str]]:
    """{argument: (type, " (like its default …)")} for the unannotated constructor arguments whose
    default is a number, a bool or a string: what a value given for them must be. An int default
    also takes a float (``weight=1`` given ``0.5``); a default of None or a container checks nothing."""
    if dataclasses.is_dataclass(obj):
        return {}
    try:
        sig = inspect.signature(obj.__init__ if isinstance(obj, type) else obj)
    except (TypeError, ValueError):
        return {}
    kinds = {bool: bool, int: int | float, float: float, str: str}
    return {n: (kinds[type(p.default)], f" (like its default {p.default!r})") for n, p in sig.parameters.items()
            if p.annotation is inspect.Parameter.empty and type(p.default) in kinds}


def whole_number(text: str) -> int:
    """A whole number written as a config file may write it: ``"1e4"`` → 10000, as ``iterations: 1e4`` (a float in
    YAML 1.2) is read; ``"2.5"``, ``"inf"``, ``"ten"``: :class:`ValueError`. The flags of whole-number settings
    (``--iterations``, ``--seeds``, ``--workers``, …) read their values with it."""
    try:
        return int(text)
    except ValueError:
        value = float(text)  # `ten`: ValueError, as int's
    if not value.is_integer():
        raise ValueError(text)
    return int(value)
