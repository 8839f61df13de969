/* test_scn_docs.c - the scenarios shown in docs/scenario-reference.md (the
 * ```yaml blocks whose first line is "# example: ...") load, so the
 * reference cannot drift from the loader. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "scn.h"

#define DOC "docs/scenario-reference.md"

static void test_reference_examples_load(void **state)
{
    (void)state;
    char *doc;
    size_t len;
    off_err e = {0};
    if (off_read_file(DOC, &doc, &len, &e) != OFF_OK)
        fail_msg("%s", e.msg);
    const char *open = "```yaml\n# example: ";
    int n = 0;
    for (char *p = strstr(doc, open); p; p = strstr(p, open)) {
        char *body = p + strlen("```yaml\n");
        char *end = strstr(body, "\n```");
        assert_non_null(end);
        char *nl = strchr(body, '\n');
        char label[64];
        size_t ll = (size_t)(nl - body);
        if (ll >= sizeof label)
            ll = sizeof label - 1;
        memcpy(label, body, ll);
        label[ll] = '\0';
        scn_scenario s;
        off_status st = scn_load_text(&s, "docs/example.yaml", body,
                                      (size_t)(end - body) + 1, NULL, 0, &e);
        print_message("  %s: %s\n", label, st ? e.msg : "ok");
        assert_int_equal(st, OFF_OK);
        if (strstr(label, "complete")) {
            assert_string_equal(s.name, "campus-wifi");
            assert_int_equal(s.model.n_layers, 4);
            assert_int_equal(s.model.n_exits, 3);
            assert_int_equal(s.model.exits[1].after, 2);
            assert_int_equal(s.n_devices, 2);
            assert_int_equal(s.devices[0].count, 10);
            assert_true(fabs(s.devices[0].power_tx_w - 0.19953) < 1e-5);
            assert_true(s.devices[1].arrivals.phase_s < 0); /* random */
            assert_string_equal(s.devices[1].server, "cloud");
            assert_string_equal(s.policy.type, "fixed");
            assert_int_equal(s.policy.n_params, 3);
        }
        if (strstr(label, "channels")) {
            const scn_channel *up = &s.devices[0].uplink.chan;
            assert_int_equal(up->model, SCN_CHAN_SHANNON);
            assert_true(up->tx_power_dbm == 23.0);
            assert_true(fabs(up->bandwidth_hz - 1e7) < 1e-3);
            assert_int_equal(up->pathloss, SCN_PL_UMA_NLOS);
            assert_true(up->outage && up->shared);
            assert_int_equal(s.devices[0].uplink.est.kind, SCN_EST_EWMA);
            assert_int_equal(s.devices[0].downlink.chan.model, SCN_CHAN_MCS);
            assert_int_equal(s.devices[0].downlink.est.k, 5);
            assert_true(s.devices[1].uplink.chan.shared);
        }
        if (strstr(label, "servers")) { /* the cloud server's backhaul */
            assert_int_equal(s.n_servers, 4);
            assert_false(s.servers[0].backhaul.on);
            assert_true(s.servers[3].backhaul.on);
            assert_true(fabs(s.servers[3].backhaul.rtt_s - 0.040) < 1e-15);
            assert_true(s.servers[3].backhaul.rate_bps == 1e9);
        }
        scn_free(&s);
        n++;
        p = end;
    }
    assert_true(n >= 3);
    free(doc);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reference_examples_load),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
