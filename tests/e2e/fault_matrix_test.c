/* fault_matrix_test.c - every bug the IM driver can be made to commit is caught: scripted
 * replay of a golden trace with the faulty driver reports a divergence and `chimtrace diff`
 * (or, for a leak, replay's end-of-run state check) tells the traces apart; and a recording
 * made with the faulty driver fails `chimtrace verify` for each bug that breaks a contract
 * rule of reference §4.3. */
#define _DEFAULT_SOURCE
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>

#include "tf_helpers.h"

TestSuite(faults, .init = tf_scratch_setup, .fini = tf_scratch_teardown, .timeout = 300);

static const char *const ct = CT_TEST_BINARY_DIR "/cli/chimtrace";

static int sh(const char *cmd)
{
    int st = system(cmd);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* Replay `golden` with the fault: exit 1 (divergence); when the fault changes the trace,
 * diff must also say different. */
static void replay_catches(const char *fault, const char *golden, int trace_differs)
{
    char in[512], out[512], cmd[2048];
    snprintf(in, sizeof in, "%s/traces/%s.ctrace", CT_TEST_SOURCE_DIR, golden);
    tf_scratch_path(out, sizeof out, "faulty.ctrace");
    snprintf(cmd, sizeof cmd, "'%s' replay '%s' -o '%s' --im-fault %s >/dev/null 2>&1", ct, in,
             out, fault);
    cr_assert_eq(sh(cmd), 1, "replay of %s did not report the %s bug", golden, fault);
    snprintf(cmd, sizeof cmd, "'%s' diff '%s' '%s' >/dev/null 2>&1", ct, in, out);
    cr_assert_eq(sh(cmd), trace_differs ? 1 : 0, "diff of %s with the %s bug exited wrongly",
                 golden, fault);
}

/* Record `workload` with the fault; verify must find a violation (exit 1). */
static void verify_catches(const char *fault, const char *workload)
{
    char out[512], cmd[2048];
    tf_scratch_path(out, sizeof out, "recorded.ctrace");
    snprintf(cmd, sizeof cmd, "'%s' record --deterministic --workload %s -o '%s' "
             "--im-fault %s >/dev/null 2>&1", ct, workload, out, fault);
    cr_assert_eq(sh(cmd), 0, "recording %s with %s failed", workload, fault);
    snprintf(cmd, sizeof cmd, "'%s' verify '%s' >/dev/null 2>&1", ct, out);
    cr_assert_eq(sh(cmd), 1, "verify missed the %s bug in a %s recording", fault, workload);
}

Test(faults, forget_im_reserved)
{
    replay_catches("forget-im-reserved", "mixed", 1);
    verify_catches("forget-im-reserved", "mixed");
}

Test(faults, forget_source_handle)
{
    replay_catches("forget-source-handle", "mixed", 1);
    verify_catches("forget-source-handle", "mixed");
}

Test(faults, pass_own_handle)
{
    replay_catches("pass-own-handle", "mixed", 1);
    verify_catches("pass-own-handle", "mixed");
}

Test(faults, drop_completion)
{
    replay_catches("drop-completion", "mixed", 1);
    verify_catches("drop-completion", "mixed");
}

Test(faults, dup_completion)
{
    replay_catches("dup-completion", "mixed", 1);
    verify_catches("dup-completion", "mixed");
}

Test(faults, wrong_status)
{
    replay_catches("wrong-status", "exhaust", 1);
    verify_catches("wrong-status", "exhaust");
}

Test(faults, context_on_failure)
{
    replay_catches("context-on-failure", "exhaust", 1);
    verify_catches("context-on-failure", "exhaust");
}

/* A leaked entry changes no event: replay's end-of-run check catches it, diff cannot, and
 * no §4.3 rule is broken by what crosses the edges. */
Test(faults, leak_offload_entry)
{
    replay_catches("leak-offload-entry", "mixed", 0);
}
