"""The one exception type that the CLI turns into a one-line message and exit code 2."""


class UserError(Exception):
    """Bad input from the user: unknown names, malformed config, unreachable data, ...

    The CLI prints ``error: <message>`` on one line (no traceback unless ``--debug``)
    and exits with :attr:`exit_code`. Results already on disk are never touched.
    """

    exit_code = 2


class UnknownName(UserError):
    """A name no registry holds (:meth:`benchmark.registry.Registry.get`): ``kind`` (``"loss"``, ``"task"``,
    …) and ``name`` let a caller that knows more (a results store holding runs of that loss, from a loss
    file not loaded now) say so instead of the registry's suggestions."""

    def __init__(self, message: str, kind: str = "", name: str = ""):
        super().__init__(message)
        self.kind, self.name = kind, name


def did_you_mean(name: str, choices, n: int = 1, cutoff: float = 0.6) -> str:
    """``"; did you mean a, b?"`` for a misspelt ``name`` among ``choices`` (a case slip such as
    ``PSNR`` first, then up to ``n`` close spellings), or ``""`` when nothing is close."""
    import difflib

    choices = [str(c) for c in choices]
    close = [c for c in choices if c.lower() == str(name).lower()] or \
        difflib.get_close_matches(str(name), choices, n=n, cutoff=cutoff)
    return f"; did you mean {', '.join(close)}?" if close else ""
