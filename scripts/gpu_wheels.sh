#!/usr/bin/env bash
# Here (a machine with pip and PyPI): fetch the wheels a lent GPU machine lacks into .whl/ (git-ignored).
# That machine has torch, numpy, pandas, scikit-image, matplotlib, seaborn, huggingface-hub ≥ 1.31, … but
# not datasets, pyiqa or lpips (../.library/device/KINDS.md); these are pure Python except multiprocess,
# whose wheel is per Python version. Into .whl/deps/ go datasets' own needs that the machine holds in a version
# nobody here has read (datasets 5.2.0 needs pyarrow>=24 and fsspec<=2026.9.0): gpu_device.sh installs one only
# where the machine's own does not meet them or fails to make a Dataset. pyarrow 26.0.1's
# wheel (52 MiB) is carried without its Flight and S3 libraries, headers and tests, which datasets does not load
# (34 MiB; all of .whl/ 42 MiB, under a lent machine's 64 MiB carry with this repository's 5 MB).
# PLBENCH_WHEEL_DEPS=0 leaves .whl/deps/ out (8.4 MB). Usage: scripts/gpu_wheels.sh [PYTHON_VERSION, default 3.12]
set -euo pipefail
cd "$(dirname "$0")/.."
py=${1:-3.12}
rm -rf .whl && mkdir -p .whl
get() {  # $1 the folder, then NAME==VERSION...
  local to=$1
  shift
  python3 -m pip download -q --no-deps --only-binary=:all: --python-version "$py" --implementation cp \
    --platform manylinux_2_28_x86_64 --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64 \
    -d "$to" "$@"
}
get .whl datasets==5.2.0 dill==0.4.1 multiprocess==0.70.19 pyiqa==0.1.16 lpips==0.1.4
if [[ ${PLBENCH_WHEEL_DEPS:-1} != 0 ]]; then
  get .whl/deps pyarrow==26.0.1 fsspec==2026.9.0
  python3 - .whl/deps/pyarrow-*.whl <<'EOF'
import re, sys, zipfile
from pathlib import Path
drop = re.compile(r"pyarrow/(include/|tests/|src/|(lib)?(arrow_)?(python_)?flight|_flight|flight\.py|libarrow_s3|_s3fs"
                  r"|_pyarrow_cpp_tests)")
path = Path(sys.argv[1])
slim = path.with_suffix(".slim")
with zipfile.ZipFile(path) as src, zipfile.ZipFile(slim, "w", zipfile.ZIP_DEFLATED) as dst:
    for info in src.infolist():
        if drop.match(info.filename):
            continue
        data = src.read(info)
        if info.filename.endswith(".dist-info/RECORD"):  # the files dropped are not listed
            data = b"".join(line for line in data.splitlines(keepends=True) if not drop.match(line.decode()))
        dst.writestr(info, data)
slim.replace(path)
EOF
fi
du -sh .whl
