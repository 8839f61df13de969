/*
 * mdl_k_requant.c - fixed-point requantization exactly as TFLite
 * (tensorflow/lite/kernels/internal/common.h: QuantizeMultiplier,
 * MultiplyByQuantizedMultiplier; gemmlowp's fixedpoint.h).
 */
#include "mdl_kernels.h"

#include <math.h>

void mdl_quantize_multiplier(double real, int32_t *mult, int32_t *shift)
{
    if (real == 0.0) {
        *mult = 0;
        *shift = 0;
        return;
    }
    int e;
    double q = frexp(real, &e); /* real = q * 2^e, q in [0.5, 1) */
    int64_t q_fixed = (int64_t)llround(q * (double)(1LL << 31));
    if (q_fixed == (1LL << 31)) {
        q_fixed /= 2;
        e++;
    }
    if (e < -31) { /* too small to represent: 0 */
        e = 0;
        q_fixed = 0;
    }
    *mult = (int32_t)q_fixed;
    *shift = e;
}

/* (a * b * 2) >> 32, rounded to nearest; saturates INT32_MIN * INT32_MIN. */
static int32_t srdhm(int32_t a, int32_t b)
{
    if (a == INT32_MIN && b == INT32_MIN)
        return INT32_MAX;
    int64_t ab = (int64_t)a * (int64_t)b;
    int64_t nudge = ab >= 0 ? (1LL << 30) : (1 - (1LL << 30));
    return (int32_t)((ab + nudge) / (1LL << 31));
}

/* x / 2^e rounded to nearest, ties away from zero. */
static int32_t rdbp(int32_t x, int e)
{
    int32_t mask = (int32_t)((1LL << e) - 1);
    int32_t rem = x & mask;
    int32_t threshold = (mask >> 1) + (x < 0 ? 1 : 0);
    return (x >> e) + (rem > threshold ? 1 : 0);
}

int32_t mdl_requantize(int32_t x, int32_t mult, int32_t shift)
{
    int left = shift > 0 ? shift : 0, right = shift > 0 ? 0 : -shift;
    /* x * 2^left in 32 bits, as TFLite's int32 product (computed unsigned so
     * that an out-of-range product wraps instead of being undefined; valid
     * accumulators with valid multipliers never get there) */
    int32_t xs = (int32_t)(uint32_t)((uint64_t)(uint32_t)x << left);
    return rdbp(srdhm(xs, mult), right);
}
