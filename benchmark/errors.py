"""The one exception type that the CLI turns into a one-line message and exit code 2."""


class UserError(Exception):
    """Bad input from the user: unknown names, malformed config, unreachable data, ...

    The CLI prints ``error: <message>`` on one line (no traceback unless ``--debug``)
    and exits with :attr:`exit_code`. Results already on disk are never touched.
    """

    exit_code = 2
