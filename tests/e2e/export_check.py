#!/usr/bin/env python3
"""export_check.py - validate `chimtrace export --chrome` output against its trace.

Usage: export_check.py CHIMTRACE TRACE JSON [--expect-loss] [--expect-truncation]
                       [--expect-async] [--expect-objects]
(TRACE "-": check the JSON's structure only.)

Parses JSON with Python's json module (numbers as Decimal, so ts/dur compare exactly) and
checks the Trace Event Format rules the Perfetto UI and chrome://tracing rely on: the
object form with a traceEvents list; every X event has name/ph/ts/dur/pid/tid with
dur >= 0; the X events of one (pid, tid) are disjoint or nested; each stage sits on its
own per-edge-pair track inside its operation's span; metadata names every
process and thread used; instant events have a scope; async b/e events pair up. Then
against the trace itself (read with `chimtrace dump --format jsonl`): one operation
event per state-operation instance (op_id), with its op and object identity in args;
loss and truncation instant events when asked for. Exit 0 when all hold, 1 otherwise
(every failure printed).
"""
import collections
import decimal
import json
import subprocess
import sys

STATE_OPS = {"OP_INITIATE", "OP_TERMINATE", "OP_UPDATE", "OP_QUERY", "OP_INVALIDATE"}
failures = []


def fail(msg):
    failures.append(msg)


def ns(v):
    """A microsecond value (Decimal or int) as integer nanoseconds."""
    return int(decimal.Decimal(v) * 1000)


def check_structure(doc):
    if not isinstance(doc, dict):
        fail("top level is not an object")
        return []
    ev = doc.get("traceEvents")
    if not isinstance(ev, list):
        fail("no traceEvents list")
        return []
    if doc.get("displayTimeUnit") not in ("ms", "ns"):
        fail("displayTimeUnit is %r" % doc.get("displayTimeUnit"))
    if not isinstance(doc.get("metadata"), dict):
        fail("no metadata object")
    return ev


def check_events(events):
    """Field rules per phase; returns X events by track and names seen."""
    tracks = collections.defaultdict(list)
    pnames, tnames, used_p, used_t = set(), set(), set(), set()
    async_open = collections.Counter()
    for i, e in enumerate(events):
        ph = e.get("ph")
        if ph == "M":
            if e.get("name") == "process_name":
                pnames.add(e["pid"])
            elif e.get("name") == "thread_name":
                tnames.add((e["pid"], e["tid"]))
            if not isinstance(e.get("args"), dict):
                fail("event %d: metadata without args" % i)
            continue
        for k in ("name", "ph", "ts", "pid", "tid"):
            if k not in e:
                fail("event %d (%s): no %s" % (i, ph, k))
                break
        else:
            if not isinstance(e["name"], str):
                fail("event %d: name is not a string" % i)
            used_p.add(e["pid"])
            if ph == "X":
                if "dur" not in e or e["dur"] < 0:
                    fail("event %d: X without dur >= 0" % i)
                    continue
                used_t.add((e["pid"], e["tid"]))
                tracks[(e["pid"], e["tid"])].append((ns(e["ts"]), ns(e["dur"]), i))
            elif ph == "i":
                if e.get("s") not in ("g", "p", "t"):
                    fail("event %d: instant without scope" % i)
                if e.get("s") == "t":
                    used_t.add((e["pid"], e["tid"]))
            elif ph in ("b", "e"):
                key = (e.get("cat"), e.get("id"), e["pid"])
                async_open[key] += 1 if ph == "b" else -1
                if async_open[key] < 0:
                    fail("event %d: async end before its begin" % i)
            else:
                fail("event %d: unexpected phase %r" % (i, ph))
    for p in sorted(used_p - pnames):
        fail("pid %s has no process_name" % p)
    for t in sorted(used_t - tnames):
        fail("track %s has no thread_name" % (t,))
    for k, v in async_open.items():
        if v:
            fail("async %s: %d begins without an end" % (k, v))
    return tracks


def check_nesting(tracks):
    """Sorted by start (longest first), each event must end before the enclosing one ends;
    events that ended at or before its start are closed first."""
    for key, evs in tracks.items():
        evs.sort(key=lambda x: (x[0], -x[1], x[2]))
        stack = []  # (end, index)
        for ts, dur, i in evs:
            while stack and stack[-1][0] <= ts:
                stack.pop()
            if stack and ts + dur > stack[-1][0]:
                fail("track %s: event %d [%d, %d] ns overlaps event %d ending at %d ns "
                     "without nesting" % (key, i, ts, ts + dur, stack[-1][1], stack[-1][0]))
            stack.append((ts + dur, i))


def check_stages(events):
    """Per-edge tracks: each stage X event sits on its own track (not its operation's), in
    the same process, within its operation's [ts, ts + dur], and the three stage names of
    one slot never share a track."""
    whole, track_names = {}, collections.defaultdict(set)
    for e in events:
        if e.get("ph") == "X" and e.get("cat") == "operation":
            whole[e["args"]["op_id"]] = e
    for i, e in enumerate(events):
        if e.get("ph") != "X" or e.get("cat") != "stage":
            continue
        op = whole.get(e["args"].get("op_id"))
        if op is None:
            fail("event %d: stage of op_id %s without its operation" % (i, e["args"].get("op_id")))
            continue
        if (e["pid"], e["tid"]) == (op["pid"], op["tid"]) or e["pid"] != op["pid"]:
            fail("event %d: stage %r not on a track of its own in its operation's process"
                 % (i, e["name"]))
        if ns(e["ts"]) < ns(op["ts"]) or ns(e["ts"]) + ns(e["dur"]) > ns(op["ts"]) + ns(op["dur"]):
            fail("event %d: stage %r outside its operation" % (i, e["name"]))
        track_names[(e["pid"], e["tid"])].add(e["name"])
    for key, names in track_names.items():
        if len(names) != 1:
            fail("track %s holds stages %s: one edge pair per track" % (key, sorted(names)))


def trace_facts(chimtrace, trace):
    out = subprocess.run([chimtrace, "dump", trace, "--format", "jsonl"],
                         stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, check=False)
    ops, lost = {}, 0
    for line in out.stdout.decode().splitlines():
        r = json.loads(line)
        if "event" in r:
            e = r["event"]
            if e.get("op") in STATE_OPS and "op_id" in e:
                ops.setdefault(e["op_id"], e["op"][3:])
        elif "loss" in r:
            lost += r["loss"].get("count", 0)
    return ops, lost


def check_against_trace(events, ops, lost, args):
    seen = collections.Counter()
    for e in events:
        if e.get("cat") != "operation" or e.get("ph") not in ("X", "b"):
            continue
        a = e.get("args", {})
        if "op" not in a or "object" not in a or "op_id" not in a:
            fail("operation event without op/object/op_id: %r" % e)
            continue
        seen[a["op_id"]] += 1
        if "--expect-objects" in args and a["object"] == "-":
            fail("op_id %s: no object identity" % a["op_id"])
        if ops.get(a["op_id"]) != a["op"]:
            fail("op_id %s: op %s, the trace says %s" % (a["op_id"], a["op"],
                                                          ops.get(a["op_id"])))
    if set(seen) != set(ops):
        fail("%d instances exported, the trace has %d" % (len(seen), len(ops)))
    for k, v in seen.items():
        if v != 1:
            fail("op_id %s exported %d times" % (k, v))
    inst = [e for e in events if e.get("ph") == "i" and e.get("s") == "g"]
    losses = [e for e in inst if e["args"].get("kind") == "loss"]
    if "--expect-loss" in args:
        if not losses:
            fail("no loss instant event")
        elif sum(e["args"]["count"] for e in losses) != lost:
            fail("loss events count %d, the trace lost %d" %
                 (sum(e["args"]["count"] for e in losses), lost))
    if "--expect-truncation" in args:
        tr = [e for e in inst if e["args"].get("kind") == "truncation"]
        if len(tr) != 1 or tr[0]["args"].get("truncated_at_byte", 0) <= 0:
            fail("no truncation instant event with truncated_at_byte")
    if "--expect-async" in args and not any(e.get("ph") == "b" for e in events):
        fail("no async instance")


def main(argv):
    if len(argv) < 4:
        print(__doc__, file=sys.stderr)
        return 2
    chimtrace, trace, path = argv[1:4]
    with open(path, encoding="utf-8") as f:
        doc = json.load(f, parse_float=decimal.Decimal)
    events = check_structure(doc)
    tracks = check_events(events)
    check_nesting(tracks)
    check_stages(events)
    if trace != "-":  # "-": a hand-made document, structure checks only
        ops, lost = trace_facts(chimtrace, trace)
        check_against_trace(events, ops, lost, argv[4:])
    for m in failures[:40]:
        print("export_check: %s: %s" % (path, m), file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
