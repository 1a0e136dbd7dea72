#!/usr/bin/env python
"""Run the whole benchmark grid (quick profile by default). Same CLI as `plbench`."""

import sys

from benchmark.cli import main

if __name__ == "__main__":
    sys.exit(main())
