#!/bin/sh
# check_pe.sh - checks a Windows kernel image (chimshim.sys) with `objdump -p`:
#   1. the subsystem is native (1);
#   2. every imported DLL is ndis.sys, ntoskrnl.exe or hal.dll (a driver can load nothing
#      else: any user-mode DLL, or a C runtime, means the link went wrong);
#   3. the chimney imports the IM driver needs come from ndis.sys: the five state
#      operations down (NdisInitiateOffload, ...) and their five completions up
#      (NdisMInitiateOffloadComplete, ...), plus NdisSetOptionalHandlers;
#   4. the image has a base relocation directory (the kernel loads drivers anywhere);
#   5. the NBL data path's imports come from ndis.sys: send down and complete up
#      (NdisSendNetBufferLists, NdisMSendNetBufferListsComplete, the clone calls), indicate
#      up and return down (NdisMIndicateReceiveNetBufferLists, NdisReturnNetBufferLists),
#      pause completion and status forwarding - an IM without them cuts its adapter off
#      the network (driver-shim/KERNEL.md, section 2).
# Prints PASS/FAIL per check and every offending import; exit 0 when all pass, 1 if any
# fails, 2 on usage errors.
#
# --expect-reject: the self-test mode. Exit 0 only if the image FAILS check 2 naming a
# non-kernel DLL, FAILS check 3 and FAILS check 5 - i.e. the checker is shown to catch a
# bad image.
#
# usage: check_pe.sh [--expect-reject] OBJDUMP IMAGE
set -u
expect_reject=0
if [ "${1:-}" = "--expect-reject" ]; then expect_reject=1; shift; fi
if [ $# -ne 2 ]; then
  echo "usage: $0 [--expect-reject] OBJDUMP IMAGE" >&2
  exit 2
fi
objdump=$1
image=$2
if [ ! -f "$image" ]; then
  echo "FAIL: $image: no such file" >&2
  exit 2
fi
dump=$("$objdump" -p "$image") || { echo "FAIL: $objdump -p $image failed" >&2; exit 2; }

fails=0
bad_dll=0
missing_chimney=0
missing_datapath=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }

# 1. subsystem
sub=$(printf '%s\n' "$dump" | awk '$1 == "Subsystem" { print $2; exit }')
if [ "$sub" = "00000001" ]; then
  echo "PASS: subsystem is native (00000001)"
else
  fail "subsystem is '${sub:-missing}', want 00000001 (native)"
fi

# "dll symbol" per import, DLL names lower-cased.
imports=$(printf '%s\n' "$dump" | awk '
  /^[ \t]*DLL Name:/ { dll = tolower($3); next }
  /^[ \t]*$/ { if (dll != "" && seen) dll = ""; seen = 0; next }
  dll != "" && /^[ \t]*[0-9a-fA-F]+[ \t]+[0-9]+[ \t]+[A-Za-z_]/ { print dll, $3; seen = 1 }')
dlls=$(printf '%s\n' "$dump" | awk '/^[ \t]*DLL Name:/ { print tolower($3) }' | sort -u)

# 2. import DLLs
if [ -z "$dlls" ]; then
  fail "no import table found"
fi
for d in $dlls; do
  case "$d" in
    ndis.sys|ntoskrnl.exe|hal.dll) ;;
    *)
      fail "import from $d (only ndis.sys, ntoskrnl.exe and hal.dll are allowed):" \
           "$(printf '%s\n' "$imports" | awk -v d="$d" '$1 == d { printf "%s ", $2 }')"
      bad_dll=1 ;;
  esac
done
[ $bad_dll -eq 0 ] && [ -n "$dlls" ] && echo "PASS: imports only from" $dlls

# 3. chimney imports from ndis.sys
for f in NdisInitiateOffload NdisTerminateOffload NdisUpdateOffload NdisQueryOffloadState \
         NdisInvalidateOffload NdisMInitiateOffloadComplete NdisMTerminateOffloadComplete \
         NdisMUpdateOffloadComplete NdisMQueryOffloadStateComplete \
         NdisMInvalidateOffloadComplete NdisSetOptionalHandlers; do
  if ! printf '%s\n' "$imports" | grep -qx "ndis.sys $f"; then
    fail "chimney import $f missing from ndis.sys"
    missing_chimney=1
  fi
done
[ $missing_chimney -eq 0 ] && echo "PASS: all 11 chimney imports come from ndis.sys"

# 4. relocations
reloc=$(printf '%s\n' "$dump" | awk '/Base Relocation Directory/ { print $4; exit }')
if [ -n "$reloc" ] && [ "$reloc" != "00000000" ]; then
  echo "PASS: base relocation directory present ($reloc bytes)"
else
  fail "no base relocation directory"
fi

# 5. data-path imports from ndis.sys
for f in NdisSendNetBufferLists NdisMSendNetBufferListsComplete \
         NdisAllocateCloneNetBufferList NdisFreeCloneNetBufferList \
         NdisAllocateNetBufferListPool NdisFreeNetBufferListPool \
         NdisMIndicateReceiveNetBufferLists NdisReturnNetBufferLists \
         NdisMPauseComplete NdisMIndicateStatusEx; do
  if ! printf '%s\n' "$imports" | grep -qx "ndis.sys $f"; then
    fail "data-path import $f missing from ndis.sys"
    missing_datapath=1
  fi
done
[ $missing_datapath -eq 0 ] && echo "PASS: all 10 data-path imports come from ndis.sys"

if [ $expect_reject -eq 1 ]; then
  if [ $bad_dll -eq 1 ] && [ $missing_chimney -eq 1 ] && [ $missing_datapath -eq 1 ]; then
    echo "PASS: the bad image was rejected ($fails failed checks), as expected"
    exit 0
  fi
  echo "FAIL: the bad image was not rejected for its user-mode DLL and missing chimney and" \
       "data-path imports"
  exit 1
fi
[ $fails -eq 0 ] && exit 0
exit 1
