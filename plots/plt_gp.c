/*
 * plt_gp.c - gnuplot for every plot: found on PATH, run without a shell
 * on a script and a data file written to temporary files beside the
 * output, its error message kept for ours.
 */
#define _POSIX_C_SOURCE 200809L
#include "plt_int.h"

#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

void plt_gp_escape(char *dst, size_t cap, const char *src, bool text)
{
    size_t j = 0;
    for (size_t i = 0; src[i] && j + 4 < cap; i++) {
        char c = src[i];
        if (c == '"' || c == '\\')
            dst[j++] = '\\';
        /* enhanced-text specials: the string must hold "\_", so the script
           says "\\_" (gnuplot unescapes double-quoted strings first) */
        if (text && (c == '_' || c == '^' || c == '{' || c == '}' || c == '@' || c == '&' ||
            c == '~')) {
            dst[j++] = '\\';
            dst[j++] = '\\';
        }
        dst[j++] = (c == '\n' || c == '\r') ? ' ' : c;
    }
    dst[j] = '\0';
}

bool plt_has_terminal(const char *name)
{
    FILE *p = popen("gnuplot -e 'set terminal' 2>&1", "r");
    if (!p)
        return false;
    char line[256];
    bool found = false;
    size_t n = strlen(name);
    while (fgets(line, sizeof line, p)) {
        const char *s = line + strspn(line, " \t");
        found = found || (strncmp(s, name, n) == 0 && (s[n] == ' ' || s[n] == '\t'));
    }
    pclose(p);
    return found;
}

static bool gnuplot_present(void)
{
    return system("command -v gnuplot >/dev/null 2>&1") == 0;
}

/* Run gnuplot on script_path with its standard error to errf_path,
 * spawned without a shell so that no path needs quoting; its message
 * becomes the error when it fails. */
static off_status run_gnuplot(const char *script_path, const char *errf_path,
                              const char *out_path, off_err *err)
{
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 2, errf_path, O_WRONLY | O_TRUNC, 0600);
    char *argv[] = {"gnuplot", (char *)script_path, NULL};
    pid_t pid;
    int rc = posix_spawnp(&pid, "gnuplot", &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    if (rc == 0) {
        int wst;
        while (waitpid(pid, &wst, 0) < 0 && errno == EINTR)
            ;
        rc = WIFEXITED(wst) && WEXITSTATUS(wst) == 0 ? 0 : 1;
    }
    if (rc == 0)
        return OFF_OK;
    char msg[600] = "";
    FILE *e = fopen(errf_path, "r");
    if (e) {
        size_t n = fread(msg, 1, sizeof msg - 1, e);
        msg[n] = '\0';
        fclose(e);
        for (char *p = msg; *p; p++)
            if (*p == '\n')
                *p = ' ';
    }
    return off_errf(err, OFF_ERUNTIME, out_path, 0, 0, "gnuplot failed: %s", msg);
}

off_status plt_gp_render(const char *out_path, plt_data_fn *data, plt_script_fn *script,
                         void *ud, off_err *err)
{
    if (!gnuplot_present())
        return off_errf(err, OFF_ERUNTIME, NULL, 0, 0,
                        "gnuplot not found on PATH (Debian package gnuplot-nox; "
                        "`make build` installs it)");
    char data_path[4200];
    snprintf(data_path, sizeof data_path, "%s.XXXXXX", out_path);
    int fd = mkstemp(data_path);
    if (fd < 0)
        return off_errf(err, OFF_EIO, out_path, 0, 0,
                        "cannot create a temporary file beside the plot: %s",
                        strerror(errno));
    FILE *f = fdopen(fd, "w");
    if (!f) {
        close(fd);
        unlink(data_path);
        return off_errf(err, OFF_EIO, data_path, 0, 0, "cannot write: %s", strerror(errno));
    }
    off_status st = data(f, data_path, ud, err);
    if (fclose(f) != 0 && st == OFF_OK)
        st = off_errf(err, OFF_EIO, data_path, 0, 0, "write error");
    if (st != OFF_OK) {
        unlink(data_path);
        return st;
    }

    char script_path[4200], errf_path[4200];
    snprintf(script_path, sizeof script_path, "%s.gp.XXXXXX", out_path);
    snprintf(errf_path, sizeof errf_path, "%s.err.XXXXXX", out_path);
    int sfd = mkstemp(script_path), efd = mkstemp(errf_path);
    FILE *s = sfd >= 0 ? fdopen(sfd, "w") : NULL;
    if (!s || efd < 0) {
        if (s) fclose(s); else if (sfd >= 0) close(sfd);
        if (efd >= 0) close(efd);
        unlink(data_path);
        unlink(script_path);
        unlink(errf_path);
        return off_errf(err, OFF_EIO, out_path, 0, 0, "cannot create gnuplot script");
    }
    close(efd);
    script(s, out_path, data_path, ud);
    fclose(s);
    st = run_gnuplot(script_path, errf_path, out_path, err);
    unlink(data_path);
    unlink(script_path);
    unlink(errf_path);
    return st;
}
