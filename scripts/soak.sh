#!/usr/bin/env bash
# The soak (issue 22, not in CI): LeNet trained on Fashion-MNIST with an evaluation every epoch for a given time,
# the process's resident set sampled every 10 s and the caching allocator's counters logged after each epoch
# (`nabla train --memory-log`). At the end it prints the least-squares slope of RSS (and of the allocator's
# reserved bytes) against time after a warm-up, in MiB per hour, and draws both with gnuplot. A leak shows as a
# slope that stays positive however long the run; a flat process has a slope near 0 once its caches are warm.
#
#   scripts/soak.sh [--minutes 60] [--warmup-minutes M] [--limit-train 10000] [--out DIR] [--nabla build/nabla]
#   scripts/soak.sh --report DIR [--warmup-minutes M]   (the figures and the plot again, from DIR's CSV files)
#
# The run ends with SIGTERM (the trainer checkpoints and stops): the soak exercises that path too. Run it on a
# quiet machine, or under `nice -n 19` beside other work (the slope is per unit of time, not of epochs).
set -eu
minutes=60 warmup_minutes="" limit_train=10000 out="" nabla="" report=""
while [ $# -gt 0 ]; do
  case $1 in
    --report) report=$2; shift 2 ;;
    --minutes) minutes=$2; shift 2 ;;
    --warmup-minutes) warmup_minutes=$2; shift 2 ;;
    --limit-train) limit_train=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    --nabla) nabla=$2; shift 2 ;;
    *) echo "soak.sh: unknown argument $1 (see the comment at the top)" >&2; exit 2 ;;
  esac
done
root=$(cd "$(dirname "$0")/.." && pwd)
if [ -n "$report" ]; then  # the run's own settings, as it saved them
  out=$report
  source "$out/settings"
fi
nabla=${nabla:-$root/build/nabla}
out=${out:-$root/build/soak-$(date -u +%Y%m%dT%H%M%SZ)}
# By default the first sixth of the run (at most 10 minutes) is warm-up: the allocator's buckets and the
# evaluation's working set settle during the first epochs.
warmup_minutes=${warmup_minutes:-$(awk -v m="$minutes" 'BEGIN { w = m / 6; print (w > 10 ? 10 : w) }')}
[ -n "$report" ] || [ -x "$nabla" ] || { echo "soak.sh: no nabla binary at $nabla (build it, or pass --nabla)" >&2; exit 1; }
command -v gnuplot > /dev/null || { echo "soak.sh: gnuplot is missing (apt-get install gnuplot-nox)" >&2; exit 1; }
mkdir -p "$out"
rss="$out/rss.csv" memory="$out/memory.csv"
if [ -z "$report" ]; then
echo "unix_seconds,rss_kib" > "$rss"
rm -f "$memory"

"$nabla" train --model lenet --epochs 1000000 --limit-train "$limit_train" --out "$out/run" --memory-log "$memory" \
  --no-progress > "$out/train.log" 2>&1 &
run=$!
trap 'kill -TERM $run 2> /dev/null || true' EXIT
start=$(date +%s)
printf 'start=%s\nminutes=%s\nlimit_train=%s\n' "$start" "$minutes" "$limit_train" > "$out/settings"
end=$((start + $(awk -v m="$minutes" 'BEGIN { printf "%d", m * 60 }')))
while kill -0 $run 2> /dev/null && [ "$(date +%s)" -lt $end ]; do
  kib=$(awk '/^VmRSS:/ { print $2 }' "/proc/$run/status" 2> /dev/null || true)
  [ -n "$kib" ] && echo "$(date +%s),$kib" >> "$rss"
  sleep 10
done
if ! kill -0 $run 2> /dev/null; then
  echo "soak.sh: the training ended before the soak did:" >&2; tail -n 5 "$out/train.log" >&2; exit 1
fi
kill -TERM $run
wait $run || true  # a stop on SIGTERM exits 130
trap - EXIT
fi

# slope FILE COLUMN SCALE: least squares of COLUMN·SCALE (MiB) on time (hours) over the rows after the warm-up.
warm_from=$((start + $(awk -v m="$warmup_minutes" 'BEGIN { printf "%d", m * 60 }')))
slope() {
  awk -F, -v from="$warm_from" -v column="$2" -v scale="$3" 'NR > 1 && $1 >= from {
      x = ($1 - from) / 3600; y = $column * scale; n++; sx += x; sy += y; sxx += x * x; sxy += x * y
      if (n == 1 || y < low) low = y; if (n == 1 || y > high) high = y }
    END { if (n < 3) { print "too few samples after the warm-up"; exit }
          b = (n * sxy - sx * sy) / (n * sxx - sx * sx)
          printf "%+.2f MiB/hour over %d samples (%.1f to %.1f MiB)\n", b, n, low, high }' "$1"
}
epochs=$(($(wc -l < "$memory") - 1))
echo "soak: $minutes minutes, $epochs epochs of LeNet on $limit_train images with an evaluation each; warm-up $warmup_minutes minutes"
echo "RSS after the warm-up: $(slope "$rss" 2 0.0009765625)"
# Each evaluation's batches of 500 raise RSS for a few seconds; a 10 s sample that happens to fall on one moves a
# least-squares line more the nearer it is to an end. The floor between them is what a leak would lift: the
# lowest sample of each minute, fitted the same way.
awk -F, 'NR > 1 { minute = int($1 / 60); if (!(minute in low) || $2 < low[minute]) { low[minute] = $2; at[minute] = $1 } }
  END { print "unix_seconds,rss_kib"; for (m in low) print at[m] "," low[m] }' "$rss" | sort -n > "$out/rss_floor.csv"
echo "RSS floor (each minute's lowest sample) after the warm-up: $(slope "$out/rss_floor.csv" 2 0.0009765625)"
echo "allocator reserved bytes fitted: $(slope "$memory" 4 0.00000095367431640625)"
echo "allocator allocated bytes fitted: $(slope "$memory" 3 0.00000095367431640625)"
gnuplot <<EOF
set terminal pngcairo size 1000,600
set output "$out/soak.png"
set datafile separator ","
set title "nabla soak: LeNet, evaluation every epoch ($minutes min)"
set xlabel "minutes since the start"
set ylabel "MiB"
set key top left
set arrow from $warmup_minutes, graph 0 to $warmup_minutes, graph 1 nohead dashtype 2
plot "$rss" every ::1 using ((\$1 - $start) / 60):(\$2 / 1024) with lines title "resident set (VmRSS)", \
     "$memory" every ::1 using ((\$1 - $start) / 60):(\$4 / 1048576) with linespoints title "allocator: reserved", \
     "$memory" every ::1 using ((\$1 - $start) / 60):(\$3 / 1048576) with linespoints title "allocator: allocated (after the epoch)"
EOF
echo "wrote $out/soak.png, $rss, $memory"
