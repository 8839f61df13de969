/* fuzz_mobility.c - libFuzzer harness: the trace files a scenario reads
 * when it is loaded, a device's mobility trace (time,x,y rows) and its
 * arrival trace (one time per line), fed the input through a small
 * scenario that names the input as its file: an input of even length is
 * read as a mobility trace, of odd length as an arrival trace (one
 * scenario load per input, which is what bounds this harness's speed). */
#include "fuzz.h"
#include "scn.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const templ[] = {
    /* the mobility trace */
    "duration: 10 s\n"
    "model: {kind: synthetic, input: 1 KB, work: 1 MMAC}\n"
    "devices:\n"
    "  - {name: d, speed: 1 GMAC/s, arrivals: {process: periodic, period: 1 s},\n"
    "     mobility: {model: trace, file: %s},\n"
    "     uplink: {channel: {model: shannon, bandwidth: 1 MHz,\n"
    "              pathloss: {model: free-space, frequency: 2.4 GHz, distance: 10 m}}}}\n"
    "servers: [{name: s, speed: 1 GMAC/s}]\n"
    "policy: edge\n",
    /* the arrival trace */
    "duration: 10 s\n"
    "model: {kind: synthetic, input: 1 KB, work: 1 MMAC}\n"
    "devices: [{name: d, speed: 1 GMAC/s, arrivals: {process: trace, file: %s}}]\n"
    "servers: [{name: s, speed: 1 GMAC/s}]\n"
    "policy: edge\n",
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char text[1024];
    int n = snprintf(text, sizeof text, templ[size & 1], fuzz_file(data, size));
    scn_scenario s;
    off_err err = {0};
    off_status st = scn_load_text(&s, "/fuzz.yaml", text, (size_t)n, NULL, 0, &err);
    if (st == OFF_OK)
        scn_free(&s);
    else if (!err.msg[0])
        abort();
    return 0;
}
