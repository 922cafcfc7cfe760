/* golden_test.c - every golden trace in traces/ replays with the current IM driver to a
 * trace that `chimtrace diff` finds equal, with no divergence, and verifies clean. */
#define _DEFAULT_SOURCE
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>

#include "tf_helpers.h"

TestSuite(golden, .init = tf_scratch_setup, .fini = tf_scratch_teardown);

static int sh(const char *cmd)
{
    int st = system(cmd);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void check_golden(const char *name)
{
    const char *ct = CT_TEST_BINARY_DIR "/cli/chimtrace";
    char in[512], out[512], cmd[2048];
    snprintf(in, sizeof in, "%s/traces/%s.ctrace", CT_TEST_SOURCE_DIR, name);
    tf_scratch_path(out, sizeof out, "replayed.ctrace");
    snprintf(cmd, sizeof cmd, "'%s' replay '%s' -o '%s' 2>/dev/null", ct, in, out);
    cr_assert_eq(sh(cmd), 0, "%s: replay reported a divergence or failed", name);
    snprintf(cmd, sizeof cmd, "'%s' diff '%s' '%s' >/dev/null", ct, in, out);
    cr_assert_eq(sh(cmd), 0, "%s: the replay differs from the golden trace", name);
    snprintf(cmd, sizeof cmd, "'%s' verify '%s' >/dev/null", ct, in);
    cr_assert_eq(sh(cmd), 0, "%s: the golden trace breaks a contract rule", name);
    snprintf(cmd, sizeof cmd, "'%s' verify '%s' >/dev/null", ct, out);
    cr_assert_eq(sh(cmd), 0, "%s: the replayed trace breaks a contract rule", name);
}

Test(golden, basic_replays_to_zero_diff) { check_golden("basic"); }
Test(golden, storm_replays_to_zero_diff) { check_golden("storm"); }
Test(golden, churn_replays_to_zero_diff) { check_golden("churn"); }
Test(golden, exhaust_replays_to_zero_diff) { check_golden("exhaust"); }
Test(golden, deep_replays_to_zero_diff) { check_golden("deep"); }
Test(golden, mixed_replays_to_zero_diff) { check_golden("mixed"); }
Test(golden, mixed_recorded_with_three_threads_replays_to_zero_diff) { check_golden("mixed-rt3"); }

Test(golden, a_faulty_driver_is_caught_by_replay_and_diff)
{
    const char *ct = CT_TEST_BINARY_DIR "/cli/chimtrace";
    char in[512], out[512], cmd[2048];
    snprintf(in, sizeof in, "%s/traces/mixed.ctrace", CT_TEST_SOURCE_DIR);
    tf_scratch_path(out, sizeof out, "faulty.ctrace");
    snprintf(cmd, sizeof cmd, "'%s' replay '%s' -o '%s' --im-fault pass-own-handle 2>/dev/null",
             ct, in, out);
    cr_assert_eq(sh(cmd), 1, "replay with a faulty driver did not report a divergence");
    snprintf(cmd, sizeof cmd, "'%s' diff '%s' '%s' >/dev/null", ct, in, out);
    cr_assert_eq(sh(cmd), 1, "diff did not see the faulty driver's trace as different");
}
