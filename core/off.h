/*
 * off.h - the shared core every module may use: status codes, errors that
 * carry a source position, and a few small utilities.
 *
 * The core depends on nothing but libc.  Only main() turns a status into an
 * exit code (off_exit_code); library code returns statuses.
 */
#ifndef OFF_H
#define OFF_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define OFF_VERSION "0.1.0"

/* Number of elements of an array (not a pointer). */
#define OFF_COUNT(a) (sizeof(a) / sizeof((a)[0]))

typedef enum off_status {
    OFF_OK = 0,
    OFF_EUSAGE,   /* bad command-line usage                     -> exit 2 */
    OFF_EPARSE,   /* malformed input text (YAML, CSV, ...)      -> exit 2 */
    OFF_EINVAL,   /* well-formed input with an invalid value    -> exit 2 */
    OFF_ENOMEM,   /* allocation failed                          -> exit 1 */
    OFF_EIO,      /* file or process I/O failed                 -> exit 1 */
    OFF_EDB,      /* SQLite reported an error                   -> exit 1 */
    OFF_ERUNTIME, /* any other failure while running            -> exit 1 */
} off_status;

/* An error: its status and a formatted one-line message, already prefixed
 * with "FILE:LINE:COL: " when the error has a position. */
typedef struct off_err {
    off_status status;
    char msg[1024];
} off_err;

/* Record an error and return st.  file may be NULL (no position); line and
 * col are 1-based, 0 meaning "unknown" (then omitted from the prefix).
 * err may be NULL, in which case only st is returned.  A second call
 * overwrites the first. */
off_status off_errf(off_err *err, off_status st, const char *file, int line,
                    int col, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));
off_status off_verrf(off_err *err, off_status st, const char *file, int line,
                     int col, const char *fmt, va_list ap);

/* Reset err to OFF_OK with an empty message.  NULL-safe. */
void off_err_clear(off_err *err);

/* Process exit status for a status: 0 ok, 2 bad usage or input, 1 other. */
int off_exit_code(off_status st);

/* Short name of a status ("parse error", ...). */
const char *off_status_str(off_status st);

/* Edit distance between a and b (case-sensitive; insert, delete, substitute
 * and swap two adjacent characters each cost 1), capped at 255. */
size_t off_edit_distance(const char *a, const char *b);

/* The candidate closest to word by edit distance, or NULL when none is
 * close enough to be a plausible misspelling (distance <= max(1, len/3)). */
const char *off_did_you_mean(const char *word, const char *const *candidates,
                             size_t n);

/* 64-bit hashes used for seeding and config hashes (stable across
 * platforms and releases: changing them changes every result). */
uint64_t off_hash_bytes(const void *data, size_t len, uint64_t seed); /* FNV-1a 64 then mixed */
uint64_t off_mix64(uint64_t x);                                          /* splitmix64 finaliser */

/* strdup that returns NULL on NULL or on allocation failure. */
char *off_strdup(const char *s);

/* The most bytes off_read_file reads from one file: OFF_INPUT_LIMIT_DEFAULT,
 * or the size in the environment variable OFFSIM_MAX_INPUT ("256M", "2G",
 * bytes).  Bounds what a mistaken path (/dev/zero, a multi-gigabyte log)
 * can cost before it is refused.  OFF_EUSAGE naming the variable when its
 * value is not a size. */
#define OFF_INPUT_LIMIT_ENV "OFFSIM_MAX_INPUT"
#define OFF_INPUT_LIMIT_DEFAULT ((size_t)64 << 20)
off_status off_input_limit(size_t *limit, off_err *err);

/* Read a whole file into a NUL-terminated malloc'd buffer.  *len_out (may be
 * NULL) receives the length without the NUL.  Errors name the path: OFF_EIO
 * when it cannot be opened or read or is a directory, OFF_EINVAL when it is
 * larger than off_input_limit (the message names the limit and the
 * variable that raises it), OFF_EUSAGE for a malformed OFFSIM_MAX_INPUT. */
off_status off_read_file(const char *path, char **buf_out, size_t *len_out,
                         off_err *err);

/* Interruption (SIGINT, SIGTERM): off_interrupt_install sets handlers that
 * only raise a flag; long loops poll off_interrupted() and stop cleanly, so
 * that what they write stays consistent.  A second signal kills at once. */
void off_interrupt_install(void);
bool off_interrupted(void);

/* Monotonic wall clock in seconds (for wall-time measurements only, never
 * for simulated time). */
double off_wall_seconds(void);

#endif /* OFF_H */
