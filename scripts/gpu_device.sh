#!/usr/bin/env bash
# There (a lent GPU machine, run from the repository root with .whl/ carried): install the carried wheels
# beside the machine's own packages, then run the one-command GPU check into $OUT (or gpu_check/).
# Extra arguments go to scripts/gpu_check.py (e.g. --budget-s 400).
set -euo pipefail
cd "$(dirname "$0")/.."
if compgen -G ".whl/*.whl" > /dev/null; then
  python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl
  export PYTHONPATH="/tmp/site${PYTHONPATH:+:$PYTHONPATH}"
fi
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}" HF_HUB_OFFLINE=1
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader || true
python3 -c "import torch, datasets, pyiqa, lpips; print('torch', torch.__version__, 'cuda', torch.version.cuda, \
'datasets', datasets.__version__, 'pyiqa', pyiqa.__version__)"
exec python3 scripts/gpu_check.py --out "${OUT:-gpu_check}" "$@"
