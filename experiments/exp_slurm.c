/*
 * exp_slurm.c - a sweep as Slurm jobs: a job array whose task I runs shard
 * I/N of the points into its own database, and a merge job that starts
 * once every task ended well (afterok) and merges the shards into the
 * target with `offsim merge` (the same content as one `offsim sweep`).
 */
#define _POSIX_C_SOURCE 200809L
#include "exp.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static off_status write_script(const char *path, const char *text, off_err *err)
{
    FILE *f = fopen(path, "w");
    if (!f || fputs(text, f) < 0 || fclose(f)) {
        if (f)
            fclose(f);
        return off_errf(err, OFF_EIO, NULL, 0, 0, "%s: cannot write: %s", path, strerror(errno));
    }
    chmod(path, 0755);
    return OFF_OK;
}

off_status exp_slurm_write(const exp_slurm_opts *o, char **dir_out, off_err *err)
{
    *dir_out = NULL;
    size_t dl = strlen(o->db) + 8;
    char *dir = malloc(dl);
    char *s = NULL;
    size_t len = 0;
    if (!dir)
        return off_errf(err, OFF_ENOMEM, NULL, 0, 0, "out of memory");
    snprintf(dir, dl, "%s.slurm", o->db);
    if (mkdir(dir, 0777) && errno != EEXIST) {
        off_status st = off_errf(err, OFF_EIO, NULL, 0, 0, "%s: cannot create: %s", dir,
                                 strerror(errno));
        free(dir);
        return st;
    }
    char head[512] = "";
    size_t hl = 0;
    if (o->partition)
        hl += (size_t)snprintf(head + hl, sizeof head - hl, "#SBATCH --partition=%s\n",
                               o->partition);
    if (o->time && hl < sizeof head)
        snprintf(head + hl, sizeof head - hl, "#SBATCH --time=%s\n", o->time);
    FILE *f = open_memstream(&s, &len);
    if (!f) {
        free(dir);
        return off_errf(err, OFF_ENOMEM, NULL, 0, 0, "out of memory");
    }
    fprintf(f,
            "#!/bin/sh\n"
            "# offsim sweep as a Slurm job array: task I runs shard I/%u of the points\n"
            "# into its own database; %s/merge.sbatch merges them.\n"
            "#SBATCH --job-name=offsim-sweep\n"
            "#SBATCH --array=0-%u\n"
            "#SBATCH --output=%s/shard-%%a.out\n"
            "%s"
            "# On a cluster, load what offsim needs here (e.g. module load gsl sqlite);\n"
            "# the paths below must be on a file system every node sees.\n"
            "exec '%s' sweep %s --shard \"$SLURM_ARRAY_TASK_ID/%u\" \\\n"
            "    --db \"%s/shard-$SLURM_ARRAY_TASK_ID.db\" --jobs \"${SLURM_CPUS_PER_TASK:-1}\" "
            "--quiet\n",
            o->array, dir, o->array - 1, dir, head, o->offsim, o->args, o->array, dir);
    fclose(f);
    size_t pl = strlen(dir) + 32;
    char *path = malloc(pl);
    off_status st = path ? OFF_OK : off_errf(err, OFF_ENOMEM, NULL, 0, 0, "out of memory");
    if (!st) {
        snprintf(path, pl, "%s/sweep.sbatch", dir);
        st = write_script(path, s, err);
    }
    free(s);
    s = NULL;
    if (!st && (f = open_memstream(&s, &len))) {
        fprintf(f,
                "#!/bin/sh\n"
                "# Merges the shards of %s/sweep.sbatch once every task ended well\n"
                "# (submitted with --dependency=afterok:ARRAY_JOB).\n"
                "#SBATCH --job-name=offsim-merge\n"
                "#SBATCH --output=%s/merge.out\n"
                "%s"
                "exec '%s' merge '%s' %s/shard-*.db\n",
                dir, dir, head, o->offsim, o->db, dir);
        fclose(f);
        snprintf(path, pl, "%s/merge.sbatch", dir);
        st = write_script(path, s, err);
    }
    free(s);
    free(path);
    if (st)
        free(dir);
    else
        *dir_out = dir;
    return st;
}
