#!/usr/bin/env bash
# `nabla train --tensorboard DIR`: a short MLP run writes an event file there. With `oracle`, TensorBoard's own
# reader (Python's `tensorboard` package, tests/io/read_tensorboard.py) reads it back and compares every value
# with what the run saved (history.json, model.safetensors, curves.png, config.json); without the package that
# half says so and is skipped (exit 77), the build and the suite needing no Python packages.
set -u
nabla=$1
mode=${2:-}
source "$(dirname "${BASH_SOURCE[0]}")/checks.sh"
python=${NABLA_PYTHON:-python3}

if [ "$mode" = oracle ] && ! "$python" -c "import tensorboard" 2> /dev/null; then
  echo "SKIPPED: $python has no tensorboard package (pip install tensorboard, or set NABLA_PYTHON) to read the event files back"
  exit 77
fi

"$nabla" train --model mlp --epochs 2 --limit-train 600 --validation-split 200 --batch-size 50 --seed 3 --no-progress \
  --out "$work/run" --tensorboard "$work/logs" > "$work/run.log" 2>&1 || fail "training with --tensorboard failed: $(tail -n 3 "$work/run.log")"
files=("$work"/logs/events.out.tfevents.*)
[ "${#files[@]}" -eq 1 ] && [ -s "${files[0]}" ] && pass || fail "expected one non-empty event file in $work/logs, found: ${files[*]}"
# A directory that cannot be made is one error naming it, before any training.
touch "$work/plain_file"
check "unmakeable --tensorboard" 1 "plain_file/logs" -- train --model mlp --epochs 1 --limit-train 100 --no-progress \
  --out "$work/run2" --tensorboard "$work/plain_file/logs"

if [ "$mode" = oracle ]; then
  "$python" "$(dirname "${BASH_SOURCE[0]}")/../io/read_tensorboard.py" "$work/run" "$work/logs" && pass ||
    fail "TensorBoard's reader disagrees with the run's files"
fi
finish
