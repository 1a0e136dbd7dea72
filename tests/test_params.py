"""Typed parameters: every task parameter and every loss keyword is annotated, and a value of the
wrong type is a one-line error naming the parameter, the expected type and the value — parametrized
over the registries, so a new task or loss is checked for free."""

from __future__ import annotations

import typing

import pytest

from benchmark.errors import UserError
from benchmark.lossfn import build_loss, check_loss_arguments
from benchmark.params import annotations_of, check_kwargs, conform, type_name
from benchmark.registry import LOSSES, TASKS
from benchmark.task import build_task

CONTEXT = ("seed", "weights", "device")  # filled by the runner, but typed all the same


def _wrong(tp):
    """A literal of the wrong type for annotation ``tp`` (a dict fits none we use)."""
    return {"not": "this"} if tp not in (dict,) else 5


def _params(registry):
    out = []
    for e in registry.entries():
        for name, tp in annotations_of(e.obj).items():
            out.append((e.name, name, tp))
    return out


TASK_PARAMS = _params(TASKS)
LOSS_PARAMS = _params(LOSSES)


@pytest.mark.parametrize("entry,param,tp", TASK_PARAMS + LOSS_PARAMS,
                         ids=[f"{e}.{p}" for e, p, _ in TASK_PARAMS + LOSS_PARAMS])
def test_every_parameter_is_annotated(entry, param, tp):
    assert tp is not typing.Any, f"{entry}: parameter {param} has no type annotation"


@pytest.mark.parametrize("task,param,tp", TASK_PARAMS, ids=[f"{t}.{p}" for t, p, _ in TASK_PARAMS])
def test_task_parameter_of_the_wrong_type(task, param, tp):
    bad = _wrong(tp)
    with pytest.raises(UserError) as e:
        build_task(task, **{param: bad})
    msg = str(e.value)
    assert f"task {task!r} parameter {param} expects {type_name(tp)}, got {bad!r} (dict)" == msg


@pytest.mark.parametrize("loss,param,tp", LOSS_PARAMS, ids=[f"{n}.{p}" for n, p, _ in LOSS_PARAMS])
def test_loss_keyword_of_the_wrong_type(loss, param, tp):
    bad = _wrong(tp)
    spec = f"{loss}({param}={bad!r})"
    if param not in CONTEXT:
        with pytest.raises(UserError, match=rf"loss '{loss}' argument {param} expects .*, got "):
            check_loss_arguments(spec)
    with pytest.raises(UserError) as e:
        build_loss(spec, weights="random")
    assert f"loss {loss!r} argument {param} expects {type_name(tp)}, got {bad!r} (dict)" == str(e.value)


def test_conform_accepts_and_converts():
    assert conform(3, float) == 3.0 and isinstance(conform(3, float), float)
    assert conform([1, 2], tuple[float, float]) == (1.0, 2.0)
    assert conform(["a"], typing.Sequence[str]) == ("a",)
    assert conform(None, int | None) is None
    assert conform("b", typing.Literal["a", "b"]) == "b"
    from benchmark.params import _MISSING

    assert conform(True, int) is _MISSING and conform(1, bool) is _MISSING
    assert conform("ab", typing.Sequence[str]) is _MISSING
    assert conform((1, 2, 3), tuple[float, float]) is _MISSING
    with pytest.raises(UserError, match="expects one of 'a', 'b', got 'c'"):
        check_kwargs(_literal_owner, {"mode": "c"}, "loss 'x'")


def _literal_owner(mode: typing.Literal["a", "b"] = "a"):
    return mode
