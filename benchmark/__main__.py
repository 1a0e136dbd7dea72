"""``python -m benchmark ...``: the ``plbench`` command line (:func:`benchmark.cli.main`)."""

from benchmark.cli import main_entry

main_entry()
