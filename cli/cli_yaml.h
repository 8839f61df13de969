/*
 * cli_yaml.h - the small YAML writer behind the files `offsim` writes
 * (measured hardware profiles).  Two calls: a key (block mappings nest by
 * indent) and a scalar, quoted only when it must be, so a writer shared
 * with the configuration layer can replace this file without touching the
 * callers.
 */
#ifndef CLI_YAML_H
#define CLI_YAML_H

#include <stdio.h>

/* s as a YAML scalar: plain when it is a simple word (letters, digits, '_',
 * '-', '.', not starting like a number), else double-quoted with '"' and
 * '\' escaped and control characters dropped. */
void cli_yaml_scalar(FILE *f, const char *s);

/* "KEY:" at indent spaces, the key written as cli_yaml_scalar; followed by
 * a space when a value follows on the line (value true), else a newline
 * (a block of deeper keys follows). */
void cli_yaml_key(FILE *f, int indent, const char *key, int value);

#endif /* CLI_YAML_H */
