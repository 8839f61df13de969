/*
 * mdl_zsize.c - the size of zlib's compress2(level 6) output, without
 * writing it.  See mdl_infer.h (mdl_zsize).
 *
 * Why: filling the inference cache needs the payload size of every split
 * tensor at every bit-width (55 tensors an image for alexnet-mx), and
 * compress2 was about two thirds of the fill.  Only the size is used; the
 * decoded tensor follows from the codes alone.  So this file replays the
 * decisions zlib 1.2.x's deflate makes at level 6 (lazy matching with hash
 * chains: good 8, lazy 16, nice 128, chain 128; blocks of 16383 symbols;
 * per block the cheapest of stored, fixed and dynamic Huffman codes) and
 * counts bits instead of emitting them: the same matches, the same trees,
 * the same block choices, so the same size.  It takes about half of
 * deflate's time: no bit is written, no checksum computed, and the hash
 * chains are laid out flat once per input (the input never changes under
 * them: every position up to n - 3 is inserted in order, so a position's
 * chain is every earlier position of its hash), so following one is a scan
 * of 8-byte signatures instead of a linked list walked through the window.
 *
 * Its answer is only trusted after checking it against the zlib the
 * process is linked with (mdl_zsize_agrees, once per process, on tensors
 * made to take every path: literals, long runs, far and near matches,
 * block splits, stored blocks); when they differ (another zlib, another
 * deflate), callers use compress2 itself.  The unit test compares both on
 * many more inputs.
 *
 * Scope: inputs of MIN_MATCH..MAX_DIST bytes, so that the whole input sits
 * in deflate's window from the start and nothing slides out of it; other
 * sizes are compressed with compress2.
 */
#include "mdl_infer.h"

#include <limits.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#define WSIZE 32768u
#define MIN_MATCH 3u
#define MAX_MATCH 258u
#define MAX_DIST (WSIZE - (MAX_MATCH + MIN_MATCH + 1))
#define HASH_BITS 15u
#define HASH_MASK ((1u << HASH_BITS) - 1)
#define HASH_SHIFT ((HASH_BITS + MIN_MATCH - 1) / MIN_MATCH)
#define GOOD_LEN 8u
#define LAZY_LEN 16u
#define NICE_LEN 128u
#define MAX_CHAIN 128u
#define TOO_FAR 4096u
#define BLOCK_SYMS 16383u /* (lit_bufsize - 1) with memLevel 8 */
#define L_CODES 286
#define D_CODES 30
#define BL_CODES 19
#define HEAP_SIZE (2 * L_CODES + 1)
#define END_BLOCK 256
#define PAD (MAX_MATCH + 16) /* zeros after the input: deflate's, and ours */

struct mdl_zsize_ws {
    /* The hash chains, laid out flat: every position p >= 1 that deflate
     * inserts (p <= n - 3) has a slot, the slots of one hash value are
     * consecutive and in increasing position, so p's chain is the slots
     * below slot[p] down to the first of its hash, newest first.  sig is
     * the 8 input bytes at each slot's position. */
    uint64_t sig[WSIZE];
    uint16_t pos[WSIZE], slot[WSIZE], first[WSIZE]; /* first: p's hash's first slot */
    uint16_t hash[WSIZE];
    struct {
        uint16_t tag;          /* 2 epoch: counted, 2 epoch + 1: placed */
        uint16_t count, start; /* positions, first slot */
    } bucket[1u << HASH_BITS];
    uint32_t epoch;
    uint8_t win[MAX_DIST + PAD];
    /* the current block and the Huffman trees built for it */
    uint16_t freq[HEAP_SIZE], dfreq[2 * D_CODES + 1], blfreq[2 * BL_CODES + 1];
    uint16_t len[HEAP_SIZE], dad[HEAP_SIZE];
    uint8_t depth[HEAP_SIZE];
    /* the heap: freq << 24 | depth << 16 | node, ordered on freq then depth
     * (deflate's order); below it, heap_max up, the nodes by increasing
     * frequency */
    uint64_t heap[HEAP_SIZE];
    int sorted[HEAP_SIZE], heap_len, heap_max;
    uint16_t bl_count[16];
    uint64_t opt_len, static_len;
};

static const uint8_t extra_lbits[29] = {0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2,
                                        2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0};
static const uint8_t extra_dbits[30] = {0, 0, 0, 0, 1, 1, 2, 2,  3,  3,  4,  4,  5,  5,  6,
                                        6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13};
static const uint8_t extra_blbits[19] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 3, 7};
static const uint8_t bl_order[19] = {16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15};

/* Length code of a match of length lc + 3, as deflate numbers them. */
static uint8_t length_code[256];
/* Distance code of distance d + 1, d < 32768: dist_code[d] for d < 256,
 * dist_code[256 + (d >> 7)] beyond. */
static uint8_t dist_code[512];
static pthread_once_t tables_once = PTHREAD_ONCE_INIT;

static void make_tables(void)
{
    size_t at = 0;
    for (unsigned code = 0; code < 28; code++)
        for (unsigned k = 0; k < (1u << extra_lbits[code]); k++)
            length_code[at++] = (uint8_t)code;
    length_code[255] = 28; /* length 258 has a code of its own */
    unsigned d = 0;
    for (unsigned code = 0; code < 16; code++)
        for (unsigned k = 0; k < (1u << extra_dbits[code]); k++)
            dist_code[d++] = (uint8_t)code;
    d >>= 7;
    for (unsigned code = 16; code < D_CODES; code++)
        for (unsigned k = 0; k < (1u << (extra_dbits[code] - 7)); k++)
            dist_code[256 + d++] = (uint8_t)code;
}

static unsigned static_llen(int n)
{
    return n < 144 ? 8 : n < 256 ? 9 : n < 280 ? 7 : 8;
}

/* One tree of a block: which symbols, how they are coded. */
typedef struct tree_desc {
    uint16_t *freq;
    int elems, base, max_length, max_code;
    const uint8_t *extra;
    bool stat;     /* a static tree exists: count static_len */
    bool dist;     /* static lengths: 5 bits (distances), else literal/lengths */
} tree_desc;

static unsigned static_len_of(const tree_desc *t, int n)
{
    return t->dist ? 5 : static_llen(n);
}

static uint64_t heap_entry(const mdl_zsize_ws *w, const uint16_t *freq, int n)
{
    return (uint64_t)freq[n] << 24 | (uint64_t)w->depth[n] << 16 | (uint64_t)n;
}

/* a before b: lower freq, ties to the shallower subtree (and to a when
 * both tie, as deflate's `smaller`) */
static bool smaller(uint64_t a, uint64_t b)
{
    return a >> 16 <= b >> 16;
}

static void downheap(mdl_zsize_ws *w, int k)
{
    uint64_t v = w->heap[k];
    int j = k << 1;
    while (j <= w->heap_len) {
        if (j < w->heap_len && smaller(w->heap[j + 1], w->heap[j]))
            j++;
        if (smaller(v, w->heap[j]))
            break;
        w->heap[k] = w->heap[j];
        k = j;
        j <<= 1;
    }
    w->heap[k] = v;
}

/* Code lengths limited to max_length, and the block's cost in bits under
 * them (opt_len) and under the static code (static_len), as deflate's
 * gen_bitlen computes them. */
static void bit_lengths(mdl_zsize_ws *w, const tree_desc *t)
{
    uint16_t *freq = t->freq, *len = w->len;
    int overflow = 0, h;
    memset(w->bl_count, 0, sizeof w->bl_count);
    len[w->sorted[w->heap_max]] = 0; /* the root */
    for (h = w->heap_max + 1; h < HEAP_SIZE; h++) {
        int n = w->sorted[h];
        int bits = len[w->dad[n]] + 1;
        if (bits > t->max_length) {
            bits = t->max_length;
            overflow++;
        }
        len[n] = (uint16_t)bits;
        if (n > t->max_code)
            continue; /* an inner node */
        w->bl_count[bits]++;
        unsigned xbits = n >= t->base ? t->extra[n - t->base] : 0;
        w->opt_len += (uint64_t)freq[n] * (unsigned)(bits + (int)xbits);
        if (t->stat)
            w->static_len += (uint64_t)freq[n] * (static_len_of(t, n) + xbits);
    }
    if (overflow == 0)
        return;
    do { /* move leaves down until the lengths fit */
        int bits = t->max_length - 1;
        while (w->bl_count[bits] == 0)
            bits--;
        w->bl_count[bits]--;
        w->bl_count[bits + 1] += 2;
        w->bl_count[t->max_length]--;
        overflow -= 2;
    } while (overflow > 0);
    for (int bits = t->max_length; bits != 0; bits--) {
        int n = w->bl_count[bits];
        while (n != 0) {
            int m = w->sorted[--h];
            if (m > t->max_code)
                continue;
            if (len[m] != (unsigned)bits) {
                w->opt_len += ((uint64_t)bits - len[m]) * freq[m];
                len[m] = (uint16_t)bits;
            }
            n--;
        }
    }
}

/* The Huffman tree of t's frequencies, built as deflate's build_tree does
 * (the same heap order and tie breaks, so the same lengths); its lengths
 * land in w->len[0..elems), max_code in t. */
static void build_tree(mdl_zsize_ws *w, tree_desc *t)
{
    uint16_t *freq = t->freq;
    int max_code = -1;
    w->heap_len = 0;
    w->heap_max = HEAP_SIZE;
    for (int n = 0; n < t->elems; n++) {
        if (freq[n]) {
            w->depth[n] = 0;
            w->heap[++w->heap_len] = heap_entry(w, freq, max_code = n);
        } else {
            w->len[n] = 0;
        }
    }
    while (w->heap_len < 2) { /* at least two codes, even of unused symbols */
        int node = max_code < 2 ? ++max_code : 0;
        freq[node] = 1;
        w->depth[node] = 0;
        w->heap[++w->heap_len] = heap_entry(w, freq, node);
        w->opt_len--;
        if (t->stat)
            w->static_len -= static_len_of(t, node);
    }
    t->max_code = max_code;
    for (int n = w->heap_len / 2; n >= 1; n--)
        downheap(w, n);
    int node = t->elems;
    do {
        int n = (int)(w->heap[1] & 0xffff);
        w->heap[1] = w->heap[w->heap_len--];
        downheap(w, 1);
        int m = (int)(w->heap[1] & 0xffff);
        w->sorted[--w->heap_max] = n;
        w->sorted[--w->heap_max] = m;
        freq[node] = (uint16_t)(freq[n] + freq[m]);
        w->depth[node] = (uint8_t)((w->depth[n] >= w->depth[m] ? w->depth[n] : w->depth[m]) + 1);
        w->dad[n] = w->dad[m] = (uint16_t)node;
        w->heap[1] = heap_entry(w, freq, node++);
        downheap(w, 1);
    } while (w->heap_len >= 2);
    w->sorted[--w->heap_max] = (int)(w->heap[1] & 0xffff);
    bit_lengths(w, t);
}

/* The code-length codes' frequencies for lengths len[0..max_code]. */
static void scan_lengths(mdl_zsize_ws *w, const uint16_t *len, int max_code)
{
    int prevlen = -1, nextlen = len[0], count = 0, max_count = 7, min_count = 4;
    if (nextlen == 0) {
        max_count = 138;
        min_count = 3;
    }
    for (int n = 0; n <= max_code; n++) {
        int curlen = nextlen;
        nextlen = n + 1 <= max_code ? len[n + 1] : 0xffff; /* deflate's guard */
        if (++count < max_count && curlen == nextlen)
            continue;
        if (count < min_count) {
            w->blfreq[curlen] = (uint16_t)(w->blfreq[curlen] + count);
        } else if (curlen != 0) {
            if (curlen != prevlen)
                w->blfreq[curlen]++;
            w->blfreq[16]++;
        } else if (count <= 10) {
            w->blfreq[17]++;
        } else {
            w->blfreq[18]++;
        }
        count = 0;
        prevlen = curlen;
        if (nextlen == 0) {
            max_count = 138;
            min_count = 3;
        } else if (curlen == nextlen) {
            max_count = 6;
            min_count = 3;
        } else {
            max_count = 7;
            min_count = 4;
        }
    }
}

/* Bits of the block of stored_len input bytes whose symbols are counted in
 * w, appended at bit `bits`; the block counters are reset. */
static uint64_t flush_block(mdl_zsize_ws *w, uint64_t bits, size_t stored_len)
{
    uint16_t llen[L_CODES], dlen[D_CODES];
    tree_desc lt = {w->freq, L_CODES, 257, 15, 0, extra_lbits, true, false};
    tree_desc dt = {w->dfreq, D_CODES, 0, 15, 0, extra_dbits, true, true};
    tree_desc bt = {w->blfreq, BL_CODES, 0, 7, 0, extra_blbits, false, false};
    build_tree(w, &lt);
    memcpy(llen, w->len, sizeof llen);
    build_tree(w, &dt);
    memcpy(dlen, w->len, sizeof dlen);
    scan_lengths(w, llen, lt.max_code);
    scan_lengths(w, dlen, dt.max_code);
    build_tree(w, &bt);
    int max_blindex = BL_CODES - 1;
    for (; max_blindex >= 3; max_blindex--)
        if (w->len[bl_order[max_blindex]] != 0)
            break;
    w->opt_len += 3 * ((uint64_t)max_blindex + 1) + 5 + 5 + 4;
    uint64_t opt_lenb = (w->opt_len + 3 + 7) >> 3, static_lenb = (w->static_len + 3 + 7) >> 3;
    if (static_lenb <= opt_lenb)
        opt_lenb = static_lenb;
    if (stored_len + 4 <= opt_lenb) /* stored: header, byte alignment, LEN, NLEN */
        bits = (bits + 3 + 7) / 8 * 8 + 32 + 8 * (uint64_t)stored_len;
    else if (static_lenb == opt_lenb)
        bits += 3 + w->static_len;
    else
        bits += 3 + w->opt_len;
    memset(w->freq, 0, sizeof w->freq);
    memset(w->dfreq, 0, sizeof w->dfreq);
    memset(w->blfreq, 0, sizeof w->blfreq);
    w->freq[END_BLOCK] = 1;
    w->opt_len = w->static_len = 0;
    return bits;
}

/* Common prefix of a and b, up to MAX_MATCH, when their first 8 bytes are
 * equal. */
static unsigned match_len(const uint8_t *a, const uint8_t *b)
{
    unsigned k = 8;
    while (k < MAX_MATCH) {
        uint64_t x, y;
        memcpy(&x, a + k, 8);
        memcpy(&y, b + k, 8);
        if (x != y) {
            k += (unsigned)__builtin_ctzll(x ^ y) / 8; /* little-endian */
            break;
        }
        k += 8;
    }
    return k < MAX_MATCH ? k : MAX_MATCH;
}

typedef struct lz_state {
    unsigned strstart, lookahead, match_start, prev_length;
} lz_state;

static uint64_t load64(const uint8_t *p)
{
    uint64_t v;
    memcpy(&v, p, 8);
    return v;
}

#define NONE UINT_MAX

/* The highest slot in [end, at) whose signature agrees with ss on the
 * bytes of need, or NONE. */
static unsigned next_candidate(const uint64_t *sig, unsigned at, unsigned end, uint64_t ss,
                                 uint64_t need)
{
    for (unsigned i = at; i-- > end;)
        if (!((sig[i] ^ ss) & need))
            return i;
    return NONE;
}

/* The signature bytes that must match for a match longer than best. */
static uint64_t bytes_mask(unsigned best)
{
    return best >= 7 ? ~(uint64_t)0 : ((uint64_t)1 << (8 * (best + 1))) - 1;
}

/* deflate's longest_match for strstart, whose slot is at: the longest
 * match better than prev_length among the first candidates of its chain
 * (128, or 32 once prev_length reaches GOOD_LEN), the nearest of equal
 * ones; sets match_start when it finds one.  deflate tests a candidate
 * by bytes best, best - 1, 0 and 1, then compares from byte 3 (byte 2 is
 * equal when bytes 0 and 1 are, by the hash): a candidate is taken when
 * bytes 0..best all match, which is what the 8-byte signatures test here
 * without following a linked list. */
static unsigned longest_match(const mdl_zsize_ws *w, lz_state *s, unsigned at)
{
    unsigned chain = MAX_CHAIN, best = s->prev_length, nice = NICE_LEN;
    const uint8_t *scan = w->win + s->strstart;
    if (s->prev_length >= GOOD_LEN)
        chain >>= 2;
    if (nice > s->lookahead)
        nice = s->lookahead;
    unsigned lo = w->first[s->strstart];
    unsigned end = at - lo > chain ? at - chain : lo;
    uint64_t ss = load64(scan), need = bytes_mask(best);
    for (unsigned i = at; (i = next_candidate(w->sig, i, end, ss, need)) != NONE;) {
        uint64_t d = w->sig[i] ^ ss;
        unsigned len = d ? (unsigned)__builtin_ctzll(d) / 8 : match_len(scan, w->win + w->pos[i]);
        if (len > best) {
            s->match_start = w->pos[i];
            best = len;
            if (len >= nice)
                break;
            need = bytes_mask(best);
        }
    }
    return best <= s->lookahead ? best : s->lookahead;
}

size_t mdl_zsize_ws_size(void)
{
    return sizeof(mdl_zsize_ws);
}

void mdl_zsize_init(mdl_zsize_ws *w)
{
    pthread_once(&tables_once, make_tables);
    /* the rest is written before it is read: a context that never
     * measures a payload (a simulator's) never touches it */
    memset(w->bucket, 0, sizeof w->bucket);
    w->epoch = 0;
}

/* The chains of win[0..n) (see mdl_zsize_ws): deflate inserts every
 * position up to n - 3, in order, under the hash of its 3 bytes, and never
 * follows a chain to position 0. */
static void make_chains(mdl_zsize_ws *w, unsigned n)
{
    if (++w->epoch >= 0x7fff) { /* tags of old epochs would look current */
        memset(w->bucket, 0, sizeof w->bucket);
        w->epoch = 1;
    }
    uint16_t counted = (uint16_t)(2 * w->epoch), placed = (uint16_t)(counted + 1);
    unsigned last = n - MIN_MATCH, h = ((unsigned)w->win[0] << HASH_SHIFT ^ w->win[1]) & HASH_MASK;
    for (unsigned p = 0; p <= last; p++) {
        h = ((h << HASH_SHIFT) ^ w->win[p + MIN_MATCH - 1]) & HASH_MASK;
        w->hash[p] = (uint16_t)h;
        if (p == 0)
            continue;
        if (w->bucket[h].tag != counted) {
            w->bucket[h].tag = counted;
            w->bucket[h].count = 0;
        }
        w->bucket[h].count++;
    }
    unsigned next = 0;
    for (unsigned p = 1; p <= last; p++) {
        h = w->hash[p];
        if (w->bucket[h].tag != placed) {
            w->bucket[h].tag = placed;
            w->bucket[h].start = (uint16_t)next;
            next += w->bucket[h].count;
            w->bucket[h].count = 0;
        }
        unsigned at = w->bucket[h].start + w->bucket[h].count++;
        w->pos[at] = (uint16_t)p;
        w->sig[at] = load64(w->win + p);
        w->slot[p] = (uint16_t)at;
        w->first[p] = w->bucket[h].start;
    }
}

/* The deflate stream's bits for win[0..n), deflate_slow's decisions. */
static uint64_t deflate_bits(mdl_zsize_ws *w, unsigned n)
{
    lz_state s = {0, n, 0, MIN_MATCH - 1};
    unsigned match_length = MIN_MATCH - 1, prev_match = 0, nsym = 0, block_start = 0;
    bool match_available = false;
    uint64_t bits = 0;
    make_chains(w, n);
    while (s.lookahead) {
        /* a chain to follow: a position inserted before, under this hash */
        bool chain = s.lookahead >= MIN_MATCH && s.strstart > 0 &&
                     w->slot[s.strstart] > w->first[s.strstart];
        s.prev_length = match_length;
        prev_match = s.match_start;
        match_length = MIN_MATCH - 1;
        if (chain && s.prev_length < LAZY_LEN) {
            match_length = longest_match(w, &s, w->slot[s.strstart]);
            if (match_length == MIN_MATCH && s.strstart - s.match_start > TOO_FAR)
                match_length = MIN_MATCH - 1;
        }
        if (s.prev_length >= MIN_MATCH && match_length <= s.prev_length) {
            unsigned dist = s.strstart - 1 - prev_match - 1;
            w->freq[length_code[s.prev_length - MIN_MATCH] + 257]++;
            w->dfreq[dist < 256 ? dist_code[dist] : dist_code[256 + (dist >> 7)]]++;
            bool flush = ++nsym == BLOCK_SYMS;
            s.lookahead -= s.prev_length - 1;
            s.strstart += s.prev_length - 2; /* their strings are in the chains already */
            match_available = false;
            match_length = MIN_MATCH - 1;
            s.strstart++;
            if (flush) {
                bits = flush_block(w, bits, s.strstart - block_start);
                block_start = s.strstart;
                nsym = 0;
            }
        } else if (match_available) {
            w->freq[w->win[s.strstart - 1]]++;
            if (++nsym == BLOCK_SYMS) {
                bits = flush_block(w, bits, s.strstart - block_start);
                block_start = s.strstart;
                nsym = 0;
            }
            s.strstart++;
            s.lookahead--;
        } else {
            match_available = true;
            s.strstart++;
            s.lookahead--;
        }
    }
    if (match_available)
        w->freq[w->win[s.strstart - 1]]++;
    bits = flush_block(w, bits, s.strstart - block_start);
    return (bits + 7) / 8 * 8; /* the last block ends on a byte */
}

static size_t zlib_size(const uint8_t *in, size_t n)
{
    uLongf dst = compressBound((uLong)n);
    uint8_t *out = malloc(dst);
    size_t len = SIZE_MAX;
    if (out && compress2(out, &dst, in, (uLong)n, 6) == Z_OK)
        len = dst;
    free(out);
    return len;
}

static size_t replay(mdl_zsize_ws *w, const uint8_t *in, size_t n)
{
    memcpy(w->win, in, n);
    memset(w->win + n, 0, PAD);
    memset(w->freq, 0, sizeof w->freq);
    memset(w->dfreq, 0, sizeof w->dfreq);
    memset(w->blfreq, 0, sizeof w->blfreq);
    w->freq[END_BLOCK] = 1;
    w->opt_len = w->static_len = 0;
    /* zlib header (2 bytes) and Adler-32 trailer (4) around the deflate data */
    return 2 + (size_t)(deflate_bits(w, (unsigned)n) / 8) + 4;
}

/* Inputs that take every path of the replay. */
static void probe(uint8_t *buf, size_t n, unsigned kind)
{
    uint64_t x = 0x9e3779b97f4a7c15ull * (kind + 1);
    for (size_t i = 0; i < n; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        switch (kind) {
        case 0: buf[i] = (uint8_t)x; break;                          /* literals, stored */
        case 1: buf[i] = (x >> 60) ? 0 : (uint8_t)(x >> 8); break;   /* runs of zeros */
        case 2: buf[i] = (uint8_t)((x >> 20) & 3); break;             /* small alphabet */
        case 3: /* repeats with mutations, near and beyond TOO_FAR */
            buf[i] = i < 64 || (x & 15) == 0
                         ? (uint8_t)(x >> 16)
                         : buf[i - 3 - (x >> 8) % (i < 5003 ? i - 3 : 5000)];
            break;
        default: buf[i] = (uint8_t)((i / 97) % 5 + ((x >> 9) % 11 == 0)); break;
        }
    }
}

static bool agrees;
static pthread_once_t agree_once = PTHREAD_ONCE_INIT;

static void check_agreement(void)
{
    static const size_t sizes[] = {3, 17, 300, 4700, 16400}; /* a block split in 16400 */
    mdl_zsize_ws *w = malloc(sizeof *w);
    uint8_t *buf = malloc(MAX_DIST);
    agrees = w && buf;
    if (agrees)
        mdl_zsize_init(w);
    for (unsigned kind = 0; kind < 5 && agrees; kind++)
        for (size_t k = 0; k < sizeof sizes / sizeof sizes[0] && agrees; k++) {
            probe(buf, sizes[k], kind);
            agrees = replay(w, buf, sizes[k]) == zlib_size(buf, sizes[k]);
        }
    free(buf);
    free(w);
}

bool mdl_zsize_agrees(void)
{
    pthread_once(&agree_once, check_agreement);
    return agrees;
}

size_t mdl_zsize(mdl_zsize_ws *w, const uint8_t *in, size_t n)
{
    if (n < MIN_MATCH || n > MAX_DIST || !mdl_zsize_agrees())
        return zlib_size(in, n);
    return replay(w, in, n);
}
