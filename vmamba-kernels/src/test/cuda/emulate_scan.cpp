// Host check of the selective-scan kernels' logic, without a GPU.
//
// Compiles ../../main/cuda/selective_scan.cu for the CPU: every CUDA thread of a block becomes a
// std::thread, __syncthreads a std::barrier over the block, a warp shuffle an exchange through a
// per-warp buffer between two warp barriers, and shared memory a NaN-filled buffer (so a read of
// anything not staged shows up as NaN). The launch plans mirror SelectiveScanKernels.java, and
// the results are compared with a float64 reference of spec §5.2/§5.3 over many shapes and
// launch configurations (state split, rows per thread, chunk length, span split, fused
// cross-scan).
//
//   g++ -std=c++20 -O1 -pthread -Wno-unknown-pragmas emulate_scan.cpp -o emulate_scan && ./emulate_scan
//
// It checks indexing, barriers and reductions; timing, memory coalescing and the exact float
// behaviour of the GPU are measured on the device (docs/BENCHMARKS.md).

#include <algorithm>
#include <atomic>
#include <barrier>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <limits>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

// ---- emulation of the CUDA built-ins the kernels use ----------------------------------------
struct EmuIdx {
    unsigned x = 0, y = 0, z = 0;
};
thread_local EmuIdx threadIdx, blockIdx, blockDim;

struct EmuWarp {
    std::barrier<> bar{32};
    float buf[32];
};
struct EmuBlock {
    std::unique_ptr<std::barrier<>> bar;
    std::vector<std::unique_ptr<EmuWarp>> warps;
    std::vector<float> smem;
    unsigned smemBytes = 0;
};
thread_local EmuBlock* emuBlock = nullptr;
static std::mutex emuAtomic;

inline void __syncthreads() { emuBlock->bar->arrive_and_wait(); }
// __shfl_{xor,up,down,sync}: `src` maps a lane to its source lane (out of range: the lane's own value)
template <typename F>
inline float emu_shfl(float v, F src) {
    EmuWarp& w = *emuBlock->warps[threadIdx.x / 32];
    const int lane = threadIdx.x % 32;
    w.buf[lane] = v;
    w.bar.arrive_and_wait();
    const int s = src(lane);
    float r = (s >= 0 && s < 32) ? w.buf[s] : v;
    w.bar.arrive_and_wait();
    return r;
}
inline float emu_shfl_xor(float v, int off) {
    return emu_shfl(v, [off](int l) { return l ^ off; });
}
inline float atomicAdd(float* p, float v) {
    std::lock_guard<std::mutex> g(emuAtomic);
    float old = *p;
    *p = old + v;
    return old;
}
inline unsigned vm_emu_dyn_smem_bytes() { return emuBlock->smemBytes; }
[[noreturn]] inline void vm_emu_trap() {
    std::fprintf(stderr, "kernel trap (launch geometry / shared memory check failed)\n");
    std::abort();
}
struct alignas(8) float2 {
    float x, y;
};
struct alignas(16) float4 {
    float x, y, z, w;
};
inline float4 make_float4(float x, float y, float z, float w) { return float4{x, y, z, w}; }
inline float2 make_float2(float x, float y) { return float2{x, y}; }
using __half = _Float16;
inline float __half2float(__half h) { return (float)h; }
inline __half __float2half_rn(float f) { return (__half)f; }
struct __nv_bfloat16 {
    uint16_t bits;
};
inline float __bfloat162float(__nv_bfloat16 b) {
    uint32_t u = (uint32_t)b.bits << 16;
    float f;
    std::memcpy(&f, &u, 4);
    return f;
}
inline __nv_bfloat16 __float2bfloat16_rn(float f) {
    uint32_t u;
    std::memcpy(&u, &f, 4);
    u += 0x7fff + ((u >> 16) & 1);
    return __nv_bfloat16{(uint16_t)(u >> 16)};
}
inline float __expf(float x) { return std::exp(x); }
inline float __logf(float x) { return std::log(x); }
inline float __fdividef(float a, float b) { return a / b; }
using std::exp2f;
using std::fmaf;
using std::log1pf;
using std::min;

#define VMAMBA_HOST_EMULATION 1
#define VM_DEV inline
#define VM_KERNEL extern "C"
#define VM_MAXNREG(n)
#define VM_SHFL_XOR(v, off) emu_shfl_xor((v), (off))
#define VM_SHFL_UP(v, off) emu_shfl((v), [&](int l) { return l - (off); })
#define VM_SHFL_DOWN(v, off) emu_shfl((v), [&](int l) { return l + (off); })
#define VM_SHFL_IDX(v, s) emu_shfl((v), [&](int) { return (s); })
#define VM_SMEM(name) float* name = emuBlock->smem.data()
#define VM_SYNCWARP() emuBlock->warps[threadIdx.x / 32]->bar.arrive_and_wait()

#include "../../main/cuda/selective_scan.cu"

using vmscan::ScanParams;
using Kernel = void (*)(const ScanParams);

static void launch(Kernel k, int gx, int gy, int bx, unsigned smemBytes, const ScanParams& p) {
    for (int by = 0; by < gy; ++by) {
        for (int bxi = 0; bxi < gx; ++bxi) {
            EmuBlock blk;
            blk.bar = std::make_unique<std::barrier<>>(bx);
            for (int w = 0; w < bx / 32; ++w) blk.warps.push_back(std::make_unique<EmuWarp>());
            blk.smem.assign(smemBytes / 4 + 4, std::numeric_limits<float>::quiet_NaN());
            blk.smemBytes = smemBytes;
            std::vector<std::thread> ths;
            ths.reserve(bx);
            for (int t = 0; t < bx; ++t) {
                ths.emplace_back([&, t] {
                    emuBlock = &blk;
                    threadIdx = {(unsigned)t, 0, 0};
                    blockIdx = {(unsigned)bxi, (unsigned)by, 0};
                    blockDim = {(unsigned)bx, 1, 1};
                    k(p);
                });
            }
            for (auto& th : ths) th.join();
        }
    }
}

static void launch_combine(const ScanParams& p) {
    const long long total = (long long)p.batch * p.channels * p.dstate;
    const int bx = 32;
    const int gx = (int)((total + bx - 1) / bx);
    // ss_combine has no barriers or shuffles: run threads one after another
    EmuBlock blk;
    blk.bar = std::make_unique<std::barrier<>>(1);
    emuBlock = &blk;
    for (int b = 0; b < gx; ++b)
        for (int t = 0; t < bx; ++t) {
            threadIdx = {(unsigned)t, 0, 0};
            blockIdx = {(unsigned)b, 0, 0};
            blockDim = {(unsigned)bx, 1, 1};
            ss_combine(p);
        }
}

// ---- kernel table (as LaunchConfigs.java) ---------------------------------------------------
struct Cfg {
    int nt, rpt, tpr, rowThreads, chunk, spanChunks;  // spanChunks 0 = one span
    bool time = false;        // warp-per-row kernels (N = 1): ss_*_t_<rpt>, chunk 128
    bool globalCkpt = false;  // warp-per-row backward: checkpoints from a forward pass, not its own
};

#define K3(NT, RPT, TPR)                                                                      \
    {NT, RPT, TPR, ss_fwd_##NT##_##RPT##_##TPR, ss_fwdx_##NT##_##RPT##_##TPR,                   \
     ss_bwdlocal_##NT##_##RPT##_##TPR, ss_bwd_##NT##_##RPT##_##TPR, ss_fwds_##NT##_##RPT##_##TPR, \
     ss_fwdc_##NT##_##RPT##_##TPR}
struct KEntry {
    int nt, rpt, tpr;
    Kernel fwd, fwdx, bwdlocal, bwd;
    Kernel fwds;  // state-only forward (local and checkpoint passes); the warp layout's fwd does all
    Kernel fwdc = nullptr;  // final-mode forward saving the backward's chunk states (thread per row)
    Kernel states() const { return fwds ? fwds : fwd; }
};
#define KROWS(NT, TPR) K3(NT, 1, TPR), K3(NT, 2, TPR), K3(NT, 4, TPR)
static const KEntry kTable[] = {KROWS(1, 1), KROWS(2, 1),   KROWS(4, 1),   KROWS(8, 1),
                                KROWS(4, 2), KROWS(4, 4),   K3(16, 1, 1),  K3(16, 2, 1),
                                K3(8, 1, 2), K3(8, 2, 2),   K3(16, 1, 2),  K3(16, 1, 4),
                                K3(16, 1, 8), K3(16, 1, 16)};

static const KEntry kTimeTable[] = {
        {1, 1, 1, ss_fwd_t_1, nullptr, ss_bwdlocal_t_1, ss_bwd_t_1},
        {1, 2, 1, ss_fwd_t_2, nullptr, ss_bwdlocal_t_2, ss_bwd_t_2},
        {1, 4, 1, ss_fwd_t_4, nullptr, ss_bwdlocal_t_4, ss_bwd_t_4}};

static const KEntry& kernels(const Cfg& c) {
    if (c.time)
        for (const auto& e : kTimeTable)
            if (e.rpt == c.rpt) return e;
    for (const auto& e : kTable)
        if (e.nt == c.nt && e.rpt == c.rpt && e.tpr == c.tpr) return e;
    std::fprintf(stderr, "no kernel %d/%d/%d\n", c.nt, c.rpt, c.tpr);
    std::abort();
}

static int a4(int n) { return (n + 3) & ~3; }
static unsigned smem_bytes(const char* kind, const Cfg& c, int nthr) {
    if (c.time) return std::strcmp(kind, "bwd") ? 0u : 4u * 2 * (nthr / 32) * 2 * 128;
    const int R = nthr / c.tpr * c.rpt, TP = c.chunk + 1, NP = c.nt * c.tpr;
    const int NS = c.nt % 4 == 0 ? NP + 4 : NP + 1;
    const int row = a4(R * TP), bc = a4(c.chunk * NS);
    if (!std::strcmp(kind, "fwd")) return 4u * 4 * bc;
    if (!std::strcmp(kind, "fwdtiled")) return 4u * 2 * (2 * row + 2 * bc);
    if (!std::strcmp(kind, "bwdlocal")) return 4u * 2 * (2 * row + bc);
    // one set of u, delta, dy tiles, two buffers of {B, C}, one of records; the state slots
    // (chunk per thread) also hold the dB/dC partials; one more slot per thread for the next
    // chunk's checkpoint
    return 4u * (3 * a4(R * c.chunk) + 4 * bc + 4 * row +
                 (c.chunk + 1) * c.rpt * c.nt * nthr + a4(2 * NP * c.chunk));
}

// ---- problem and float64 reference ----------------------------------------------------------
struct Problem {
    int Bt, G, Dg, N, L;
    bool hasD, hasBias, softplus;
    int cross = 0, H = 0, W = 0;  // fused forward only: C = 4*Dg, u is (Bt, Dg, L)
    std::vector<float> u, delta, A, B, C, D, bias, dy;
    int Cch() const { return G * Dg; }
};

static Problem make(int Bt, int G, int Dg, int N, int L, bool hasD, bool hasBias, bool sp,
                    std::mt19937& rng, bool bigDelta = false) {
    Problem p{Bt, G, Dg, N, L, hasD, hasBias, sp};
    std::normal_distribution<float> nd(0.f, 1.f);
    std::uniform_real_distribution<float> ud(0.f, 1.f);
    const int C = p.Cch();
    auto fill = [&](std::vector<float>& v, size_t n, float scale, float shift) {
        v.resize(n);
        for (auto& x : v) x = nd(rng) * scale + shift;
    };
    fill(p.u, (size_t)Bt * C * L, 1.f, 0.f);
    fill(p.delta, (size_t)Bt * C * L, 0.5f, bigDelta ? 21.f : -1.f);
    p.A.resize((size_t)C * N);
    for (auto& x : p.A) x = -(0.2f + 2.f * ud(rng));
    fill(p.B, (size_t)Bt * G * N * L, 1.f, 0.f);
    fill(p.C, (size_t)Bt * G * N * L, 1.f, 0.f);
    fill(p.D, C, 1.f, 0.f);
    fill(p.bias, C, 0.3f, 0.f);
    fill(p.dy, (size_t)Bt * C * L, 1.f, 0.f);
    return p;
}

struct Ref {
    std::vector<double> y, last, du, ddelta, dA, dB, dC, dD, dbias;
};

static double softplus(double z) { return z > 20 ? z : std::log1p(std::exp(z)); }

static Ref reference(const Problem& p) {
    const int C = p.Cch(), L = p.L, N = p.N;
    Ref r;
    r.y.assign((size_t)p.Bt * C * L, 0);
    r.last.assign((size_t)p.Bt * C * N, 0);
    r.du.assign(r.y.size(), 0);
    r.ddelta.assign(r.y.size(), 0);
    r.dA.assign((size_t)C * N, 0);
    r.dB.assign((size_t)p.Bt * p.G * N * L, 0);
    r.dC.assign(r.dB.size(), 0);
    r.dD.assign(C, 0);
    r.dbias.assign(C, 0);
    std::vector<double> h((size_t)(L + 1) * N), dt(L), dz(L), lam(N);
    for (int b = 0; b < p.Bt; ++b)
        for (int c = 0; c < C; ++c) {
            const int g = c / p.Dg;
            const size_t row = ((size_t)b * C + c) * L;
            auto Bv = [&](int n, int t) { return (double)p.B[(((size_t)b * p.G + g) * N + n) * L + t]; };
            auto Cv = [&](int n, int t) { return (double)p.C[(((size_t)b * p.G + g) * N + n) * L + t]; };
            for (int t = 0; t < L; ++t) {
                double z = (double)p.delta[row + t] + (p.hasBias ? p.bias[c] : 0.0);
                if (p.softplus) {
                    dt[t] = softplus(z);
                    dz[t] = z > 20 ? 1.0 : 1.0 / (1.0 + std::exp(-z));
                } else {
                    dt[t] = z;
                    dz[t] = 1.0;
                }
            }
            for (int n = 0; n < N; ++n) h[n] = 0;
            for (int t = 0; t < L; ++t) {
                double yy = p.hasD ? (double)p.D[c] * p.u[row + t] : 0.0;
                for (int n = 0; n < N; ++n) {
                    double a = std::exp(dt[t] * p.A[(size_t)c * N + n]);
                    h[(size_t)(t + 1) * N + n] = a * h[(size_t)t * N + n] + dt[t] * p.u[row + t] * Bv(n, t);
                    yy += Cv(n, t) * h[(size_t)(t + 1) * N + n];
                }
                r.y[row + t] = yy;
            }
            for (int n = 0; n < N; ++n) r.last[((size_t)b * C + c) * N + n] = h[(size_t)L * N + n];
            std::fill(lam.begin(), lam.end(), 0.0);
            std::vector<double> x(N, 0.0);
            for (int t = L - 1; t >= 0; --t) {
                double g_ = p.dy[row + t], u_ = p.u[row + t];
                double sdu = 0, sdd = 0;
                for (int n = 0; n < N; ++n) {
                    double An = p.A[(size_t)c * N + n];
                    double l = Cv(n, t) * g_ + x[n];
                    double a = std::exp(dt[t] * An);
                    double hp = h[(size_t)t * N + n];
                    sdd += l * (Bv(n, t) * u_ + An * a * hp);
                    r.dA[(size_t)c * N + n] += l * dt[t] * a * hp;
                    sdu += l * Bv(n, t);
                    r.dB[(((size_t)b * p.G + g) * N + n) * L + t] += l * dt[t] * u_;
                    r.dC[(((size_t)b * p.G + g) * N + n) * L + t] += g_ * h[(size_t)(t + 1) * N + n];
                    x[n] = a * l;
                }
                r.du[row + t] = (p.hasD ? p.D[c] * g_ : 0.0) + dt[t] * sdu;
                r.ddelta[row + t] = sdd * dz[t];
                r.dD[c] += g_ * u_;
                r.dbias[c] += sdd * dz[t];
            }
        }
    return r;
}

static int fails = 0, checks = 0;

static void expect(const std::string& what, const std::vector<float>& a, const std::vector<double>& e,
                   double rtol = 2e-4) {
    ++checks;
    double maxRef = 0, maxErr = 0;
    size_t worst = 0;
    bool nan = false;
    for (size_t i = 0; i < e.size(); ++i) {
        maxRef = std::max(maxRef, std::fabs(e[i]));
        double d = std::fabs((double)a[i] - e[i]);
        if (std::isnan(a[i])) nan = true;
        if (d > maxErr) {
            maxErr = d;
            worst = i;
        }
    }
    if (nan || maxErr > 1e-5 + rtol * maxRef) {
        ++fails;
        std::printf("  FAIL %s: max err %.3g at %zu (%g vs %g), max ref %.3g%s\n", what.c_str(), maxErr,
                    worst, worst < a.size() ? a[worst] : 0.f, worst < e.size() ? e[worst] : 0.0, maxRef,
                    nan ? " NaN" : "");
    }
}

static ScanParams base_params(Problem& p, Cfg& c, int nthr) {
    ScanParams s{};
    s.u = p.u.data();
    s.delta = p.delta.data();
    s.A = p.A.data();
    s.B = p.B.data();
    s.C = p.C.data();
    s.D = p.hasD ? p.D.data() : nullptr;
    s.bias = p.hasBias ? p.bias.data() : nullptr;
    s.batch = p.Bt;
    s.channels = p.Cch();
    s.length = p.L;
    s.dstate = p.N;
    s.groups = p.G;
    s.dimPerGroup = p.Dg;
    s.chunk = c.chunk;
    s.chunkShift = 0;
    while ((1 << s.chunkShift) < c.chunk) ++s.chunkShift;
    s.softplus = p.softplus;
    s.vecIn = p.L % 4 == 0;
    s.vecOut = p.L % 4 == 0;
    s.cross = p.cross;
    s.height = p.H;
    s.width = p.W;
    (void)nthr;
    return s;
}

static int grid_x(const Problem& p, const Cfg& c, int nthr) {
    const int R = c.time ? nthr / 32 * c.rpt : nthr / c.tpr * c.rpt;
    return p.Bt * p.G * ((p.Dg + R - 1) / R);
}

// Where a forward also saves the backward's checkpoints (CudaSelectiveScan.forwardForBackward):
// the buffer, log2 of its stride (the backward's chunk) and checkpoints per row.
struct Saved {
    float* ckpt = nullptr;
    int shift = 0;
    int chunks = 0;
};

// forward plan: one span, or local + combine + final; `save` goes to the final pass only
static void forward(Problem& p, Cfg c, std::vector<float>& y, std::vector<float>& last,
                    Saved save = {}) {
    const int nthr = c.rowThreads * c.tpr;
    const KEntry& k = kernels(c);
    const int C = p.Cch(), N = p.N, L = p.L;
    const int nChunks = (L + c.chunk - 1) / c.chunk;
    const int span = (c.spanChunks <= 0 || c.spanChunks >= nChunks) ? nChunks : c.spanChunks;
    const int nSpans = (nChunks + span - 1) / span;
    ScanParams s = base_params(p, c, nthr);
    s.spanChunks = span;
    s.nSpans = nSpans;
    s.nChunks = nChunks;
    const int gx = grid_x(p, c, nthr);
    const unsigned sm = smem_bytes(p.cross ? "fwdtiled" : "fwd", c, nthr);
    const Kernel fk = p.cross ? k.fwdx : k.fwd;
    // the final pass; with saved states the thread-per-row layout's own kernel
    const Kernel fin = save.ckpt && k.fwdc ? k.fwdc : fk;
    y.assign(p.cross ? (size_t)p.Bt * p.Dg * L : (size_t)p.Bt * C * L,
             p.cross ? 0.f : std::numeric_limits<float>::quiet_NaN());
    last.assign((size_t)p.Bt * C * N, std::numeric_limits<float>::quiet_NaN());
    if (nSpans == 1) {
        s.y = y.data();
        s.last = last.data();
        s.ckpt = save.ckpt;
        s.ckptShift = save.shift;
        s.ckptChunks = save.chunks;
        launch(fin, gx, 1, nthr, sm, s);
        return;
    }
    std::vector<float> hEnd((size_t)p.Bt * C * nSpans * N, NAN), sumD((size_t)p.Bt * C * nSpans, NAN),
            carry(hEnd.size(), NAN);
    s.hEnd = hEnd.data();
    s.sumDelta = sumD.data();
    launch(p.cross ? fk : k.states(), gx, nSpans, nthr, sm, s);
    ScanParams cb = s;
    cb.ckpt = carry.data();
    cb.last = last.data();
    cb.reverse = 0;
    launch_combine(cb);
    ScanParams f = base_params(p, c, nthr);
    f.spanChunks = span;
    f.nSpans = nSpans;
    f.nChunks = nChunks;
    f.h0 = carry.data();
    f.y = y.data();
    f.ckpt = save.ckpt;
    f.ckptShift = save.shift;
    f.ckptChunks = save.chunks;
    launch(fin, gx, nSpans, nthr, sm, f);
}

struct Grads {
    std::vector<float> du, ddelta, dA, dB, dC, dD, dbias;
};

// backward plan; with `saved` (checkpoints from the forward) the state passes are skipped
// localScale > 1: the reverse local pass runs chunks that many times the backward's over the same
// spans (the span's length must be a whole number of them)
static void backward(Problem& p, Cfg c, Grads& gr, const std::vector<float>* saved = nullptr,
                     int localScale = 1) {
    const int nthr = c.rowThreads * c.tpr;
    // the backward computes its checkpoints itself
    const bool own = c.time && !c.globalCkpt && saved == nullptr;
    const KEntry& k = kernels(c);
    const int C = p.Cch(), N = p.N, L = p.L;
    const int nChunks = (L + c.chunk - 1) / c.chunk;
    const int span = (c.spanChunks <= 0 || c.spanChunks >= nChunks) ? nChunks : c.spanChunks;
    const int nSpans = (nChunks + span - 1) / span;
    const int gx = grid_x(p, c, nthr);
    // the state-only passes run with one row per thread (SelectiveScanKernels.statePassConfig)
    Cfg sc = c;
    if (!c.time && c.chunk % vmscan::stream_group(c.nt) == 0) sc.rpt = 1;
    const KEntry& ks = kernels(sc);
    const int sgx = grid_x(p, sc, nthr);
    gr.du.assign((size_t)p.Bt * C * L, NAN);
    gr.ddelta.assign(gr.du.size(), NAN);
    gr.dA.assign((size_t)C * N, 0);
    gr.dB.assign((size_t)p.Bt * p.G * N * L, 0);
    gr.dC.assign(gr.dB.size(), 0);
    gr.dD.assign(C, 0);
    gr.dbias.assign(C, 0);
    std::vector<float> ckpt((size_t)p.Bt * C * nChunks * N, NAN);
    if (saved != nullptr) ckpt = *saved;
    std::vector<float> mu, start, lam, sumS;
    if (nSpans == 1 && (own || saved != nullptr)) {
        // nothing before the backward
    } else if (nSpans == 1) {
        ScanParams f = base_params(p, sc, nthr);
        f.spanChunks = nChunks;
        f.nSpans = 1;
        f.nChunks = nChunks;
        f.ckpt = ckpt.data();
        launch(ks.states(), sgx, 1, nthr, smem_bytes("fwd", sc, nthr), f);
    } else {
        std::vector<float> hEnd((size_t)p.Bt * C * nSpans * N, NAN), sumD((size_t)p.Bt * C * nSpans, NAN);
        start.assign(hEnd.size(), NAN);
        ScanParams f = base_params(p, sc, nthr);
        f.spanChunks = span;
        f.nSpans = nSpans;
        f.nChunks = nChunks;
        ScanParams local = f;
        local.hEnd = hEnd.data();
        local.sumDelta = sumD.data();
        if (saved == nullptr) {
            launch(ks.states(), sgx, nSpans, nthr, smem_bytes("fwd", sc, nthr), local);
            local.ckpt = start.data();
            local.reverse = 0;
            launch_combine(local);
        }
        if (!own && saved == nullptr) {
            ScanParams fin = f;
            fin.h0 = start.data();
            fin.ckpt = ckpt.data();
            launch(ks.states(), sgx, nSpans, nthr, smem_bytes("fwd", sc, nthr), fin);
        }
        lam.assign((size_t)p.Bt * C * nSpans * N, NAN);
        sumS.assign((size_t)p.Bt * C * nSpans, NAN);
        mu.assign(lam.size(), NAN);
        Cfg lc = c;
        lc.chunk *= localScale;
        if (span % localScale != 0) {
            std::printf("invalid local scale\n");
            std::abort();
        }
        ScanParams bl = base_params(p, lc, nthr);
        bl.dy = p.dy.data();
        bl.gtype = 0;
        bl.spanChunks = span / localScale;
        bl.nSpans = nSpans;
        bl.nChunks = (L + lc.chunk - 1) / lc.chunk;
        bl.hEnd = lam.data();
        bl.sumDelta = sumS.data();
        launch(k.bwdlocal, gx, nSpans, nthr, smem_bytes("bwdlocal", lc, nthr), bl);
        if (c.time) {
            bl.ckpt = mu.data();
            bl.reverse = 1;
            launch_combine(bl);
        }
    }
    ScanParams b = base_params(p, c, nthr);
    b.spanChunks = span;
    b.nSpans = nSpans;
    b.nChunks = nChunks;
    b.ckpt = own ? nullptr : ckpt.data();
    b.h0 = own && nSpans > 1 ? start.data() : nullptr;
    // the warp-per-row backward reads the chained carries, the thread-per-row one chains the
    // reverse local pass's results itself (SelectiveScanKernels.backward)
    b.mu = nSpans == 1 || !c.time ? nullptr : mu.data();
    b.hEnd = nSpans == 1 || c.time ? nullptr : lam.data();
    b.sumDelta = nSpans == 1 || c.time ? nullptr : sumS.data();
    b.dy = p.dy.data();
    b.du = gr.du.data();
    b.ddelta = gr.ddelta.data();
    b.dA = gr.dA.data();
    b.dB = gr.dB.data();
    b.dC = gr.dC.data();
    b.dD = p.hasD ? gr.dD.data() : nullptr;
    b.dbias = p.hasBias ? gr.dbias.data() : nullptr;
    unsigned bsm = smem_bytes("bwd", c, nthr);
    if (own) bsm += 4u * (nthr / 32) * c.rpt * span;
    launch(k.bwd, gx, nSpans, nthr, bsm, b);
}

static std::string name(const Problem& p, const Cfg& c) {
    char buf[256];
    std::snprintf(buf, sizeof buf, "Bt%d G%d Dg%d N%d L%d D%d bias%d sp%d | %snt%d rpt%d tpr%d rt%d T%d span%d",
                  p.Bt, p.G, p.Dg, p.N, p.L, p.hasD, p.hasBias, p.softplus,
                  c.time ? (c.globalCkpt ? "warp-per-row (global ckpt) " : "warp-per-row ") : "",
                  c.nt, c.rpt, c.tpr, c.rowThreads, c.chunk, c.spanChunks);
    return buf;
}

// every gradient against the float64 reference
static void expect_grads(const Problem& p, const Grads& g, const Ref& r) {
    expect("du", g.du, r.du, 1e-3);
    expect("ddelta", g.ddelta, r.ddelta, 1e-3);
    expect("dA", g.dA, r.dA, 1e-3);
    expect("dB", g.dB, r.dB, 1e-3);
    expect("dC", g.dC, r.dC, 1e-3);
    if (p.hasD) expect("dD", g.dD, r.dD, 1e-3);
    if (p.hasBias) expect("dbias", g.dbias, r.dbias, 1e-3);
}

static void check_plain(Problem& p, Cfg c, bool bwd = true) {
    std::string nm = name(p, c);
    if (c.time ? (p.N != 1 || c.chunk != 128 || c.rowThreads % 32 != 0)
               : (c.nt * c.tpr < p.N || c.chunk % vmscan::stream_group(c.nt * c.rpt) != 0)) {
        std::printf("invalid test config %s\n", nm.c_str());
        std::abort();
    }
    std::printf("%s\n", nm.c_str());
    Ref r = reference(p);
    std::vector<float> y, last;
    forward(p, c, y, last);
    expect("y", y, r.y);
    expect("last", last, r.last);
    if (!bwd) return;
    Grads g;
    backward(p, c, g);
    expect_grads(p, g, r);
}

// the recomputing backward with its reverse local pass in chunks `scale` times the backward's over
// the same spans: a span's reverse results depend on the span only, not on how it is staged
static void check_local_scale(Problem& p, Cfg c, int scale) {
    std::printf("reverse pass in chunks x%d: %s\n", scale, name(p, c).c_str());
    Ref r = reference(p);
    Grads g;
    backward(p, c, g, nullptr, scale);
    expect_grads(p, g, r);
}

// training plan: a forward with configuration `fc` also saves the checkpoints of the backward's
// configuration `bc`; the backward then starts from them instead of its state passes
static void check_saved(Problem& p, Cfg fc, Cfg bc) {
    std::printf("saved: forward %s\n", name(p, fc).c_str());
    std::printf("       backward %s\n", name(p, bc).c_str());
    if (!bc.time && (fc.time || bc.chunk % vmscan::stream_group(fc.nt * fc.rpt) != 0)) {
        std::printf("invalid test config\n");
        std::abort();
    }
    Ref r = reference(p);
    const int nChunks = (p.L + bc.chunk - 1) / bc.chunk;
    std::vector<float> ckpt((size_t)p.Bt * p.Cch() * nChunks * p.N, NAN);
    Saved sv{ckpt.data(), 0, nChunks};
    while ((1 << sv.shift) < bc.chunk) ++sv.shift;
    std::vector<float> y, last;
    forward(p, fc, y, last, sv);
    expect("y (saving)", y, r.y);
    expect("last (saving)", last, r.last);
    Grads g;
    backward(p, bc, g, &ckpt);
    expect_grads(p, g, r);
}

// fused cross-scan: reference = gather the four directions, plain reference scan, scatter-add
static void check_cross(int mode, int Bt, int Dg, int N, int H, int W, Cfg c, std::mt19937& rng) {
    const int L = H * W;
    Problem full = make(Bt, 4, Dg, N, L, true, true, true, rng);
    // pixel-order inputs: u (Bt, Dg, L), delta (Bt, 4, Dg, L), B/C (Bt, 4, N, L)
    std::vector<float> u((size_t)Bt * Dg * L);
    std::normal_distribution<float> nd(0.f, 1.f);
    for (auto& x : u) x = nd(rng);
    Problem seq = full;  // scan-order copy for the reference
    for (int b = 0; b < Bt; ++b)
        for (int k = 0; k < 4; ++k)
            for (int t = 0; t < L; ++t) {
                int pix = vmscan::pixel_of(mode, k, t, L, H, W);
                for (int d = 0; d < Dg; ++d) {
                    size_t so = (((size_t)b * 4 + k) * Dg + d) * L;
                    seq.u[so + t] = u[((size_t)b * Dg + d) * L + pix];
                    seq.delta[so + t] = full.delta[so + pix];
                }
                for (int n = 0; n < N; ++n) {
                    size_t so = (((size_t)b * 4 + k) * N + n) * L;
                    seq.B[so + t] = full.B[so + pix];
                    seq.C[so + t] = full.C[so + pix];
                }
            }
    Ref r = reference(seq);
    std::vector<double> merged((size_t)Bt * Dg * L, 0.0);
    for (int b = 0; b < Bt; ++b)
        for (int k = 0; k < 4; ++k)
            for (int d = 0; d < Dg; ++d)
                for (int t = 0; t < L; ++t)
                    merged[((size_t)b * Dg + d) * L + vmscan::pixel_of(mode, k, t, L, H, W)] +=
                            r.y[(((size_t)b * 4 + k) * Dg + d) * L + t];
    Problem fused = full;
    fused.u = u;
    fused.cross = mode;
    fused.H = H;
    fused.W = W;
    std::printf("cross%d %dx%d | %s\n", mode, H, W, name(fused, c).c_str());
    std::vector<float> y, last;
    forward(fused, c, y, last);
    expect("merged y", y, merged);
    expect("last", last, r.last);
}

// bfloat16 storage of u, delta, B, C (the synchronous staging path), float32 dy
static void check_bf16(Problem p, Cfg c) {
    auto round = [](std::vector<float>& v, std::vector<__nv_bfloat16>& out) {
        out.resize(v.size());
        for (size_t i = 0; i < v.size(); ++i) {
            out[i] = __float2bfloat16_rn(v[i]);
            v[i] = __bfloat162float(out[i]);
        }
    };
    std::vector<__nv_bfloat16> u16, d16, b16, c16;
    round(p.u, u16);
    round(p.delta, d16);
    round(p.B, b16);
    round(p.C, c16);
    std::printf("bf16 %s\n", name(p, c).c_str());
    Ref r = reference(p);
    const int nthr = c.rowThreads * c.tpr;
    const KEntry& k = kernels(c);
    const int nChunks = (p.L + c.chunk - 1) / c.chunk;
    ScanParams s = base_params(p, c, nthr);
    s.u = u16.data();
    s.delta = d16.data();
    s.B = b16.data();
    s.C = c16.data();
    s.itype = vmscan::kBF16;
    s.otype = vmscan::kF32;
    s.spanChunks = nChunks;
    s.nSpans = 1;
    s.nChunks = nChunks;
    std::vector<float> y((size_t)p.Bt * p.Cch() * p.L, NAN), last((size_t)p.Bt * p.Cch() * p.N, NAN);
    s.y = y.data();
    s.last = last.data();
    launch(k.fwd, grid_x(p, c, nthr), 1, nthr, smem_bytes("fwd", c, nthr), s);
    expect("bf16 y", y, r.y);
    expect("bf16 last", last, r.last);
    // y stored as bfloat16
    std::vector<__nv_bfloat16> y16(y.size());
    s.y = y16.data();
    s.otype = vmscan::kBF16;
    s.last = nullptr;
    launch(k.fwd, grid_x(p, c, nthr), 1, nthr, smem_bytes("fwd", c, nthr), s);
    std::vector<float> yb(y16.size());
    for (size_t i = 0; i < yb.size(); ++i) yb[i] = __bfloat162float(y16[i]);
    expect("bf16 y (bf16 out)", yb, r.y, 8e-3);
}

int main() {
    std::mt19937 rng(7);
    // state splits for N = 16
    for (Cfg c : {Cfg{16, 1, 1, 32, 16, 0}, Cfg{8, 1, 2, 32, 8, 0}, Cfg{4, 1, 4, 32, 16, 0},
                  Cfg{16, 2, 1, 32, 8, 0}, Cfg{4, 2, 4, 16, 8, 0}, Cfg{4, 4, 4, 16, 4, 0}}) {
        Problem p = make(2, 2, 3, 16, 37, true, true, true, rng);
        check_plain(p, c);
    }
    // spans (split) forward + backward
    for (Cfg c : {Cfg{16, 1, 1, 32, 8, 1}, Cfg{4, 1, 4, 32, 8, 2}, Cfg{8, 2, 2, 16, 4, 3}}) {
        Problem p = make(1, 2, 5, 16, 45, true, false, true, rng);
        check_plain(p, c);
    }
    // small N, padding of states, no D / bias, no softplus, big delta
    {
        Problem p = make(2, 4, 2, 1, 33, false, false, true, rng);
        check_plain(p, Cfg{1, 1, 1, 32, 16, 0});
        check_plain(p, Cfg{1, 4, 1, 32, 16, 2});
        Problem q = make(1, 1, 7, 3, 20, true, true, false, rng);
        check_plain(q, Cfg{4, 1, 1, 32, 8, 0});
        check_plain(q, Cfg{4, 2, 1, 32, 8, 1});
        check_plain(q, Cfg{4, 4, 1, 32, 4, 2});
        Problem r = make(2, 2, 3, 5, 19, true, true, true, rng, true);
        check_plain(r, Cfg{4, 1, 2, 32, 8, 0});
        check_plain(r, Cfg{8, 1, 1, 32, 8, 1});
        Problem s = make(1, 1, 3, 20, 9, true, true, true, rng);
        check_plain(s, Cfg{16, 1, 2, 16, 4, 0});
        Problem one = make(3, 2, 2, 4, 1, true, true, true, rng);
        check_plain(one, Cfg{4, 1, 1, 32, 8, 0});
        check_plain(one, Cfg{4, 2, 1, 32, 8, 1});
    }
    // full blocks (every row of several warps real, two row tiles), two states per thread, and
    // the wide splits of large N (8 and 16 lanes per row); their own generator keeps the data
    // of the other cases as it was
    {
        std::mt19937 rng(11);
        Problem f = make(1, 2, 40, 16, 24, true, true, true, rng);
        check_plain(f, Cfg{4, 2, 4, 16, 8, 0});
        check_plain(f, Cfg{4, 1, 4, 32, 8, 1});
        Problem two = make(2, 1, 9, 2, 21, true, true, true, rng);
        check_plain(two, Cfg{2, 2, 1, 32, 8, 0});
        check_plain(two, Cfg{2, 4, 1, 32, 8, 1});
        Problem wide = make(1, 1, 5, 100, 11, true, true, true, rng);
        check_plain(wide, Cfg{16, 1, 8, 8, 4, 0});
        Problem wider = make(1, 1, 3, 256, 9, true, true, true, rng);
        check_plain(wider, Cfg{16, 1, 16, 4, 4, 0});
    }
    // the backward copy compiled for chunks of 8 steps and 128 threads (4 states x 4 lanes with
    // one or two rows per thread, 8 states x 2 lanes): a partial second row tile, vector rows
    // (L % 4 == 0) with and without spans, element rows with a partial last chunk
    {
        std::mt19937 rng(17);
        Problem v = make(2, 2, 70, 16, 48, true, true, true, rng);
        for (Cfg c : {Cfg{4, 2, 4, 32, 8, 0}, Cfg{4, 1, 4, 32, 8, 2}, Cfg{8, 1, 2, 64, 8, 3}})
            check_plain(v, c);
        Problem e = make(1, 2, 33, 16, 45, true, false, true, rng);
        for (Cfg c : {Cfg{4, 2, 4, 32, 8, 2}, Cfg{8, 1, 2, 64, 8, 0}}) check_plain(e, c);
    }
    // vector (L % 4 == 0) streaming paths
    {
        Problem v = make(2, 2, 3, 16, 64, true, true, true, rng);
        check_plain(v, Cfg{16, 1, 1, 32, 16, 0});
        check_plain(v, Cfg{8, 1, 2, 32, 8, 2});
        check_plain(v, Cfg{16, 2, 1, 32, 8, 0});
        Problem w = make(1, 4, 5, 1, 96, true, true, true, rng);
        check_plain(w, Cfg{1, 1, 1, 32, 32, 0});
        check_plain(w, Cfg{1, 1, 1, 32, 16, 2});
    }
    // warp-per-row kernels (N = 1): tiles of 128 steps, partial last tiles, rows per warp, spans,
    // rows past the group, no D / bias / softplus, misaligned lengths (element loads)
    {
        const Cfg t1{1, 1, 1, 64, 128, 0, true}, t2{1, 2, 1, 64, 128, 0, true},
                t4{1, 4, 1, 32, 128, 0, true}, s1{1, 1, 1, 64, 128, 1, true},
                s2{1, 2, 1, 32, 128, 2, true}, g2{1, 2, 1, 64, 128, 0, true, true},
                gs{1, 2, 1, 32, 128, 2, true, true};
        Problem a = make(2, 2, 3, 1, 300, true, true, true, rng);
        for (Cfg c : {t1, t2, t4, s1, s2, g2, gs}) check_plain(a, c);
        Problem b = make(1, 4, 5, 1, 512, false, false, true, rng);
        for (Cfg c : {t1, t4, s1}) check_plain(b, c);
        Problem e = make(1, 2, 3, 1, 40, true, false, false, rng);
        for (Cfg c : {t1, s1}) check_plain(e, c);
        Problem c = make(2, 1, 7, 1, 37, true, true, true, rng, true);
        for (Cfg k : {t2, s1}) check_plain(c, k);
        Problem d = make(1, 2, 2, 1, 1, true, true, true, rng);
        check_plain(d, t1);
    }
    // checkpoints saved by the forward for the backward: the stage-1 pair of configurations
    // (the forward's groups shorter than, or as long as, the backward's chunk), spans on either
    // side, fewer states than slots, and the warp-per-row pair with spans
    {
        std::mt19937 rng(13);
        Problem a = make(2, 2, 40, 16, 43, true, true, true, rng);
        check_saved(a, Cfg{4, 1, 4, 32, 32, 0}, Cfg{4, 2, 4, 16, 8, 0});
        check_saved(a, Cfg{8, 1, 2, 32, 16, 2}, Cfg{4, 1, 4, 32, 8, 3});
        check_saved(a, Cfg{4, 2, 4, 16, 8, 0}, Cfg{4, 2, 4, 16, 8, 2});
        Problem b = make(1, 2, 3, 5, 30, true, false, true, rng, true);
        check_saved(b, Cfg{4, 1, 2, 32, 16, 0}, Cfg{8, 1, 1, 32, 8, 1});
        Problem t = make(2, 2, 3, 1, 300, true, true, true, rng);
        check_saved(t, Cfg{1, 2, 1, 64, 128, 0, true}, Cfg{1, 1, 1, 64, 128, 0, true});
        check_saved(t, Cfg{1, 1, 1, 64, 128, 1, true}, Cfg{1, 2, 1, 32, 128, 2, true});
    }
    // reverse local passes in longer chunks than their backward's, over the same spans (the last
    // one partial), one and two rows per thread
    {
        std::mt19937 rng(23);
        Problem q = make(1, 2, 40, 16, 203, true, true, true, rng);
        check_local_scale(q, Cfg{4, 2, 4, 32, 8, 4}, 2);
        check_local_scale(q, Cfg{8, 1, 2, 64, 8, 2}, 2);
        check_local_scale(q, Cfg{4, 1, 4, 32, 8, 6}, 2);
    }
    // fused cross-scan forward, all modes, H != W, plain and split
    check_cross(1, 2, 3, 4, 3, 5, Cfg{4, 1, 1, 32, 4, 0}, rng);
    check_cross(1, 1, 5, 16, 4, 7, Cfg{16, 1, 1, 32, 8, 1}, rng);
    check_cross(1, 1, 2, 1, 1, 6, Cfg{1, 1, 1, 32, 4, 0}, rng);
    check_cross(2, 1, 3, 4, 2, 5, Cfg{4, 2, 1, 32, 4, 0}, rng);
    check_cross(3, 1, 3, 4, 3, 3, Cfg{4, 1, 1, 32, 4, 1}, rng);
    check_bf16(make(2, 2, 3, 16, 37, true, true, true, rng), Cfg{16, 1, 1, 32, 8, 0});
    check_bf16(make(1, 4, 2, 1, 50, true, true, true, rng), Cfg{1, 2, 1, 32, 16, 0});
    std::printf("%d of %d checks failed\n", fails, checks);
    return fails == 0 ? 0 : 1;
}
