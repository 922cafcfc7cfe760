/* synth.h - a seeded, deterministic generator of realistic chimtrace records.
 *
 * Tests, benchmarks and fuzz corpora need traces that look like what the recorder writes
 * without running the shim. ct_synth_next produces an endless stream of Records (mostly
 * chimney state-operation events, with Loss and FrameRef records mixed in); the same seed
 * always gives the same bytes. ct_synth_fill_all builds one record of a chosen kind with
 * every schema field set, by walking the protobuf-c descriptors, for round-trip tests.
 *
 * Types are the protobuf-c names generated from schema/chimtrace.proto (package
 * chimtrace.v1 becomes Chimtrace__V1__*).
 */
#ifndef CT_SYNTH_H
#define CT_SYNTH_H

#include <stddef.h>
#include <stdint.h>

#include "chimtrace.pb-c.h"
#include "ct_err.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ct_synth ct_synth;

/* What the generator has produced so far (records returned by ct_synth_next). */
typedef struct ct_synth_stats {
    uint64_t records;
    uint64_t events;
    uint64_t losses;        /* Loss records */
    uint64_t lost_events;   /* sum of Loss.count: seq numbers skipped on purpose */
    uint64_t frames;        /* FrameRef records */
    uint64_t last_seq;      /* seq of the last event (0: none yet) */
    uint64_t last_ts_ns;    /* ts_ns of the last event */
} ct_synth_stats;

/* A generator seeded with `seed`. On success *out is owned by the caller and released
 * with ct_synth_free. Fails only with CT_ERR_NOMEM or CT_ERR_ARG (out == NULL). */
ct_err ct_synth_new(uint64_t seed, ct_synth **out);

/* ct_synth_free(NULL) is a no-op. Releases everything the generator handed out. */
void ct_synth_free(ct_synth *s);

/* The TraceHeader that goes with this generator's records: workload "synth", the seed,
 * producer "chimtrace", ABI x64, NDIS 6.1, CLOCK_VIRTUAL, a capture config. Every value is
 * derived from the seed (no wall clock, no hostname lookup), so it is reproducible.
 * Borrowed: valid until ct_synth_free. The caller may modify it (tests do). */
void ct_synth_header(ct_synth *s, Chimtrace__V1__TraceHeader **hdr);

/* The next record of the stream. Never NULL. Borrowed: valid until the next
 * ct_synth_next or ct_synth_free. Memory use is constant however many are generated.
 * Events have seq strictly increasing from 1 (gaps only where a Loss record says events
 * were dropped) and non-decreasing ts_ns. */
const Chimtrace__V1__Record *ct_synth_next(ct_synth *s);

/* A RunSummary record matching what ct_synth_next has produced so far. Borrowed: valid
 * until the next ct_synth_summary or ct_synth_free. */
const Chimtrace__V1__Record *ct_synth_summary(ct_synth *s);

void ct_synth_get_stats(const ct_synth *s, ct_synth_stats *st);

/* Build a Record whose oneof `kind` (a Chimtrace__V1__Record__KindCase, 1..5) is set and
 * in which every field of that message, recursively, is set: optional scalars with their
 * has_ flag, repeated fields with 2 elements, strings and bytes non-empty, enums a valid
 * non-zero value, nested messages filled the same way. Values are distinct and depend only
 * on the seed and the number of earlier calls. The record lives in an arena owned by `s`:
 * borrowed, valid until ct_synth_free (each call adds a few KB to the arena, so this is
 * for tests, not for loops). CT_ERR_ARG for an unknown kind, CT_ERR_NOMEM. */
ct_err ct_synth_fill_all(ct_synth *s, int kind, Chimtrace__V1__Record **out);

#ifdef __cplusplus
}
#endif

#endif /* CT_SYNTH_H */
