"""perceptual-loss-bench: which training loss gives the best-looking restorations?"""

__version__ = "0.1.0"
# Bumped whenever a change alters the numbers a run produces; part of every run's hash.
CODE_VERSION = "1"
