#!/bin/sh
# `nabla lab` on the command line: list, run with knobs, bad ids and knobs (exit 2, one line naming the
# problem), and the report's index with relative image links. Usage: cli.sh NABLA OUT_DIR
nabla=$1
out=$2
rm -rf "$out"
unset LC_ALL LC_MESSAGES LANG  # English output, whatever the caller's locale
failures=0
check() {  # check DESCRIPTION EXPECTED_STATUS PATTERN COMMAND…: the status and a line of output must match
  description=$1 expected=$2 pattern=$3
  shift 3
  output=$("$@" 2>&1)
  status=$?
  if [ "$status" -ne "$expected" ] || ! printf '%s\n' "$output" | grep -qE -- "$pattern"; then
    echo "FAILED: $description: exit $status (expected $expected), output:"
    printf '%s\n' "$output"
    failures=$((failures + 1))
  else
    echo "ok: $description"
  fi
}
check "list names Q09" 0 "^Q09 +- " "$nabla" lab list --out "$out"
check "list --ids" 0 "^Q09$" "$nabla" lab list --ids
check "unknown experiment" 2 "no experiment Q99; the lab has .*Q09" "$nabla" lab run Q99 --out "$out"
check "a knob the experiment never reads" 2 "--set nonsense names no knob of this experiment; its knobs: .*lr_factor" \
  "$nabla" lab run Q09 --set nonsense=1 --out "$out"
check "a knob that is not a number" 2 "--set lr_factor=fast is not a number" "$nabla" lab run Q09 --set lr_factor=fast --out "$out"
check "--set without =" 2 "--set wants key=value" "$nabla" lab run Q09 --set lr_factor --out "$out"
check "--full and --quick together" 2 "excludes" "$nabla" lab run Q09 --full --quick --out "$out"
check "no experiment named" 2 "give --all" "$nabla" lab run --out "$out"
check "--set with --all" 2 "--set applies to named experiments" "$nabla" lab run --all --set steps=100 --out "$out"
check "knobs before the id" 0 "lr_factor = 0.5 \(set\), steps = 100 \(set\)" \
  sh -c "\"\$0\" lab run --set lr_factor=0.5 --set steps=100 Q09 --out \"\$1\" >/dev/null && cat \"\$1/Q09/report.md\"" \
  "$nabla" "$out/knobs"
check "a knob value the experiment refuses: exit 2" 2 "^nabla: error: steps must be more than 60" \
  "$nabla" lab run Q09 --set steps=10 --out "$out/refused"
check "a refused knob value writes nothing" 1 "" test -e "$out/refused/Q09/result.json"
check "a knob value that is not finite" 2 "--set steps=inf is not a finite number" "$nabla" lab run Q09 --set steps=inf --out "$out/refused"
check "an experiment that throws: exit 1, one line, named once" 1 "^nabla: error: lab Q28: cross_entropy: label_smoothing must" \
  "$nabla" lab run Q28 --set label_smoothing=2 --out "$out/error"
check "an experiment that throws: recorded as error" 0 '"status": "error"' cat "$out/error/Q28/result.json"
mkdir -p "$out/corrupt/Q09" && printf '{"status": 5}' > "$out/corrupt/Q09/result.json"
check "a result.json of the wrong shape is named" 1 "corrupt/Q09/result.json is corrupt .*nabla lab run Q09" \
  "$nabla" lab list --out "$out/corrupt"
check "two experiments in one run" 0 "^Q15: pass" "$nabla" lab run Q09 Q15 --out "$out/two"
check "run Q09 prints its claims" 0 "PASS converges to A⁻¹b:" "$nabla" lab run q09 --seed 3 --out "$out"
check "list shows the last status" 0 "^Q09 +pass +quick " "$nabla" lab list --out "$out"
# Korean: the status word is 2 columns a syllable, padded by display width ("통과" + 2 spaces fills 6 columns).
check "list --lang ko pads by display width" 0 "^Q09  통과   quick 20.* 경사하강법이란 무엇이고" "$nabla" lab list --lang ko --out "$out"
check "the locale picks Korean" 0 "^Q10  - {34}경사하강법을 설명할 때" env LANG=ko_KR.UTF-8 "$nabla" lab list --out "$out"
check "--lang en overrides the locale" 0 "^Q09 +pass +quick " env LC_ALL=ko_KR.UTF-8 "$nabla" lab list --lang en --out "$out"
check "--lang takes en or ko" 2 "--lang: .*not in" "$nabla" lab list --lang fr
check "run --lang ko: the Korean question" 0 "^Q15 · 역전파는 기울기를 어떻게" "$nabla" lab run Q15 --lang ko --out "$out/ko"
check "report.md in Korean" 0 "^\*\*질문.\*\* 역전파는" cat "$out/ko/Q15/report.md"
check "report --lang ko" 0 "index.html" "$nabla" lab report --lang ko --out "$out/ko"
check "index.html in Korean" 0 '<html lang="ko">.*nabla 실험실' cat "$out/ko/index.html"
check "result.json records seed and knobs" 0 '"seed": 3' cat "$out/Q09/result.json"
check "report.md has the question and claims" 0 "^\| PASS \| converges to A⁻¹b \|" cat "$out/Q09/report.md"
check "report writes the index" 0 "index.html" "$nabla" lab report --out "$out"
check "index.html links the figure relatively" 0 '<img src="Q09/trajectories.png"' cat "$out/index.html"
check "index.md embeds the figure relatively" 0 '\]\(Q09/trajectories.png\)' cat "$out/index.md"
check "the figure is a PNG" 0 "PNG" head -c 4 "$out/Q09/trajectories.png"
# Without gnuplot the experiment still measures and asserts; the report says which figure is missing.
check "no gnuplot: a warning, not a failure" 0 "warning: plot: gnuplot failed .*install it" \
  env PATH=/nonexistent "$nabla" lab run Q09 --out "$out/no-gnuplot"
check "no gnuplot: the report says so" 0 "figure trajectories.png not drawn" cat "$out/no-gnuplot/Q09/report.md"
[ "$failures" -eq 0 ] || { echo "$failures checks failed"; exit 1; }
