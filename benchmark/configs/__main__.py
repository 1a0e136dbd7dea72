"""``python -m benchmark.configs [NAME]``: the path of the shipped config file ``NAME`` names (``cpu``, ``cpu.yaml``,
``configs/cpu.yaml``), to copy and edit (``cp "$(python -m benchmark.configs cpu)" mine.yaml``); with no name, every
shipped file's, one a line. An unknown name or option is one line on stderr, ``error: …``, exit 2 (bad input, as every
plbench command says it)."""

from __future__ import annotations

import sys

from benchmark.configs import near_shipped_config, shipped_config, shipped_configs

USAGE = "usage: python -m benchmark.configs [NAME ...]"
HELP = """Print the path of the shipped config file each NAME names (cpu, cpu.yaml or configs/cpu.yaml), to copy and
edit: cp "$(python -m benchmark.configs cpu)" mine.yaml; with no NAME, every shipped file's path, one a line."""


def _refuse(message: str) -> None:
    """``error: message`` on stderr, exit 2: bad input, as :func:`benchmark.cli.main` ends it (1 is a crash)."""
    print(f"error: {message}", file=sys.stderr)
    raise SystemExit(2)


def main(argv: list[str]) -> None:
    if {"-h", "--help"} & set(argv):  # was "no shipped config file '--help'", exit 1
        print(f"{USAGE}\n\n{HELP}\n\nshipped: {', '.join(shipped_configs())}")
        return
    if flag := next((a for a in argv if a.startswith("-")), None):
        _refuse(f"unknown option {flag!r} ({USAGE}; -h shows more)")
    names = argv or [n.removeprefix("configs/") for n in shipped_configs()]
    for name in names:
        found = shipped_config(name) or shipped_config(name, as_path=True)
        if found is None:
            hint = near_shipped_config(name) or f"; shipped: {', '.join(shipped_configs())}"
            _refuse(f"no shipped config file {name!r}{hint}")
        print(found)


if __name__ == "__main__":
    main(sys.argv[1:])
