# Sourced by the e2e scripts that check `nabla` commands (validation.sh, predict.sh, train_errors.sh), after
# they set `nabla`: a scratch folder `$work` removed on exit, pass/fail counters, `check` for a command's
# exit status and output, and `finish`, the scripts' last line, which reports the counts and fails if any did.
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
passed=0 failed=0
pass() { passed=$((passed + 1)); }
fail() { echo "FAIL: $*"; failed=$((failed + 1)); }

check() {  # check NAME STATUS PATTERN -- ARGS...: `nabla ARGS` exits STATUS and prints PATTERN
  local name=$1 status=$2 pattern=$3
  shift 4
  local output
  output=$("$nabla" "$@" 2>&1)
  local actual=$?
  if [ "$actual" -eq "$status" ] && grep -q -- "$pattern" <<<"$output"; then pass; else
    fail "$name: exited $actual (expected $status); output: $(tail -n 3 <<<"$output")"
  fi
}

finish() {
  echo "$passed passed, $failed failed"
  [ "$failed" -eq 0 ]
}
