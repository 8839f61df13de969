/* cfg_tree.c - YAML text to a small node tree (mapping / list / scalar,
 * each with its position), using libyaml's event parser.
 *
 * Before libyaml sees the text, it must be UTF-8 without NUL bytes: binary
 * junk is reported as "not a YAML text file" with the position of the first
 * bad byte.  Aliases (*a) are resolved by copying the anchored node (a
 * budget of CFG_MAX_NODES bounds the copies), and the merge key "<<" of
 * YAML 1.1 merges a mapping (or a list of mappings) into the mapping that
 * holds it, explicit keys winning.  Tags are ignored.  See cfg.h. */
#include "cfg.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

/* ---- nodes ------------------------------------------------------------ */

cfg_node *cfg_node_new(cfg_node_kind kind, cfg_pos pos)
{
    cfg_node *n = calloc(1, sizeof *n);
    if (!n)
        return NULL;
    n->kind = kind;
    n->pos = pos;
    if (kind == CFG_NODE_SCALAR) {
        n->text = off_strdup("");
        if (!n->text) {
            free(n);
            return NULL;
        }
    }
    return n;
}

cfg_node *cfg_node_scalar(const char *text, bool plain, cfg_pos pos)
{
    cfg_node *n = calloc(1, sizeof *n);
    if (!n)
        return NULL;
    n->kind = CFG_NODE_SCALAR;
    n->pos = pos;
    n->plain = plain;
    n->text = off_strdup(text);
    if (!n->text) {
        free(n);
        return NULL;
    }
    return n;
}

void cfg_node_free(cfg_node *n)
{
    if (!n)
        return;
    for (size_t i = 0; i < n->n; i++) {
        if (n->keys)
            cfg_node_free(n->keys[i]);
        cfg_node_free(n->items[i]);
    }
    free(n->keys);
    free(n->items);
    free(n->text);
    free(n);
}

bool cfg_node_push(cfg_node *p, cfg_node *key, cfg_node *value)
{
    if (p->n == p->cap) {
        size_t cap = p->cap ? p->cap * 2 : 4;
        cfg_node **items = realloc(p->items, cap * sizeof *items);
        if (!items)
            return false;
        p->items = items;
        if (p->kind == CFG_NODE_MAP) {
            cfg_node **keys = realloc(p->keys, cap * sizeof *keys);
            if (!keys)
                return false;
            p->keys = keys;
        }
        p->cap = cap;
    }
    if (p->kind == CFG_NODE_MAP)
        p->keys[p->n] = key;
    p->items[p->n++] = value;
    return true;
}

cfg_node *cfg_node_copy(const cfg_node *n, size_t *budget)
{
    if (*budget == 0)
        return NULL;
    cfg_node *c = n->kind == CFG_NODE_SCALAR
                      ? cfg_node_scalar(n->text, n->plain, n->pos)
                      : cfg_node_new(n->kind, n->pos);
    if (!c)
        return NULL;
    (*budget)--;
    for (size_t i = 0; i < n->n; i++) {
        cfg_node *k = NULL, *v = NULL;
        if (n->kind == CFG_NODE_MAP && !(k = cfg_node_copy(n->keys[i], budget)))
            goto fail;
        if (!(v = cfg_node_copy(n->items[i], budget)) ||
            !cfg_node_push(c, k, v)) {
            cfg_node_free(k);
            cfg_node_free(v);
            goto fail;
        }
    }
    return c;
fail:
    cfg_node_free(c);
    return NULL;
}

size_t cfg_map_index(const cfg_node *map, const char *key)
{
    if (!map || map->kind != CFG_NODE_MAP)
        return (size_t)-1;
    for (size_t i = 0; i < map->n; i++)
        if (strcmp(map->keys[i]->text, key) == 0)
            return i;
    return (size_t)-1;
}

cfg_node *cfg_map_get(const cfg_node *map, const char *key)
{
    size_t i = cfg_map_index(map, key);
    return i == (size_t)-1 ? NULL : map->items[i];
}

bool cfg_node_is_null(const cfg_node *n)
{
    if (n->kind != CFG_NODE_SCALAR || !n->plain)
        return false;
    const char *t = n->text;
    return !t[0] || !strcmp(t, "~") || !strcmp(t, "null") ||
           !strcmp(t, "Null") || !strcmp(t, "NULL");
}

/* ---- text checks ------------------------------------------------------ */

void cfg_text_pos(const char *text, size_t len, size_t off, int *line, int *col)
{
    int l = 1, c = 1;
    if (off > len)
        off = len;
    for (size_t i = 0; i < off; i++) {
        unsigned char b = (unsigned char)text[i];
        if (b == '\n') {
            l++;
            c = 1;
        } else if ((b & 0xC0) != 0x80) { /* count characters, not bytes */
            c++;
        }
    }
    *line = l;
    *col = c;
}

/* Length of the valid UTF-8 sequence at s (max n bytes), 0 if invalid. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
    unsigned char c = s[0];
    size_t k;
    unsigned min;
    unsigned cp;
    if (c < 0x80)
        return 1;
    if ((c & 0xE0) == 0xC0) {
        k = 2, min = 0x80, cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
        k = 3, min = 0x800, cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
        k = 4, min = 0x10000, cp = c & 0x07;
    } else {
        return 0;
    }
    if (k > n)
        return 0;
    for (size_t i = 1; i < k; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[i] & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
        return 0;
    return k;
}

/* OFF_EPARSE unless text is NUL-free UTF-8. */
static off_status check_text(const char *text, size_t len, const char *file,
                             off_err *err)
{
    const unsigned char *s = (const unsigned char *)text;
    for (size_t i = 0; i < len;) {
        int line, col;
        if (s[i] == 0) {
            cfg_text_pos(text, len, i, &line, &col);
            return off_errf(err, OFF_EPARSE, file, line, col,
                            "not a YAML text file: it contains a NUL byte "
                            "(binary data, or UTF-16 text? save it as UTF-8)");
        }
        size_t k = utf8_len(s + i, len - i);
        if (k == 0) {
            cfg_text_pos(text, len, i, &line, &col);
            return off_errf(err, OFF_EPARSE, file, line, col,
                            "not a YAML text file: invalid UTF-8 byte 0x%02x",
                            s[i]);
        }
        i += k;
    }
    return OFF_OK;
}

/* ---- the builder ------------------------------------------------------ */

typedef struct anchor {
    char *name;
    const cfg_node *node; /* in the tree being built */
} anchor;

typedef struct builder {
    yaml_parser_t parser;
    const char *text;
    size_t len;
    const char *file;
    const char *doc; /* "a scenario file", for messages */
    off_err *err;
    anchor *anchors;
    size_t n_anchors, cap_anchors;
    size_t budget; /* nodes still allowed */
    bool aliased;  /* an alias or merge key was expanded (too_big says so) */
    cfg_node **grave; /* merged-away nodes, freed when the parse ends */
    size_t n_grave, cap_grave;
} builder;

/* A libyaml mark (0-based) as a 1-based position in b's file. */
static cfg_pos mark_pos(const builder *b, yaml_mark_t m)
{
    cfg_pos p = {b->file, (int)m.line + 1, (int)m.column + 1};
    return p;
}

/* The parser's error as an off_err. */
static off_status parser_error(builder *b)
{
    yaml_parser_t *p = &b->parser;
    const char *prob = p->problem ? p->problem : "unknown problem";
    int line, col;
    switch (p->error) {
    case YAML_MEMORY_ERROR:
        return off_errf(b->err, OFF_ENOMEM, b->file, 0, 0, "out of memory");
    case YAML_READER_ERROR:
        cfg_text_pos(b->text, b->len, p->problem_offset, &line, &col);
        if (p->problem_value >= 0)
            return off_errf(b->err, OFF_EPARSE, b->file, line, col,
                            "not a YAML text file: %s (character 0x%02x)",
                            prob, (unsigned)p->problem_value);
        return off_errf(b->err, OFF_EPARSE, b->file, line, col,
                        "not a YAML text file: %s", prob);
    default:
        /* libyaml may place an error at end of input on a line past the
         * text (e.g. "{a: b" with no newline): clamp to the text's end. */
        line = (int)p->problem_mark.line + 1;
        col = (int)p->problem_mark.column + 1;
        {
            int el, ec;
            cfg_text_pos(b->text, b->len, b->len, &el, &ec);
            if (line > el || (line == el && col > ec))
                line = el, col = ec;
        }
        {
            /* a construct still open at the end: most often a file cut
             * short, which deserves saying */
            const char *end = p->problem_mark.index >= b->len
                                  ? " (the file ends here: truncated?)"
                                  : "";
            if (p->context)
                return off_errf(b->err, OFF_EPARSE, b->file, line, col,
                                "YAML syntax error: %s (%s at line %d, "
                                "column %d)%s",
                                prob, p->context,
                                (int)p->context_mark.line + 1,
                                (int)p->context_mark.column + 1, end);
            return off_errf(b->err, OFF_EPARSE, b->file, line, col,
                            "YAML syntax error: %s%s", prob, end);
        }
    }
}

/* The next parser event, or the parser's error. */
static off_status next_event(builder *b, yaml_event_t *ev)
{
    if (!yaml_parser_parse(&b->parser, ev))
        return parser_error(b);
    return OFF_OK;
}

/* The error for a tree over CFG_MAX_NODES. */
static off_status too_big(builder *b, cfg_pos pos)
{
    if (!b->aliased)
        return cfg_errp(b->err, OFF_EPARSE, pos,
                        "document too large (more than %d nodes)", CFG_MAX_NODES);
    return cfg_errp(b->err, OFF_EPARSE, pos,
                    "document too large (more than %d nodes, counting the "
                    "copies that its aliases and merge keys make)", CFG_MAX_NODES);
}

/* Remember that anchor name (may be NULL: nothing to do) marks node. */
static off_status add_anchor(builder *b, const yaml_char_t *name,
                             const cfg_node *node)
{
    if (!name)
        return OFF_OK;
    if (b->n_anchors == b->cap_anchors) {
        size_t cap = b->cap_anchors ? 2 * b->cap_anchors : 8;
        anchor *a = realloc(b->anchors, cap * sizeof *a);
        if (!a)
            return off_errf(b->err, OFF_ENOMEM, b->file, 0, 0, "out of memory");
        b->anchors = a;
        b->cap_anchors = cap;
    }
    char *s = off_strdup((const char *)name);
    if (!s)
        return off_errf(b->err, OFF_ENOMEM, b->file, 0, 0, "out of memory");
    b->anchors[b->n_anchors++] = (anchor){s, node};
    return OFF_OK;
}

static off_status build(builder *b, yaml_event_t *ev, int depth,
                        cfg_node **out);

/* Keep n alive until the end of the parse (anchors may point into it). */
static off_status bury(builder *b, cfg_node *n)
{
    if (b->n_grave == b->cap_grave) {
        size_t cap = b->cap_grave ? 2 * b->cap_grave : 4;
        cfg_node **g = realloc(b->grave, cap * sizeof *g);
        if (!g) {
            cfg_node_free(n);
            return off_errf(b->err, OFF_ENOMEM, b->file, 0, 0, "out of memory");
        }
        b->grave = g;
        b->cap_grave = cap;
    }
    b->grave[b->n_grave++] = n;
    return OFF_OK;
}

/* Apply the "<<" entries of map (YAML 1.1 merge keys): the entries of their
 * mappings are copied in unless the key is already present (explicit keys
 * win, then earlier sources).  The "<<" entries themselves are removed but
 * kept alive until the parse ends, since anchors may point into them. */
static off_status merge_keys(builder *b, cfg_node *map)
{
    if (cfg_map_index(map, "<<") == (size_t)-1)
        return OFF_OK;
    cfg_node **keys = map->keys, **items = map->items;
    size_t n = map->n, i;
    map->keys = NULL;
    map->items = NULL;
    map->n = map->cap = 0;
    off_status st = OFF_OK;
    /* The explicit entries first, in their order. */
    for (i = 0; i < n && !st; i++) {
        if (keys[i]->plain && strcmp(keys[i]->text, "<<") == 0)
            continue;
        if (!cfg_node_push(map, keys[i], items[i]))
            st = off_errf(b->err, OFF_ENOMEM, b->file, 0, 0, "out of memory");
        else
            keys[i] = items[i] = NULL;
    }
    for (i = 0; i < n && !st; i++) {
        if (!keys[i])
            continue;
        const cfg_node *src = items[i];
        size_t n_src = src->kind == CFG_NODE_SEQ ? src->n : 1;
        for (size_t j = 0; j < n_src && !st; j++) {
            const cfg_node *m = src->kind == CFG_NODE_SEQ ? src->items[j] : src;
            if (m->kind != CFG_NODE_MAP) {
                st = cfg_errp(b->err, OFF_EPARSE, m->pos,
                              "the merge key '<<' takes a mapping (usually an "
                              "alias such as *defaults) or a list of them");
                break;
            }
            for (size_t k = 0; k < m->n && !st; k++) {
                if (cfg_map_index(map, m->keys[k]->text) != (size_t)-1)
                    continue;
                size_t before = b->budget;
                b->aliased = true;
                cfg_node *ck = cfg_node_copy(m->keys[k], &b->budget);
                cfg_node *cv = ck ? cfg_node_copy(m->items[k], &b->budget) : NULL;
                if (!cv || !cfg_node_push(map, ck, cv)) {
                    cfg_node_free(ck);
                    cfg_node_free(cv);
                    st = b->budget == 0 || before == 0
                             ? too_big(b, m->pos)
                             : off_errf(b->err, OFF_ENOMEM, b->file, 0, 0,
                                        "out of memory");
                }
            }
        }
    }
    for (i = 0; i < n; i++) {
        if (!keys[i] && !items[i])
            continue;
        off_status s1 = bury(b, keys[i]);
        off_status s2 = bury(b, items[i]);
        if (!st)
            st = s1 ? s1 : s2;
    }
    free(keys);
    free(items);
    return st;
}

/* Fill mapping or list c from the events up to its end event; checks map
 * keys (scalars, no duplicates) and applies merge keys at the end. */
static off_status build_collection(builder *b, cfg_node *c, int depth)
{
    bool is_map = c->kind == CFG_NODE_MAP;
    yaml_event_type_t end = is_map ? YAML_MAPPING_END_EVENT
                                   : YAML_SEQUENCE_END_EVENT;
    for (;;) {
        yaml_event_t ev;
        off_status st = next_event(b, &ev);
        if (st)
            return st;
        if (ev.type == end) {
            yaml_event_delete(&ev);
            return is_map ? merge_keys(b, c) : OFF_OK;
        }
        cfg_node *key = NULL, *val = NULL;
        st = build(b, &ev, depth + 1, is_map ? &key : &val);
        if (!st && is_map) {
            if (key->kind != CFG_NODE_SCALAR) {
                st = cfg_errp(b->err, OFF_EPARSE, key->pos,
                              "a mapping key must be a word or string, not a %s",
                              key->kind == CFG_NODE_MAP ? "mapping" : "list");
            } else {
                size_t prev = key->plain && !strcmp(key->text, "<<")
                                  ? (size_t)-1
                                  : cfg_map_index(c, key->text);
                if (prev != (size_t)-1) {
                    char ks[64];
                    st = cfg_errp(b->err, OFF_EPARSE, key->pos,
                                  "duplicate key '%s' (first at line %d, "
                                  "column %d)",
                                  cfg_short(key->text, ks, sizeof ks),
                                  c->keys[prev]->pos.line,
                                  c->keys[prev]->pos.col);
                }
            }
            if (!st) {
                st = next_event(b, &ev);
                if (!st)
                    st = build(b, &ev, depth + 1, &val);
            }
        }
        if (!st && !cfg_node_push(c, key, val))
            st = off_errf(b->err, OFF_ENOMEM, b->file, 0, 0, "out of memory");
        if (st) {
            cfg_node_free(key);
            cfg_node_free(val);
            return st;
        }
    }
}

/* Build the node that starts with ev (taken over and deleted here). */
static off_status build(builder *b, yaml_event_t *ev, int depth,
                        cfg_node **out)
{
    *out = NULL;
    cfg_pos pos = mark_pos(b, ev->start_mark);
    off_status st = OFF_OK;
    const yaml_char_t *anchor_name = NULL;
    cfg_node *n = NULL;

    if (depth > CFG_MAX_DEPTH) {
        yaml_event_delete(ev);
        return cfg_errp(b->err, OFF_EPARSE, pos,
                        "nesting deeper than %d levels", CFG_MAX_DEPTH);
    }
    if (b->budget == 0) {
        yaml_event_delete(ev);
        return too_big(b, pos);
    }
    switch (ev->type) {
    case YAML_SCALAR_EVENT: {
        anchor_name = ev->data.scalar.anchor;
        const char *v = (const char *)ev->data.scalar.value;
        size_t vl = ev->data.scalar.length;
        if (memchr(v, '\0', vl)) {
            st = cfg_errp(b->err, OFF_EPARSE, pos,
                          "a string contains a NUL character ('\\0')");
            break;
        }
        n = cfg_node_scalar(v, ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE,
                            pos);
        if (!n)
            st = off_errf(b->err, OFF_ENOMEM, b->file, 0, 0, "out of memory");
        else
            b->budget--;
        break;
    }
    case YAML_SEQUENCE_START_EVENT:
    case YAML_MAPPING_START_EVENT: {
        bool map = ev->type == YAML_MAPPING_START_EVENT;
        anchor_name = map ? ev->data.mapping_start.anchor
                          : ev->data.sequence_start.anchor;
        n = cfg_node_new(map ? CFG_NODE_MAP : CFG_NODE_SEQ, pos);
        if (!n) {
            st = off_errf(b->err, OFF_ENOMEM, b->file, 0, 0, "out of memory");
            break;
        }
        b->budget--;
        st = build_collection(b, n, depth);
        break;
    }
    case YAML_ALIAS_EVENT: {
        const char *name = (const char *)ev->data.alias.anchor;
        const cfg_node *target = NULL;
        for (size_t i = b->n_anchors; i-- > 0;)
            if (strcmp(b->anchors[i].name, name) == 0) {
                target = b->anchors[i].node;
                break;
            }
        if (!target) {
            char s[64];
            st = cfg_errp(b->err, OFF_EPARSE, pos,
                          "unknown alias '*%s' (an anchor '&%s' must come "
                          "before, and outside, its aliases)",
                          cfg_short(name, s, sizeof s), s);
            break;
        }
        size_t before = b->budget;
        b->aliased = true;
        n = cfg_node_copy(target, &b->budget);
        if (!n)
            st = b->budget == 0 || before == 0
                     ? too_big(b, pos)
                     : off_errf(b->err, OFF_ENOMEM, b->file, 0, 0,
                                "out of memory");
        break;
    }
    default:
        st = cfg_errp(b->err, OFF_EPARSE, pos, "unexpected YAML event %d",
                      (int)ev->type);
        break;
    }
    /* The anchor names the finished node: a node cannot alias itself. */
    if (!st && anchor_name)
        st = add_anchor(b, anchor_name, n);
    yaml_event_delete(ev);
    if (st) {
        cfg_node_free(n);
        return st;
    }
    *out = n;
    return OFF_OK;
}

/* The whole stream: at most one document, whose node goes to *root. */
static off_status parse_stream(builder *b, cfg_node **root)
{
    yaml_event_t ev;
    off_status st;
    bool have_doc = false;
    for (;;) {
        if ((st = next_event(b, &ev)))
            return st;
        yaml_event_type_t t = ev.type;
        if (t == YAML_STREAM_END_EVENT) {
            yaml_event_delete(&ev);
            return OFF_OK;
        }
        if (t == YAML_DOCUMENT_START_EVENT) {
            if (have_doc) {
                cfg_pos pos = mark_pos(b, ev.start_mark);
                yaml_event_delete(&ev);
                return cfg_errp(b->err, OFF_EPARSE, pos,
                                "a second YAML document: %s holds one "
                                "document only (remove the '---' line or "
                                "split the file)", b->doc);
            }
            have_doc = true;
            yaml_event_delete(&ev);
            if ((st = next_event(b, &ev)))
                return st;
            if ((st = build(b, &ev, 0, root)))
                return st;
            continue;
        }
        yaml_event_delete(&ev); /* stream start, document end */
    }
}

off_status cfg_tree_parse(const char *text, size_t len, const char *file,
                          const char *doc, cfg_node **root, off_err *err)
{
    *root = NULL;
    off_status st = check_text(text, len, file, err);
    if (st)
        return st;
    builder b;
    memset(&b, 0, sizeof b);
    b.text = text;
    b.len = len;
    b.file = file;
    b.doc = doc ? doc : "a configuration file";
    b.err = err;
    b.budget = CFG_MAX_NODES;
    if (!yaml_parser_initialize(&b.parser))
        return off_errf(err, OFF_ENOMEM, file, 0, 0, "out of memory");
    yaml_parser_set_input_string(&b.parser, (const unsigned char *)text, len);
    st = parse_stream(&b, root);
    yaml_parser_delete(&b.parser);
    for (size_t i = 0; i < b.n_anchors; i++)
        free(b.anchors[i].name);
    free(b.anchors);
    for (size_t i = 0; i < b.n_grave; i++)
        cfg_node_free(b.grave[i]);
    free(b.grave);
    if (st) {
        cfg_node_free(*root);
        *root = NULL;
    }
    return st;
}
