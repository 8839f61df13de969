/* fuzz_chan_trace.c - libFuzzer harness: a channel's throughput trace
 * (`channel: {model: trace}`, CSV of time_s,throughput_bps), parsed both
 * looping and holding; a trace that loads answers rates that are finite
 * and >= 0 and next boundaries after t. */
#include <math.h>

#include "fuzz.h"
#include "sim_chan.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    for (int loop = 0; loop < 2; loop++) {
        sim_chan_trace tr;
        off_err err = {0};
        if (sim_chan_trace_parse(&tr, (const char *)data, size, "fuzz.csv", loop, &err)) {
            if (!err.msg[0])
                abort();
            continue;
        }
        static const double ts[] = {0, 0.5, 1e-9, 3, 1e3, 1e9, 0.25};
        for (size_t i = 0; i < sizeof ts / sizeof ts[0]; i++) {
            double next;
            double r = sim_chan_trace_rate(&tr, ts[i], &next);
            if (!(r >= 0) || isinf(r) || !(next > ts[i]))
                abort();
        }
        sim_chan_trace_free(&tr);
    }
    return 0;
}
