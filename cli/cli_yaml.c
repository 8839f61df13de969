/* cli_yaml.c - the YAML writer of cli_yaml.h. */
#include "cli_yaml.h"

#include <stdbool.h>

void cli_yaml_scalar(FILE *f, const char *s)
{
    bool plain = *s != '\0';
    for (const char *c = s; *c && plain; c++)
        plain = (*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
                (*c >= '0' && *c <= '9') || *c == '_' || *c == '-' || *c == '.';
    if (plain && !(s[0] >= '0' && s[0] <= '9') && s[0] != '-' && s[0] != '.') {
        fputs(s, f);
        return;
    }
    fputc('"', f);
    for (const char *c = s; *c; c++) {
        if (*c == '"' || *c == '\\')
            fputc('\\', f);
        if ((unsigned char)*c >= 0x20)
            fputc(*c, f);
    }
    fputc('"', f);
}

void cli_yaml_key(FILE *f, int indent, const char *key, int value)
{
    fprintf(f, "%*s", indent, "");
    cli_yaml_scalar(f, key);
    fputs(value ? ": " : ":\n", f);
}
