/*
 * replay_main.c - a main() for the fuzz harnesses in the ordinary build
 * (gcc, no libFuzzer): feeds each file named, or each file of each folder
 * named, to LLVMFuzzerTestOneInput once.  ctest runs every harness this way
 * over its seed corpus and its regression inputs (tests/fuzz/regress/NAME/:
 * every input that once crashed a loader), so the suite replays them on
 * every build, under ASan too with `make asan`.  A folder that does not
 * exist is skipped; exit 0 when every input came back.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "off.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int replay(const char *path, size_t *n)
{
    char *buf;
    size_t len;
    off_err err = {0};
    if (off_read_file(path, &buf, &len, &err) != OFF_OK) {
        fprintf(stderr, "replay: %s\n", err.msg);
        return 1;
    }
    LLVMFuzzerTestOneInput((const uint8_t *)buf, len);
    free(buf);
    (*n)++;
    return 0;
}

int main(int argc, char **argv)
{
    size_t n = 0;
    int rc = 0;
    for (int i = 1; i < argc; i++) {
        struct stat sb;
        if (stat(argv[i], &sb) != 0)
            continue;
        if (!S_ISDIR(sb.st_mode)) {
            rc |= replay(argv[i], &n);
            continue;
        }
        struct dirent **ents;
        int k = scandir(argv[i], &ents, NULL, alphasort);
        for (int j = 0; j < k; j++) {
            char p[4096];
            snprintf(p, sizeof p, "%s/%s", argv[i], ents[j]->d_name);
            if (ents[j]->d_name[0] != '.' && stat(p, &sb) == 0 && S_ISREG(sb.st_mode))
                rc |= replay(p, &n);
            free(ents[j]);
        }
        free(ents);
    }
    printf("%s: %zu inputs replayed\n", argv[0], n);
    return rc || n == 0;
}
