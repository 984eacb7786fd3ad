#!/usr/bin/env bash
# Bad command-line input: one line naming the problem, the usage hint, and exit status 2.
set -u
nabla=$1
failures=0
expect() {  # expect STATUS PATTERN -- ARGS...
  local status=$1 pattern=$2
  shift 3
  local output
  output=$("$nabla" "$@" 2>&1)
  local actual=$?
  if [ "$actual" -ne "$status" ] || ! grep -q -- "$pattern" <<<"$output"; then
    echo "FAIL: nabla $* exited $actual (expected $status) with: $output"
    failures=$((failures + 1))
  fi
}
expect 2 "steps" -- demo --steps 0
expect 2 "lr" -- demo --lr -1
expect 2 "hidden" -- demo --hidden abc
expect 2 "no command" --
expect 2 "frobnicate" -- frobnicate
expect 2 "lr" -- demo --lr nan
expect 2 "seed" -- train --seed -1
expect 2 "expect-accuracy" -- demo --expect-accuracy nan
expect 2 "threads from 1 to 1024" -- --threads 0 summary mlp
expect 2 "count" -- lab quiz --count 0 --no-input
# A bad NABLA_NUM_THREADS is read before main can report errors: it is named in a warning and ignored.
if ! NABLA_NUM_THREADS=abc "$nabla" summary mlp 2>&1 >/dev/null | grep -q "ignoring NABLA_NUM_THREADS=abc"; then
  echo "FAIL: NABLA_NUM_THREADS=abc was not named in a warning"; failures=$((failures + 1))
fi
expect 0 "Usage" -- --help
expect 0 "0.1.0" -- --version
if [ $failures -eq 0 ]; then echo "13 passed, 0 failed"; else echo "$((13 - failures)) passed, $failures failed"; exit 1; fi
