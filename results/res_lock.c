/*
 * res_lock.c - run locks: how a reader tells a run in progress from one
 * whose process died, both left with status 'running'.
 *
 * While a run is open (res_run_begin to res_run_end), its writer holds a
 * shared lock on byte run_id of a side file, the database's path followed
 * by "-lock".  The kernel drops the lock when the process ends, however it
 * ends, so a reader that finds the byte unlocked knows that no process is
 * writing the run any more.
 *
 * Why a side file and not a byte of the database: POSIX record locks
 * belong to the process, and closing any descriptor of a file drops all of
 * the process's locks on it, SQLite's own included; a descriptor of our
 * own on the database, closed while another connection of the process is
 * open, would silently unlock that connection (SQLite's "howtocorrupt"
 * page, 2.2).  The side file is ours alone.  Open-file-description locks
 * (Linux) are used where available: they belong to the descriptor, so two
 * connections of one process lock and test independently.
 *
 * The side file is created by the writer of a run and removed by the last
 * writer to close (the -wal and -shm files come and go the same way), with
 * the protocol of lock files that may vanish: a closing writer removes it
 * only under a write lock of the whole file (so nobody holds a run lock in
 * it), and a writer that locked a run checks that the path still names
 * the file it locked, else tries again with the new file.  A database
 * without it has no live run.
 */
#define _GNU_SOURCE /* F_OFD_SETLK, F_OFD_GETLK */
#include "res_int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#ifdef F_OFD_SETLK
#define RES_SETLK F_OFD_SETLK
#define RES_GETLK F_OFD_GETLK
#else /* process-wide locks: a close elsewhere in the process may drop them */
#define RES_SETLK F_SETLK
#define RES_GETLK F_GETLK
#endif

/* The side file's path, malloc'd. */
static char *side_path(const char *path)
{
    size_t n = strlen(path);
    char *p = malloc(n + sizeof "-lock");
    if (p) {
        memcpy(p, path, n);
        memcpy(p + n, "-lock", sizeof "-lock");
    }
    return p;
}

static int open_side(const char *path, int flags)
{
    char *p = side_path(path);
    int fd = p ? open(p, flags | O_CLOEXEC, 0666) : -1;
    free(p);
    return fd;
}

/* Whether the side file's path still names the file open in fd. */
static bool side_is(const char *path, int fd)
{
    char *p = side_path(path);
    struct stat a, b;
    bool same = p && stat(p, &a) == 0 && fstat(fd, &b) == 0 && a.st_dev == b.st_dev &&
                a.st_ino == b.st_ino;
    free(p);
    return same;
}

/* Lock (RES_SETLK with F_RDLCK, F_WRLCK), unlock (F_UNLCK) or test
 * (RES_GETLK) len bytes from byte at of fd (len 0: to the end of any file). */
static int lock_byte(int fd, int cmd, short type, int64_t at, struct flock *fl, off_t len)
{
    memset(fl, 0, sizeof *fl);
    fl->l_type = type;
    fl->l_whence = SEEK_SET;
    fl->l_start = (off_t)at;
    fl->l_len = len;
    return fcntl(fd, cmd, fl);
}

void res_lock_run(res_db *db, int64_t run_id)
{
    res_unlock_run(db);
    if (run_id <= 0)
        return;
    /* a run without its lock reads as killed while it runs: a wrong word
     * in a report, not a reason to refuse the run; so a bounded number of
     * tries against writers removing the file */
    for (int tries = 0; tries < 100; tries++) {
        if (db->lock_fd < 0) {
            db->lock_fd = open_side(db->path, O_RDWR | O_CREAT);
            if (db->lock_fd < 0 && (db->lock_fd = open_side(db->path, O_RDONLY)) < 0)
                return;
        }
        struct flock fl;
        if (lock_byte(db->lock_fd, RES_SETLK, F_RDLCK, run_id, &fl, 1) == 0) {
            if (side_is(db->path, db->lock_fd)) {
                db->run_locked = run_id;
                return;
            }
            lock_byte(db->lock_fd, RES_SETLK, F_UNLCK, run_id, &fl, 1);
        }
        /* removed, or being removed (write-locked) by a closing writer */
        res_lock_close(db);
        nanosleep(&(struct timespec){0, 1000000}, NULL);
    }
}

void res_unlock_run(res_db *db)
{
    struct flock fl;
    if (db->run_locked && db->lock_fd >= 0)
        lock_byte(db->lock_fd, RES_SETLK, F_UNLCK, db->run_locked, &fl, 1);
    db->run_locked = 0;
}

void res_lock_close(res_db *db)
{
    if (db->lock_fd < 0)
        return;
    /* the last writer removes the file: a write lock of the whole file is
     * granted only when no run lock is held in it */
    struct flock fl;
    if (lock_byte(db->lock_fd, RES_SETLK, F_WRLCK, 0, &fl, 0) == 0 && side_is(db->path, db->lock_fd)) {
        char *p = side_path(db->path);
        if (p)
            unlink(p);
        free(p);
    }
    close(db->lock_fd);
    db->lock_fd = -1;
    db->run_locked = 0;
}

int res_run_live(res_db *db, int64_t run_id)
{
    if (run_id <= 0)
        return 0;
    int fd = open_side(db->path, O_RDONLY);
    if (fd < 0)
        return errno == ENOENT ? 0 : -1; /* missing: no writer ever locked a run here */
    struct flock fl;
    int live = lock_byte(fd, RES_GETLK, F_WRLCK, run_id, &fl, 1) != 0 ? -1 : fl.l_type != F_UNLCK;
    close(fd);
    return live;
}
