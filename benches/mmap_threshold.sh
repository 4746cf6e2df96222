#!/usr/bin/env bash
# Chooses the mmap threshold: for files of several sizes (256 MiB of Python source in total per
# size), times `leakhound scan` reading every file (--no-mmap) against mapping every file
# (--mmap 1), alternating, median of RUNS. Files are in the page cache (the common case for a
# checkout that was just written or built).
# usage: benches/mmap_threshold.sh [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-5}
cargo build --release --quiet
lh=$PWD/target/release/leakhound
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
stdlib=$(python3 -c 'import sysconfig; print(sysconfig.get_paths()["stdlib"])')
find "$stdlib" -name '*.py' -size +8k -print0 | head -z -n 4000 | xargs -0 cat >"$work/source"
total=$((256 * 1024 * 1024))
for size in 65536 262144 1048576 4194304 16777216 67108864; do
  dir="$work/s$size"
  mkdir -p "$dir"
  n=$((total / size))
  python3 - "$work/source" "$dir" "$size" "$n" <<'PY'
import sys
src = open(sys.argv[1], "rb").read()
size, n = int(sys.argv[3]), int(sys.argv[4])
for i in range(n):
    off = (i * 7919 * 4096) % (len(src) - size)
    open(f"{sys.argv[2]}/f{i}.py", "wb").write(src[off:off + size])
PY
  cat "$dir"/* >/dev/null
  for mode in --no-mmap "--mmap 1"; do : >"$work/t$mode"; done
  for ((r = 0; r < runs; r++)); do
    for mode in --no-mmap "--mmap 1"; do
      /usr/bin/time -f "%e" -a -o "$work/t$mode" "$lh" scan "$dir" -q -f json -o /dev/null --exit-code 0 $mode
    done
  done
  read_s=$(sort -n "$work/t--no-mmap" | sed -n "$(( (runs + 1) / 2 ))p")
  mmap_s=$(sort -n "$work/t--mmap 1" | sed -n "$(( (runs + 1) / 2 ))p")
  echo "file size $((size / 1024)) KiB x $n: read ${read_s}s  mmap ${mmap_s}s"
  rm -rf "$dir"
done
