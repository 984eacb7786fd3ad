#!/usr/bin/env bash
# `nabla train` on bad input: a clear one-line error and the right exit status, nothing half-written.
set -u
nabla=$1
source "$(dirname "${BASH_SOURCE[0]}")/checks.sh"
check unknown_model 2 "model" -- train --model resnet9000
check zero_batch 2 "batch-size" -- train --batch-size 0
check negative_epochs 2 "epochs" -- train --epochs -1
check bad_lr 2 "lr" -- train --lr inf
check missing_data 1 "dataset-fashion-mnist" -- train --data "$work/nothing" --out "$work/a" --no-progress
mkdir -p "$work/corrupt"
for f in train-images-idx3-ubyte train-labels-idx1-ubyte t10k-images-idx3-ubyte t10k-labels-idx1-ubyte; do
  printf 'not an idx file' > "$work/corrupt/$f"
done
check corrupt_data 1 "not an IDX file" -- train --data "$work/corrupt" --out "$work/b" --no-progress
# A diverging run stops at the first non-finite loss it reads, names it, and keeps its last good checkpoint.
check nan_loss 1 "the loss became .*no checkpoint was saved" -- train --model mlp --optimizer sgd --lr 1e30 --scheduler none --limit-train 400 \
  --batch-size 50 --epochs 1 --out "$work/nan" --no-progress
if [ -e "$work/nan/model.safetensors" ]; then echo "FAIL: nan run wrote final weights"; failed=$((failed + 1)); else passed=$((passed + 1)); fi
check eval_missing 1 "config.json" -- eval --checkpoint "$work/none"
# A gzip file whose checksum fails is corrupt data, not a short read that happens to end at the right place.
data=/usr/share/datasets/fashion-mnist
if [ -e "$data/train-labels-idx1-ubyte.gz" ]; then
  mkdir -p "$work/crc" && cp "$data"/*-ubyte.gz "$work/crc/"
  labels="$work/crc/train-labels-idx1-ubyte.gz"
  # zero the trailer's CRC-32 (the last 8 bytes are the CRC, then the length)
  printf '\0\0\0\0' | dd of="$labels" bs=1 seek=$(($(stat -c %s "$labels") - 8)) conv=notrunc status=none
  check gzip_crc 1 "is corrupt" -- train --data "$work/crc" --out "$work/c" --no-progress
fi
# A checkpoint.json with a field missing is named, not reported as a bare JSON error.
"$nabla" train --model mlp --epochs 1 --limit-train 100 --out "$work/broken" --no-progress > /dev/null 2>&1
echo '{}' > "$work/broken/checkpoint.json"
check corrupt_checkpoint 1 "broken/checkpoint.json is corrupt" -- train --out "$work/broken" --resume --no-progress
echo '{' > "$work/broken/config.json"
check corrupt_config 1 "broken/config.json: not valid JSON" -- eval --checkpoint "$work/broken"
# Thread counts beyond what OpenMP can allocate are bad arguments, not a crash.
check too_many_threads 2 "threads from 1 to 1024" -- --threads 100000 summary lenet
finish
