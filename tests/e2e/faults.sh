#!/usr/bin/env bash
# Faults (issue 22): a training run whose checkpoint can't be written, an output directory that can't be made,
# a data set that vanishes mid-run, SIGINT and SIGTERM while a checkpoint is written. In each the run fails or
# stops with a one-line message, the checkpoint on disk is a whole one (the old or the new, never a mix), and
# resuming from it ends byte for byte where the uninterrupted run ends. Runs as root too (CI does): no case
# relies on permission bits, which root ignores.
set -u
nabla=$1
source "$(dirname "$0")/checks.sh"
common=(train --model mlp --epochs 2 --limit-train 600 --validation-split 200 --batch-size 50 --checkpoint-every 5
        --seed 3 --no-progress)
"$nabla" "${common[@]}" --out "$work/straight" > "$work/straight.log" 2>&1 || { cat "$work/straight.log"; exit 1; }

# resume_ends_straight NAME DIR STEP: `--resume` in DIR continues from STEP and ends with the straight run's weights.
resume_ends_straight() {
  local name=$1 dir=$2 step=$3
  if "$nabla" train --out "$dir" --resume --no-progress > "$dir.resume.log" 2>&1 &&
     grep -q "resuming at step $step\$" "$dir.resume.log" && cmp -s "$work/straight/model.safetensors" "$dir/model.safetensors"; then
    pass
  else
    fail "$name: resuming did not continue from step $step to the uninterrupted run's weights: $(tail -n 2 "$dir.resume.log")"
  fi
}

# one_line NAME FILE PATTERN: FILE (a run's stderr) is one line and matches PATTERN.
one_line() {
  if [ "$(wc -l < "$2")" -eq 1 ] && grep -q -- "$3" "$2"; then pass; else fail "$1: stderr is not one line matching '$3': $(cat "$2")"; fi
}

# ---- A full disk. A file-size limit (RLIMIT_FSIZE, with SIGXFSZ ignored so that write() returns EFBIG instead of
# the signal ending the process) fails the checkpoint's write() part way, as ENOSPC does on a full disk: the same
# error path in io::write_file_atomic (a short write, then a failing one), without mounting a small file system,
# which CI may not allow. 1500 KiB admits the logs and the weights (1.1 MB) but not Adam's two moment buffers
# (2.2 MB): the checkpoint of step 10 fails half-written, after its weights' file was put in place.
"$nabla" "${common[@]}" --out "$work/full" --crash-after-steps 7 > /dev/null 2>&1  # leaves the checkpoint of step 5
cp -r "$work/full" "$work/full.before"
( ulimit -f 1500; trap '' XFSZ; exec "$nabla" train --out "$work/full" --resume --checkpoint-every 5 --no-progress ) > /dev/null 2> "$work/full.err"
status=$?
if [ $status -eq 1 ]; then pass; else fail "disk full: exited $status, expected 1"; fi
one_line "disk full" "$work/full.err" "can't save the checkpoint of step 10 .*File too large.*the checkpoint of step 5 is intact"
# The checkpoint of step 5 is untouched, byte for byte, and the failed one left nothing behind (no temporary
# file, not the weights' file it had written: on a full disk that room is needed).
intact=1
for file in checkpoint.json $(grep -o 'checkpoint-5-[a-z]*\.safetensors' "$work/full.before/checkpoint.json"); do
  cmp -s "$work/full.before/$file" "$work/full/$file" || intact=0
done
if [ $intact -eq 1 ] && [ -z "$(ls "$work/full" | grep -e '\.tmp$' -e '^checkpoint-10-')" ]; then pass; else
  fail "disk full: the checkpoint of step 5 changed, or the failed one left files: $(ls "$work/full")"
fi
resume_ends_straight "disk full" "$work/full" 5

# ---- An output directory that can't be made, for root too: its parent is a regular file; it is a regular file;
# it lies in /proc, where no one may create entries. Each fails before training, naming the directory.
touch "$work/a-file"
check "out under a file" 1 "can't create the output directory $work/a-file/run: Not a directory" -- \
  "${common[@]}" --out "$work/a-file/run"
check "out is a file" 1 "can't create the output directory $work/a-file" -- "${common[@]}" --out "$work/a-file"
check "out in /proc" 1 "can't create the output directory /proc/nabla-faults-test" -- \
  "${common[@]}" --out /proc/nabla-faults-test
# A read-only directory by its permission bits refuses everyone but root.
mkdir "$work/read-only" && chmod 555 "$work/read-only"
if [ "$(id -u)" -ne 0 ]; then
  check "read-only out" 1 "can't create the output directory $work/read-only/run: Permission denied" -- \
    "${common[@]}" --out "$work/read-only/run"
else
  echo "note: running as root, which ignores permission bits: the read-only directory case is covered by /proc"
fi
chmod 755 "$work/read-only"

# ---- The data vanishes mid-run. nabla reads Fashion-MNIST whole when the run starts, so a run paused at step 7
# (SIGSTOP, raised by itself) whose files are then deleted continues to the same weights; a later --resume
# without them fails in one line naming the file, and leaves the checkpoint as it was.
cp -r "$(dirname "$(ls "${NABLA_DATA:-/usr/share/datasets/fashion-mnist}"/train-images-idx3-ubyte* | head -n 1)")" "$work/data"
"$nabla" "${common[@]}" --data "$work/data" --out "$work/vanish" --interrupt-after-steps 7 --interrupt-signal STOP \
  > "$work/vanish.log" 2>&1 &
run=$!
until [ "$(awk '{print $3}' "/proc/$run/stat" 2>/dev/null)" = T ] || ! kill -0 $run 2>/dev/null; do sleep 0.05; done
stopped=$(awk '{print $3}' "/proc/$run/stat" 2>/dev/null)
mv "$work/data" "$work/data.away"
kill -CONT $run
wait $run
status=$?
if [ "$stopped" = T ] && [ $status -eq 0 ] && cmp -s "$work/straight/model.safetensors" "$work/vanish/model.safetensors"; then
  pass
else
  fail "data vanished mid-run: paused: '$stopped', exit $status, or other weights than the straight run's: $(tail -n 2 "$work/vanish.log")"
fi
"$nabla" "${common[@]}" --data "$work/data.away" --out "$work/gone" --crash-after-steps 7 > /dev/null 2>&1
mv "$work/data.away" "$work/data"
cp "$work/gone/checkpoint.json" "$work/gone.checkpoint.json"
"$nabla" train --out "$work/gone" --resume --no-progress > /dev/null 2> "$work/gone.err"
status=$?
if [ $status -eq 1 ] && cmp -s "$work/gone.checkpoint.json" "$work/gone/checkpoint.json"; then pass; else
  fail "data gone on resume: exited $status (expected 1), or checkpoint.json changed"
fi
one_line "data gone on resume" "$work/gone.err" "train-images-idx3-ubyte(.gz) not found in $work/data.away"
mv "$work/data" "$work/data.away"
resume_ends_straight "data back" "$work/gone" 5

# ---- SIGINT and SIGTERM while a checkpoint is written (raised by the process itself, between the checkpoint's
# weights file and its optimizer file, so the moment is known).
for signal in INT TERM; do
  # One signal: the handler only asks for a stop, so the checkpoint being written completes; the run then stops
  # at that step (exit 130, as Ctrl-C), and resuming continues from it.
  dir="$work/once-$signal"
  check "SIG$signal during a checkpoint" 130 "interrupted at epoch 1, step 10; saved a checkpoint in $dir" -- \
    "${common[@]}" --out "$dir" --interrupt-signal $signal --interrupt-in-checkpoint-at-step 10
  resume_ends_straight "SIG$signal during a checkpoint" "$dir" 10
  # Two signals: the first (at step 7) asks for a stop, the second arrives while the stop's checkpoint of step 7 is
  # being written and kills the process there (the handler is one-shot: a second Ctrl-C ends a stuck run). The
  # checkpoint on disk is still step 5's, whole: checkpoint.json, renamed into place last, is the commit point.
  dir="$work/twice-$signal"
  "$nabla" "${common[@]}" --out "$dir" --interrupt-signal $signal --interrupt-after-steps 7 \
    --interrupt-in-checkpoint-at-step 7 > "$dir.log" 2>&1
  status=$?
  expected=$((128 + $(kill -l $signal)))
  if [ $status -eq $expected ] && grep -Eq '"step": 5,?$' "$dir/checkpoint.json"; then pass; else
    fail "SIG$signal twice: exited $status (expected $expected, killed by the signal), or checkpoint.json is not step 5's"
  fi
  resume_ends_straight "SIG$signal twice" "$dir" 5
done
finish
