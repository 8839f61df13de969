/*
 * plt_testing.h - what the plot tests share: the number of files in a
 * folder (a plot leaves no temporary file behind).
 */
#ifndef PLT_TESTING_H
#define PLT_TESTING_H

#include <dirent.h>
#include <stddef.h>

/* Entries of folder d, the dot files apart. */
static inline size_t files_in(const char *d)
{
    DIR *dp = opendir(d);
    size_t n = 0;
    struct dirent *de;
    while ((de = readdir(dp)))
        n += de->d_name[0] != '.';
    closedir(dp);
    return n;
}

#endif /* PLT_TESTING_H */
