/* fuzz_experiment.c - libFuzzer harness: the experiment loader (axes,
 * ranges, filters, seeds; a scenario read as a one-point experiment). */
#include "exp.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    exp_experiment e;
    off_err err = {0};
    off_status st = exp_load_text(&e, "fuzz.yaml", (const char *)data, size, NULL, &err);
    if (st == OFF_OK)
        exp_free(&e);
    else if (!err.msg[0])
        abort();
    return 0;
}
