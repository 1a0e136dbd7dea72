#!/usr/bin/env bash
# There (a lent GPU machine, run from the repository root with .whl/ carried): install the carried wheels
# beside the machine's own packages, then run the one-command GPU check into $OUT (or the git-ignored gpu_check/).
# Extra arguments go to scripts/gpu_check.py (e.g. --budget-s 400); --out DIR, relative to where this is called, is
# where both the check's tables and this script's go (instead of $OUT).
# Everything it prints is also written to $OUT/gpu_device.log (only $OUT comes back from a lent machine).
# Bad carry (wheels for another Python, modules missing) stops it within seconds, in one line saying
# what to do here, before any device minute goes into the check; so does a torch that sees no GPU (unless
# --device is given). PLBENCH_WHEEL_SITE: where the wheels are installed (default $TMPDIR/plbench/site-packages,
# /tmp's if unset: dill, which datasets hashes each Dataset with, pickles a module from a path without
# 'site-packages' (or sys.prefix) in it by value, and a carried pyarrow there failed every Dataset).
# The check's --budget-s counts from this script's start (PLBENCH_CHECK_STARTED, exported), the setup included;
# a wedged driver hangs nvidia-smi and the first CUDA call, so each step is bounded: nvidia-smi by
# PLBENCH_NVIDIA_SMI_TIMEOUT seconds (default 20), the setup (the wheels' install and the module check) by what is
# left of PLBENCH_SETUP_TIMEOUT (default 240 from this script's start), the check by what is left of
# PLBENCH_CHECK_LIMIT_S (default 570 from the start, under a lent machine's 600 s). Python's output is unbuffered,
# so the log under $OUT holds every line printed before a kill. After the check, the tests only a GPU runs
# (pytest -m gpu: they skip without CUDA) run where at least 60 s are left before that limit, bounded by it, their
# one-line result appended to the tables ('GPU-only tests'); a failure makes the exit status 1.
set -uo pipefail
export PLBENCH_CHECK_STARTED=$(date +%s.%N) PYTHONUNBUFFERED=1  # this run's start, never an inherited one
out=${OUT:-}
args=()  # "$@" but --out DIR / --out=DIR: the folder of the check's tables and the wrapper's, overriding $OUT
while (( $# )); do
  case $1 in
    --out=*) out=${1#--out=} ;;
    --out) (( $# > 1 )) && { out=$2; shift; } || args+=("$1") ;;  # (no DIR: the check's argparse says so)
    *) args+=("$1") ;;
  esac
  shift
done
set -- ${args[@]+"${args[@]}"}
[[ -z $out || $out == /* ]] || out="$PWD/$out"  # relative ($OUT, --out): from where it was called, not the repository
cd "$(dirname "$0")/.."
out=${out:-gpu_check}  # unset (not a lent machine): the repository's gpu_check/, git-ignored
mkdir -p "$out"
rm -f "$out/gpu_check.md" "$out/gpu_check.json"  # an earlier run's tables are not this run's result

left_of() {  # seconds left of $1 counted from this script's start (at least 0.5: timeout's argument)
  awk -v lim="$1" -v t0="$PLBENCH_CHECK_STARTED" -v now="$(date +%s.%N)" \
    'BEGIN { x = lim - (now - t0); printf "%.2f\n", (x > 0.5 ? x : 0.5) }'
}

append_tables() {  # $1 a title, $2 a key, $3 one line, $4 an exit status (none: ''): a section added to both tables
  printf '\n## %s\n\n%s%s.\n' "$1" "$3" "${4:+ (exit $4)}" >> "$out/gpu_check.md"
  timeout 10 python3 - "$out/gpu_check.json" "$2" "$3" "${4:-}" <<'EOF'
import json, sys
path, key, line, rc = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
try:
    with open(path) as f:
        res = json.load(f)
except ValueError:  # the check was killed while saving it
    res = {"error": "gpu_check.json cut short: the check was killed while saving it"}
res[key] = {"summary": line, **({"exit": int(rc)} if rc else {})}
with open(path, "w") as f:
    f.write(json.dumps(res, indent=2, default=str))
EOF
}

gpu_tests() {  # the tests only a GPU runs, after the check, in what is left of $1 s; appended to the tables
  local files left rc summary log
  files=$(grep -lE 'pytest\.mark\.gpu\b' tests/*.py 2> /dev/null) || return 0  # (none in this copy: nothing to add)
  left=$(left_of "$1")
  if awk -v l="$left" 'BEGIN { exit !(l < 60) }'; then
    summary="not run: ${left%.*} s left before the $1 s limit (60 needed)" rc=0
    echo "GPU-only tests $summary"
  else
    log=$(mktemp)
    # shellcheck disable=SC2086  # one file per word
    timeout -k 5 "$(awk -v l="$left" 'BEGIN { print l - 10 }')" python3 -m pytest -q -n0 -p no:cacheprovider -rs \
      -m gpu $files 2>&1 | tee "$log"
    rc=${PIPESTATUS[0]}
    summary=$(grep -v '^\s*$' "$log" | tail -n 1)
    rm -f "$log"
    (( rc == 124 || rc == 137 )) && summary="ended at the $1 s limit: $summary"
  fi
  append_tables "GPU-only tests (pytest -m gpu)" gpu_tests "$summary" "$rc"
  (( rc == 0 || rc == 5 ))  # 5: none collected
}

carried_needs() {  # each need of a carried wheel the machine's packages do not meet, a line each: need, name, why
  local dists
  dists=$(for w in .whl/*.whl; do basename "$w" | cut -d- -f1; done)
  # shellcheck disable=SC2086  # one name per word
  timeout -k 5 "$(left_of "${PLBENCH_SETUP_TIMEOUT:-240}")" python3 - $dists <<'EOF'
import importlib.metadata as md, sys

def version(name):
    try:
        return md.version(name)
    except md.PackageNotFoundError:
        return ""

said = set()
try:
    from packaging.requirements import Requirement
except ImportError:  # (no packaging: the needs go unread; the test of datasets below and the module check still run)
    Requirement = None
for dist in sys.argv[1:] if Requirement else ():
    if dist.lower() == "pyiqa":  # declares its optional extras as needs (bitsandbytes, ruff, …); the module check
        continue                 # imports what plbench uses of it
    try:
        by = f"{md.metadata(dist)['Name']} {md.version(dist)}"
        reqs = [Requirement(r) for r in md.requires(dist) or ()]
    except Exception:  # noqa: BLE001 - not installed, or unreadable metadata: the module check says it
        continue
    for req in reqs:
        have = version(req.name)
        if (not req.marker or req.marker.evaluate({"extra": ""})) and not (
                have and req.specifier.contains(have, prereleases=True)):
            said.add(req.name)
            print(f"{req.name}{req.specifier}\t{req.name}\t{by} needs {req}, this machine has "
                  f"{f'{req.name} {have}' if have else f'no {req.name}'}")
if "pyarrow" not in said and "datasets" in sys.argv[1:]:  # its needs met, datasets can still fail with this pyarrow (seen
    try:                                             # here: one where dill pickles it by value, PLBENCH_WHEEL_SITE)
        import datasets
        datasets.disable_progress_bars()
        datasets.Dataset.from_dict({"a": [1]})
    except Exception as exc:  # noqa: BLE001 - the error is what is said
        text = " ".join(f"{type(exc).__name__}: {exc}".split())[:160]
        print(f"pyarrow\tpyarrow\tdatasets {version('datasets')} fails with this machine's pyarrow "
              f"{version('pyarrow') or '(none)'} (Dataset.from_dict: {text})")
EOF
}

main() {
  local site=${PLBENCH_WHEEL_SITE:-${TMPDIR:-/tmp}/plbench/site-packages} py w tag abi minor a need_gpu=1 rc chk mods unmet='' need name why
  local smi_s=${PLBENCH_NVIDIA_SMI_TIMEOUT:-20} setup_s=${PLBENCH_SETUP_TIMEOUT:-240}
  local limit_s=${PLBENCH_CHECK_LIMIT_S:-570}
  for a in "$@"; do [[ $a == --device || $a == --device=* ]] && need_gpu=0; done  # else a GPU, or stop
  py=$(python3 -c 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}")') || {
    echo "gpu_device: no working python3 on PATH"; return 2; }
  if compgen -G ".whl/*.whl" > /dev/null; then
    for w in .whl/*.whl; do  # a per-version wheel (multiprocess: py311, cp312) must match this Python;
      tag=$(basename "$w" .whl | awk -F- '{print $(NF-2)}')  # a stable-ABI one (cp38-abi3) needs it or older
      abi=$(basename "$w" .whl | awk -F- '{print $(NF-1)}')
      [[ $tag =~ ^(py|cp)3([0-9]+)$ ]] || continue
      minor=${BASH_REMATCH[2]}
      if [[ $abi == abi3 ]] && (( minor > ${py#3.} )) || [[ $abi != abi3 && $minor != "${py#3.}" ]]; then
        echo "gpu_device: $(basename "$w") is for Python 3.$minor but this machine has $py: run" \
             "scripts/gpu_wheels.sh $py here and carry .whl again"
        return 2
      fi
    done
    timeout -k 5 "$(left_of "$setup_s")" python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir \
      --upgrade --target "$site" .whl/*.whl
    rc=$?
    if (( rc == 124 || rc == 137 )); then
      echo "gpu_device: installing the carried wheels (.whl/) into $site did not end within $setup_s s of this" \
           "script's start (a slow or full disk?): stopped before the check"
      return 2
    fi
    (( rc == 0 )) || { echo "gpu_device: installing the carried wheels (.whl/) into $site failed (above)"; return 2; }
    export PYTHONPATH="$site${PYTHONPATH:+:$PYTHONPATH}"
    unmet=$(carried_needs 2> /dev/null) && [[ -n $unmet ]] && compgen -G ".whl/deps/*.whl" > /dev/null && {
      while IFS=$'\t' read -r need name why; do  # a need the machine does not meet: from .whl/deps/ where one fits
        timeout -k 5 "$(left_of "$setup_s")" python3 -m pip install -q --no-index --find-links .whl/deps --no-deps \
          --no-compile --no-cache-dir --upgrade --target "$site" "$need" > /dev/null 2>&1 &&
          echo "gpu_device: $why: $name" \
               "$(python3 -c 'import importlib.metadata as m, sys; print(m.version(sys.argv[1]))' "$name")" \
               "installed from .whl/deps/"
      done <<< "$unmet"
      unmet=$(carried_needs 2> /dev/null)
    }
    if [[ -n $unmet ]]; then  # said in the log and (after the check) in both tables; the check runs anyway
      unmet="$(cut -f 3 <<< "$unmet" | paste -s -d ';' | sed 's/;/; /g') (.whl/deps/ holds no wheel that fits:"
      unmet+=" scripts/gpu_wheels.sh fetches them): the check runs anyway; a section that fails for it says why"
      echo "gpu_device: $unmet"
    fi
  fi
  export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}" HF_HUB_OFFLINE=1
  if command -v nvidia-smi > /dev/null; then
    timeout -k 5 "$smi_s" nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>/dev/null
    rc=$?
    (( rc == 124 || rc == 137 )) && echo "gpu_device: nvidia-smi did not answer within $smi_s s (a wedged driver?);" \
      "going on: the check's utilisation section may have no samples"
  else
    echo "no nvidia-smi"
  fi
  # every module the check needs, in one line; the versions of datasets' own needs, for a mismatch
  mods=$(mktemp)  # its output, for the line the tables get where only the data's modules are missing
  NEED_GPU=$need_gpu timeout -k 5 "$(left_of "$setup_s")" python3 - <<'EOF' | tee "$mods"
import importlib, os, sys
need = ("torch", "torchvision", "numpy", "pandas", "pyarrow", "fsspec", "huggingface_hub", "datasets", "pyiqa",
        "lpips", "scipy", "skimage", "matplotlib", "yaml")
found, missing = {}, []
for name in need:
    try:
        found[name] = getattr(importlib.import_module(name), "__version__", "?")
    except Exception as exc:  # noqa: BLE001 - a broken install counts as missing, with its reason
        missing.append(name if isinstance(exc, ModuleNotFoundError) and exc.name == name
                       else f"{name} ({type(exc).__name__}: {' '.join(str(exc).split())[:160]})")
print(" ".join(f"{k} {v}" for k, v in found.items()))
data_only = all(m.split()[0] in ("datasets", "pyarrow", "fsspec") for m in missing)  # the rest can still be timed
if missing:
    print(f"gpu_device: missing module(s) {', '.join(missing)}: "
          + ("the training step is timed on random images and the sections that train on the data are skipped "
             "(--synthetic-images); for them, " if data_only else "")
          + "run scripts/gpu_wheels.sh on the machine with PyPI and name .whl in the run's carry")
    if not data_only:
        sys.exit(2)
import torch
print("cuda", torch.version.cuda, "available", torch.cuda.is_available())
if os.environ["NEED_GPU"] == "1" and not torch.cuda.is_available():  # --device auto would run the CPU version
    print(f"gpu_device: torch {torch.__version__} (CUDA {torch.version.cuda}) sees no GPU (nvidia-smi above), so "
          "the check would time the CPU: stopped; pass --device cpu for the reduced check")
    sys.exit(2)
sys.exit(3 if missing else 0)  # 3: only the data's modules missing
EOF
  rc=${PIPESTATUS[0]}
  if (( rc == 124 || rc == 137 )); then
    echo "gpu_device: checking the modules and CUDA (torch.cuda.is_available()) did not end within $setup_s s" \
         "of this script's start (a wedged driver?): stopped before the check"
  fi
  if (( rc == 3 )); then  # no datasets: the step times on random images, said in the tables as in the log
    unmet=$(grep '^gpu_device: missing module' "$mods" | tail -n 1)
    unmet=${unmet#gpu_device: }
    set -- "$@" --synthetic-images
    rc=0
  fi
  rm -f "$mods"
  (( rc == 0 )) || return 2
  chk=$(mktemp)  # the check's own output, read below for the error that ended it
  timeout -k 10 "$(left_of "$limit_s")" python3 scripts/gpu_check.py --out "$out" "$@" 2>&1 | tee "$chk"
  rc=${PIPESTATUS[0]}
  if (( rc == 124 )) || { (( rc == 137 )) && awk -v l="$(left_of "$limit_s")" 'BEGIN { exit !(l <= 1) }'; }; then
    a="the check did not end within $limit_s s of this script's start (hung before its --budget-s watchdog, or in"
    a+=" writing its tables): ended; its tables as last saved"
    echo "gpu_device: $a"
    [[ -e $out/gpu_check.json ]] && append_tables "Ended by gpu_device.sh" ended "$a" "$rc"
  elif (( rc > 128 )); then  # a signal before the limit: a segfault or abort in a CUDA library, the OOM killer
    a="the check died (exit $rc: SIG$(kill -l $((rc - 128)) 2> /dev/null || echo "$((rc - 128))")) before it ended:"
    a+=" its tables as last saved"
    [[ -e $out/gpu_check.json ]] || a+=" (none)"
    echo "gpu_device: $a"
    [[ -e $out/gpu_check.json ]] && append_tables "Ended by gpu_device.sh" ended "$a" "$rc"
  elif (( rc != 0 )) && ! grep -q '^written: ' "$chk"; then  # it did not reach its end: an error outside its sections
    # its error: the last traceback's last unindented line (a chained one's last), or argparse's 'prog: error: …'
    a=$(awk '/^Traceback \(most recent call last\):$/ { tb = 1; next }
             tb && /^[^ \t]/ && !/^During handling|^The above exception/ { err = $0 }
             /^[^ ]+: error: / { err = $0 } END { print err }' "$chk")
    if [[ -n $a ]]; then  # (exit 2 with tables and no traceback: the check's own 'not run', e.g. an unusable --device)
      a="the check failed before it ended (exit $rc): ${a:0:300}; its tables as last saved"
      [[ -e $out/gpu_check.json ]] || a+=" (none)"
      echo "gpu_device: $a"
      [[ -e $out/gpu_check.json ]] && append_tables "Ended by gpu_device.sh" ended "$a" "$rc"
    fi
  fi
  rm -f "$chk"
  [[ -n $unmet && -e $out/gpu_check.json ]] && append_tables "Requirements not met (gpu_device.sh)" requirements "$unmet"
  if (( rc == 0 || rc == 1 )) && [[ -e $out/gpu_check.json ]]; then  # the check ran and wrote its tables
    gpu_tests "$limit_s" || rc=1
  fi
  return "$rc"
}

not_run() {  # stopped before the check wrote its tables: they say why (its one line), as the log does
  local rc=$1 why
  why=$(grep '^gpu_device: ' "$out/gpu_device.log" | tail -n 1)
  why=${why#gpu_device: }
  why=${why:-"stopped before the check (exit $rc): see gpu_device.log"}
  printf '# plbench GPU check — not run, %s\n\nnot run: %s\n\nThe whole output: gpu_device.log.\n' "$(date +%F)" \
    "$why" > "$out/gpu_check.md"
  why=${why//\\/\\\\}
  printf '{\n  "date": "%s",\n  "error": "%s",\n  "exit": %d\n}\n' "$(date +%F)" "${why//\"/\\\"}" "$rc" \
    > "$out/gpu_check.json"
}

main "$@" 2>&1 | tee "$out/gpu_device.log"
rc=${PIPESTATUS[0]}
[[ -e $out/gpu_check.json ]] || not_run "$rc"
exit "$rc"
