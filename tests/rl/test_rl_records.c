/*
 * test_rl_records.c - what the tasks table records of the actions the
 * learning agents (and every policy) choose: the bit-width of every tensor
 * sent, the raw input of a trained model included (it is requantized to
 * that width, which changes both its payload and the answer), so that the
 * agents' bit choices can be recovered from the database.  A layer-table
 * model sends its raw input as is (bits 0), and a task kept on the device
 * sends nothing (bits 0).
 */
#define _POSIX_C_SOURCE 200809L
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "sim/sim_test_util.h"

typedef struct rows {
    size_t n, sent, bad;
    int want;          /* the bits every sent task should record */
    double bytes_up;   /* of the first sent task */
} rows;

static void on_row(void *ud, const res_task_row *r)
{
    rows *c = ud;
    c->n++;
    bool sent = r->server >= 0;
    if (sent && c->sent++ == 0)
        c->bytes_up = r->bytes_up;
    if (r->bits != (sent ? c->want : 0))
        c->bad++;
}

static rows run(const char *path, const char *policy, int want)
{
    const char *sets[] = {policy};
    scn_scenario s;
    load_scenario_file(path, sets, 1, &s);
    rows c = {.want = want};
    sim_world *w = NULL;
    res_summary sum;
    off_err err = {0};
    assert_int_equal(sim_world_new(&w, &s, &err), OFF_OK);
    assert_int_equal(sim_world_run(w, NULL, 0, on_row, &c, &sum, &err), OFF_OK);
    sim_world_free(w);
    scn_free(&s);
    return c;
}

static void test_split0_offloads_record_their_bits(void **state)
{
    (void)state;
    const char *trained = "tests/data/sim/trained.yaml";
    rows b2 = run(trained, "policy={type: fixed, exit: final, split: 0, bits: 2}", 2);
    rows b8 = run(trained, "policy={type: fixed, exit: final, split: 0, bits: 8}", 8);
    printf("  trained model, split 0: %zu/%zu sent at 2 bits (%.0f B up), %zu/%zu at 8 "
           "(%.0f B up)\n", b2.sent, b2.n, b2.bytes_up, b8.sent, b8.n, b8.bytes_up);
    assert_true(b2.sent > 50 && b8.sent > 50);
    assert_int_equal(b2.bad, 0);
    assert_int_equal(b8.bad, 0);
    /* the width is real: the requantized input's payload follows it */
    assert_true(b2.bytes_up < b8.bytes_up);
    /* kept on the device: nothing sent, bits 0 */
    rows loc = run(trained, "policy=local", 0);
    assert_true(loc.n > 50 && loc.sent == 0 && loc.bad == 0);
    /* a layer-table model sends its raw input as is */
    rows lt = run("tests/data/sim/rl.yaml",
                  "policy={type: fixed, exit: final, split: 0, bits: 8}", 0);
    printf("  layer-table model, split 0: %zu/%zu sent, bits 0\n", lt.sent, lt.n);
    assert_true(lt.sent > 50);
    assert_int_equal(lt.bad, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_split0_offloads_record_their_bits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
