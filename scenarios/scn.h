/*
 * scn.h - the scenario language: YAML scenarios loaded into a typed,
 * validated scn_scenario with units converted to SI once, at load time.
 *
 * Every value keeps the position it came from (scn_pos) so that later
 * checks (sim's world build, policy parameters) can still report
 * FILE:LINE:COL.  Overrides given as --set path.to.key=value are applied to
 * the YAML tree before validation and are reported with the position
 * "<--set N>:1:COL".
 *
 * The schema (every key, unit, default, range) is documented in
 * docs/scenario-reference.md; this header is its C mirror.
 */
#ifndef SCN_H
#define SCN_H

#include "cfg.h"
#include "off.h"

/* Positions are the configuration layer's (config/cfg.h). */
typedef cfg_pos scn_pos;

/* ---- units -------------------------------------------------------------
 * Values are written as a number followed by an optional unit, with or
 * without a space: "5 ms", "20Mbps", "2.4 GHz", "23 dBm", "1.5 W",
 * "64 KiB", "3 GMAC", "2 GMAC/s", "10 /s".  The grammar is the
 * configuration layer's (cfg_quantity in config/cfg.h, shared with the
 * hardware profiles); these names keep the scenario API of before.
 */
typedef cfg_dim scn_dim;
enum {
    SCN_DIM_NONE = CFG_DIM_NONE,
    SCN_DIM_TIME = CFG_DIM_TIME,
    SCN_DIM_RATE = CFG_DIM_RATE,
    SCN_DIM_FREQ = CFG_DIM_FREQ,
    SCN_DIM_POWER = CFG_DIM_POWER,
    SCN_DIM_ENERGY = CFG_DIM_ENERGY,
    SCN_DIM_BYTES = CFG_DIM_BYTES,
    SCN_DIM_WORK = CFG_DIM_WORK,
    SCN_DIM_SPEED = CFG_DIM_SPEED,
    SCN_DIM_HZ_EVENTS = CFG_DIM_HZ_EVENTS,
    SCN_DIM_LENGTH = CFG_DIM_LENGTH,
    SCN_DIM_DB = CFG_DIM_DB,
};

/* Parse text as a quantity of dimension dim into *out (SI base units):
 * cfg_quantity without a key name. */
off_status scn_parse_quantity(const char *text, scn_dim dim, double *out,
                              scn_pos pos, off_err *err);

/* ---- distributions (task work, validation scenarios) ------------------ */
typedef enum scn_dist_kind {
    SCN_DIST_DETERMINISTIC, /* mean (the value itself)                      */
    SCN_DIST_EXPONENTIAL,   /* mean                                         */
    SCN_DIST_UNIFORM,       /* min, max                                     */
    SCN_DIST_LOGNORMAL,     /* mean, cv (coefficient of variation)          */
} scn_dist_kind;

typedef struct scn_dist {
    scn_dist_kind kind;
    double mean;  /* deterministic value / exponential mean / lognormal mean */
    double min, max;   /* uniform                                            */
    double cv;         /* lognormal: std/mean                                */
    scn_pos pos;
} scn_dist;

/* ---- the model -------------------------------------------------------- */
typedef enum scn_model_kind {
    SCN_MODEL_PROFILED,  /* a layer table: per layer MACs and output bytes   */
    SCN_MODEL_SYNTHETIC, /* one block whose work is drawn per task           */
    SCN_MODEL_TRAINED,   /* a trained zoo graph run in int8 on real images:
                            name, weights, cache; the simulator builds its
                            layer table, exits and bit-widths              */
} scn_model_kind;

/* What a layer mostly is (`kind:` in a model file), for the hardware cost
 * model.  Same values and names, in the same order, as mdl_layer_kind
 * (models/mdl.h), which sim_model_from_scn copies it into. */
typedef enum scn_layer_kind {
    SCN_LAYER_OTHER = 0, /* "other" (the default) */
    SCN_LAYER_CONV,      /* "conv"                */
    SCN_LAYER_DWCONV,    /* "dwconv"              */
    SCN_LAYER_FC,        /* "fc"                  */
    SCN_LAYER_POOL,      /* "pool"                */
    SCN_LAYER_N_KINDS
} scn_layer_kind;

typedef struct scn_layer {
    char *name;
    double macs;      /* work of the layer, MAC                              */
    double out_bytes; /* size of its output activation as float32, B         */
    scn_layer_kind kind; /* SCN_LAYER_OTHER when the file does not say      */
    double params;    /* its weights and biases (count); 0 when not given    */
    scn_pos pos;
} scn_layer;

typedef struct scn_exit {
    char *name;
    size_t after;     /* number of backbone layers before the branch: 1..L;
                         the final exit has after == n_layers                */
    double macs;      /* work of the branch classifier itself, MAC           */
    double accuracy;  /* probability that a task leaving here is correct     */
    scn_pos pos;
} scn_exit;

typedef struct scn_model {
    scn_model_kind kind;
    char *name;
    double input_bytes;   /* raw input sent when split = 0, B               */
    double result_bytes;  /* result sent back on the downlink, B            */
    scn_layer *layers;    /* profiled: L >= 1 layers; synthetic: one layer  */
    size_t n_layers;
    scn_exit *exits;      /* sorted by after; exits[n_exits-1].after == L   */
    size_t n_exits;
    int *bits;            /* allowed bit-widths of the split tensor,
                             ascending; 32 = float32 reference            */
    size_t n_bits;
    scn_dist work;        /* synthetic: per-task work, MAC (its layer's macs
                             is the mean); profiled: deterministic, mean =
                             the sum of the layers' MACs                    */
    scn_pos pos;
    char *own_file;       /* scn_load_model_file: the path positions name   */
    /* trained models */
    scn_pos name_pos;     /* of `name`                                      */
    char *weights;        /* resolved path, or NULL: the zoo's own file     */
    scn_pos weights_pos;
    bool cache;           /* keep the inference cache beside the weights    */
} scn_model;

/* ---- devices ---------------------------------------------------------- */
typedef enum scn_arrival_kind {
    SCN_ARR_POISSON,  /* rate                                               */
    SCN_ARR_PERIODIC, /* period, optional phase (default: uniform random)   */
    SCN_ARR_TRACE,    /* file: one arrival time (s) per line, ascending     */
} scn_arrival_kind;

typedef struct scn_arrivals {
    scn_arrival_kind kind;
    double rate_hz;      /* poisson                                          */
    double period_s;     /* periodic                                         */
    double phase_s;      /* periodic; < 0 means "random in [0, period)"     */
    char *trace_path;    /* trace, resolved relative to the scenario file   */
    double *trace_s;     /* trace, loaded at scenario load time (ascending) */
    size_t n_trace;
    scn_pos pos;
} scn_arrivals;

/* A link's channel model (`channel:` of an uplink or downlink); equations
 * and citations in docs/models-reference.md ("Channels"). */
typedef enum scn_chan_model {
    SCN_CHAN_FIXED = 0,  /* no channel: the link's `rate` (the default)        */
    SCN_CHAN_SHANNON,    /* rate = efficiency * W * log2(1 + SNR(t))           */
    SCN_CHAN_MCS,        /* rate = W * spectral efficiency of the CQI table 1
                            row the SNR reaches (TS 38.214), 0 below row 1     */
    SCN_CHAN_TRACE,      /* rate from a (time, throughput) CSV file            */
} scn_chan_model;

typedef enum scn_pathloss_model {
    SCN_PL_GAIN = 0,     /* a fixed path gain `gain` (dB, usually negative)    */
    SCN_PL_FREE_SPACE,   /* Friis                                              */
    SCN_PL_LOG_DISTANCE, /* PL(d0) + 10 n log10(d / d0)                        */
    SCN_PL_UMI_LOS,      /* 3GPP TR 38.901 UMi-Street Canyon, LOS              */
    SCN_PL_UMI_NLOS,
    SCN_PL_UMA_LOS,      /* 3GPP TR 38.901 UMa                                 */
    SCN_PL_UMA_NLOS,
} scn_pathloss_model;

typedef enum scn_fading_model {
    SCN_FADE_NONE = 0,
    SCN_FADE_BLOCK,        /* i.i.d. per coherence block (Rayleigh, or Rician
                              with k > 0)                                     */
    SCN_FADE_GAUSS_MARKOV, /* AR(1) with rho = J0(2 pi f_D T)                 */
} scn_fading_model;

typedef struct scn_channel {
    scn_chan_model model;
    double bandwidth_hz;       /* > 0 (shannon, mcs)                          */
    double efficiency;         /* shannon: 0 < eta <= 1, default 1            */
    double tx_power_dbm;       /* default 23 dBm                              */
    double noise_density_dbm_hz; /* default -174 dBm/Hz                       */
    double noise_figure_db;    /* the receiver's: default 5 dB on an uplink
                                  (base station), 9 dB on a downlink (device),
                                  TR 36.814 Annex A                           */
    scn_pathloss_model pathloss;
    double gain_db;            /* SCN_PL_GAIN: the path gain, dB              */
    double frequency_hz;       /* carrier, for free space / 38.901 / Doppler  */
    double distance_m;         /* device to its access point / server, > 0    */
    double exponent;           /* log-distance n, default 3                   */
    double ref_distance_m;     /* log-distance d0, default 1 m                */
    double shadowing_db;       /* log-normal sigma, drawn once per device;
                                  < 0 = the model's own (38.901), else 0      */
    double shadow_corr_m;      /* decorrelation distance: shadowing of a
                                  device with a position follows its path
                                  (Gudmundson); 0 = one draw per run         */
    scn_fading_model fading;
    double k_factor;           /* Rician K (linear), 0 = Rayleigh            */
    double coherence_s;        /* block length (block: coherence time; GM:
                                  sample period); default 0.423 / doppler
                                  (block) or a tenth of it (GM)              */
    double doppler_hz;         /* GM correlation; default 10 Hz              */
    bool outage;               /* Gilbert-Elliott on top                      */
    double good_s, bad_s;      /* mean sojourns in good / bad                 */
    double outage_slot_s;      /* slot of the chain, default 1 ms             */
    double bad_factor;         /* rate multiplier in the bad state, default 0 */
    char *trace_path;          /* trace: resolved path                        */
    bool trace_loop;           /* trace: loop (default) or hold the last rate */
    size_t subchannels;        /* shared shannon uplinks: 0 = equal time
                                  shares; K = OFDMA, the band split into K
                                  subchannels, devices on the same one
                                  interfering (rate from the SINR)            */
    bool shared;               /* share the server's cell with the other
                                  shared links to it (equal time shares);
                                  uplinks only                                */
    scn_pos pos;
} scn_channel;

/* What the device believes the link's throughput is (observations). */
typedef enum scn_estimator_kind {
    SCN_EST_LAST = 0,     /* the last transfer's measured throughput         */
    SCN_EST_EWMA,         /* exponentially weighted moving average, alpha    */
    SCN_EST_HARMONIC,     /* harmonic mean of the last k transfers           */
} scn_estimator_kind;

typedef struct scn_estimator {
    scn_estimator_kind kind;
    double alpha;         /* ewma weight of the newest sample, 0 < a <= 1
                             (required for ewma; 1 otherwise)               */
    size_t k;             /* harmonic: samples, 1..64 (required for
                             harmonic; 1 otherwise)                          */
} scn_estimator;

typedef struct scn_link {
    double rate_bps;     /* > 0; "inf" allowed (no transmission time)       */
    double delay_s;      /* propagation delay, >= 0                          */
    scn_channel chan;    /* model SCN_CHAN_FIXED = the rate above            */
    scn_estimator est;
    scn_pos pos;
} scn_link;

/* A device's radio tail, DVFS level and battery (scn_power.c; equations in
 * docs/models-reference.md, "Device radios and power").  All zero = off. */
#define SCN_MAX_TAIL_STATES 8
#define SCN_MAX_DVFS_LEVELS 16

typedef struct scn_tail_state {
    double duration_s;    /* > 0, finite                                     */
    double power_w;       /* radio power in this state, on top of the rest  */
} scn_tail_state;

typedef struct scn_radio {
    size_t n_tail;        /* 0 = no tail                                     */
    scn_tail_state tail[SCN_MAX_TAIL_STATES]; /* in the order gone through   */
    scn_pos pos;
} scn_radio;

typedef struct scn_dvfs_level {
    double freq_hz;       /* > 0; levels strictly ascending                 */
    double power_w;       /* active power at this level, or < 0: from kappa
                             (kappa f^3) or power.active (f / f_max)^3     */
} scn_dvfs_level;

typedef struct scn_dvfs {
    size_t n_levels;      /* 0 = no DVFS                                     */
    scn_dvfs_level levels[SCN_MAX_DVFS_LEVELS];
    double kappa;         /* effective switched capacitance, W/Hz^3; 0 = not
                             given                                          */
    size_t level;         /* the level the device runs at (default the last) */
    scn_pos pos;
} scn_dvfs;

typedef struct scn_battery {
    double capacity_j;    /* > 0; 0 = no battery                             */
    scn_pos pos;
} scn_battery;

/* A device's position over time (`mobility:`; scn_mobility.c; equations
 * in docs/models-reference.md, "Mobility").  Positions are metres in the
 * plane of the servers' `position`s. */
typedef enum scn_mobility_model {
    SCN_MOB_NONE = 0,     /* no `mobility`: at the channel's `distance` from
                             its server, no position (the default)          */
    SCN_MOB_STATIC,       /* fixed at `position`                             */
    SCN_MOB_WAYPOINT,     /* random waypoint (Johnson & Maltz 1996)          */
    SCN_MOB_TRACE,        /* (time, x, y) rows, linear between them          */
} scn_mobility_model;

typedef struct scn_mobility {
    scn_mobility_model model;
    double x_m, y_m;      /* static: the position (default [0, 0])          */
    double area_w_m, area_h_m; /* waypoint: the area [0, w] x [0, h], > 0   */
    double vmin_mps, vmax_mps; /* waypoint: 0 < vmin <= vmax, finite        */
    double pause_s;       /* waypoint: pause at each waypoint, >= 0 (1 s)   */
    char *trace_path;     /* trace: resolved path                            */
    double *trace_t, *trace_x, *trace_y; /* trace rows (times increasing)   */
    size_t n_trace;       /* >= 1                                            */
    scn_pos pos;
} scn_mobility;

typedef struct scn_device {
    char *name;           /* group name; instances are "name[i]" if count>1 */
    size_t count;         /* >= 1, default 1                                 */
    double speed_macs;    /* compute throughput, MAC/s, > 0; 0 when only a
                             profile is given                                */
    double power_active_w, power_idle_w, power_tx_w, power_rx_w; /* >= 0     */
    scn_arrivals arrivals;
    double deadline_s;    /* relative deadline, > 0; default inf            */
    scn_link uplink, downlink;
    char *server;         /* name of the server it offloads to (default:
                             the first server)                               */
    bool server_nearest;  /* `server: nearest`: the nearest server at build
                             time (needs a position: `mobility`)            */
    bool handover;        /* `handover`: re-attach to the nearest server at
                             a task's arrival when it is closer by more than
                             handover_margin_m (needs server_nearest)       */
    double handover_margin_m; /* >= 0, default 0                            */
    scn_mobility mobility;
    char *profile;        /* hardware profile: a name in models/profiles/ or
                             a resolved path; NULL = speed only             */
    scn_pos profile_pos;
    int compute_bits;     /* arithmetic of its kernels: 8, 16 or 32 (default) */
    scn_radio radio;      /* `radio`, `dvfs`, `battery` (scn_power.c)        */
    scn_dvfs dvfs;
    scn_battery battery;
    scn_pos pos;
} scn_device;

/* ---- servers ---------------------------------------------------------- */
/* Queue discipline of a server (docs/scenario-reference.md, "servers"). */
typedef enum scn_discipline {
    SCN_DISC_FCFS, /* first come, first served on c cores                  */
    SCN_DISC_PS,   /* processor sharing: n jobs share c cores, each at
                      min(1, c/n) of a core                               */
    SCN_DISC_EDF,  /* earliest absolute deadline waits least (non-
                      preemptive); infinite deadlines last, ties FIFO     */
} scn_discipline;

/* Competing jobs that are not tasks: Poisson arrivals at the server. */
typedef struct scn_background {
    double rate_hz;       /* arrival rate, >= 0; 0 = no background load      */
    scn_dist work;        /* work of one job, MAC (run at the server's speed) */
    /* `burst`: a two-state Markov-modulated Poisson process.  The rate is
     * burst_rate_hz during bursts, rate_hz between them; the time between
     * bursts is exponential with mean burst_every_s, a burst lasts an
     * exponential time with mean burst_lasts_s.  burst_every_s 0 = none. */
    double burst_rate_hz, burst_every_s, burst_lasts_s;
    scn_pos pos;
} scn_background;

/* Batched service (GPU-style): jobs queued together run as one batch. */
typedef struct scn_batching {
    size_t max;           /* most jobs per batch, 1..SCN_MAX_BATCH; 0 = off  */
    double window_s;      /* a batch starts when `max` jobs wait or the
                             oldest has waited this long, >= 0, finite    */
    double *speedup;      /* [max]: speedup[n-1] = throughput of a batch of
                             n over one job at a time, 1 <= S(n) <= n,
                             S(1) = 1; a batch of n jobs takes
                             mean single-job time * n / S(n)              */
    scn_pos pos;
} scn_batching;

#define SCN_MAX_BATCH 4096

/* A cloud server's backhaul: tasks cross it after their uplink and results
 * before their downlink (sim/sim_backhaul.c; docs/models-reference.md,
 * "Cloud backhaul"). */
typedef struct scn_backhaul {
    bool on;              /* false: no backhaul (an edge server)             */
    double rtt_s;         /* round-trip time, >= 0, finite; rtt/2 each way   */
    double rate_bps;      /* > 0; inf = no transmission time (default)      */
    scn_pos pos;
} scn_backhaul;

typedef struct scn_server {
    char *name;
    size_t cores;         /* >= 1, default 1                                 */
    double speed_macs;    /* per core, MAC/s, > 0; 0 when only a profile    */
    scn_discipline discipline;
    char *profile;        /* as for devices                                  */
    scn_pos profile_pos;
    int compute_bits;
    scn_background background; /* rate_hz 0 when absent                     */
    scn_batching batching;     /* max 0 when absent; fcfs only              */
    scn_backhaul backhaul;     /* on false when absent                      */
    double x_m, y_m;           /* `position`, m (default [0, 0])            */
    scn_pos pos;
} scn_server;

/* ---- policy: kept generic; sim checks keys against the policy's spec --- */
typedef struct scn_param {
    char *key;
    char *value;          /* scalar text as written (units not yet parsed)  */
    scn_pos pos;          /* position of the value                          */
    scn_pos key_pos;
} scn_param;

typedef struct scn_policy {
    char *type;           /* registry name: local, edge, fixed, random, ... */
    scn_param *params;    /* every other key of the policy mapping           */
    size_t n_params;
    scn_pos pos;
} scn_policy;

/* ---- the reward (`reward:`) -------------------------------------------- *
 * Per task: accuracy [correct] - latency * latency_s - latency_deadline *
 * latency_s / deadline_s (0 without a deadline) - energy * energy_j -
 * deadline_miss * [missed].  Plain numbers, any sign.  Defaults: accuracy 1,
 * latency 1 (per second), the others 0.  Learning agents maximise it;
 * every run's summary reports its mean. */
typedef struct scn_reward {
    double accuracy, latency, latency_deadline, energy, deadline_miss;
} scn_reward;

/* ---- the whole scenario ----------------------------------------------- */
typedef struct scn_scenario {
    char *file;           /* path as given                                   */
    char *text;           /* the file text                                   */
    char *overrides;      /* the --set overrides, one "k=v" per line, or ""  */
    char *name;           /* default: file name without directory and .yaml */
    uint64_t seed;        /* default 1; --seed overrides                     */
    double duration_s;    /* arrivals stop after this simulated time; > 0   */
    size_t max_tasks;     /* arrivals stop after this many tasks (0 = no cap)*/
    double warmup_s;      /* tasks arriving before this are not in summary  */
    bool warmup_auto;     /* `warmup: auto`: warmup_s is 0 during the run
                             and MSER-5 chooses it at the end (sim_run.c)   */
    scn_model model;
    scn_device *devices;
    size_t n_devices;     /* >= 1 groups                                     */
    scn_server *servers;
    size_t n_servers;     /* >= 1                                            */
    scn_policy policy;
    scn_reward reward;
    char *db_path;        /* output.db, default "results/<name>.db"; --db   */
    bool record_tasks;    /* output.tasks: write per-task rows (default yes) */
    char **set_labels;    /* "<--set 1>", ...: the file names of positions
                             of values that came from overrides            */
    size_t n_set_labels;
    char *model_file;     /* `model: FILE`: the resolved path of the model
                             file (positions in it name this), else NULL   */
    char *model_text;     /* that file's text, else NULL                     */
} scn_scenario;

typedef struct scn_override {
    const char *path;     /* dotted path; list items by index (devices.0.count)
                             or by their name (devices.phone.count)         */
    const char *value;    /* YAML text: a scalar or a flow value ([4, 8])   */
} scn_override;

/* Load and validate a scenario file.  overrides (n may be 0) are applied to
 * the YAML tree before validation; a path that names no key of the schema
 * is an error.  Positions of overridden values name "<--set N>" (N from 1,
 * column within the value); those labels live in out->set_labels.  Trace
 * files are read here, relative to the scenario file's directory.  On
 * success *out owns everything (free with scn_free).  On failure *out is
 * zeroed, nothing is left allocated and err holds FILE:LINE:COL: message,
 * with status OFF_EPARSE (malformed YAML, unreadable bytes) or OFF_EINVAL
 * (unknown key, wrong type, bad unit, out of range), or OFF_EIO (file). */
off_status scn_load(scn_scenario *out, const char *path,
                    const scn_override *overrides, size_t n_overrides,
                    off_err *err);

/* Same, from text in memory; file is used in messages only. */
off_status scn_load_text(scn_scenario *out, const char *file, const char *text,
                         size_t len, const scn_override *overrides,
                         size_t n_overrides, off_err *err);

/* Split "a.b.c=value" into an override (pointing into s, which is modified;
 * blanks around the path are dropped).  Errors are OFF_EUSAGE and name the
 * flag: "--set 'abc': expected path.to.key=value". */
off_status scn_override_parse(char *s, scn_override *out, off_err *err);

/* Load a model file (the mapping `model:` may name) on its own, e.g. for
 * `offsim models info FILE`.  *out owns everything; free with
 * scn_model_free.  Errors as scn_load, positioned in path. */
off_status scn_load_model_file(scn_model *out, const char *path, off_err *err);
void scn_model_free(scn_model *m); /* NULL-safe, idempotent */

/* Release everything owned by s; NULL-safe and idempotent. */
void scn_free(scn_scenario *s);

/* Find a policy parameter by key, or NULL. */
const scn_param *scn_policy_param(const scn_policy *p, const char *key);

#endif /* SCN_H */
