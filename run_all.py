#!/usr/bin/env python
"""Run the whole benchmark grid (quick profile by default). Same CLI as `plbench`."""

from benchmark.cli import main_entry

if __name__ == "__main__":
    main_entry()
