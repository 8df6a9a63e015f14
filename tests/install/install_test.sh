#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# meson install into a scratch root, then a program from outside the tree
# (consumer.cpp) built against the installed headers through pkg-config alone,
# and run on real DPDK.
#
#   install_test.sh BUILD_DIR BINDIR PKGCONFIG_DIR CONSUMER_SOURCE
set -eu
build=$1 bindir=$2 pcdir=$3 source=$4

work=$(mktemp -d /tmp/mp_install_XXXXXX)
file_prefix=mpt_install_${work##*_}
if [ "$(id -u)" = 0 ]; then runtime=/var/run/dpdk; else runtime=${XDG_RUNTIME_DIR:-/tmp}/dpdk; fi
cleanup() {
    rm -rf "$work" "${runtime:?}/$file_prefix"
    awk '$3 == "hugetlbfs" { print $2 }' /proc/mounts | while read -r mount; do
        rm -f "$mount/${file_prefix}map_"*
    done
}
trap cleanup EXIT
fail() { echo "install test: $*" >&2; exit 1; }

root=$work/root
meson install -C "$build" --no-rebuild --quiet --destdir "$root" >"$work/install.log" 2>&1 ||
    { cat "$work/install.log" >&2; fail "meson install failed"; }

for program in simple_mp symmetric_mp mp_server mp_client l2fwd_fork; do
    [ -x "$root$bindir/$program" ] || fail "$bindir/$program was not installed"
done
"$root$bindir/symmetric_mp" --help | grep -q '^usage: symmetric_mp' ||
    fail "the installed symmetric_mp does not print its usage"

# The staged .pc file names the final prefix; here it must name the scratch
# root (a relocatable one, -Dpkgconfig.relocatable=true, already does).
sed -i "s|^prefix=/|prefix=$root/|" "$root$pcdir/dpdk-mp.pc"
export PKG_CONFIG_PATH="$root$pcdir"
cflags=$(pkg-config --cflags dpdk-mp) || fail "pkg-config does not find dpdk-mp in $pcdir"
libs=$(pkg-config --libs dpdk-mp)
case " $cflags " in
    *" -I$root"*) ;;
    *) fail "dpdk-mp's include path is not in the installed tree: $cflags" ;;
esac
# As another project would build: DPDK's headers raise warnings under C++20
# when they are not system headers (-Wvolatile in 22.11), so no -Werror.
# shellcheck disable=SC2086 # the flags are words
g++ -std=c++20 -O2 -o "$work/consumer" "$source" $cflags $libs 2>"$work/build.log" ||
    { cat "$work/build.log" >&2; fail "consumer.cpp does not build against the installed headers"; }

"$work/consumer" --no-pci -l 0 -m 16 --file-prefix="$file_prefix" -- 100 >"$work/out" 2>&1 ||
    { cat "$work/out" >&2; fail "the consumer failed"; }
grep -qx 'consumer: 100 objects through ring consumer_ring, sum 4950, 1023 back in the pool' \
    "$work/out" || { cat "$work/out" >&2; fail "the consumer printed something else"; }
echo "installed, built against dpdk-mp ($(pkg-config --modversion dpdk-mp)) and ran: OK"
