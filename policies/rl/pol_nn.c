/*
 * pol_nn.c - the small neural-network library of the learning agents; see
 * pol_nn.h for layouts and contracts.
 */
#include "pol_nn.h"

#include <cblas.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

/* ---- layers -------------------------------------------------------------- */

void pol_linear_forward_ref(float *out, const float *inp, const float *w, const float *b,
                            size_t B, size_t C, size_t OC)
{
    for (size_t i = 0; i < B; i++)
        for (size_t o = 0; o < OC; o++) {
            float s = b ? b[o] : 0.0f;
            for (size_t c = 0; c < C; c++)
                s += inp[i * C + c] * w[o * C + c];
            out[i * OC + o] = s;
        }
}

void pol_linear_backward_ref(float *dinp, float *dw, float *db, const float *dout,
                             const float *inp, const float *w, size_t B, size_t C,
                             size_t OC)
{
    for (size_t i = 0; i < B; i++)
        for (size_t o = 0; o < OC; o++) {
            float d = dout[i * OC + o];
            if (db)
                db[o] += d;
            for (size_t c = 0; c < C; c++) {
                if (dinp)
                    dinp[i * C + c] += d * w[o * C + c];
                if (dw)
                    dw[o * C + c] += d * inp[i * C + c];
            }
        }
}

void pol_linear_forward(float *out, const float *inp, const float *w, const float *b,
                        size_t B, size_t C, size_t OC)
{
    if (B == 0 || OC == 0)
        return;
    if (b)
        for (size_t i = 0; i < B; i++)
            memcpy(out + i * OC, b, OC * sizeof *out);
    if (C == 0) {
        if (!b)
            memset(out, 0, B * OC * sizeof *out);
        return;
    }
    // out (B,OC) = inp (B,C) . w^T (C,OC) + out
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)B, (int)OC, (int)C, 1.0f,
                inp, (int)C, w, (int)C, b ? 1.0f : 0.0f, out, (int)OC);
}

void pol_linear_backward(float *dinp, float *dw, float *db, const float *dout,
                         const float *inp, const float *w, size_t B, size_t C, size_t OC)
{
    if (B == 0 || OC == 0)
        return;
    if (db)
        for (size_t i = 0; i < B; i++)
            for (size_t o = 0; o < OC; o++)
                db[o] += dout[i * OC + o];
    if (C == 0)
        return;
    // dinp (B,C) += dout (B,OC) . w (OC,C)
    if (dinp)
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)B, (int)C, (int)OC,
                    1.0f, dout, (int)OC, w, (int)C, 1.0f, dinp, (int)C);
    // dw (OC,C) += dout^T (OC,B) . inp (B,C)
    if (dw)
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)OC, (int)C, (int)B,
                    1.0f, dout, (int)OC, inp, (int)C, 1.0f, dw, (int)C);
}

void pol_tanh_forward(float *out, const float *inp, size_t n)
{
    for (size_t i = 0; i < n; i++)
        out[i] = tanhf(inp[i]);
}

void pol_tanh_backward(float *dinp, const float *dout, const float *out, size_t n)
{
    for (size_t i = 0; i < n; i++)
        dinp[i] += dout[i] * (1.0f - out[i] * out[i]);
}

void pol_relu_forward(float *out, const float *inp, size_t n)
{
    for (size_t i = 0; i < n; i++)
        out[i] = inp[i] > 0.0f ? inp[i] : 0.0f;
}

void pol_relu_backward(float *dinp, const float *dout, const float *out, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (out[i] > 0.0f)
            dinp[i] += dout[i];
}

/* ---- softmax ------------------------------------------------------------- */

/* log sum_k exp(z_k) of one row, stable; -INFINITY if every z_k is. */
static double logsumexp(const float *z, size_t K)
{
    float mx = -INFINITY;
    for (size_t k = 0; k < K; k++)
        if (z[k] > mx)
            mx = z[k];
    if (mx == -INFINITY)
        return -INFINITY;
    double s = 0.0;
    for (size_t k = 0; k < K; k++)
        s += exp((double)z[k] - mx);
    return mx + log(s);
}

void pol_softmax_forward(float *probs, const float *logits, size_t B, size_t K)
{
    for (size_t i = 0; i < B; i++) {
        double lse = logsumexp(logits + i * K, K);
        for (size_t k = 0; k < K; k++)
            probs[i * K + k] = (float)exp((double)logits[i * K + k] - lse);
    }
}

void pol_log_softmax_forward(float *logp, const float *logits, size_t B, size_t K)
{
    for (size_t i = 0; i < B; i++) {
        double lse = logsumexp(logits + i * K, K);
        for (size_t k = 0; k < K; k++)
            logp[i * K + k] = (float)((double)logits[i * K + k] - lse);
    }
}

void pol_log_softmax_backward(float *dlogits, const float *dlogp, const float *logp,
                              size_t B, size_t K)
{
    for (size_t i = 0; i < B; i++) {
        const float *dl = dlogp + i * K, *lp = logp + i * K;
        double s = 0.0;
        for (size_t k = 0; k < K; k++)
            s += dl[k];
        for (size_t k = 0; k < K; k++)
            dlogits[i * K + k] += (float)(dl[k] - exp(lp[k]) * s);
    }
}

size_t pol_categorical_sample(const float *logits, size_t K, gsl_rng *rng)
{
    double lse = logsumexp(logits, K);
    double u = gsl_rng_uniform(rng); /* [0, 1) */
    if (lse == -INFINITY)
        return 0;
    double c = 0.0;
    size_t last = 0;
    for (size_t k = 0; k < K; k++) {
        double p = exp((double)logits[k] - lse);
        if (p > 0.0) {
            c += p;
            last = k;
            if (u < c)
                return k;
        }
    }
    return last; /* u within rounding of 1: the last action with p > 0 */
}

size_t pol_argmax(const float *logits, size_t K)
{
    size_t best = 0;
    for (size_t k = 1; k < K; k++)
        if (logits[k] > logits[best])
            best = k;
    return best;
}

/* ---- categorical heads --------------------------------------------------- */

static size_t sum_k(const size_t *K, size_t H)
{
    size_t s = 0;
    for (size_t h = 0; h < H; h++)
        s += K[h];
    return s;
}

/* Entropy -sum p log p of one head from its log-softmax (0 log 0 = 0). */
static double head_entropy(const float *lp, size_t K)
{
    double e = 0.0;
    for (size_t k = 0; k < K; k++)
        if (lp[k] > -INFINITY)
            e -= exp(lp[k]) * lp[k];
    return e;
}

void pol_heads_forward(float *logp, float *ent, float *lsm, const float *logits,
                       const int32_t *act, size_t B, const size_t *K, size_t H)
{
    size_t S = sum_k(K, H);
    for (size_t i = 0; i < B; i++) {
        double lp = 0.0, e = 0.0;
        size_t off = 0;
        for (size_t h = 0; h < H; h++) {
            float *l = lsm + i * S + off;
            pol_log_softmax_forward(l, logits + i * S + off, 1, K[h]);
            if (act)
                lp += l[act[i * H + h]];
            e += head_entropy(l, K[h]);
            off += K[h];
        }
        if (logp)
            logp[i] = (float)lp;
        if (ent)
            ent[i] = (float)e;
    }
}

void pol_heads_backward(float *dlogits, const float *dlogp, const float *dent,
                        const float *lsm, const int32_t *act, size_t B, const size_t *K,
                        size_t H)
{
    size_t S = sum_k(K, H);
    for (size_t i = 0; i < B; i++) {
        size_t off = 0;
        for (size_t h = 0; h < H; h++) {
            const float *l = lsm + i * S + off;
            float *d = dlogits + i * S + off;
            double gl = dlogp ? dlogp[i] : 0.0, ge = dent ? dent[i] : 0.0;
            double e = ge != 0.0 ? head_entropy(l, K[h]) : 0.0;
            for (size_t k = 0; k < K[h]; k++) {
                double p = exp(l[k]);
                double g = -gl * p;
                if (act && (size_t)act[i * H + h] == k)
                    g += gl;
                if (ge != 0.0 && p > 0.0)
                    g -= ge * p * (l[k] + e);
                d[k] += (float)g;
            }
            off += K[h];
        }
    }
}

void pol_heads_sample(int32_t *act, const float *logits, const size_t *K, size_t H,
                      gsl_rng *rng)
{
    size_t off = 0;
    for (size_t h = 0; h < H; h++) {
        act[h] = (int32_t)pol_categorical_sample(logits + off, K[h], rng);
        off += K[h];
    }
}

/* ---- losses -------------------------------------------------------------- */

double pol_mse_forward(const float *pred, const float *target, size_t n)
{
    double s = 0.0;
    for (size_t i = 0; i < n; i++) {
        double d = (double)pred[i] - target[i];
        s += d * d;
    }
    return n ? s / (double)n : 0.0;
}

void pol_mse_backward(float *dpred, const float *pred, const float *target, size_t n,
                      float dloss)
{
    for (size_t i = 0; i < n; i++)
        dpred[i] += (float)(dloss * 2.0 * ((double)pred[i] - target[i]) / (double)n);
}

double pol_huber_forward(const float *pred, const float *target, size_t n, float delta)
{
    double s = 0.0;
    for (size_t i = 0; i < n; i++) {
        double d = fabs((double)pred[i] - target[i]);
        s += d <= delta ? 0.5 * d * d : delta * (d - 0.5 * delta);
    }
    return n ? s / (double)n : 0.0;
}

void pol_huber_backward(float *dpred, const float *pred, const float *target, size_t n,
                        float delta, float dloss)
{
    for (size_t i = 0; i < n; i++) {
        double d = (double)pred[i] - target[i];
        if (d > delta)
            d = delta;
        else if (d < -delta)
            d = -delta;
        dpred[i] += (float)(dloss * d / (double)n);
    }
}

/* ---- optimisation -------------------------------------------------------- */

off_status pol_adam_init(pol_adam *a, size_t n, float lr, float beta1, float beta2,
                         float eps, off_err *err)
{
    memset(a, 0, sizeof *a);
    if (!(lr >= 0.0f) || !(beta1 >= 0.0f && beta1 < 1.0f) ||
        !(beta2 >= 0.0f && beta2 < 1.0f) || !(eps > 0.0f))
        return off_errf(err, OFF_EINVAL, NULL, 0, 0,
                        "adam: need lr >= 0, 0 <= beta1, beta2 < 1, eps > 0");
    a->m = calloc(n ? 2 * n : 1, sizeof *a->m);
    if (!a->m)
        return off_errf(err, OFF_ENOMEM, NULL, 0, 0, "adam: out of memory");
    a->v = a->m + n;
    a->n = n;
    a->lr = lr;
    a->beta1 = beta1;
    a->beta2 = beta2;
    a->eps = eps;
    return OFF_OK;
}

void pol_adam_free(pol_adam *a)
{
    if (!a)
        return;
    free(a->m);
    a->m = a->v = NULL;
    a->n = 0;
}

void pol_adam_step(pol_adam *a, float *params, const float *grads)
{
    a->t++;
    double bc1 = 1.0 - pow(a->beta1, (double)a->t);
    double bc2 = 1.0 - pow(a->beta2, (double)a->t);
    float b1 = a->beta1, b2 = a->beta2;
    for (size_t i = 0; i < a->n; i++) {
        float g = grads[i];
        a->m[i] = b1 * a->m[i] + (1.0f - b1) * g;
        a->v[i] = b2 * a->v[i] + (1.0f - b2) * g * g;
        double mh = a->m[i] / bc1, vh = a->v[i] / bc2;
        params[i] -= (float)(a->lr * mh / (sqrt(vh) + a->eps));
    }
}

double pol_clip_grad_norm(float *const *grads, const size_t *ns, size_t nbuf,
                          double max_norm)
{
    double ss = 0.0;
    for (size_t b = 0; b < nbuf; b++)
        for (size_t i = 0; i < ns[b]; i++)
            ss += (double)grads[b][i] * grads[b][i];
    double norm = sqrt(ss);
    double coef = max_norm / (norm + 1e-6);
    if (coef < 1.0)
        for (size_t b = 0; b < nbuf; b++)
            for (size_t i = 0; i < ns[b]; i++)
                grads[b][i] = (float)(grads[b][i] * coef);
    return norm;
}

void pol_polyak(float *target, const float *src, size_t n, float tau)
{
    for (size_t i = 0; i < n; i++)
        target[i] = tau * src[i] + (1.0f - tau) * target[i];
}

/* ---- MLP ----------------------------------------------------------------- */

off_status pol_mlp_init(pol_mlp *m, const size_t *sizes, size_t n_sizes, pol_act act,
                        size_t max_B, off_err *err)
{
    memset(m, 0, sizeof *m);
    if (n_sizes < 2 || n_sizes - 1 > POL_MLP_MAX_LAYERS || max_B == 0)
        return off_errf(err, OFF_EINVAL, NULL, 0, 0,
                        "mlp: need 1 to %d layers and max_B > 0", POL_MLP_MAX_LAYERS);
    size_t np = 0, na = 0, wmax = 0;
    for (size_t l = 0; l < n_sizes; l++) {
        if (sizes[l] == 0 || sizes[l] > (size_t)1 << 24)
            return off_errf(err, OFF_EINVAL, NULL, 0, 0,
                            "mlp: layer width %zu out of range", sizes[l]);
        m->sizes[l] = sizes[l];
        if (sizes[l] > wmax)
            wmax = sizes[l];
        if (l > 0) {
            np += sizes[l] * sizes[l - 1] + sizes[l];
            na += max_B * sizes[l];
        }
    }
    m->L = n_sizes - 1;
    m->act = act;
    m->max_B = max_B;
    m->n_params = np;
    m->params = calloc(2 * np, sizeof *m->params);
    m->acts = calloc(na + 2 * max_B * wmax, sizeof *m->acts);
    if (!m->params || !m->acts) {
        pol_mlp_free(m);
        return off_errf(err, OFF_ENOMEM, NULL, 0, 0, "mlp: out of memory");
    }
    m->grads = m->params + np;
    float *p = m->params, *g = m->grads, *a = m->acts;
    for (size_t l = 0; l < m->L; l++) {
        size_t C = sizes[l], OC = sizes[l + 1];
        m->w[l] = p;
        m->dw[l] = g;
        p += OC * C;
        g += OC * C;
        m->b[l] = p;
        m->db[l] = g;
        p += OC;
        g += OC;
        m->h[l] = a;
        a += max_B * OC;
    }
    m->g0 = a;
    m->g1 = a + max_B * wmax;
    return OFF_OK;
}

void pol_mlp_free(pol_mlp *m)
{
    if (!m)
        return;
    free(m->params);
    free(m->acts);
    memset(m, 0, sizeof *m);
}

off_status pol_mlp_init_orthogonal(pol_mlp *m, const double *gains, gsl_rng *rng,
                                   off_err *err)
{
    for (size_t l = 0; l < m->L; l++) {
        off_status st = pol_orthogonal_init(m->w[l], m->sizes[l + 1], m->sizes[l],
                                            gains[l], rng, err);
        if (st != OFF_OK)
            return st;
        memset(m->b[l], 0, m->sizes[l + 1] * sizeof *m->b[l]);
    }
    return OFF_OK;
}

void pol_mlp_zero_grad(pol_mlp *m)
{
    memset(m->grads, 0, m->n_params * sizeof *m->grads);
}

const float *pol_mlp_forward(pol_mlp *m, const float *inp, size_t B)
{
    const float *x = inp;
    for (size_t l = 0; l < m->L; l++) {
        size_t C = m->sizes[l], OC = m->sizes[l + 1];
        pol_linear_forward(m->h[l], x, m->w[l], m->b[l], B, C, OC);
        if (l + 1 < m->L) {
            if (m->act == POL_ACT_TANH)
                pol_tanh_forward(m->h[l], m->h[l], B * OC);
            else
                pol_relu_forward(m->h[l], m->h[l], B * OC);
        }
        x = m->h[l];
    }
    return x;
}

void pol_mlp_backward(pol_mlp *m, float *dinp, const float *dout, const float *inp,
                      size_t B)
{
    /* d: gradient w.r.t. the output of layer l (after its activation); it is
     * dout for the last layer, then always g1.  g0 receives the gradient
     * w.r.t. the pre-activation; g1 is reused for the layer's input once
     * the activation backward has consumed it. */
    const float *d = dout;
    for (size_t l = m->L; l-- > 0;) {
        size_t C = m->sizes[l], OC = m->sizes[l + 1];
        const float *dz = d;
        if (l + 1 < m->L) {
            memset(m->g0, 0, B * OC * sizeof *m->g0);
            if (m->act == POL_ACT_TANH)
                pol_tanh_backward(m->g0, d, m->h[l], B * OC);
            else
                pol_relu_backward(m->g0, d, m->h[l], B * OC);
            dz = m->g0;
        }
        const float *x = l ? m->h[l - 1] : inp;
        float *dx = dinp; /* layer 0: the caller's buffer, may be NULL */
        if (l > 0) {
            dx = m->g1;
            memset(dx, 0, B * C * sizeof *dx);
        }
        pol_linear_backward(dx, m->dw[l], m->db[l], dz, x, m->w[l], B, C, OC);
        d = m->g1;
    }
}

/* ---- checkpoints --------------------------------------------------------- */

static const char CKPT_MAGIC[8] = {'O', 'F', 'F', 'P', 'O', 'L', 'C', 'K'};

static void put_u32(unsigned char *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

static void put_u64(unsigned char *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

static uint32_t get_u32(const unsigned char *p)
{
    uint32_t v = 0;
    for (int i = 0; i < 4; i++)
        v |= (uint32_t)p[i] << (8 * i);
    return v;
}

static uint64_t get_u64(const unsigned char *p)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v |= (uint64_t)p[i] << (8 * i);
    return v;
}

/* zlib's crc32 takes a uInt length: feed large buffers in pieces. */
static uint32_t crc_bytes(uint32_t crc, const unsigned char *p, size_t n)
{
    while (n) {
        uInt k = n > (1u << 30) ? (1u << 30) : (uInt)n;
        crc = (uint32_t)crc32(crc, p, k);
        p += k;
        n -= k;
    }
    return crc;
}

typedef struct ckpt_writer {
    FILE *f;
    uint32_t crc;
    int bad;
} ckpt_writer;

static void wr(ckpt_writer *w, const void *p, size_t n)
{
    if (w->bad || n == 0)
        return;
    w->crc = crc_bytes(w->crc, p, n);
    if (fwrite(p, 1, n, w->f) != n)
        w->bad = 1;
}

off_status pol_ckpt_save(const char *path, const pol_tensor *ts, size_t nt, off_err *err)
{
    if (nt > UINT32_MAX)
        return off_errf(err, OFF_EINVAL, path, 0, 0, "checkpoint: too many tensors");
    for (size_t i = 0; i < nt; i++) {
        size_t len = ts[i].name ? strlen(ts[i].name) : 0;
        if (len == 0 || len > 255)
            return off_errf(err, OFF_EINVAL, path, 0, 0,
                            "checkpoint: tensor %zu needs a name of 1 to 255 bytes", i);
    }
    size_t plen = strlen(path);
    char *tmp = malloc(plen + 5);
    if (!tmp)
        return off_errf(err, OFF_ENOMEM, path, 0, 0, "out of memory");
    memcpy(tmp, path, plen);
    memcpy(tmp + plen, ".tmp", 5);
    ckpt_writer w = {fopen(tmp, "wb"), (uint32_t)crc32(0, NULL, 0), 0};
    if (!w.f) {
        off_status st = off_errf(err, OFF_EIO, tmp, 0, 0, "cannot create: %s",
                                 strerror(errno));
        free(tmp);
        return st;
    }
    unsigned char b[8];
    wr(&w, CKPT_MAGIC, 8);
    put_u32(b, POL_CKPT_VERSION);
    wr(&w, b, 4);
    put_u32(b, (uint32_t)nt);
    wr(&w, b, 4);
    for (size_t i = 0; i < nt; i++) {
        size_t len = strlen(ts[i].name);
        put_u32(b, (uint32_t)len);
        wr(&w, b, 4);
        wr(&w, ts[i].name, len);
        put_u64(b, (uint64_t)ts[i].n);
        wr(&w, b, 8);
        for (size_t k = 0; k < ts[i].n; k++) {
            uint32_t u;
            memcpy(&u, &ts[i].data[k], 4);
            put_u32(b, u);
            wr(&w, b, 4);
        }
    }
    put_u32(b, w.crc);
    if (!w.bad && fwrite(b, 1, 4, w.f) != 4)
        w.bad = 1;
    if (fclose(w.f) != 0)
        w.bad = 1;
    if (w.bad || rename(tmp, path) != 0) {
        off_status st = off_errf(err, OFF_EIO, path, 0, 0, "cannot write checkpoint: %s",
                                 strerror(errno));
        remove(tmp);
        free(tmp);
        return st;
    }
    free(tmp);
    return OFF_OK;
}

/* Parse buf (len bytes, CRC already checked) against ts; copy only when
 * copy is set, so that a first pass validates everything. */
static off_status ckpt_parse(const unsigned char *buf, size_t len, const char *path,
                             const pol_tensor *ts, size_t nt, int copy, off_err *err)
{
    size_t pos = 16, end = len - 4; /* after magic, version, count; before crc */
    uint32_t count = get_u32(buf + 12);
    if (count != nt)
        return off_errf(err, OFF_EINVAL, path, 0, 0,
                        "checkpoint holds %u tensors, expected %zu", count, nt);
    for (size_t i = 0; i < nt; i++) {
        if (end - pos < 4)
            goto truncated;
        uint32_t nl = get_u32(buf + pos);
        pos += 4;
        if (nl == 0 || nl > 255 || end - pos < nl)
            goto truncated;
        const char *name = (const char *)buf + pos;
        pos += nl;
        if (strlen(ts[i].name) != nl || memcmp(ts[i].name, name, nl) != 0)
            return off_errf(err, OFF_EINVAL, path, 0, 0,
                            "checkpoint tensor %zu is '%.*s', expected '%s'", i, (int)nl,
                            name, ts[i].name);
        if (end - pos < 8)
            goto truncated;
        uint64_t n = get_u64(buf + pos);
        pos += 8;
        if (n != (uint64_t)ts[i].n)
            return off_errf(err, OFF_EINVAL, path, 0, 0,
                            "checkpoint tensor '%s' has %llu values, expected %zu",
                            ts[i].name, (unsigned long long)n, ts[i].n);
        if ((end - pos) / 4 < n)
            goto truncated;
        if (copy)
            for (size_t k = 0; k < ts[i].n; k++) {
                uint32_t u = get_u32(buf + pos + 4 * k);
                memcpy(&ts[i].data[k], &u, 4);
            }
        pos += 4 * (size_t)n;
    }
    if (pos != end)
        return off_errf(err, OFF_EINVAL, path, 0, 0,
                        "checkpoint has %zu unexpected trailing bytes", end - pos);
    return OFF_OK;
truncated:
    return off_errf(err, OFF_EINVAL, path, 0, 0, "checkpoint is truncated or corrupt");
}

off_status pol_ckpt_load(const char *path, const pol_tensor *ts, size_t nt, off_err *err)
{
    char *raw;
    size_t len;
    off_status st = off_read_file(path, &raw, &len, err);
    if (st != OFF_OK)
        return st;
    const unsigned char *buf = (const unsigned char *)raw;
    if (len < 20 || memcmp(buf, CKPT_MAGIC, 8) != 0) {
        st = off_errf(err, OFF_EINVAL, path, 0, 0,
                      len < 20 ? "checkpoint is truncated (%zu bytes)"
                               : "not an offsim policy checkpoint (bad magic; %zu bytes)",
                      len);
    } else if (get_u32(buf + 8) != POL_CKPT_VERSION) {
        st = off_errf(err, OFF_EINVAL, path, 0, 0,
                      "checkpoint format version %u, this build reads version %u",
                      get_u32(buf + 8), POL_CKPT_VERSION);
    } else if (crc_bytes((uint32_t)crc32(0, NULL, 0), buf, len - 4) !=
               get_u32(buf + len - 4)) {
        st = off_errf(err, OFF_EINVAL, path, 0, 0,
                      "checkpoint is truncated or corrupt (CRC mismatch)");
    } else {
        st = ckpt_parse(buf, len, path, ts, nt, 0, err);
        if (st == OFF_OK)
            st = ckpt_parse(buf, len, path, ts, nt, 1, err);
    }
    free(raw);
    return st;
}
