/* test_cfg_tree.c - the positioned YAML tree (positions, merge keys and
 * aliases, duplicate keys, a second document named by the file's kind, a
 * truncated file), the walker's key checks with their did-you-mean, and
 * the YAML writer: what cfg_emit writes reads back to the same tree. */
#define _POSIX_C_SOURCE 200809L /* open_memstream */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cfg.h"

static cfg_node *parse_ok(const char *text)
{
    cfg_node *root = NULL;
    off_err e = {0};
    if (cfg_tree_parse(text, strlen(text), "t.yaml", "a test file", &root, &e) != OFF_OK)
        fail_msg("%s", e.msg);
    return root;
}

static void expect_parse_error(const char *text, const char *msg)
{
    cfg_node *root = (cfg_node *)1;
    off_err e = {0};
    assert_int_equal(cfg_tree_parse(text, strlen(text), "t.yaml", "a test file", &root, &e),
                     OFF_EPARSE);
    print_message("  -> %s\n", e.msg);
    assert_null(root);
    if (!strstr(e.msg, msg))
        fail_msg("'%s' lacks '%s'", e.msg, msg);
}

static void test_tree_keeps_positions_and_merges(void **state)
{
    (void)state;
    cfg_node *root = parse_ok("base: &b {x: 1, y: 2}\n"
                              "item:\n"
                              "  <<: *b\n"
                              "  y: 3\n"
                              "list: [a, 'b', ~]\n");
    assert_int_equal(root->kind, CFG_NODE_MAP);
    const cfg_node *item = cfg_map_get(root, "item");
    assert_non_null(item);
    assert_int_equal(item->pos.line, 3);
    assert_int_equal(item->pos.col, 3);
    assert_string_equal(cfg_map_get(item, "y")->text, "3"); /* explicit keys win */
    assert_string_equal(cfg_map_get(item, "x")->text, "1");
    const cfg_node *list = cfg_map_get(root, "list");
    assert_int_equal(list->kind, CFG_NODE_SEQ);
    assert_int_equal(list->n, 3);
    assert_int_equal(list->items[1]->pos.col, 11);
    assert_false(list->items[1]->plain);
    assert_true(cfg_node_is_null(list->items[2]));
    assert_null(cfg_map_get(root, "nothing"));
    cfg_node_free(root);
    root = parse_ok("# only a comment\n");
    assert_null(root);
}

static void test_tree_errors_are_positioned(void **state)
{
    (void)state;
    expect_parse_error("a: 1\nb: 2\na: 3\n", "t.yaml:3:1: duplicate key 'a' (first at line 1");
    expect_parse_error("a: 1\n---\nb: 2\n",
                       "t.yaml:2:1: a second YAML document: a test file holds one document");
    expect_parse_error("a: [1, 2", "YAML syntax error");
    expect_parse_error("a: [1, 2", "(the file ends here: truncated?)");
    expect_parse_error("a: *nope\n", "t.yaml:1:4: unknown alias '*nope'");
    expect_parse_error("a: \"x\\0y\"\n", "NUL character");
    expect_parse_error("a: b\n\xff\n", "t.yaml:2:1: not a YAML text file: invalid UTF-8");
}

static void test_walker_checks_keys_and_values(void **state)
{
    (void)state;
    cfg_node *root = parse_ok("bandwdith: 20 MHz\nrate: 5 ms\nok: yes\nn: 7\n");
    static const char *const keys[] = {"bandwidth", "rate", "ok", "n"};
    off_err e = {0};
    assert_int_equal(cfg_check_keys(root, keys, OFF_COUNT(keys), "the link", NULL, 0, NULL, &e),
                     OFF_EINVAL);
    assert_string_equal(e.msg, "t.yaml:1:1: unknown key 'bandwdith' in the link (did you mean "
                               "'bandwidth'?); valid keys: bandwidth, rate, ok, n");
    double v;
    assert_int_equal(cfg_get_quantity(cfg_map_get(root, "rate"), "rate", CFG_DIM_RATE, 0, &v, &e),
                     OFF_EINVAL);
    assert_non_null(strstr(e.msg, "t.yaml:2:7: rate: '5 ms' is a duration, expected a data rate"));
    bool b = false;
    assert_int_equal(cfg_get_bool(cfg_map_get(root, "ok"), "ok", &b, &e), OFF_OK);
    assert_true(b);
    uint64_t n = 0;
    assert_int_equal(cfg_get_uint(cfg_map_get(root, "n"), "n", 1, 5, &n, &e), OFF_EINVAL);
    assert_non_null(strstr(e.msg, "t.yaml:4:4: n is out of range (at most 5), got 7"));
    cfg_node *x;
    assert_int_equal(cfg_require(root, "delay", "the link", &x, &e), OFF_EINVAL);
    assert_string_equal(e.msg, "t.yaml:1:1: the link has no 'delay'");
    cfg_node_free(root);
}

/* Every scalar of a and b equal, in the same structure. */
static void assert_same_tree(const cfg_node *a, const cfg_node *b)
{
    assert_int_equal(a->kind, b->kind);
    if (a->kind == CFG_NODE_SCALAR) {
        assert_string_equal(a->text, b->text);
        assert_int_equal(cfg_node_is_null(a), cfg_node_is_null(b));
        return;
    }
    assert_int_equal(a->n, b->n);
    for (size_t i = 0; i < a->n; i++) {
        if (a->kind == CFG_NODE_MAP)
            assert_string_equal(a->keys[i]->text, b->keys[i]->text);
        assert_same_tree(a->items[i], b->items[i]);
    }
}

static void test_writer_round_trips_through_the_reader(void **state)
{
    (void)state;
    static const char *const awkward[] = {
        "plain-word", "Intel(R) Xeon(R) CPU @ 2.10GHz", "", "null", "~", "a: b", "x #y",
        "- dash", "[list]", "{map}", "'quoted'", "\"dq\"", "back\\slash", "tab\there",
        "line\nbreak", "trailing ", " leading", "\xc2\xb5s", "8", "0.5 ms", "yes", "a,b",
        "*alias", "&anchor", "!tag", "%pct", "@at", "`bq`", "|pipe", ">fold", "?q", "key:"};
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    assert_non_null(f);
    cfg_emit e;
    cfg_emit_init(&e, f);
    cfg_emit_comment(&e, "A measured profile, written by a test.\nSecond line.");
    cfg_emit_str(&e, "name", "host-tiny");
    cfg_emit_fmt(&e, "bits", "%d", 8);
    cfg_emit_begin(&e, "layers");
    cfg_emit_fmt(&e, "conv1", "%.3f us", 41.2);
    cfg_emit_str(&e, "fc 1", "0");
    cfg_emit_end(&e);
    cfg_emit_begin(&e, "strings");
    for (size_t i = 0; i < OFF_COUNT(awkward); i++) {
        char key[16];
        snprintf(key, sizeof key, "s%zu", i);
        cfg_emit_str(&e, key, awkward[i]);
    }
    cfg_emit_str(&e, "key: with colon", "v");
    cfg_emit_end(&e);
    fclose(f);
    print_message("%s", buf);
    /* plain where plain is safe: a file reads as a hand-written one */
    assert_non_null(strstr(buf, "# A measured profile, written by a test.\n# Second line.\n"));
    assert_non_null(strstr(buf, "\nname: host-tiny\nbits: 8\nlayers:\n  conv1: 41.200 us\n"));
    assert_non_null(strstr(buf, "  s1: Intel(R) Xeon(R) CPU @ 2.10GHz\n"));
    assert_non_null(strstr(buf, "  s3: \"null\"\n  s4: \"~\"\n  s5: \"a: b\"\n"));

    cfg_node *root = parse_ok(buf);
    const cfg_node *s = cfg_map_get(root, "strings");
    assert_non_null(s);
    for (size_t i = 0; i < OFF_COUNT(awkward); i++) {
        assert_string_equal(s->items[i]->text, awkward[i]);
        assert_false(cfg_node_is_null(s->items[i]));
    }
    assert_string_equal(cfg_map_get(s, "key: with colon")->text, "v");
    assert_string_equal(cfg_map_get(cfg_map_get(root, "layers"), "conv1")->text, "41.200 us");
    double t;
    off_err err = {0};
    assert_int_equal(cfg_get_quantity(cfg_map_get(cfg_map_get(root, "layers"), "conv1"),
                                      "conv1", CFG_DIM_TIME, 0, &t, &err), OFF_OK);
    assert_true(t > 41.19e-6 && t < 41.21e-6);

    /* and writing the tree read back gives the same tree again */
    char *buf2 = NULL;
    size_t len2 = 0;
    f = open_memstream(&buf2, &len2);
    cfg_emit_init(&e, f);
    cfg_emit_begin(&e, "strings");
    for (size_t i = 0; i < s->n; i++)
        cfg_emit_str(&e, s->keys[i]->text, s->items[i]->text);
    cfg_emit_end(&e);
    fclose(f);
    cfg_node *again = parse_ok(buf2);
    assert_same_tree(s, cfg_map_get(again, "strings"));
    cfg_node_free(again);
    cfg_node_free(root);
    free(buf);
    free(buf2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tree_keeps_positions_and_merges),
        cmocka_unit_test(test_tree_errors_are_positioned),
        cmocka_unit_test(test_walker_checks_keys_and_values),
        cmocka_unit_test(test_writer_round_trips_through_the_reader),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
