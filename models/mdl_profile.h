/*
 * mdl_profile.h - hardware profiles: how long a device takes to run a
 * layer, from the layer's MACs, weights and output size, its kind and the
 * bit-width it is computed at.  A roofline with a cache level:
 *
 *   t = overhead + max(t_compute, t_memory)
 *   t_compute = 2 MACs / (peak(bits) * efficiency(kind))
 *   t_memory  = (W + stream * MACs) / (W <= cache ? cache_bandwidth
 *                                                 : dram_bandwidth)
 *   W = (params + X + out) * bits / 8       the layer's working set, B
 *
 * where out is the output's element count (out_bytes / 4) and X the
 * elements of the operand the layer reads besides its weights: for a
 * convolution the im2col matrix when the profile's framework builds one
 * (X = MACs^2 / (out * params), exact for a plain convolution without
 * bias: (Ho Wo K^2 Cin)), otherwise X = out; for a fully connected layer
 * its input (MACs / out); for pooling and the rest X = out.  `stream` is
 * the bytes per MAC a kernel that does not block for the cache fetches
 * from the level that holds W (0 for blocked BLAS/cuDNN kernels).  The
 * equations and every profile's sources are in docs/models.md, "Hardware
 * profiles"; the profiles are models/profiles/NAME.yaml.
 *
 * Bit-width b selects the arithmetic: b <= 8 runs at the int8 peak, 8 < b
 * <= 16 at fp16, b > 16 at fp32; a precision the profile does not give
 * falls back to the next wider one it gives.  Operands take b/8 bytes.
 *
 * That is `kind: roofline` (the default).  A profile of `kind: measured`
 * (written by `offsim models profile MODEL`) is instead a table of seconds
 * per backbone layer and per exit branch of one trained model, timed on
 * the int8 kernels of a host: a layer is looked up by its name, an exit by
 * its exit's name, and the time does not depend on the bit-width (the
 * table says what it measured, `bits: 8`).  mdl_profile_check_model tells
 * up front whether a model can be costed by a profile.
 */
#ifndef MDL_PROFILE_H
#define MDL_PROFILE_H

#include <stdbool.h>
#include <stddef.h>

#include "mdl.h"
#include "off.h"

typedef enum mdl_precision {
    MDL_PREC_FP32 = 0,
    MDL_PREC_FP16,
    MDL_PREC_INT8,
    MDL_PREC_N
} mdl_precision;

typedef enum mdl_profile_kind {
    MDL_PROFILE_ROOFLINE = 0, /* the cost model above (the default)      */
    MDL_PROFILE_MEASURED,     /* a per-layer table of measured seconds   */
} mdl_profile_kind;

/* Entries of a measured table: as many as a trained graph can have
 * (MDL_GRAPH_MAX_NODES, MDL_GRAPH_MAX_EXITS of mdl_graph.h). */
#define MDL_PROFILE_MAX_LAYERS 64
#define MDL_PROFILE_MAX_EXITS 8

typedef struct mdl_profile_time {
    char name[32];    /* as mdl_layer.name / mdl_exit.name */
    double seconds;   /* >= 0 */
} mdl_profile_time;

typedef struct mdl_profile {
    mdl_profile_kind kind;
    char file[256];                         /* the path it was loaded from
                                               (truncated), for messages   */
    char name[64];
    char device[160];                       /* free text, may be empty */
    char framework[160];                    /* free text, may be empty */
    double peak_ops[MDL_PREC_N];            /* op/s (1 MAC = 2 ops); 0 = not given
                                               (fp32 is always given)          */
    double efficiency[MDL_LAYER_N_KINDS];   /* fraction of peak, 0 < e <= 1    */
    double overhead_s;                      /* per layer (and per exit branch) */
    double dram_bw_Bps;                     /* B/s                             */
    double cache_bytes;                     /* 0 = no cache level modelled     */
    double cache_bw_Bps;                    /* B/s, when cache_bytes > 0       */
    double stream_bytes_per_mac;            /* B/MAC, >= 0                     */
    bool im2col;                            /* convs read an im2col matrix     */
    /* kind measured (the roofline fields above are then 0): */
    char model[64];                         /* the model it was measured on    */
    int bits;                               /* the bit-width it ran at (8)     */
    size_t n_layer_times, n_exit_times;
    mdl_profile_time layer_times[MDL_PROFILE_MAX_LAYERS]; /* in file order */
    mdl_profile_time exit_times[MDL_PROFILE_MAX_EXITS];   /* branch, per exit */
    int model_at[2], layers_at[2], exits_at[2]; /* line, column of those
                                                   values, for messages  */
} mdl_profile;

/* The cost of one layer, term by term (for tests, docs and `models`). */
typedef struct mdl_layer_cost {
    double compute_s, memory_s, overhead_s, total_s;
    double working_set_bytes, traffic_bytes;
    bool in_cache;          /* W fitted the cache level           */
    mdl_precision prec;     /* the arithmetic bits selected       */
} mdl_layer_cost;

/* Load a profile of either kind from a YAML file (format: docs/models.md,
 * "Hardware profiles" and "Measured profiles"), read by the configuration
 * layer (config/cfg.h): values take the units scenarios take.  Errors
 * carry "PATH:LINE:COL: ": OFF_EIO when the file cannot be read,
 * OFF_EPARSE for YAML syntax errors (a truncated file) and duplicate keys,
 * OFF_EINVAL for a missing or unknown key (with a did-you-mean), a wrong
 * type or a bad number/unit. */
off_status mdl_profile_load(mdl_profile *p, const char *path, off_err *err);

/* The same from text (len bytes); file labels the positions. */
off_status mdl_profile_parse(mdl_profile *p, const char *text, size_t len,
                             const char *file, off_err *err);

/* OFF_OK when every cost of m can be read from p: always for a roofline;
 * for a measured profile, when its `model:` is m->name and its table has
 * every backbone layer and every exit of m by name (extra entries are
 * ignored).  Otherwise OFF_EINVAL, the message naming the profile's file,
 * the position of the key at fault and the first missing name.  Call it
 * before costing m: the functions below do not report errors. */
off_status mdl_profile_check_model(const mdl_profile *p, const mdl_model *m, off_err *err);

/* The precision bit-width bits computes at on p (see above); a measured
 * profile computes at the precision of its `bits:` whatever bits is. */
mdl_precision mdl_profile_precision(const mdl_profile *p, int bits);

/* Seconds for p to run layer l at bits (> 0), and the terms.  Measured:
 * the table's seconds for l->name whatever bits (in total_s, the other
 * terms 0), NaN when the table lacks it (see mdl_profile_check_model). */
double mdl_profile_layer_seconds(const mdl_profile *p, const mdl_layer *l, int bits);
void mdl_profile_layer_cost(const mdl_profile *p, const mdl_layer *l, int bits,
                            mdl_layer_cost *out);

/* Seconds for backbone layers [a, b) of m (0 <= a <= b <= L). */
double mdl_profile_range_seconds(const mdl_profile *p, const mdl_model *m, size_t a,
                                 size_t b, int bits);

/* Seconds for exit e's branch classifier alone: 0 when it has no MACs of
 * its own (the final classifier is a backbone layer), else one layer of
 * kind other with the branch's MACs, no known weights and a working set
 * taken as cache-resident (a branch's tensors are small).  Measured: the
 * table's seconds for the exit's name (NaN when it lacks it). */
double mdl_profile_exit_seconds(const mdl_profile *p, const mdl_model *m, size_t exit,
                                int bits);

/* What the device / the server computes for (exit, split), as
 * mdl_device_macs / mdl_server_macs: the device runs layers
 * [0, min(split, after(exit))) plus the branch when the task stays local;
 * the server runs [split, after(exit)) plus the branch otherwise. */
double mdl_profile_device_seconds(const mdl_profile *p, const mdl_model *m, size_t exit,
                                  size_t split, int bits);
double mdl_profile_server_seconds(const mdl_profile *p, const mdl_model *m, size_t exit,
                                  size_t split, int bits);

#endif /* MDL_PROFILE_H */
