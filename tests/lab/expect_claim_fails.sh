#!/bin/sh
# A negative lab test: expect_claim_fails.sh CLAIM NABLA lab run QNN --set knob=value …
# Runs the command and passes only if it exits with 1 (a failed claim: not 0, not 2 for bad arguments,
# not a crash) AND printed "FAIL CLAIM:", so the claim that breaks is the one the test names.
claim=$1
shift
output=$("$@" 2>&1)
status=$?
printf '%s\n' "$output"
if [ "$status" -ne 1 ]; then
  echo "expect_claim_fails: expected exit status 1 (a claim failed), got $status"
  exit 1
fi
if ! printf '%s\n' "$output" | grep -qF "FAIL $claim:"; then
  echo "expect_claim_fails: expected the claim '$claim' to FAIL"
  exit 1
fi
echo "expect_claim_fails: '$claim' failed as it must"
