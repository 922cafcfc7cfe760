/* cli_run.c - the CLI tests' scratch directory and process runner (see cli_run.h).
 *
 * posix_spawn with stdout/stderr redirected to files, not pipes: the child can write any
 * amount without the test having to drain it concurrently.
 */
#define _DEFAULT_SOURCE /* mkdtemp, posix_spawn */

#include <criterion/criterion.h>

#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>

#include "cli_run.h"

extern char **environ;

char cli_tmpdir[64];

void cli_tmpdir_make(void)
{
    snprintf(cli_tmpdir, sizeof cli_tmpdir, "/tmp/ct_cli_XXXXXX");
    cr_assert_not_null(mkdtemp(cli_tmpdir));
}

void cli_tmpdir_remove(void)
{
    char cmd[128];

    snprintf(cmd, sizeof cmd, "rm -rf '%s'", cli_tmpdir);
    cr_expect_eq(system(cmd), 0);
}

char *cli_tmp(char *buf, const char *name)
{
    snprintf(buf, CLI_PLEN, "%s/%s", cli_tmpdir, name);
    return buf;
}

char *cli_slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    long len;
    char *data;

    cr_assert_not_null(f, "cannot open %s", path);
    fseek(f, 0, SEEK_END);
    len = ftell(f);
    fseek(f, 0, SEEK_SET);
    data = malloc((size_t)len + 1);
    cr_assert_not_null(data);
    cr_assert_eq(fread(data, 1, (size_t)len, f), (size_t)len);
    data[len] = '\0';
    fclose(f);
    return data;
}

cli_result cli_run_argv(char *const argv[])
{
    posix_spawn_file_actions_t fa;
    char op[CLI_PLEN], ep[CLI_PLEN];
    cli_result r = {0, NULL, NULL};
    pid_t pid;
    int ws;

    cli_tmp(op, "stdout");
    cli_tmp(ep, "stderr");
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, op, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    posix_spawn_file_actions_addopen(&fa, 2, ep, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    cr_assert_eq(posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ), 0,
                 "cannot start %s", argv[0]);
    posix_spawn_file_actions_destroy(&fa);
    cr_assert_eq(waitpid(pid, &ws, 0), pid);
    r.status = WIFEXITED(ws) ? WEXITSTATUS(ws) : 128 + WTERMSIG(ws);
    r.out = cli_slurp(op);
    r.err = cli_slurp(ep);
    return r;
}

void cli_result_free(cli_result *r)
{
    free(r->out);
    free(r->err);
    r->out = r->err = NULL;
}
