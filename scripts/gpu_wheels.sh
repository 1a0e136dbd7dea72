#!/usr/bin/env bash
# Here (a machine with pip and PyPI): fetch the wheels a lent GPU machine lacks into .whl/ (git-ignored).
# That machine has torch, numpy, pandas, scikit-image, matplotlib, seaborn, huggingface-hub ≥ 1.31, … but
# not datasets, pyiqa or lpips (../.library/device/KINDS.md); these are pure Python except multiprocess,
# whose wheel is per Python version. Usage: scripts/gpu_wheels.sh [PYTHON_VERSION, default 3.12]
set -euo pipefail
cd "$(dirname "$0")/.."
py=${1:-3.12}
rm -rf .whl && mkdir -p .whl
python3 -m pip download -q --no-deps --only-binary=:all: --python-version "$py" --implementation cp \
  --platform manylinux_2_28_x86_64 --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64 \
  -d .whl datasets==5.2.0 dill==0.4.1 multiprocess==0.70.19 pyiqa==0.1.16 lpips==0.1.4
du -sh .whl
