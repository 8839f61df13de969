/*
 * plt_int.h - what the plots share inside the module: gnuplot found and
 * run, strings escaped for its scripts, and the temporary files of a plot
 * (data, script, error output) made beside the output and removed after.
 */
#ifndef PLT_INT_H
#define PLT_INT_H

#include <stdbool.h>
#include <stdio.h>

#include "off.h"

/* Escape src for a gnuplot double-quoted string (quotes, backslashes;
 * line breaks become spaces), truncated to cap; text (a title or label,
 * not a path): also the enhanced-text specials, so "_" stays "_". */
void plt_gp_escape(char *dst, size_t cap, const char *src, bool text);

/* Whether gnuplot lists the terminal called name ("pngcairo"). */
bool plt_has_terminal(const char *name);

/* The data of a plot written to the open temporary file f (closed by the
 * caller); ud is the caller's. */
typedef off_status plt_data_fn(FILE *f, const char *data_path, void *ud, off_err *err);
/* The gnuplot script drawing the data at data_path into out_path. */
typedef void plt_script_fn(FILE *s, const char *out_path, const char *data_path, void *ud);

/* Draw out_path with gnuplot: data by data (into a temporary file beside
 * out_path), the script by script, gnuplot run on it (its message becomes
 * the error when it fails); the temporary files are removed in every case.
 * An error naming the package when gnuplot is not on PATH. */
off_status plt_gp_render(const char *out_path, plt_data_fn *data, plt_script_fn *script,
                         void *ud, off_err *err);

#endif /* PLT_INT_H */
