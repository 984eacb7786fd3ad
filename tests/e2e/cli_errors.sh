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
expect 0 "Usage" -- --help
expect 0 "0.1.0" -- --version
if [ $failures -eq 0 ]; then echo "8 passed, 0 failed"; else echo "$((8 - failures)) passed, $failures failed"; exit 1; fi
