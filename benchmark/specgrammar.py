"""The loss-spec grammar — ``'0.84*ms_ssim + 0.16*l1'``, ``'0.5*(l1 + pdl(pixels=False))'`` — read without the
registry, torch or any loss module, so that a report of a store can read its specs.

A spec is a Python expression: terms (a loss name, or a loss called with ``name=literal`` keywords) added with
``+``, each weighted by number products on either side, grouped with parentheses at any depth (``2*(0.5*(l1 +
pdl))`` is ``l1 + pdl`` at weight 1 each). :func:`spec_leaves` is the one walk of that tree:
:func:`benchmark.lossfn.parse_loss_spec` (the registry's parser) checks and builds its terms from the leaves it
returns, and :func:`term_names` (the names a report, a finding or :func:`benchmark.stats.loss_terms` reads)
takes the leaves' names.
"""

from __future__ import annotations

import ast
from collections.abc import Container

from benchmark.errors import UserError

#: names that read as numbers but are not finite ones: ``nan*l1``, ``inf*l1`` are weights, not products
NON_FINITE = ("nan", "inf", "infinity")
#: the most terms a spec may have (deeper nesting cannot be parsed)
MAX_TERMS = 64
#: constructor arguments the runner fills itself when a spec leaves them out (``build_loss``'s
#: ``seed`` and ``weights=`` the run's backbone weights): never dropped as defaults by
#: :func:`benchmark.lossfn.loss_identity` (here, torch-free, for :func:`benchmark.findings._declared_apart` too)
RUN_ARGUMENTS = ("seed", "weights")
#: {built-in loss: the spec of the loss it is} for each registered ``same_as=`` another loss with arguments set
#: (``lpips_vgg`` is ``lpips(net='vgg')``: :func:`benchmark.lossfn.loss_identity`), known here without the loss modules
#: so that a store holding both spellings is read as one loss (:func:`benchmark.config.merged_spellings`) and a
#: finding asking for one knows the other (:meth:`benchmark.findings.Results.is_loss`, its layers too); tests check it
#: against the registry's ``same_as``
ALIAS_OF = {"lpips_vgg": "lpips(net='vgg')", "lpips_squeeze": "lpips(net='squeeze')",
            "vgg_esrgan": "vgg(arch='vgg19', layers=('conv5_4',), criterion='l1')"}


def weight_text(w: float) -> str:
    """A weight as written in labels and run ids: ``%g`` where that round-trips (``0.01``, ``100``), else the
    shortest exact form, so two distinct weights never share a label (``0.1234567`` vs ``0.1234568``)."""
    short = f"{w:g}"
    return short if float(short) == w else repr(w)


def number(node: ast.AST, short: str = "", loss_names: Container[str] = ()) -> float | None:
    """The weight a node writes (a number, a product of numbers, a ``+``-signed one), None where it is no number;
    a boolean, a non-finite name (``nan``, ``inf``: unless a loss of ``loss_names`` is called so) or a negative
    weight is a :class:`UserError` (``short``: the spec as the message shows it)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)) and not isinstance(node.value, bool):
        return float(node.value)
    if isinstance(node, ast.Constant) and isinstance(node.value, bool):
        raise UserError(f"loss spec {short!r}: weight {node.value!r} is not a number")
    if isinstance(node, ast.Name) and node.id.lower() in NON_FINITE and node.id not in loss_names:
        raise UserError(f"loss spec {short!r}: weight {node.id} is not a finite number: weights must be finite "
                        "positive numbers")
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mult):  # 2*0.5*l1 is (2*0.5)*l1
        left, right = number(node.left, short, loss_names), number(node.right, short, loss_names)
        return left * right if left is not None and right is not None else None
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        inner = number(node.operand, short, loss_names)
        if inner is not None and isinstance(node.op, ast.USub):
            raise UserError(f"loss spec {short!r}: weight -{weight_text(inner)} is negative: weights must be "
                            "positive")
        return inner
    return None


def spec_leaves(tree: ast.AST, short: str = "", loss_names: Container[str] = ()) -> list[tuple[float, ast.AST]]:
    """(weight, node) of each term of a spec's expression ``tree`` (``ast.parse(spec, mode="eval").body``), in the
    order written: the node an ``ast.Name`` or an ``ast.Call`` of a name (its arguments are the caller's to check),
    the weight the product of the numbers around it, to 15 digits (``3*(0.1*l1)`` is 0.3·l1). A subtraction, a
    negated term, a product of two terms, nesting beyond :data:`MAX_TERMS` or any other node is a one-line
    :class:`UserError` (``short``, ``loss_names``: as :func:`number` takes them)."""
    leaves: list[tuple[float, ast.AST]] = []

    def visit(node, weight=1.0, depth=0):
        if depth > MAX_TERMS:
            raise UserError(f"loss spec {short!r} has more than {MAX_TERMS} terms")
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
            visit(node.left, weight, depth + 1)
            visit(node.right, weight, depth + 1)
        elif isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mult):
            left, right = number(node.left, short, loss_names), number(node.right, short, loss_names)
            if left is not None or right is not None:  # a product of typed weights, to 15 digits
                visit(node.right if left is not None else node.left,
                      float(f"{weight * (left if left is not None else right):.15g}"), depth + 1)
            else:
                raise UserError(f"loss spec {short!r}: only number*loss products are allowed")
        elif isinstance(node, ast.BinOp) and isinstance(node.op, ast.Sub):
            raise UserError(f"loss spec {short!r}: terms are added, never subtracted: weights must be positive")
        elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
            raise UserError(f"loss spec {short!r}: a negated term: weights must be positive")
        elif isinstance(node, ast.Name) or (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)):
            leaves.append((weight, node))
        else:
            raise UserError(f"cannot parse loss spec {short!r}: expected e.g. 'l1 + 0.01*pdl(k=v)'")

    try:
        visit(tree)
    except RecursionError:
        raise UserError(f"loss spec {short!r} is nested too deeply to parse") from None
    return leaves


def leaf_name(node: ast.AST) -> str:
    """The loss a leaf of :func:`spec_leaves` names: ``pdl`` of ``pdl`` and of ``pdl(pixels=False)``."""
    return node.func.id if isinstance(node, ast.Call) else node.id


def term_names(spec: str) -> list[str] | None:
    """The loss names of a spec's terms in the order written (``'0.5*(l1 + pdl(pixels=False))'`` → ``['l1',
    'pdl']``), as :func:`benchmark.lossfn.parse_loss_spec` reads them, without the registry; None where the spec
    is not in the grammar (not a Python expression, a subtraction, …)."""
    try:
        tree = ast.parse(spec.strip(), mode="eval").body
        return [leaf_name(node) for _, node in spec_leaves(tree)]
    except (SyntaxError, ValueError, UserError, RecursionError, MemoryError):
        return None
