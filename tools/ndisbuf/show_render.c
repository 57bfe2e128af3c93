/* SPDX-License-Identifier: MIT */
/*
 * Graphviz for `ndisbuf show`: finding `dot` on PATH and running it with
 * posix_spawnp (no shell, so no file name is ever interpreted).
 */
#include <errno.h>
#include <limits.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "show.h"

extern char **environ;

bool show_dot_installed(void)
{
    const char *path = getenv("PATH");
    char candidate[PATH_MAX];
    while (path && *path) {
        const char *end = strchr(path, ':');
        size_t length = end ? (size_t)(end - path) : strlen(path);
        /* An empty PATH entry is the current directory. */
        int n = snprintf(candidate, sizeof(candidate), "%.*s/dot", length ? (int)length : 1, length ? path : ".");
        if (n > 0 && (size_t)n < sizeof(candidate) && access(candidate, X_OK) == 0)
            return true;
        path = end ? end + 1 : NULL;
    }
    return false;
}

bool show_render(const char *dot_file, const char *format, const char *out)
{
    char type[16];
    snprintf(type, sizeof(type), "-T%s", format);
    char *argv[] = {"dot", type, "-o", (char *)out, (char *)dot_file, NULL};
    pid_t child;
    int error = posix_spawnp(&child, "dot", NULL, NULL, argv, environ);
    if (error) {
        fprintf(stderr, "ndisbuf show: cannot run Graphviz's dot: %s\n", strerror(error));
        return false;
    }
    int status;
    while (waitpid(child, &status, 0) < 0)
        if (errno != EINTR) {
            fprintf(stderr, "ndisbuf show: waiting for dot: %s\n", strerror(errno));
            return false;
        }
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
        return true;
    fprintf(stderr, "ndisbuf show: dot -T%s failed (%s %d) writing '%s'\n", format,
            WIFEXITED(status) ? "exit status" : "signal", WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status),
            out);
    return false;
}
