/* fuzz_scenario.c - libFuzzer harness: the scenario loader (YAML tree,
 * schema, units, overrides' absence) on arbitrary text.  Any input must
 * end in OFF_OK or an error with a message, never a crash or a leak. */
#include "fuzz.h"
#include "scn.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    scn_scenario s;
    off_err err = {0};
    off_status st = scn_load_text(&s, "fuzz.yaml", (const char *)data, size, NULL, 0, &err);
    if (st == OFF_OK)
        scn_free(&s);
    else if (!err.msg[0])
        abort(); /* every error says what is wrong */
    return 0;
}
