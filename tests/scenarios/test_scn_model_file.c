/* test_scn_model_file.c - `model: FILE`: a model kept in its own file. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "scn.h"

static void test_model_file_is_read_relative_to_the_scenario(void **state)
{
    (void)state;
    scn_scenario s;
    off_err e = {0};
    assert_int_equal(scn_load(&s, "tests/data/scenarios/model_file/uses_zoo.yaml", NULL, 0, &e),
                     OFF_OK);
    assert_string_equal(s.model_file,
                        "tests/data/scenarios/model_file/../../../../models/zoo/lenet5-2exit.yaml");
    assert_non_null(s.model_text);
    assert_string_equal(s.model.name, "lenet5-2exit");
    assert_int_equal(s.model.n_layers, 7);
    assert_int_equal(s.model.n_exits, 2);
    assert_int_equal(s.model.exits[0].after, 2);
    /* positions inside name the model file */
    assert_string_equal(s.model.layers[0].pos.file, s.model_file);
    scn_free(&s);
}

static void test_overrides_reach_into_the_model_file(void **state)
{
    (void)state;
    char buf[] = "model.layers.0.macs=1 MMAC";
    scn_override ov;
    off_err e = {0};
    assert_int_equal(scn_override_parse(buf, &ov, &e), OFF_OK);
    scn_scenario s;
    assert_int_equal(scn_load(&s, "tests/data/scenarios/model_file/uses_zoo.yaml", &ov, 1, &e),
                     OFF_OK);
    assert_true(s.model.layers[0].macs == 1e6);
    scn_free(&s);
}

static void test_errors_in_the_model_file_name_it(void **state)
{
    (void)state;
    scn_scenario s;
    off_err e = {0};
    off_status st = scn_load(&s, "tests/data/scenarios/model_file/uses_bad.yaml", NULL, 0, &e);
    printf("  -> %s\n", e.msg);
    assert_int_equal(st, OFF_EINVAL);
    assert_non_null(strstr(e.msg, "tests/data/scenarios/model_file/bad_model.yaml:5:29: "
                                  "unknown key 'acuracy'"));
    assert_non_null(strstr(e.msg, "did you mean 'accuracy'?"));
    char buf[] = "model=missing.yaml";
    scn_override ov;
    assert_int_equal(scn_override_parse(buf, &ov, &e), OFF_OK);
    st = scn_load(&s, "tests/data/scenarios/model_file/uses_bad.yaml", &ov, 1, &e);
    printf("  -> %s\n", e.msg);
    assert_int_equal(st, OFF_EINVAL);
    assert_non_null(strstr(e.msg, "<--set 1>:1:1: model: expected a mapping or the path "
                                  "of a model file, got 'missing.yaml'"));
}

/* Layers may say what they are (`kind`) and how many weights they have
 * (`params`), for hardware cost models; both are optional. */
static void test_layer_kind_and_params_are_read(void **state)
{
    (void)state;
    scn_model m;
    off_err e = {0};
    assert_int_equal(scn_load_model_file(&m, "models/zoo/b-alexnet.yaml", &e), OFF_OK);
    assert_int_equal(m.n_layers, 9);
    assert_int_equal(m.layers[0].kind, SCN_LAYER_CONV);
    assert_true(m.layers[0].params == 2432);
    assert_int_equal(m.layers[5].kind, SCN_LAYER_POOL);
    assert_true(m.layers[5].params == 0);
    assert_int_equal(m.layers[8].kind, SCN_LAYER_FC);
    scn_model_free(&m);
    assert_int_equal(scn_load_model_file(&m, "models/zoo/mobilenetv2.yaml", &e), OFF_OK);
    assert_int_equal(m.layers[1].kind, SCN_LAYER_DWCONV);
    scn_model_free(&m);
    /* absent: other, 0 */
    scn_scenario s;
#define REST "servers: [{name: edge, speed: 10 GMAC/s}]\n" \
             "devices: [{name: phone, speed: 1 GMAC/s, " \
             "arrivals: {process: poisson, rate: 1 /s}}]\n"   \
             "duration: 1 s\n"
    static const char ok[] = "model:\n"
                             "  layers: [{name: l1, macs: 1 G, out: 1 kB}]\n"
                             "  exits: [{name: out, after: l1, accuracy: 0.9}]\n" REST;
    if (scn_load_text(&s, "t.yaml", ok, strlen(ok), NULL, 0, &e) != OFF_OK)
        fail_msg("%s", e.msg);
    assert_int_equal(s.model.layers[0].kind, SCN_LAYER_OTHER);
    assert_true(s.model.layers[0].params == 0);
    scn_free(&s);
    /* an unknown kind names the file, line and column and the accepted ones */
    static const char bad[] = "model:\n"
                              "  layers: [{name: l1, kind: cnov, macs: 1 G, out: 1 kB}]\n"
                              "  exits: [{name: out, after: l1, accuracy: 0.9}]\n" REST;
    off_status st = scn_load_text(&s, "t.yaml", bad, strlen(bad), NULL, 0, &e);
    printf("  -> %s\n", e.msg);
    assert_int_equal(st, OFF_EINVAL);
    assert_string_equal(e.msg, "t.yaml:2:29: unknown layer kind 'cnov' (did you mean "
                               "'conv'?); accepted values: other, conv, dwconv, fc, pool");
    static const char neg[] = "model:\n"
                              "  layers: [{name: l1, params: -3, macs: 1 G, out: 1 kB}]\n"
                              "  exits: [{name: out, after: l1, accuracy: 0.9}]\n" REST;
    st = scn_load_text(&s, "t.yaml", neg, strlen(neg), NULL, 0, &e);
    printf("  -> %s\n", e.msg);
    assert_int_equal(st, OFF_EINVAL);
    assert_non_null(strstr(e.msg, "t.yaml:2:31: "));
    assert_non_null(strstr(e.msg, "params"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_model_file_is_read_relative_to_the_scenario),
        cmocka_unit_test(test_overrides_reach_into_the_model_file),
        cmocka_unit_test(test_errors_in_the_model_file_name_it),
        cmocka_unit_test(test_layer_kind_and_params_are_read),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
