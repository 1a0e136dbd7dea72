"""Building a training loss from its command-line spec.

A spec is a weighted sum of registered losses, each optionally with keyword arguments::

    l1
    0.84*ms_ssim + 0.16*l1
    l1 + 0.01*pdl(layers=('relu1_2', 'relu2_2'))

It is parsed with :mod:`ast` (no ``eval``), normalised to a canonical string (what
results record and what the run hash uses) and built into one :class:`WeightedSum`.

The loss protocol every registered loss follows::

    loss(pred, target, **extra) -> scalar tensor
        pred, target: (N, 3, H, W) float tensors, nominally in [0, 1]
        extra: what the entry declared in ``needs`` (e.g. ``degraded=`` the net input)

Optional hooks a loss may define:
    ``provenance`` (str): which weights it uses, e.g. ``"vgg16:random(seed=0)"``; "none" for
        losses without learned weights.
    ``train_step(pred, target, **extra)``: update the loss's own trainable parts (online
        methods), called by the runner after each optimiser step of the net.
"""

from __future__ import annotations

import ast
import logging
import math
import re
import sys
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import nn

from benchmark.docmarkup import agree, plural
from benchmark.errors import UserError, did_you_mean
from benchmark.registry import LOSSES
from benchmark.specgrammar import MAX_TERMS, RUN_ARGUMENTS, spec_leaves  # noqa: F401 - MAX_TERMS: part of this API
from benchmark.specgrammar import weight_text as _weight_text

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Term:
    weight: float
    name: str
    kwargs: tuple[tuple[str, object], ...] = ()

    def __str__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.kwargs)
        core = f"{self.name}({args})" if args else self.name
        return core if self.weight == 1.0 else f"{_weight_text(self.weight)}*{core}"


def _finite_literal(value) -> bool:
    """Is every float in a literal argument (a number, or one inside a list, tuple, set or dict) finite?"""
    if isinstance(value, float):
        return math.isfinite(value)
    if isinstance(value, complex):
        return math.isfinite(value.real) and math.isfinite(value.imag)
    if isinstance(value, dict):
        return all(_finite_literal(k) and _finite_literal(v) for k, v in value.items())
    if isinstance(value, (list, tuple, set, frozenset)):
        return all(_finite_literal(v) for v in value)
    return True


def _not_literal(call: ast.Call) -> str:
    """The first keyword of ``call`` that is no literal, and where its bare words are text, the argument quoted:
    ``layers=(relu1_2, relu2_2)``, the README's ``vgg(layers=('relu1_2', …))`` in single quotes whose inner quotes
    the shell removed."""
    for k in call.keywords:
        try:
            ast.literal_eval(k.value)
        except (ValueError, TypeError, SyntaxError, RecursionError):
            written = f"{k.arg}={ast.unparse(k.value)}"
            quoted = ast.parse(ast.unparse(k.value), mode="eval")
            for n in ast.walk(quoted):
                for field, v in ast.iter_fields(n):
                    if isinstance(v, ast.Name):
                        setattr(n, field, ast.Constant(v.id))
                    elif isinstance(v, list):
                        setattr(n, field, [ast.Constant(x.id) if isinstance(x, ast.Name) else x for x in v])
            quoted.body = ast.Constant(quoted.body.id) if isinstance(quoted.body, ast.Name) else quoted.body
            try:
                ast.literal_eval(quoted)
            except (ValueError, TypeError, SyntaxError, RecursionError):
                return f": {written} is not one"
            whole = ast.unparse(ast.Call(call.func, [], [ast.keyword(x.arg, quoted.body if x is k else x.value)
                                                          for x in call.keywords]))
            return (f": {written} is not one; text is quoted, {k.arg}={ast.unparse(quoted.body)} (on a command "
                    f"line inside double quotes: \"{whole}\")")
    return ""


#: a keyword's value written as bare text that is no Python expression (``selftrain_data=skimage-medical:train``)
_BARE_VALUE = re.compile(r"(?<=[(,])(\s*)(\w+)(\s*=\s*)([^'\"()\[\],\s][^'\"()\[\],]*?)(\s*)(?=[,)])")


def _bare_text(spec: str) -> str:
    """:func:`_not_literal`'s hint for a spec that is no expression because a keyword's text lost its quotes to the
    shell and is not even a name (a data source, ``selftrain_data=skimage-medical:train``): "" where quoting such
    values does not make it one."""
    try:
        quoted = _BARE_VALUE.sub(lambda m: m[0] if _literal(m[4]) else f"{m[1]}{m[2]}{m[3]}{m[4]!r}{m[5]}", spec)
        ast.parse(quoted, mode="eval")
    except SyntaxError:
        return ""
    for m in _BARE_VALUE.finditer(spec):
        if not _literal(m[4]):
            return (f": {m[2]}={m[4]} is not one; text is quoted, {m[2]}={m[4]!r} (on a command line inside double "
                    f"quotes: \"{quoted}\")")
    return ""


def _literal(text: str) -> bool:
    try:
        ast.literal_eval(text)
    except (ValueError, TypeError, SyntaxError, RecursionError, MemoryError):
        return False
    return True


def _enclosing_call(spec: str, at: int) -> str:
    """The name of the call whose parentheses hold position ``at`` of ``spec`` (``pdl`` for a keyword of
    ``l1 + pdl(layers=(1,), =2)``), "?" where none does."""
    depth, i = 0, at
    while i > 0 and depth >= 0:  # back to the '(' of the call
        i -= 1
        depth += {")": 1, "(": -1}.get(spec[i], 0)
    call = re.search(r"([A-Za-z_]\w*)\s*$", spec[:i]) if depth < 0 else None
    return call.group(1) if call else "?"


def _empty_keyword(spec: str) -> str | None:
    """What a spec's first keyword written without a value (``pdl(pixels=)``, ``pdl(layers=(1,), pixels=)``) lacks,
    in words naming the keyword and a value it takes (its default: ``e.g. pdl(pixels=True)``), or that the loss has no
    such keyword (with those it has); None where no keyword of the spec is empty."""
    import inspect

    m = re.search(r"\b([A-Za-z_]\w*)\s*=\s*(?=[,)])", spec)
    if m is None:
        return None
    name, key = _enclosing_call(spec, m.start()), m.group(1)
    if name not in LOSSES.names():
        return (f"keyword {key!r} of {name!r} has no value (and {name!r} is no registered loss"
                f"{did_you_mean(name, LOSSES.names())})")
    params, var_kw = _init_params(LOSSES.get(name).obj)
    if key not in params and not var_kw:
        return no_such_argument(name, [key], params)
    default = params[key].default if key in params else inspect.Parameter.empty
    example = (f", e.g. {name}({key}={default!r})" if default is not inspect.Parameter.empty
               and _literal(repr(default)) else "")
    return f"keyword {key!r} of {name!r} has no value: give it a literal{example}"


def _keywords_hint(name: str, near: str = "") -> str:
    """How registered loss ``name`` takes arguments, in words: ``write name=value, e.g. pdl(layers=...) (pdl takes:
    layers, …)``, a keyword close to ``near`` offered; for a loss of none, that its weight is written in front."""
    params = list(_init_params(LOSSES.get(name).obj)[0])
    if not params:
        return f"{name} takes no arguments (a weight is written in front: 0.5*{name})"
    return (f"write name=value, e.g. {name}({params[0]}=...) ({name} takes: {', '.join(params)})"
            + (did_you_mean(near, params) if near else ""))


def _unnamed_keyword(spec: str) -> str | None:
    """What a spec's first argument written ``=value`` without a usable keyword name lacks — none (``pdl(=1)``,
    ``pdl(layers=(1,), =2)``) or one that is no name (``pdl(num-proj=4)``) — in words naming the loss and the keywords
    it takes (a close one offered); None where every keyword is named."""
    for m in re.finditer(r"[(,]\s*([^=(),'\"]*?)\s*=(?!=)", spec):
        key = m.group(1)
        if key.isidentifier():
            continue
        name = _enclosing_call(spec, m.start() + (spec[m.start()] == "("))
        what = f"an argument of {name!r} has no keyword name" if not key else \
            f"argument {key!r} of {name!r} is no keyword name"
        if name not in LOSSES.names():
            return f"{what} (and {name!r} is no registered loss{did_you_mean(name, LOSSES.names())})"
        return f"{what}: {_keywords_hint(name, key.replace('-', '_').replace(' ', '_'))}"
    return None


def parse_loss_spec(spec: str) -> tuple[Term, ...]:
    """Parse ``"0.84*ms_ssim + 0.16*l1"`` into terms; raise :class:`UserError` if malformed: weights
    must be finite positive numbers (not booleans, ``nan``, ``inf``, negative or subtracted) whose
    product is a normal float, keywords literals given once, each term (a loss with its keywords)
    at most once (``'l1 + 0.1*l1'`` is refused: write ``1.1*l1``), and a spec at most
    :data:`MAX_SPEC` characters / :data:`MAX_TERMS` terms."""
    short = spec if len(spec) <= 60 else spec[:57] + "..."
    if len(spec) > MAX_SPEC:
        raise UserError(f"loss spec {short!r} is {len(spec)} characters long; at most {MAX_SPEC}")
    if re.fullmatch(r"[^\s()+*=,'\"]+\.py", spec.strip(), flags=re.IGNORECASE):  # --losses my_loss.py
        raise UserError(f"loss spec {short!r} is a file name: a loss file is loaded with --loss-file {spec.strip()} "
                        "(a config file's loss_files:), and its losses are named by their registered names")
    try:
        tree = ast.parse(spec.strip(), mode="eval").body
    except SyntaxError as exc:
        dup = re.search(r"keyword argument repeated: (\w+)", str(exc))
        if dup:
            raise UserError(f"loss spec {short!r}: keyword {dup.group(1)!r} given twice") from None
        odd = next((ch for ch in spec if ord(ch) > 127 and not ch.isidentifier() and not ch.isspace()), None) or \
            next((ch for ch in spec if ord(ch) > 127 and ch.isspace()), None)
        if odd is not None and not re.search(r"['\"]", spec):  # pasted from a paper: 0.5×l1, 0.5·l1, a no-break space
            raise UserError(f"loss spec {short!r} holds {odd!r} (U+{ord(odd):04X}): write products with * and "
                            "separate with plain spaces, e.g. 'l1 + 0.01*ms_ssim'") from None
        words = spec.split()
        if len(words) > 1 and all(w.strip(",") in LOSSES.names() for w in words):  # --losses "l1 l2"
            raise UserError(f"loss spec {short!r} names {len(words)} losses: give each as its own argument "
                            f"(--losses {' '.join(w.strip(',') for w in words)}; a config file's list: "
                            f"[{', '.join(w.strip(',') for w in words)}])") from None
        if hint := _bare_text(spec.strip()):  # csr(selftrain_data=skimage-medical:train): the shell took its quotes
            raise UserError(f"loss spec {short!r}: arguments must be literals{hint}") from None
        if said := _unnamed_keyword(spec):  # pdl(=1), pdl(num-proj=4): the loss named, with its keywords
            raise UserError(f"loss spec {short!r}: {said}") from None
        if said := _empty_keyword(spec):  # pdl(pixels=): the keyword named, with a value it takes
            raise UserError(f"loss spec {short!r}: {said}") from None
        raise UserError(f"cannot parse loss spec {short!r}: expected e.g. 'l1' or 'l1 + 0.01*pdl'") from None
    except (RecursionError, MemoryError):
        raise UserError(f"loss spec {short!r} is nested too deeply to parse") from None
    if isinstance(tree, ast.Tuple):  # 'l1, l2' or 'l1,' (--losses l1, l2)
        names = " ".join(ast.get_source_segment(spec.strip(), e) or "?" for e in tree.elts)
        raise UserError(f"loss spec {short!r} holds a comma: give each loss as its own argument (--losses {names}); "
                        "a sum is written with + (l1 + 0.1*vgg)")
    if "#" in spec and _has_comment(spec.strip()):  # 'l1 # + 0.1*vgg' was l1: the rest dropped silently
        raise UserError(f"loss spec {short!r}: '#' outside quotes would end the spec there (a Python comment): "
                        "remove it")
    terms: list[Term] = []
    for weight, node in spec_leaves(tree, short, LOSSES):  # the grammar's one walk (benchmark.specgrammar)
        if isinstance(node, ast.Name):
            terms.append(Term(weight, node.id))
        elif not node.args:
            if any(k.arg is None for k in node.keywords):  # pdl(**x)
                raise UserError(f"loss spec {short!r}: " + (f"an argument of {node.func.id!r} is unpacked (**): "
                                f"{_keywords_hint(node.func.id)}" if node.func.id in LOSSES
                                else "arguments must be name=value"))
            names = [k.arg for k in node.keywords]
            twice = sorted({n for n in names if names.count(n) > 1})
            if twice:
                raise UserError(f"loss spec {short!r}: keyword {twice[0]!r} of {node.func.id!r} given twice")
            try:
                kwargs = tuple(sorted((k.arg, ast.literal_eval(k.value)) for k in node.keywords))
            except (ValueError, TypeError, SyntaxError, RecursionError):
                raise UserError(f"loss spec {short!r}: arguments must be literals{_not_literal(node)}") from None
            for k in node.keywords:  # 1e400 reads as inf, which its canonical spec `w=inf` could not say again
                if not _finite_literal(ast.literal_eval(k.value)):
                    typed = ast.get_source_segment(spec.strip(), k.value) or "?"
                    raise UserError(f"loss spec {short!r}: argument {k.arg}={typed} of {node.func.id!r} is not a "
                                    "finite number (overflow): arguments must be finite")
            terms.append(Term(weight, node.func.id, kwargs))
        else:  # my_loss(0.5)
            name = node.func.id
            params = list(_init_params(LOSSES.get(name).obj)[0]) if name in LOSSES else []
            if name in LOSSES and not params:  # l1(0.5): not `l1(name=...)`, which it refuses too
                raise UserError(f"loss spec {short!r}: {name} takes no arguments (a weight is written in front: "
                                f"0.5*{name})")
            raise UserError(f"loss spec {short!r}: arguments must be name=value, e.g. {name}("
                            f"{params[0] if params else 'name'}=...)"
                            + (f" ({name} takes: {', '.join(params)})" if params else ""))
    for t in terms:
        if not math.isfinite(t.weight):
            raise UserError(f"loss spec {short!r}: weight of {t.name!r} is {t.weight} (overflow): weights must be "
                            "finite")
        if t.weight <= 0:
            raise UserError(f"loss spec {short!r}: weights must be positive")
        if t.weight < sys.float_info.min:
            raise UserError(f"loss spec {short!r}: weight of {t.name!r} is {t.weight:g}, below the smallest normal "
                            f"float ({sys.float_info.min:g}): it would train nothing")
        LOSSES.get(t.name)  # unknown name → "did you mean"
    seen: dict[tuple, float] = {}
    for t in terms:  # 'l1 + 0.1*l1' is 1.1*l1 written twice: one term, one weight
        key = (t.name, repr(t.kwargs))  # kwargs may hold lists or dicts (unhashable)
        if key in seen:
            core = str(Term(1.0, t.name, t.kwargs))
            raise UserError(f"term {core} appears twice in {short!r}: combine the weights "
                            f"({_weight_text(seen[key] + t.weight)}*{core})")
        seen[key] = t.weight
    return tuple(terms)


def _has_comment(text: str) -> bool:
    """Does ``text`` (Python source that parses) hold a ``#`` comment (not a ``#`` inside a string)?"""
    import io
    import tokenize

    try:
        return any(t.type == tokenize.COMMENT for t in tokenize.generate_tokens(io.StringIO(text).readline))
    except (tokenize.TokenError, SyntaxError):
        return False


#: the longest loss spec (the most terms: :data:`benchmark.specgrammar.MAX_TERMS`)
MAX_SPEC = 2000


def canonical_spec(spec: str) -> str:
    """The normalised string results record, e.g. ``"0.84*ms_ssim + 0.16*l1"``."""
    return " + ".join(str(t) for t in parse_loss_spec(spec))


def loss_identity(spec: str) -> tuple:
    """What a spec trains, however it is written: its terms in name order, each argument conformed to
    its annotation (``eps=1`` is ``eps=1.0``, a list a tuple) and an argument given its default value
    left out (``charbonnier(eps=0.001)`` is ``charbonnier``). Two specs of one identity train the
    same loss but have different canonical specs, hence run ids; :func:`benchmark.config.expand_losses`
    runs them once, and :func:`benchmark.config.spelt_as_stored` gives a later invocation the spelling a
    results directory already records. (Not part of the run id: changing the canonical spec would orphan
    cached runs.)"""
    return tuple(sorted((*_term_identity(t), t.weight) for t in parse_loss_spec(spec)))


def _term_identity(t: Term) -> tuple[str, str]:
    """(name, its arguments conformed, defaults left out): what one term computes (see :func:`loss_identity`).
    A loss registered ``same_as=`` another with arguments set (``lpips_vgg``: ``same_as="lpips(net='vgg')"``, its
    own arguments passed on by name) is that loss with those arguments and its own."""
    from benchmark.params import check_kwargs

    entry = LOSSES.get(t.name)
    kwargs = check_kwargs(entry.obj, dict(t.kwargs), f"loss {t.name!r}")
    if same_as := entry.meta.get("same_as"):
        (base,) = parse_loss_spec(same_as)  # one term of weight 1: the alias's weight is its own
        return _term_identity(Term(1.0, base.name, tuple({**dict(base.kwargs), **kwargs}.items())))
    obj = entry.obj
    params, _ = _init_params(obj)
    kept = {k: v for k, v in kwargs.items()
            if k in RUN_ARGUMENTS or k not in params or params[k].default is params[k].empty
            or not _same_value(v, params[k].default)}
    return t.name, repr(sorted(kept.items()))


def _same_value(a, b) -> bool:
    """``a == b`` for argument values, a list equal to a tuple of the same items; False if they cannot be compared."""
    try:
        if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
            return len(a) == len(b) and all(_same_value(x, y) for x, y in zip(a, b))
        return type(a) is not bool and type(b) is not bool and bool(a == b) or (a is b)
    except Exception:  # noqa: BLE001 - an exotic default (a tensor): never dropped
        return False


def loss_versions(spec: str) -> dict[str, str]:
    """``{loss name: version[, file hash]}`` for every term: part of the run identity."""
    out = {}
    for t in parse_loss_spec(spec):
        e = LOSSES.get(t.name)
        out[t.name] = e.version + (f"+{e.meta['file_sha256'][:12]}" if "file_sha256" in e.meta else "")
    return out


def run_loss_versions(spec: str, precision: str = "fp32") -> dict[str, str]:
    """:func:`loss_versions` as a run's rows and ``meta.json`` record them: in a bf16 run a term with a trunk
    also names the trunk policy (``vgg=1:t2``, :func:`benchmark.precision.trunk_policy`), so a store's runs
    of the earlier bf16 trunks are labelled apart from these, never pooled as more seeds of one loss."""
    out = loss_versions(spec)
    if precision != "bf16":
        return out
    from benchmark.precision import trunk_policy

    return {k: f"{v}:t{trunk_policy()}" if takes_weights(k) else v for k, v in out.items()}


def loss_version_string(spec: str, precision: str = "fp32") -> str:
    """``"l1=1,pdl=2"``: the versions of a spec's terms as one string (a result row's ``loss_version``;
    :func:`run_loss_versions`)."""
    return ",".join(f"{k}={v}" for k, v in sorted(run_loss_versions(spec, precision).items()))


def _init_params(obj) -> tuple[dict, bool]:
    """(named parameters of a loss entry's constructor, whether it takes **kwargs)."""
    import inspect

    init = obj.__init__ if isinstance(obj, type) else obj
    if init in (nn.Module.__init__, object.__init__):  # their own (*args, **kwargs) take nothing
        return {}, False
    try:
        params = dict(inspect.signature(init).parameters)
    except (TypeError, ValueError):
        return {}, True
    params.pop("self", None)
    return params, any(p.kind is p.VAR_KEYWORD for p in params.values())


def no_such_argument(loss: str, unknown: list[str], params) -> str:
    """``loss 'charbonnier' has no argument 'esp'; did you mean eps? (it takes: eps)``: the one wording of keywords a
    loss does not take, with or without a value (:func:`check_loss_arguments`, ``charbonnier(esp=0.1)``;
    :func:`parse_loss_spec`, ``charbonnier(esp=)``): the close name offered for a lone one, as a task's parameter is
    (``sigam``: did you mean sigma?). ``params``: the names the loss's constructor takes (:func:`_init_params`)."""
    close = did_you_mean(unknown[0], params) if len(unknown) == 1 else ""
    return (f"loss {loss!r} has no argument {', '.join(map(repr, unknown))}{close} "
            f"(it takes: {', '.join(params) or 'none'})")


def takes_weights(spec: str) -> bool:
    """Does any term of the spec use backbone weights (a ``weights`` argument)?"""
    for t in parse_loss_spec(spec):
        params, var_kw = _init_params(LOSSES.get(t.name).obj)
        if "weights" in params or var_kw:
            return True
    return False


def check_loss_arguments(spec: str) -> None:
    """``l1(foo=1)`` or ``pdl(layers=5)``: catch a keyword the loss does not take, or a value of the
    wrong type, before anything is built or trained (one-line :class:`UserError`)."""
    from benchmark.params import check_kwargs

    for term in parse_loss_spec(spec):
        if not term.kwargs:
            continue
        obj = LOSSES.get(term.name).obj
        params, var_kw = _init_params(obj)
        unknown = [k for k, _ in term.kwargs if k not in params]
        if unknown and not var_kw:
            raise UserError(no_such_argument(term.name, unknown, params))
        check_kwargs(obj, dict(term.kwargs), f"loss {term.name!r}")
    seen: dict[tuple, Term] = {}
    for term in parse_loss_spec(spec):  # 'charbonnier + charbonnier(eps=0.001)': one term (its default) twice
        key = _term_identity(term)
        if key in seen:
            first, again = Term(1.0, seen[key].name, seen[key].kwargs), Term(1.0, term.name, term.kwargs)
            raise UserError(f"{first} and {again} in {spec!r} are one term (argument types or default values aside): "
                            f"combine the weights ({_weight_text(seen[key].weight + term.weight)}*{first})")
        seen[key] = term


def check_loss_value(term, value, pred: torch.Tensor, target: torch.Tensor | None = None) -> None:
    """A loss term must return a real scalar tensor that depends differentiably on ``pred`` and, on
    finite ``pred`` and ``target`` (the first training batch), is a finite number; anything else is
    a one-line :class:`UserError` naming the term (before any run is recorded: a loss that is NaN
    at its first call is broken, not a training run that diverged)."""
    name = getattr(term, "name", str(term))
    if not isinstance(value, torch.Tensor):
        raise UserError(f"loss {name!r} returned a {type(value).__name__}, not a tensor: return a scalar torch "
                        "tensor computed from pred (e.g. `(pred - target).abs().mean()`)")
    if value.numel() != 1:
        raise UserError(f"loss {name!r} returned a tensor of shape {tuple(value.shape)}: a loss must return one "
                        "number (reduce it, e.g. with .mean())")
    if value.is_complex():  # was cast to its real part (a UserWarning) and trained on
        raise UserError(f"loss {name!r} returned a complex tensor ({value.dtype}): a loss is a real number "
                        "(e.g. the squared magnitude of a spectrum difference, .abs().pow(2).mean())")
    if pred.requires_grad and not value.requires_grad:
        raise UserError(f"loss {name!r} does not depend differentiably on pred (its value has no gradient: "
                        "detached, computed in numpy, or under torch.no_grad)")
    inputs_finite = bool(torch.isfinite(pred.detach()).all()) and (target is None or bool(torch.isfinite(target).all()))
    if not inputs_finite:
        return
    if not bool(torch.isfinite(value.detach()).all()):
        raise UserError(f"loss {name!r} returned {float(value.detach().reshape(()))} on the first training batch, "
                        "whose pred and target are finite: a loss must be a finite number (look for 0/0, log(0), "
                        "sqrt or pow of a negative, a division by a zero variance)")
    if pred.requires_grad and value.requires_grad and not _reaches(value, pred):
        # differentiable only in the loss's own parameters: the net would get no gradient and never train
        raise UserError(f"loss {name!r} does not depend differentiably on pred (no gradient reaches it; only "
                        "the loss's own parameters have one): compute the loss from pred")


def _reaches(value: torch.Tensor, x: torch.Tensor) -> bool:
    """Does ``value``'s autograd graph lead back to ``x`` (its grad_fn, or its AccumulateGrad as a leaf)?
    A walk of the recorded graph: nothing is computed."""
    goal = x.grad_fn
    stack, seen = [value.grad_fn], {}  # seen keeps the nodes alive: their ids are not reused during the walk
    while stack:
        node = stack.pop()
        if node is None or id(node) in seen:
            continue
        seen[id(node)] = node
        if (node is goal) if goal is not None else (getattr(node, "variable", None) is x):
            return True
        stack.extend(f for f, _ in node.next_functions)
    return False


def _same(a: torch.Tensor, b: torch.Tensor) -> bool:
    """Equal shape and values, NaN where the other has NaN (``torch.equal`` says False at any NaN)."""
    if a.shape != b.shape:
        return False
    return bool(((a == b) | (torch.isnan(a) & torch.isnan(b))).all())


class WeightedSum(nn.Module):
    """Σ wᵢ·lossᵢ(pred, target). Each term gets only the extras its entry ``needs``."""

    def __init__(self, terms: tuple[Term, ...], modules: list[nn.Module], needs: list[tuple[str, ...]]):
        super().__init__()
        self.terms = terms
        self.parts = nn.ModuleList(modules)
        self.needs = needs

    @property
    def spec(self) -> str:
        return " + ".join(str(t) for t in self.terms)

    @property
    def provenance(self) -> str:
        provs = [getattr(m, "provenance", "none") for m in self.parts]
        provs = [p for p in provs if p and p != "none"]
        return "; ".join(dict.fromkeys(provs)) or "none"

    @property
    def needs_all(self) -> set[str]:
        return {n for ns in self.needs for n in ns}

    @property
    def batch_dependent(self) -> bool:
        """Does one image's loss depend on the others in its batch (``ffl(batch_matrix=True)``: a batch-wide
        maximum)? A loss module declares it with a ``batch_dependent`` attribute (absent: False, a mean over the
        batch of each image's own loss, as tests/test_losses.py checks of every registered loss)."""
        return any(bool(getattr(m, "batch_dependent", False)) for m in self.parts)

    def components(self, pred: torch.Tensor, target: torch.Tensor, **extra) -> list[torch.Tensor]:
        shared = len(self.parts) > 1 or any(hasattr(m, "train_step") for m in self.parts)
        # one term alone may clamp_ its own pred (autograd's) and target, not an extra (degraded: the net's input)
        if getattr(self, "_checked", False) or not (shared or any(k in extra for k in self.needs_all)):
            return [m(pred, target, **{k: extra[k] for k in need if k in extra})
                    for m, need in zip(self.parts, self.needs)]
        out = []  # the first call: no term may change what the other terms (or a train_step) read after it
        for t, m, need in zip(self.terms, self.parts, self.needs):
            kw = {k: extra[k] for k in need if k in extra}
            given = {"pred": pred, "target": target, **kw} if shared else kw
            seen = {k: v for k, v in given.items() if isinstance(v, torch.Tensor)}
            before = {k: v._version for k, v in seen.items()}  # bumped by every in-place op on the tensor...
            copies = {k: v.detach().clone() for k, v in seen.items()}  # ...but not through .data or .numpy()
            out.append(m(pred, target, **kw))
            changed = [k for k, v in seen.items() if v._version != before[k] or not _same(v.detach(), copies[k])]
            if changed:
                why = (f"the other terms of {self.spec!r} would read the changed tensor" if shared else
                       f"{changed[0]} is the net's input, which the net's backward pass reads")
                raise UserError(f"loss {t.name!r} changed its {' and '.join(changed)} in place (e.g. mul_, clamp_, "
                                f"+=, x[...] = ..., relu(x, inplace=True), writes through x.data or x.numpy()): {why}; "
                                f"compute on a copy ({changed[0]} * 255, {changed[0]}.clamp(0, 1))")
        return out

    def forward(self, pred: torch.Tensor, target: torch.Tensor, **extra) -> torch.Tensor:
        total = None
        values = self.components(pred, target, **extra)
        if not getattr(self, "_checked", False):  # the first call: what the loss returns is a user input
            for t, v in zip(self.terms, values):
                check_loss_value(t, v, pred, target)
            self._checked = True
            if pred.requires_grad and bool(torch.isfinite(pred.detach()).all()) and bool(torch.isfinite(target).all()):
                pred.register_hook(self._check_first_gradient)  # fires in the first backward, once
        for t, v in zip(self.terms, values):  # one number as a 0-dim tensor: a (1,) or (1, 1) value (checked
            v = t.weight * v.float().reshape(())  # above) made every curve point a list, and the run failed
            total = v if total is None else total + v
        return total

    def _check_first_gradient(self, grad: torch.Tensor) -> None:
        """d loss / d pred of the first batch (finite inputs, finite value): a non-finite one would make the
        net's weights NaN at its first step (recorded as a run diverged at iteration 2). An undefined
        gradient (None: a backward with undefined grad_outputs, as gradcheck runs one) is not checked."""
        if grad is not None and not bool(torch.isfinite(grad).all()):
            bad = int((~torch.isfinite(grad)).sum())
            raise UserError(f"loss {self.spec!r} has a non-finite gradient on the first training batch ({bad} of "
                            f"{grad.numel()} values of d loss/d pred) where its value is finite: look for sqrt or a "
                            "norm at 0 (add an eps inside), abs()**p with p < 1, a division by a zero variance")

    def train_step(self, pred: torch.Tensor, target: torch.Tensor, **extra) -> None:
        for m, need in zip(self.parts, self.needs):
            if hasattr(m, "train_step"):
                m.train_step(pred, target, **{k: extra[k] for k in need if k in extra})


def build_loss(spec: str, *, seed: int = 0, device: str | torch.device = "cpu", **context) -> WeightedSum:
    """Build the module for a spec. ``seed`` seeds any random-init parts (recorded in provenance);
    ``context`` carries run-level options (e.g. ``weights="random"`` or ``"pretrained"``) to
    losses whose constructor accepts them."""
    from benchmark.params import check_kwargs

    terms = parse_loss_spec(spec)
    modules, needs = [], []
    for t in terms:
        entry = LOSSES.get(t.name)
        kwargs = check_kwargs(entry.obj, dict(t.kwargs), f"loss {t.name!r}")
        params, has_var_kw = _init_params(entry.obj)
        for key, value in (("seed", seed), *context.items()):
            if (key in params or has_var_kw) and key not in kwargs:
                kwargs[key] = value
        _check_required(t.name, entry.obj, params, kwargs)
        try:
            module = entry.obj(**kwargs)
        except UserError:
            raise
        except (TypeError, ValueError) as exc:
            raise UserError(f"loss {t.name!r}: bad arguments {dict(t.kwargs)}: {exc}") from None
        except Exception as exc:  # a user's file or a plugin failing in its own code: theirs, not an internal error
            origin = Path(entry.meta["file"]).name if "file" in entry.meta else entry.meta.get("plugin")
            if origin is None:
                raise
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
            from benchmark.errors import download_hint

            raise UserError(f"loss {t.name!r} ({origin}) failed to build: {type(exc).__name__}"
                            f"{': ' + first if first else ''}{download_hint(exc)}") from exc
        if not isinstance(module, nn.Module):
            raise UserError(f"loss {t.name!r} must build an nn.Module, got {type(module).__name__}")
        check_forward(t.name, module, tuple(entry.meta.get("needs", ())))
        modules.append(module.to(device))
        needs.append(tuple(entry.meta.get("needs", ())))
    return WeightedSum(terms, modules, needs).to(device)


def _check_required(name: str, obj, params: dict, kwargs: dict) -> None:
    """Constructor parameters without a default that the spec leaves out: a one-line :class:`UserError`
    saying how to give them — or, for a registered plain function of (pred, target), that a loss entry
    builds an ``nn.Module`` (it is called with the spec's keywords to build the loss, not with images)."""
    missing = [k for k, p in params.items() if p.default is p.empty and k not in kwargs
               and p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY, p.POSITIONAL_ONLY)]
    if not missing:
        return
    if not isinstance(obj, type) and len(missing) >= 2:
        raise UserError(f"loss {name!r} is a function of ({', '.join(missing)}): @register_loss decorates an "
                        "nn.Module class whose forward(self, pred, target) returns the loss (or a factory that "
                        "returns such a module)")
    owner = f"{obj.__name__}.__init__" if isinstance(obj, type) else getattr(obj, "__name__", name)
    args = ", ".join(f"{k}=..." for k in missing)
    raise UserError(f"loss {name!r} needs argument{agree(len(missing), '', 's')} "
                    f"{', '.join(map(repr, missing))} (no default): give {agree(len(missing), 'it', 'them')} "
                    f"in the spec, e.g. '{name}({args})', or a default in {owner}")


#: what a loss entry may declare in ``needs``: the extra inputs the runner passes to its forward
LOSS_EXTRAS = ("degraded",)


def check_forward(name: str, module: nn.Module, needs: tuple[str, ...]) -> None:
    """The loss protocol, checked on the signature before anything trains: ``forward(pred, target)``,
    plus ``degraded=`` when the entry declares ``needs=("degraded",)``. A mismatch is a one-line
    :class:`UserError` (else every run of the grid would fail at its first iteration)."""
    import inspect

    cls = type(module)
    if cls.forward is not nn.Module.forward:
        fn, what = module.forward, "forward"
    elif cls.__call__ is not nn.Module.__call__:  # __call__ overridden instead: that is what is called
        fn, what = module.__call__, "__call__"
    else:
        raise UserError(f"loss {name!r} ({cls.__name__}) defines no forward(self, pred, target)")
    unknown = [k for k in needs if k not in LOSS_EXTRAS]
    if unknown:  # never passed: a forward's default (degraded=None) would be what it gets, silently, every step
        raise UserError(f"loss {name!r} declares needs={tuple(needs)!r}: the runner passes only "
                        f"{', '.join(map(repr, LOSS_EXTRAS))} (the net's input){did_you_mean(unknown[0], LOSS_EXTRAS)}")
    extra = {k: None for k in needs if k == "degraded"}  # the only extra the runner passes
    try:
        sig = inspect.signature(fn)
    except (TypeError, ValueError):  # no signature to read (a builtin): left to the first call
        return
    try:
        sig.bind(None, None, **extra)
    except TypeError as exc:
        call = "forward(pred, target" + (", degraded=…" if extra else "") + ")"
        takes = "degraded" in sig.parameters
        hint = "; a loss that needs the degraded input declares needs=(\"degraded\",)" if takes and not extra else ""
        raise UserError(f"loss {name!r}: {cls.__name__}.{what}{sig} cannot be called as {call} ({exc}){hint}") \
            from None
    trainable = [n for n, p in module.named_parameters() if p.requires_grad]
    if trainable and not hasattr(module, "train_step") and name not in _SAID_FIXED:  # the optimiser steps the net's
        _SAID_FIXED.add(name)  # parameters only; an unfrozen pretrained trunk in a loss file is common and runs fine
        log.warning("loss %r (%s) has %s (%s) but no train_step: the runner optimises the net "
                    "only, so they stay at their initial values in every run (loss.pt saves those); update them in "
                    "train_step(pred, target, **extra) to learn them, or freeze them (.requires_grad_(False), "
                    "register_buffer) to say they are fixed", name, cls.__name__,
                    plural(len(trainable), "trainable parameter"),
                    ", ".join(trainable[:3]) + (", …" if len(trainable) > 3 else ""))


#: loss names whose fixed-but-trainable parameters were warned of in this process (once each, not once a run)
_SAID_FIXED: set[str] = set()


#: training crops tried, smallest first, when a loss fails on the grid's crop (to say from which one it runs)
CROP_LADDER = (16, 24, 32, 48, 64, 96, 128, 192, 256)
#: the largest crop side :func:`check_loss_on_crop` first tests a loss's dependence on pred with (a loss that
#: depends on pred on a crop does on larger ones; only one flat there is tested again at the grid's crop)
PROBE_SIDE = 32
#: the crop a loss's near-flatness is judged against: the standard profile's, on which every registered loss trains
REFERENCE_SIDE = 96
#: a loss is *nearly flat* on a crop where the degradation spans under this fraction of the share of its range it
#: spans on :data:`REFERENCE_SIDE` crops: the share is the gap loss(degraded) − loss(target) over loss(flat) −
#: loss(target), ``flat`` each crop's mean colour (:func:`_near_flat`). A ratio of gaps on one crop, so a loss
#: summed over pixels instead of averaged (a constant factor per crop, which Adam's steps do not see) is judged as
#: its mean; the contextual loss on 16-px denoise crops spans 3.6 % of its 96-px share (refused), vgg_esrgan with
#: random weights 79–145 % at 16 px and every registered loss ≥ 50 % at 48 px (measured on skimage:train)
NEAR_FLAT = 0.05


def _error_text(exc: BaseException) -> str:
    """``"Type: first line"`` of an exception, at most 200 characters (a refusal's words for it)."""
    first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    why = f"{type(exc).__name__}{': ' + first if first else ''}"
    return why[:197] + "..." if len(why) > 200 else why


def _refuse_out_of_memory(exc: BaseException, spec: str, n: int, side: int, batch_matters: bool) -> None:
    """:func:`check_loss_on_crop`'s probe running out of memory (the host's allocator or a GPU's,
    :func:`benchmark.errors.is_out_of_memory`) is no failure of the loss: one line saying so, on what shape and what to
    lower, where it said the loss fails on that crop and sent the user up :data:`CROP_LADDER`."""
    from benchmark.errors import is_out_of_memory, oom_summary

    if is_out_of_memory(exc, host=True):
        lower = "--crop or --batch-size" if batch_matters else "--crop"
        raise UserError(f"out of memory on the cpu checking loss {spec!r} on {n} × {side}² crops before training "
                        f"({oom_summary(exc)}); lower {lower}, or free memory on this machine") from None


def check_loss_on_crop(spec: str, loss: WeightedSum, tasks, *, crop: int, batch: int = 2,
                       device_type: str = "cpu", images=None) -> None:
    """The loss run on the grid's training shapes, before anything is trained.

    For each side the grid trains on (``crop`` rounded down to each task's size multiple, as
    :func:`benchmark.data.sample_batch` crops: ``--crop 42`` is 42×42 for denoise, 40×40 for sr4),
    one forward of ``min(batch, 2)`` random crops (N, 3, side, side) in [0, 1] (a loss may take
    statistics over the batch; ``batch`` is the grid's, all of it for a loss file's or a plugin's loss,
    whose code may hold a batch size), with the task's degradation as the
    ``degraded`` extra for a loss that needs it (then each task is probed). A loss that fails there —
    a crop smaller than its backbone's receptive field, its SSIM window or MS-SSIM's scales, a size
    its patches do not divide, or an error in a user's forward — would fail every run of the grid at
    its first iteration, each recorded as failed: here it is one :class:`UserError` naming the loss,
    the error, and from which crop of :data:`CROP_LADDER` it runs. The forward runs — and its
    backward, for a loss of a user's file or a plugin — so what :func:`check_loss_value` and the
    first-gradient check refuse (a NaN value or gradient, a non-scalar, no gradient to pred) is raised
    as it is. Then, for each task, a loss whose value is the same for the degraded input as for the
    clean target (:func:`_flat_value`: the contextual loss on 16-px crops of noise-like images, whose few
    feature positions all match their own) is refused the same way: it would train nothing there; and so is one
    *nearly* flat on a crop of at most :data:`PROBE_SIDE` (:func:`_near_flat`: the share of its range the
    degradation spans under :data:`NEAR_FLAT` of that share on reference crops — the contextual loss on 16-px
    photo crops for denoise) (tested
    on crops of the grid's training ``images`` (ImageRecords) when given, as training draws them — on
    photos it does depend on pred — else on random ones, as many as the forward's; on at most
    :data:`PROBE_SIDE` px first, to stay cheap; the shapes are the grid's own). The probe runs on the
    CPU: for a grid trained on another ``device_type``, a loss file's or plugin's failure (its own code
    may need that device) is a warning, not a refusal."""
    tasks = list(tasks)
    if not tasks:
        return
    # the backward too for a user's file or a plugin (built-in losses' gradients are tests/test_losses.py's)
    grad = any({"file", "plugin"} & set(LOSSES.get(t.name).meta) for t in parse_loss_spec(spec))
    # a loss file's or plugin's code is unknown: its grid's own batch (built-in losses are batch-independent), for
    # the flat check too (on fewer crops such a forward may raise, and the check be skipped without a word)
    n = max(1, int(batch) if grad else min(int(batch), 2))
    needs_degraded = "degraded" in loss.needs_all
    zero_grad: dict[str, int] = {}  # the side of a crop where d loss / d pred was 0 everywhere (attempt)
    seen: dict[tuple[str, int], tuple[float, float] | None] = {}  # _near_flat's values per (task, side): the
    # reference crop's are computed once, not again for each crop of the ladder refuse() tries

    def attempt(side: int, task) -> None:
        side -= side % task.size_multiple
        g = torch.Generator().manual_seed(0)
        clean = torch.rand(n, 3, side, side, generator=g)
        leaf = (clean + 0.05 * torch.randn(clean.shape, generator=g)).clamp(0, 1).requires_grad_(grad)
        pred = leaf.clone() if grad else leaf  # not a leaf, as a net's output (which a loss may clamp_ in place)
        extra = {"degraded": task.degrade(clean, g)} if needs_degraded else {}
        loss._checked = False  # what it returns, and its gradient, checked as at the first training step
        with torch.set_grad_enabled(grad):
            value = loss(pred, clean, **extra)
        if grad:
            value.backward()
            if leaf.grad is not None and not bool(leaf.grad.any()) and not moves_from_input(clean, extra, task):
                zero_grad.setdefault("side", side)  # refused after the flat checks, whose words fit a flat loss

    def moves_from_input(clean: torch.Tensor, extra: dict, task) -> bool:
        """Whether d loss / d pred is non-zero somewhere at pred = the degraded input: the net starts as the
        identity (:class:`benchmark.nets.ResidualCNN`), so that is its first output. A loss with no gradient
        near the target only (a dead zone, a hinge on PSNR) trains from there; round, sign or a detached path
        has none there either. Run only when the gradient near the target was zero (rare): no planning cost."""
        try:
            start = extra["degraded"] if "degraded" in extra else task.degrade(clean, torch.Generator().manual_seed(1))
            if start.shape != clean.shape:
                return False
            start = start.detach().clone().requires_grad_(True)
            loss._checked = False
            with torch.enable_grad():
                value = loss(start.clone(), clean, **extra)
            (g,) = torch.autograd.grad(value, start, allow_unused=True)
        except Exception:  # noqa: BLE001 - no second point to judge from: the first one's zero gradient stands
            return False
        finally:
            loss._checked = False
        return g is not None and bool(g.any())

    errors: set[str] = set()  # what the loss raised on the crops of the ladder, as _error_text words it

    def trains(side: int, task) -> bool:
        try:
            attempt(side, task)
            ok = _flat_value(loss, task, side, n, images=images) is None and \
                _near_flat(loss, task, side, n, images=images, seen=seen) is None
            if not ok:
                errors.add("")  # ran, but (nearly) flat there: not the same error
            return ok
        except Exception as exc:  # noqa: BLE001 - still too small (or failing for another reason)
            errors.add(_error_text(exc))
            return False
        finally:
            loss._checked = False

    def refuse(task, what: str, error: str | None = None) -> None:
        side = crop - crop % task.size_multiple
        errors.clear()
        runs = next((c for c in CROP_LADDER if c > crop and trains(c, task)), None)
        hint = f": it runs from --crop {runs}" if runs else f" (nor on crops up to {CROP_LADDER[-1]} px)"
        if not runs and error is not None and errors == {error}:  # one error whatever the crop: not its size
            hint = f" (the same error on every crop up to {CROP_LADDER[-1]} px: the crop's size is not why)"
        on = f" for task {task.name}" if len(tasks) > 1 or what.startswith(("does not", "is nearly")) else ""
        raise UserError(f"loss {spec!r} {what.format(side=side, on=on)}{hint}") from None

    sides: dict[int, object] = {}  # each side the grid trains on, with a task that crops it
    for task in tasks:
        sides.setdefault(crop - crop % task.size_multiple, task)
    for task in tasks if needs_degraded else sides.values():
        try:
            attempt(crop, task)
        except UserError:
            raise
        except Exception as exc:  # noqa: BLE001 - any failure of the loss is the grid's bad input
            _refuse_out_of_memory(exc, spec, n, crop - crop % task.size_multiple, grad)
            why = _error_text(exc)
            if device_type != "cpu" and grad:
                log.warning("loss %r fails on the CPU (%s); the grid trains on %s, where it is not checked before "
                            "training", spec, why, device_type)
                return
            refuse(task, "fails on {side}×{side} training crops{on} (" + why.replace("{", "{{").replace("}", "}}")
                   + ")", error=why)
        finally:
            loss._checked = False
    goal: dict = {}  # per side: the value at the target (and at the flat image, _near_flat's)

    def flat(task) -> float | None:
        """_flat_value on at most PROBE_SIDE px (cheap), then, where flat there or too small a crop for the
        loss, on the grid's own crop: a loss that depends on pred on a smaller crop does on larger ones."""
        try:
            try:
                value = _flat_value(loss, task, min(crop, PROBE_SIDE), n, goal, images)
            except Exception:  # noqa: BLE001 - too small a crop for it: decided on the grid's own
                value = math.nan
            if value is None or crop <= PROBE_SIDE:
                return None if value is None or math.isnan(value) else value
            return _flat_value(loss, task, crop, n, goal, images)
        except Exception:  # noqa: BLE001 - its forward ran above; a degradation failing here is the runner's
            return None
        finally:
            loss._checked = False

    def near_flat(task) -> tuple[float, float, int] | None:
        try:
            return _near_flat(loss, task, crop, n, goal, images, seen)
        except Exception:  # noqa: BLE001 - its forward ran above; a degradation failing here is the runner's
            return None
        finally:
            loss._checked = False

    if len(loss.terms) > 1:  # a weighted sum: say when a term barely reaches the gradient, probed on at most
        # PROBE_SIDE px first (a backward on 256 px is 8 s of CPU for l1 + style), a small share confirmed on the
        # grid's own crop (the contextual loss saturates on 32 px: 0.001 % there, 65 % on 128 px)
        side, task = next(iter(sides.items()))
        probe = min(side, PROBE_SIDE) - min(side, PROBE_SIDE) % task.size_multiple
        try:
            warn_small_terms(spec, loss, probe, n, confirm=side)
        except Exception:  # noqa: BLE001 - a diagnosis only (too small a crop for a term: the grid's own)
            try:
                warn_small_terms(spec, loss, side, n)
            except Exception:  # noqa: BLE001 - its forward and backward were checked above
                pass
        finally:
            loss._checked = False
    def flat_by_argument(task) -> str:
        """Which non-default float keyword makes the loss flat here (contextual's h=0.001: its affinities saturate
        on any crop the grid trains on, yet the refusal blamed the crop): each such keyword set back to its default
        on the module, whose forward reads it, and the flat check rerun on at most PROBE_SIDE px; '' if none."""
        import inspect

        for term, mod in zip(loss.terms, loss.parts):
            params = inspect.signature(type(mod).__init__).parameters
            for k, _ in term.kwargs:
                default = params[k].default if k in params else None
                if not isinstance(default, float) or not isinstance(getattr(mod, k, None), float) \
                        or getattr(mod, k) == default:
                    continue
                given = getattr(mod, k)
                setattr(mod, k, default)
                try:
                    still = _flat_value(loss, task, min(crop, PROBE_SIDE), n, None, images)
                except Exception:  # noqa: BLE001 - a diagnosis only
                    still = 0.0
                finally:
                    setattr(mod, k, given)
                    loss._checked = False
                if still is None:
                    return (f" (with {term.name}'s default {k}={default:g} it does depend on pred: {k}={given:g} is "
                            "what makes it flat)")
        return ""

    def larger_at_target(task) -> tuple[float, float, int, str] | None:
        """``(loss(target), loss(degraded), side, what)`` where the loss is larger at the clean target than at the
        degraded input (:func:`_larger_at_target`), or one term of a weighted sum is (:func:`_reversed_term`: ℓ1
        hides a similarity added to it; ``what`` names the term), on at most PROBE_SIDE px (cheap), or the grid's
        own crop where that is too small for the loss; None otherwise — and for a loss with a ``train_step`` (a
        learned critic's first values are its random init's, not the direction it trains the net in)."""
        if any(hasattr(m, "train_step") for m in loss.parts):
            return None
        for side in dict.fromkeys((min(crop, PROBE_SIDE), crop)):
            try:
                found = _larger_at_target(loss, task, side, n, goal, images)
                if found is not None:
                    found = (*found, "")
                elif len(loss.terms) > 1:
                    found = _reversed_term(loss, task, side, n, images)
            except Exception:  # noqa: BLE001 - too small a crop for it: decided on the grid's own
                continue
            finally:
                loss._checked = False
            if found is None:
                return None
            at_target, at_input, what = found
            return at_target, at_input, side - side % task.size_multiple, what
        return None

    for task in tasks:
        value = flat(task)
        if value is not None:
            refuse(task, f"does not depend on pred on {{side}}×{{side}} training crops{{on}}: its value is {value:g} "
                         "for the degraded input as for the clean target, so the net would get no gradient and "
                         "train nothing" + flat_by_argument(task).replace("{", "{{").replace("}", "}}"))
        if (near := near_flat(task)) is not None:
            share, ref_share, ref = near
            refuse(task, f"is nearly flat on {{side}}×{{side}} training crops{{on}}: loss(degraded) − loss(target) is "
                         f"{share:.2%} of loss(flat image) − loss(target) there, {share / ref_share:.1%} of its "
                         f"{ref_share:.2%} on {ref}×{ref} crops (under {NEAR_FLAT:.0%}): the degradation barely moves "
                         "it, so the net would barely train")
        if (larger := larger_at_target(task)) is not None:  # a similarity or a score returned as it is: every run of
            # the grid would train its net away from the target (ssim_sim: 1 at the target, ~0.6 at the noisy input)
            at_target, at_input, side, what = larger
            what = f": its term {what!r}" if what else ""
            raise UserError(f"loss {spec!r}{what} is larger at the clean target ({at_target:.4g}) than at the degraded "
                            f"input ({at_input:.4g}) on {side}×{side} training crops for task {task.name}: minimising "
                            "it moves the net away from the target — a similarity or a score (SSIM, PSNR) returned as "
                            "it is? A loss is a distance: return e.g. 1 − SSIM or −PSNR")
    if "side" in zero_grad:  # its value depends on pred (not flat above), but no step would move the net: round,
        # floor, sign, a comparison, or a detached path plus a 0·pred term (a gradient "reaches" pred, all zeros)
        side = zero_grad["side"]
        raise UserError(f"loss {spec!r}: d loss / d pred is zero everywhere on {side}×{side} training crops "
                        "(pred = target + noise of σ 0.05, and pred = the degraded input, the identity-initialised "
                        "net's first output) though its value depends on pred, so the net would train "
                        "nothing: round, floor, sign, comparisons and argmax have no gradient, nor has a detached "
                        "path (use a differentiable surrogate, e.g. a straight-through x + (round(x) - x).detach())")


#: a term of a weighted sum whose share of the sum's gradient (:func:`term_gradient_shares`) is below this is
#: named in a warning: the sum trains nearly as the other terms alone
SMALL_TERM_SHARE = 0.01


def term_gradient_shares(loss: WeightedSum, pred: torch.Tensor, target: torch.Tensor, **extra) -> list[float]:
    """Each weighted term's share ‖wᵢ ∂Lᵢ/∂pred‖ / Σⱼ ‖wⱼ ∂Lⱼ/∂pred‖ at ``pred`` (N, 3, H, W) in [0, 1],
    in the order of ``loss.terms``; the shares sum to 1 (all 0 where no term has a gradient). Weights are
    not normalised per term, so a term whose values are orders of magnitude smaller (style ≈ 1e-5 where
    ℓ1 ≈ 0.05) has a share far below its weight's."""
    pred = pred.detach().clone().requires_grad_(True)
    norms = []
    with torch.enable_grad():
        values = loss.components(pred, target, **extra)
        for t, v in zip(loss.terms, values):
            (g,) = torch.autograd.grad(t.weight * v.float(), pred, retain_graph=True, allow_unused=True)
            norms.append(0.0 if g is None else float(g.double().norm()))
    total = sum(norms)
    return [x / total if total > 0 else 0.0 for x in norms]


def _shares_on_crops(loss: WeightedSum, side: int, n: int) -> list[float]:
    """:func:`term_gradient_shares` on ``n`` random side×side crops with pred = target + 0.05·noise."""
    g = torch.Generator().manual_seed(0)
    clean = torch.rand(n, 3, side, side, generator=g)
    pred = (clean + 0.05 * torch.randn(clean.shape, generator=g)).clamp(0, 1)
    extra = {"degraded": pred.clone()} if "degraded" in loss.needs_all else {}
    return term_gradient_shares(loss, pred, clean, **extra)


def warn_small_terms(spec: str, loss: WeightedSum, side: int, n: int = 2, *, confirm: int | None = None) -> list[float]:
    """Log a warning naming each term of a weighted sum whose gradient share (:func:`term_gradient_shares`,
    on ``n`` random side×side crops with pred = target + 0.05·noise, as :func:`check_loss_on_crop` probes) is
    under :data:`SMALL_TERM_SHARE`: ``l1 + 0.1*style`` trains nearly as ℓ1 alone, and its leaderboard row would
    otherwise read as a mix. ``confirm``: a larger side on which a small share is measured again before it is
    said (a cheap small crop first; a loss may saturate there). Returns the shares said (or found)."""
    shares = _shares_on_crops(loss, side, n)
    if confirm is not None and confirm > side and any(sh < SMALL_TERM_SHARE for sh in shares):
        side, shares = confirm, _shares_on_crops(loss, confirm, n)
    small = [(t, sh) for t, sh in zip(loss.terms, shares) if sh < SMALL_TERM_SHARE]
    if small and len(small) < len(shares):
        rest = " + ".join(str(t) for t, sh in zip(loss.terms, shares) if sh >= SMALL_TERM_SHARE)
        def hint(sh: float) -> str:  # the power of ten that brings a share to about 10 %, and the share it gives
            k = 10.0 ** round(math.log10(0.1 / max(sh, 1e-12)))
            return f"×{_weight_text(k)} on its weight would give it {100 * k * sh / (1 - sh + k * sh):.2g} %"

        what = "; ".join(f"{t} gives {100 * sh:.2g} % ({hint(sh)})" for t, sh in small)
        log.warning("loss %r: %s of its gradient on %d×%d crops near the target: term weights are not normalised, "
                    "so it trains nearly as %s alone", spec, what, side, side, rest)
    return shares


def _near_flat(loss: WeightedSum, task, side: int, n: int, goal: dict | None = None,
               images=None, seen: dict | None = None) -> tuple[float, float, int] | None:
    """``(share, reference share, reference side)`` when the loss is nearly flat on ``side``-px crops, else None.

    The share is (loss(degraded) − loss(target)) / (loss(flat) − loss(target)) on ``n`` crops (as
    :func:`_flat_value` draws them; ``flat``: each crop's mean colour), how much of the loss's range the
    degradation spans, which a constant factor (a sum over pixels instead of a mean) does not change; the reference
    is the same share on :data:`REFERENCE_SIDE`-px crops (or the largest side the training ``images`` allow).
    Nearly flat: a share under :data:`NEAR_FLAT` of the reference one (zero or negative included). None where the
    side is over :data:`PROBE_SIDE` (judged only where a deep loss's positions run out: planning a 48-px grid runs
    no 96-px forwards) or not below the reference, or either share cannot be taken (a flat image no farther than
    the target) or the reference one is not positive. ``seen`` keeps the values per (task, side) for the next call."""
    side -= side % task.size_multiple
    if side > PROBE_SIDE:  # every registered loss keeps ≥ 17 % of its gap from 32 px up: not worth 96-px forwards
        return None
    ref = REFERENCE_SIDE
    if images is not None:
        ref = min(ref, max((min(r.size) for r in images), default=0))
    ref -= ref % task.size_multiple
    if side >= ref:
        return None
    seen = {} if seen is None else seen
    for s in (side, ref):
        if (repr(task), s) not in seen:
            seen[repr(task), s] = _values(loss, task, s, n, goal, images, far=True)
    shares = []
    for values in (seen[repr(task), side], seen[repr(task), ref]):
        if values is None:
            return None
        at_input, at_goal, at_far = values
        span = at_far - at_goal
        if not (math.isfinite(span) and span > 0 and math.isfinite(at_input)):
            return None
        shares.append((at_input - at_goal) / span)
    share, ref_share = shares
    if not ref_share > 0:
        return None
    return (share, ref_share, ref) if share < NEAR_FLAT * ref_share else None


def _values(loss: WeightedSum, task, side: int, n: int, goal: dict | None = None,
            images=None, far: bool = False):
    """``(loss(degraded, target), loss(target, target))`` on ``n`` crops, drawn as :func:`_flat_value` says, and
    loss(flat, target) third with ``far`` (``flat``: each crop's mean colour); None where the degradation changed
    nothing. ``goal`` keeps the values at the target and at the flat image per side (a loss without extras)."""
    from benchmark.data import sample_batch

    side -= side % task.size_multiple
    g = torch.Generator().manual_seed(0)
    usable = [r for r in images or () if min(r.size) >= side]
    clean = sample_batch(usable, n, side, 1, g) if usable else torch.rand(n, 3, side, side, generator=g)
    degraded = task.degrade(clean, g)
    if torch.equal(degraded, clean):  # a degradation that changed nothing says nothing of the loss
        return None
    extra = {"degraded": degraded} if "degraded" in loss.needs_all else {}
    goal = {} if goal is None or extra else goal
    loss._checked = True  # not the first training call: its checks ran on the probe
    with torch.no_grad():
        at_input = float(loss(degraded, clean, **extra))
        if side not in goal and math.isfinite(at_input):
            goal[side] = float(loss(clean, clean, **extra))
        if not far:
            return at_input, goal.get(side, math.nan)
        if ("flat", side) not in goal:  # as the target's value: the same crops for every task
            flat = clean.mean(dim=(2, 3), keepdim=True).expand_as(clean).contiguous()
            goal["flat", side] = float(loss(flat, clean, **extra))
    return at_input, goal.get(side, math.nan), goal["flat", side]


#: the noise a reversed loss is probed with off the target (:func:`_larger_at_target`), as the zero-gradient probe's
NEAR_TARGET_SIGMA = 0.05


def _larger_at_target(loss: WeightedSum, task, side: int, n: int, goal: dict | None = None,
                      images=None) -> tuple[float, float] | None:
    """``(loss(target, target), loss(degraded, target))`` where the first is larger (by more than rounding: 1e-6 of
    the larger magnitude, or of 1) and larger than the loss at the target plus noise of σ :data:`NEAR_TARGET_SIGMA`
    too (the target is no minimum: a distance with a smoothness prior on pred is larger at the target than at a
    blurred input, but not than just off the target), else None; on ``n`` crops drawn as :func:`_flat_value` draws
    them. A loss is minimised, so such a one trains the net away from the target: a similarity or a score returned
    as it is."""
    values = _values(loss, task, side, n, goal, images)
    if values is None or not all(math.isfinite(v) for v in values):
        return None
    at_input, at_target = values
    if not at_target > at_input + 1e-6 * max(1.0, abs(at_input), abs(at_target)):
        return None
    # a distance with a prior on pred (ℓ1 + 0.5·TV(pred): TV(target) > TV(blurred input)) is larger at the target
    # than at a smooth input too, yet its minimum is near the target: it rises off the target in any direction.
    # A similarity is smallest away from it: lower again at the target plus noise of σ NEAR_TARGET_SIGMA.
    clean, _, near_target, extra = _probe_batch(loss, task, side, n, images)
    loss._checked = True
    with torch.no_grad():
        near = float(loss(near_target, clean, **extra))
    return (at_target, at_input) if math.isfinite(near) and at_target > near else None


def _probe_batch(loss: WeightedSum, task, side: int, n: int, images=None):
    """``(clean, degraded, clean + noise of σ NEAR_TARGET_SIGMA clamped to [0, 1], extra)``: the crops
    :func:`_values` draws (the same draws) and their degradation, the loss's extras for them."""
    from benchmark.data import sample_batch

    side -= side % task.size_multiple
    g = torch.Generator().manual_seed(0)
    usable = [r for r in images or () if min(r.size) >= side]
    clean = sample_batch(usable, n, side, 1, g) if usable else torch.rand(n, 3, side, side, generator=g)
    degraded = task.degrade(clean, g)
    extra = {"degraded": degraded} if "degraded" in loss.needs_all else {}
    noise = torch.randn(clean.shape, generator=torch.Generator().manual_seed(1))
    return clean, degraded, (clean + NEAR_TARGET_SIGMA * noise).clamp(0, 1), extra


def _reversed_term(loss: WeightedSum, task, side: int, n: int, images=None) -> tuple[float, float, str] | None:
    """``(term(target, target), term(degraded, target), term)`` for the first term of a weighted sum that is, on its
    own, larger at the target than at the degraded input and than at the target plus noise (as
    :func:`_larger_at_target` judges a whole loss), else None: ``l1 + ssim_sim`` is smaller at a noisy input than at
    the target as a sum, yet its similarity term trains every run away from the target."""
    clean, degraded, near_target, extra = _probe_batch(loss, task, side, n, images)
    if torch.equal(degraded, clean):
        return None
    loss._checked = True
    with torch.no_grad():
        at = [[float(v) for v in loss.components(x, clean, **extra)] for x in (clean, degraded)]
        larger = [i for i, (at_target, at_input) in enumerate(zip(*at)) if math.isfinite(at_target + at_input)
                  and at_target > at_input + 1e-6 * max(1.0, abs(at_input), abs(at_target))]
        if not larger:  # the usual case: no forward off the target
            return None
        near = [float(v) for v in loss.components(near_target, clean, **extra)]
    for i in larger:
        if math.isfinite(near[i]) and at[0][i] > near[i]:
            return at[0][i], at[1][i], loss.terms[i].name
    return None


def _flat_value(loss: WeightedSum, task, side: int, n: int, goal: dict | None = None,
                images=None) -> float | None:
    """The loss's value when it is the same for ``task``'s degraded input as for the clean target (the net's
    starting point and its goal: a loss that cannot tell them apart trains nothing), else None. On ``n``
    crops (N, 3, side, side) in [0, 1] of ``images`` (ImageRecords, drawn as training draws them) where
    they are large enough, else random ones, ``side`` rounded down to the task's size multiple; ``goal``
    keeps the value at the target per side for the next task (a loss without extras)."""
    values = _values(loss, task, side, n, goal, images)
    if values is None or not math.isfinite(values[0]):
        return None
    return values[0] if values[0] == values[1] else None


def loss_family(spec: str) -> str:
    """The registry module(s) of a spec's terms: ``'l1 + 0.1*pdl'`` → ``'pixel+pdl'``."""
    entries = [LOSSES.get(t.name) for t in parse_loss_spec(spec)]
    # a user's --loss-file: its file name (its module name carries the file hash, which changes on each edit)
    mods = [Path(e.meta["file"]).stem if "file" in e.meta else e.obj.__module__.rsplit(".", 1)[-1]
            for e in entries]
    return "+".join(dict.fromkeys(mods))
