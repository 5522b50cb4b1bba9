// Selective-scan kernels of VMamba (spec §5): forward, backward and the fused
// cross-scan -> scan -> cross-merge forward, launched from Java through the JCuda driver API.
//
// Design (vmamba-kernels/README.md gives the full account):
//  * One thread owns one (batch, channel) row -- or `RPT` rows ("nrows") -- and a slice of
//    NT of its N states, kept in registers; TPR = ceil(N / NT) lanes share a row and sum their
//    partial outputs with warp shuffles. The thread walks time sequentially, so no block-wide
//    scan is needed. A block owns R = (blockDim / TPR) * RPT channel rows of one B/C group of
//    one batch row.
//  * Forward: each thread streams its rows of u and delta through registers (vector loads, a
//    group of steps ahead; the lanes of a row split a group's steps between them and exchange
//    Δ by shuffles) and writes y from registers; only B and C, shared by all rows of the block,
//    are staged per chunk of T steps in shared memory (cp.async, double-buffered).
//  * Long sequences with few rows are split into spans (`spanChunks` chunks each) scanned in
//    parallel: a local pass gives each span's end state and sum of step sizes, `ss_combine`
//    chains the spans, and a final pass recomputes each span from its true start state.
//  * The backward recomputes: a forward pass stores the state at every chunk start
//    (checkpoint), then each chunk is staged in shared memory, rescanned forwards from its
//    checkpoint and walked backwards for the adjoint lambda (spec §5.3). Long sequences with few
//    rows split the backward into spans the same way: a reverse local pass gives each span's
//    lambda contribution, which `ss_bwd` chains over the spans to its right itself (the warp-per-
//    row backward through a reverse `ss_combine`).
//  * The backward configurations the autotuner picks for N = 16 carry a second copy compiled for
//    their usual launch (chunks of 8 steps, 128 threads), whose per-chunk loops have fixed trip
//    counts and constant offsets (bwd_entry).
//  * The fused cross-scan forward (`ss_fwdx`) stages u and delta in shared memory too, gathered
//    through the direction index maps, and adds each direction's y into the merged output.
//
// All arithmetic is float32 (half inputs are converted on load); exp uses ex2.approx as the
// official kernels do (built with --use_fast_math).
//
// The same source compiles for the host with VMAMBA_HOST_EMULATION defined, where a test
// harness supplies threads, barriers and shuffles (src/test/cuda/emulate_scan.cpp).

#ifndef VMAMBA_HOST_EMULATION
#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <stdint.h>
#define VM_DEV __device__ __forceinline__
#define VM_KERNEL extern "C" __global__
// per-kernel register cap (nvcc 12.4 and later; older compilers leave the allocation alone)
#if __CUDACC_VER_MAJOR__ > 12 || (__CUDACC_VER_MAJOR__ == 12 && __CUDACC_VER_MINOR__ >= 4)
#define VM_MAXNREG(n) __maxnreg__(n)
#else
#define VM_MAXNREG(n)
#endif
#define VM_SHFL_XOR(v, off) __shfl_xor_sync(0xffffffffu, (v), (off))
#define VM_SHFL_UP(v, off) __shfl_up_sync(0xffffffffu, (v), (off))
#define VM_SHFL_DOWN(v, off) __shfl_down_sync(0xffffffffu, (v), (off))
#define VM_SHFL_IDX(v, src) __shfl_sync(0xffffffffu, (v), (src))
#define VM_SYNCWARP() __syncwarp()
#define VM_SMEM(name)                          \
    extern __shared__ float4 vm_dyn_smem_[]; \
    float* name = reinterpret_cast<float*>(vm_dyn_smem_)
#endif

namespace vmscan {

constexpr float kLog2e = 1.4426950408889634f;
constexpr float kLn2 = 0.6931471805599453f;

enum DType : int { kF32 = 0, kF16 = 1, kBF16 = 2 };

// Every argument of every kernel, passed by value. The Java side (ScanParams.java) writes the
// same layout: 23 pointers, then 24 ints.
struct ScanParams {
    const void* u;           // (Bt, C, L) itype; fused: (Bt, D, H*W)
    const void* delta;       // (Bt, C, L) itype; fused: pixel order
    const float* A;          // (C, N)
    const void* B;           // (Bt, G, N, L) itype
    const void* C;           // (Bt, G, N, L) itype
    const float* D;          // (C) or null
    const float* bias;       // (C) or null
    void* y;                 // (Bt, C, L) otype, or merged (Bt, D, L) float32, or null
    float* last;             // (Bt, C, N) or null
    float* hEnd;             // (Bt, C, S, N) local end states (lambda for the reverse combine,
                             // or for ss_bwd itself to chain when mu is null)
    float* sumDelta;         // (Bt, C, S) sum of step sizes per span
    const float* h0;         // (Bt, C, S, N) start state per span or null (zero)
    float* ckpt;             // (Bt, C, nChunks, N) chunk start states; combine: carry out
    const void* dy;          // (Bt, C, L) gtype
    void* du;                // (Bt, C, L) gradType
    void* ddelta;            // (Bt, C, L) gradType
    float* dA;               // (C, N) accumulated
    float* dB;               // (Bt, G, N, L) accumulated
    float* dC;               // (Bt, G, N, L) accumulated
    float* dD;               // (C) accumulated or null
    float* dbias;            // (C) accumulated or null
    const float* mu;         // (Bt, C, S, N) lambda carry into each span from its right, or null
    float* lamOut;           // unused by the kernels (kept for layout stability)
    int batch;
    int channels;
    int length;
    int dstate;
    int groups;
    int dimPerGroup;
    int chunk;        // T, a power of two
    int chunkShift;   // log2 T
    int spanChunks;   // chunks per span
    int nSpans;
    int nChunks;
    int itype;        // u, delta, B, C
    int otype;        // y
    int gtype;        // dy
    int gradType;     // du, ddelta
    int softplus;
    int cross;        // 0 plain, 1 cross2d, 2 unidirectional, 3 bidirectional (fused forward)
    int height;
    int width;
    int reverse;      // ss_combine: chain spans right to left
    int vecIn;        // u and delta float32, 16-byte aligned rows (L % 4 == 0): vector loads
    int vecOut;       // y float32 with 16-byte aligned rows: vector stores
    int ckptShift;    // final-mode forward with ckpt: log2 of the checkpoint stride (the
                      // backward's chunk), a multiple of the register group
    int ckptChunks;   // final-mode forward with ckpt: checkpoints per row (L / stride, rounded up)
};
static_assert(sizeof(ScanParams) == 280, "ScanParams layout must match ScanParams.java");

VM_DEV float ld(const void* p, size_t i, int dt) {
    if (dt == kF16) return __half2float(static_cast<const __half*>(p)[i]);
    if (dt == kBF16) return __bfloat162float(static_cast<const __nv_bfloat16*>(p)[i]);
    return static_cast<const float*>(p)[i];
}

VM_DEV void st(void* p, size_t i, float v, int dt) {
    if (dt == kF16) {
        static_cast<__half*>(p)[i] = __float2half_rn(v);
    } else if (dt == kBF16) {
        static_cast<__nv_bfloat16*>(p)[i] = __float2bfloat16_rn(v);
    } else {
        static_cast<float*>(p)[i] = v;
    }
}

// Δ = softplus(z) (threshold 20) or z, and dΔ/dz = sigmoid(z). log1p(e^z) without the library
// routine: a short series below e^z = 1/16 (truncation < 1e-8 relative), the hardware logarithm
// of 1 + e^z above (relative error < 3e-6 there). Both are computed and one selected: lanes with
// different cases would otherwise run both branches one after the other.
VM_DEV void step_size(float z, int softplus, float& dt, float& dz) {
    const float e = __expf(fminf(z, 20.f));
    const float series =
            e * fmaf(e, fmaf(e, fmaf(e, fmaf(e, fmaf(e, -1.f / 6.f, 0.2f), -0.25f), 1.f / 3.f),
                             -0.5f),
                     1.f);
    const float lg = __logf(1.f + e);
    const bool sp = softplus && z <= 20.f;
    dt = sp ? (e < 0.0625f ? series : lg) : z;
    dz = sp ? __fdividef(e, 1.f + e) : 1.f;
}

// Sequence position t of direction k -> pixel index (spec §4.1).
VM_DEV int pixel_of(int cross, int k, int t, int L, int H, int W) {
    if (cross == 0 || cross == 2) return t;
    const int s = k >= 2 ? L - 1 - t : t;
    if (cross == 1 && (k & 1)) return (s % H) * W + s / H;
    return s;
}

VM_DEV int align4(int n) { return (n + 3) & ~3; }

// Row stride of the (T x NP) B/C tiles: 16-byte aligned rows for vector reads when NT % 4 == 0,
// otherwise an odd stride (conflict-free staging writes).
template <int NT>
VM_DEV int bc_stride(int np) {
    return (NT % 4 == 0) ? np + 4 : np + 1;
}

template <int NT>
VM_DEV void load_states(const float* src, float (&v)[NT]) {
    if constexpr (NT % 4 == 0) {
#pragma unroll
        for (int q = 0; q < NT / 4; ++q) {
            float4 f = reinterpret_cast<const float4*>(src)[q];
            v[4 * q] = f.x;
            v[4 * q + 1] = f.y;
            v[4 * q + 2] = f.z;
            v[4 * q + 3] = f.w;
        }
    } else {
#pragma unroll
        for (int j = 0; j < NT; ++j) v[j] = src[j];
    }
}

// One 16-byte store of four floats to global memory (dst 16-byte aligned). Written out, since the
// compiler may split a float4 store into four 4-byte ones (it did in the backward's fixed-geometry
// copy: four times the store instructions and L2 sectors for du and ddelta).
VM_DEV void store16(float* dst, float a, float b, float c, float d) {
#ifndef VMAMBA_HOST_EMULATION
    asm volatile("st.global.v4.f32 [%0], {%1, %2, %3, %4};\n" ::"l"(dst), "f"(a), "f"(b), "f"(c),
                 "f"(d)
                 : "memory");
#else
    dst[0] = a;
    dst[1] = b;
    dst[2] = c;
    dst[3] = d;
#endif
}

VM_DEV bool aligned16(const void* p) { return (reinterpret_cast<uintptr_t>(p) & 15u) == 0; }

// Whether the (…, N) state rows of `p` allow 16-byte accesses to slices of 4 states.
VM_DEV bool vector_states(const void* p, int N) { return N % 4 == 0 && aligned16(p); }

// Writes this thread's slice (states sg·NT ..) of a state row of N floats: 16-byte stores when
// the slice is whole and `vec` (see vector_states), element stores otherwise. A state row is
// written as a few full sectors instead of one partial-sector write per state.
template <int NT>
VM_DEV void put_states(float* row, int sg, int N, bool vec, const float (&v)[NT]) {
    const int n0 = sg * NT;
    if constexpr (NT % 4 == 0) {
        if (vec && n0 + NT <= N) {
#pragma unroll
            for (int q = 0; q < NT / 4; ++q) {
                reinterpret_cast<float4*>(row + n0)[q] =
                        make_float4(v[4 * q], v[4 * q + 1], v[4 * q + 2], v[4 * q + 3]);
            }
            return;
        }
    }
#pragma unroll
    for (int j = 0; j < NT; ++j) {
        if (n0 + j < N) row[n0 + j] = v[j];
    }
}

// Reads this thread's slice of a state row (zeros past N), as put_states writes it.
template <int NT>
VM_DEV void get_states(const float* row, int sg, int N, bool vec, float (&v)[NT]) {
    const int n0 = sg * NT;
    if constexpr (NT % 4 == 0) {
        if (vec && n0 + NT <= N) {
            load_states<NT>(row + n0, v);
            return;
        }
    }
#pragma unroll
    for (int j = 0; j < NT; ++j) v[j] = n0 + j < N ? row[n0 + j] : 0.f;
}

VM_DEV unsigned dyn_smem_bytes() {
#ifndef VMAMBA_HOST_EMULATION
    unsigned r;
    asm volatile("mov.u32 %0, %%dynamic_smem_size;" : "=r"(r));
    return r;
#else
    return vm_emu_dyn_smem_bytes();
#endif
}

// log2 of a power of two: a constant for a constant argument (template arguments and constexpr
// members use it too, hence also a host function)
#ifndef VMAMBA_HOST_EMULATION
__host__ __device__
#endif
constexpr int log2_exact(int x) {
    int r = 0;
    while (x > 1) {
        x >>= 1;
        ++r;
    }
    return r;
}

// Block geometry shared by the kernels: which batch row, group, tile of rows and span a block
// owns, and which row/state slice a thread owns.
template <int NT, int RPT, int TPR>
struct Geo {
    int tid, nthr, RT, R, rt, sg, N, NP, NS, T, TP, logT, C, L, G, Dg, tile, g, b, span, tBegin,
        tEnd;

    // fixT, fixThreads: the chunk and the block size when the caller knows them at compile time
    // (the launch then has exactly these), so that the index arithmetic and the block-wide loops
    // built on them fold; 0: from the launch.
    VM_DEV explicit Geo(const ScanParams& p, int fixT = 0, int fixThreads = 0) {
        tid = threadIdx.x;
        nthr = fixThreads ? fixThreads : (int)blockDim.x;
        RT = nthr / TPR;
        R = RT * RPT;
        rt = tid / TPR;
        sg = tid % TPR;
        N = p.dstate;
        NP = NT * TPR;
        NS = bc_stride<NT>(NP);
        T = fixT ? fixT : p.chunk;
        TP = T + 1;
        logT = fixT ? log2_exact(fixT) : p.chunkShift;
        C = p.channels;
        L = p.length;
        G = p.groups;
        Dg = p.dimPerGroup;
        const int tiles = (Dg + R - 1) / R;
        int bx = blockIdx.x;
        tile = bx % tiles;
        bx /= tiles;
        g = bx % G;
        b = bx / G;
        span = blockIdx.y;
        tBegin = span * p.spanChunks * T;
        tEnd = min(L, tBegin + p.spanChunks * T);
    }

    // channel of row rr of this thread, and whether it exists
    VM_DEV int rho(int rr) const { return rr * RT + rt; }
    VM_DEV bool rowOk(int rr) const { return tile * R + rho(rr) < Dg; }
    VM_DEV int channel(int rr) const {
        const int cl = tile * R + rho(rr);
        return g * Dg + (cl < Dg ? cl : 0);
    }
    VM_DEV size_t rowIndex(int c) const { return (size_t)b * C + c; }
};

// v unchanged, but unknown to the compiler from here on (it cannot fold it into constants or
// hoist what is computed from it out of the loop it is called in).
VM_DEV int opaque(int v) {
#ifndef VMAMBA_HOST_EMULATION
    asm("" : "+r"(v));
#endif
    return v;
}

VM_DEV void require(bool ok) {
    if (!ok) {
#ifndef VMAMBA_HOST_EMULATION
        __trap();
#else
        vm_emu_trap();
#endif
    }
}

// This thread's states of its row rr: A·log2(e) (ā = 2^(Δ·A2)) and the carry entering the span
// from `carry` ((rows, spans, N), h0 or the reverse carries; null: zero). States past N and rows
// past the group get zeros.
template <int NT, int RPT, int TPR>
VM_DEV void row_states(const ScanParams& p, const Geo<NT, RPT, TPR>& q, int rr, const float* carry,
                       float (&A2)[NT], float (&h)[NT]) {
    const bool ok = q.rowOk(rr);
    const int c = q.channel(rr);
#pragma unroll
    for (int j = 0; j < NT; ++j) {
        const int n = q.sg * NT + j;
        const bool on = ok && n < q.N;
        A2[j] = on ? p.A[(size_t)c * q.N + n] * kLog2e : 0.f;
        h[j] = (on && carry) ? carry[(q.rowIndex(c) * p.nSpans + q.span) * q.N + n] : 0.f;
    }
}

// ---- staging: cp.async double buffering ---------------------------------------------------

// Copies one float global -> shared without passing through registers (sm_80+), so the loads of
// the next chunk are in flight while the current one is computed.
VM_DEV void cp_async4(float* dst, const float* src) {
#ifndef VMAMBA_HOST_EMULATION
    const unsigned d = static_cast<unsigned>(__cvta_generic_to_shared(dst));
    asm volatile("cp.async.ca.shared.global [%0], [%1], 4;\n" ::"r"(d), "l"(src) : "memory");
#else
    *dst = *src;
#endif
}

// Copies 16 bytes global -> shared (both 16-byte aligned), bypassing L1.
VM_DEV void cp_async16(float* dst, const float* src) {
#ifndef VMAMBA_HOST_EMULATION
    const unsigned d = static_cast<unsigned>(__cvta_generic_to_shared(dst));
    asm volatile("cp.async.cg.shared.global [%0], [%1], 16;\n" ::"r"(d), "l"(src) : "memory");
#else
    for (int i = 0; i < 4; ++i) dst[i] = src[i];
#endif
}

VM_DEV void cp_async_commit() {
#ifndef VMAMBA_HOST_EMULATION
    asm volatile("cp.async.commit_group;\n" ::: "memory");
#endif
}

// Waits until at most one group (the prefetch of the next chunk) is still in flight, or none.
VM_DEV void cp_async_wait(bool leaveOne) {
#ifndef VMAMBA_HOST_EMULATION
    if (leaveOne) {
        asm volatile("cp.async.wait_group 1;\n" ::: "memory");
    } else {
        asm volatile("cp.async.wait_group 0;\n" ::: "memory");
    }
#else
    (void)leaveOne;
#endif
}

// The shared-memory tiles of one chunk. Row tiles are (R x TP), row-major; B/C tiles are
// (T x NS), state index fastest. Null members are not staged.
struct Tiles {
    float* u;   // u; the forward writes y here in place, the backward du
    float* d;   // raw delta (+ nothing), then Δ after transform()
    float* g;   // dy
    float* B;
    float* C;
    int es = 1;  // floats between the elements of a row tile (4: interleaved records)
    int rs = 0;  // elements between the rows of a row tile; 0: the chunk's padded stride T + 1

    // elements between the rows of a row tile, given the chunk's padded stride
    VM_DEV int rowStride(int paddedT) const { return rs ? rs : paddedT; }
};

// The items i = tid, tid + nthr, ... < total of a block-wide loop, each given to f. With a
// compile-time item count and block size (TOTAL > 0, NTHR) the loop has a fixed trip count and
// is unrolled (no bounds arithmetic per chunk); otherwise total and nthr come from the launch.
template <int TOTAL, int NTHR, class F>
VM_DEV void block_items(int tid, int nthr, int total, F&& f) {
    if constexpr (TOTAL > 0) {
        static_assert(NTHR > 0, "a compile-time item count needs the block size");
#pragma unroll
        for (int k = 0; k < (TOTAL + NTHR - 1) / NTHR; ++k) {
            const int i = tid + k * NTHR;
            if (TOTAL % NTHR == 0 || i < TOTAL) f(i);
        }
    } else {
        for (int i = tid; i < total; i += nthr) f(i);
    }
}

// stage() of the common case -- float32, no direction index map, a whole chunk -- with the
// per-element work cut to the index arithmetic: the block's rows are consecutive rows of the
// (Bt, C, L) arrays and its group's B/C rows consecutive rows of (Bt, G, N, L).
template <int NT, int RPT, int TPR, bool VEC, int FT = 0, int FN = 0>
VM_DEV void stage_full(const ScanParams& p, const Geo<NT, RPT, TPR>& q, int t0, const Tiles& tl) {
    // item counts of the loops below when the chunk (FT) and block size (FN) are compile-time
    constexpr int kRows = FT ? FN / TPR * RPT : 0;
    const int rs = tl.rowStride(q.TP);
    if (tl.u || tl.d || tl.g) {
        const int rows = min(q.R, q.Dg - q.tile * q.R);  // real rows of this tile
        const size_t first = q.rowIndex(q.g * q.Dg + q.tile * q.R) * q.L + t0;
        // 16 bytes (four steps) per copy: plain tiles with 16-byte aligned rows, whose sources
        // are 16-byte aligned rows of float32 (the chunk starts at a multiple of 4 steps)
        const bool vec = VEC && tl.es == 1 && rs % 4 == 0 && p.vecIn &&
                         (tl.g == nullptr || aligned16(p.dy));
        if (vec) {
            const int qshift = q.logT - 2;
            block_items<kRows * (FT / 4), FN>(q.tid, q.nthr, q.R << qshift, [&](int i) {
                const int r = i >> qshift;
                const int t = 4 * (i & ((1 << qshift) - 1));
                const int o = r * rs + t;
                if (r >= rows) {
                    const float4 z = make_float4(0.f, 0.f, 0.f, 0.f);
                    if (tl.u) *reinterpret_cast<float4*>(tl.u + o) = z;
                    if (tl.d) *reinterpret_cast<float4*>(tl.d + o) = z;
                    if (tl.g) *reinterpret_cast<float4*>(tl.g + o) = z;
                    return;
                }
                const size_t idx = first + (size_t)r * q.L + t;
                if (tl.u) cp_async16(tl.u + o, static_cast<const float*>(p.u) + idx);
                if (tl.d) cp_async16(tl.d + o, static_cast<const float*>(p.delta) + idx);
                if (tl.g) cp_async16(tl.g + o, static_cast<const float*>(p.dy) + idx);
            });
        } else {
            block_items<kRows * FT, FN>(q.tid, q.nthr, q.R << q.logT, [&](int i) {
                const int r = i >> q.logT;
                const int t = i & (q.T - 1);
                const int o = (r * rs + t) * tl.es;
                if (r >= rows) {
                    if (tl.u) tl.u[o] = 0.f;
                    if (tl.d) tl.d[o] = 0.f;
                    if (tl.g) tl.g[o] = 0.f;
                    return;
                }
                const size_t idx = first + (size_t)r * q.L + t;
                if (tl.u) cp_async4(tl.u + o, static_cast<const float*>(p.u) + idx);
                if (tl.d) cp_async4(tl.d + o, static_cast<const float*>(p.delta) + idx);
                if (tl.g) cp_async4(tl.g + o, static_cast<const float*>(p.dy) + idx);
            });
        }
    }
    if (tl.B || tl.C) {
        const size_t first = (size_t)(q.b * q.G + q.g) * q.N * q.L + t0;
        const float* srcB = static_cast<const float*>(p.B) + first;
        const float* srcC = static_cast<const float*>(p.C) + first;
        block_items<FT * NT * TPR, FN>(q.tid, q.nthr, q.NP << q.logT, [&](int i) {
            const int n = i >> q.logT;
            const int t = i & (q.T - 1);
            const int o = t * q.NS + n;
            if (n >= q.N) {
                if (tl.B) tl.B[o] = 0.f;
                if (tl.C) tl.C[o] = 0.f;
                return;
            }
            const size_t idx = (size_t)n * q.L + t;
            if (tl.B) cp_async4(tl.B + o, srcB + idx);
            if (tl.C) cp_async4(tl.C + o, srcC + idx);
        });
    }
    cp_async_commit();
}

// Copies the chunk [t0, t0 + tn) of the block's rows and of its group's B/C into the tiles:
// float32 data with cp.async (completes later; see cp_async_wait), half data converted through
// registers. Positions past the chunk or the group get zeros. Whole float32 chunks without a
// direction index map take stage_full, which with VEC copies rows of plain tiles 16 bytes at a
// time where tiles and sources allow (only kernels whose tiles have such rows compile it). FT, FN:
// the caller's compile-time chunk and block size (0: from the launch; see block_items).
template <int NT, int RPT, int TPR, bool VEC = false, int FT = 0, int FN = 0>
VM_DEV void stage(const ScanParams& p, const Geo<NT, RPT, TPR>& q, int t0, int tn, const Tiles& tl) {
    const bool asyncIn = p.itype == kF32;
    const bool asyncG = p.gtype == kF32;
    if (!p.cross && tn == q.T && asyncIn && (tl.g == nullptr || asyncG)) {
        stage_full<NT, RPT, TPR, VEC, FT, FN>(p, q, t0, tl);
        return;
    }
    const int rs = tl.rowStride(q.TP);
    const int total = q.R << q.logT;
    for (int i = q.tid; i < total; i += q.nthr) {
        const int r = i >> q.logT;
        const int t = i & (q.T - 1);
        const int cl = q.tile * q.R + r;
        const int o = (r * rs + t) * tl.es;
        if (cl >= q.Dg || t >= tn) {
            if (tl.u) tl.u[o] = 0.f;
            if (tl.d) tl.d[o] = 0.f;
            if (tl.g) tl.g[o] = 0.f;
            continue;
        }
        const int c = q.g * q.Dg + cl;
        const int pix = p.cross ? pixel_of(p.cross, q.g, t0 + t, q.L, p.height, p.width) : t0 + t;
        const size_t idx = q.rowIndex(c) * q.L + pix;
        if (tl.u) {
            const size_t uidx = p.cross ? ((size_t)q.b * q.Dg + cl) * q.L + pix : idx;
            if (asyncIn) {
                cp_async4(tl.u + o, static_cast<const float*>(p.u) + uidx);
            } else {
                tl.u[o] = ld(p.u, uidx, p.itype);
            }
        }
        if (tl.d) {
            if (asyncIn) {
                cp_async4(tl.d + o, static_cast<const float*>(p.delta) + idx);
            } else {
                tl.d[o] = ld(p.delta, idx, p.itype);
            }
        }
        if (tl.g) {
            if (asyncG) {
                cp_async4(tl.g + o, static_cast<const float*>(p.dy) + idx);
            } else {
                tl.g[o] = ld(p.dy, idx, p.gtype);
            }
        }
    }
    if (tl.B || tl.C) {
        const int totalBC = q.NP << q.logT;
        for (int i = q.tid; i < totalBC; i += q.nthr) {
            const int n = i >> q.logT;
            const int t = i & (q.T - 1);
            const int o = t * q.NS + n;
            if (n >= q.N || t >= tn) {
                if (tl.B) tl.B[o] = 0.f;
                if (tl.C) tl.C[o] = 0.f;
                continue;
            }
            const int pix =
                    p.cross ? pixel_of(p.cross, q.g, t0 + t, q.L, p.height, p.width) : t0 + t;
            const size_t idx = ((size_t)(q.b * q.G + q.g) * q.N + n) * q.L + pix;
            if (asyncIn) {
                if (tl.B) cp_async4(tl.B + o, static_cast<const float*>(p.B) + idx);
                if (tl.C) cp_async4(tl.C + o, static_cast<const float*>(p.C) + idx);
            } else {
                if (tl.B) tl.B[o] = ld(p.B, idx, p.itype);
                if (tl.C) tl.C[o] = ld(p.C, idx, p.itype);
            }
        }
    }
    cp_async_commit();
}

// After the chunk has landed: raw delta -> Δ = softplus(delta + bias) in place, once per element
// (not per lane of a row).
template <int NT, int RPT, int TPR>
VM_DEV void transform(const ScanParams& p, const Geo<NT, RPT, TPR>& q, int tn, float* sd) {
    const int total = q.R << q.logT;
    for (int i = q.tid; i < total; i += q.nthr) {
        const int r = i >> q.logT;
        const int t = i & (q.T - 1);
        const int cl = q.tile * q.R + r;
        const int o = r * q.TP + t;
        float dt = 0.f, dz = 0.f;
        if (cl < q.Dg && t < tn) {
            const float z = sd[o] + (p.bias ? p.bias[q.g * q.Dg + cl] : 0.f);
            step_size(z, p.softplus, dt, dz);
        }
        sd[o] = dt;
    }
}

// Orders shared-memory writes of some lanes of a warp before reads by the others.
VM_DEV void warp_sync() {
#ifndef VMAMBA_HOST_EMULATION
    __syncwarp();
#endif
}

// Makes the writes of one lane visible to the other lanes of its row before a lane overwrites
// a value they have read (only rows shared by several lanes need it).
template <int TPR>
VM_DEV void row_sync() {
#ifndef VMAMBA_HOST_EMULATION
    if constexpr (TPR > 1) __syncwarp();
#endif
}

// Steps per register group of the streaming forward (a multiple of 4, dividing the chunk): more
// for few states per thread, which are memory-bound and need more loads in flight per thread.
// Eight state slots per thread take groups of 8 too (as 4 to 7 do): the per-group work (loads,
// step sizes, output sums) is then spread over twice the steps, with more independent work
// between waits. On an H100 this made the 8 states x 2 lanes split the fastest v0-T stage-1
// forward (10 % below the 4 x 4 one) and the batch-1 forward 4 - 8 % faster back to back.
#ifndef VMAMBA_HOST_EMULATION
__host__ __device__
#endif
constexpr int stream_group(int statesPerThread) {
    return statesPerThread >= 16 ? 4 : statesPerThread >= 4 ? 8 : 16;
}

// Raw delta values per row that a lane loads for a register group of GS steps: when the TPR lanes
// of a row split the group's step sizes between them (group_steps), only its own GS / TPR
// consecutive steps; otherwise all GS.
#ifndef VMAMBA_HOST_EMULATION
__host__ __device__
#endif
constexpr int own_steps(int TPR, int GS) {
    return (TPR > 1 && GS % TPR == 0) ? GS / TPR : GS;
}

// K consecutive floats from p (aligned to min(K, 4) floats) into registers with vector loads:
// load_states, plus one 8-byte load for two.
template <int K>
VM_DEV void load_run(const float* p, float (&dst)[K]) {
    if constexpr (K % 4 == 0) {
        load_states<K>(p, dst);
    } else if constexpr (K == 2) {
        const float2 a = *reinterpret_cast<const float2*>(p);
        dst[0] = a.x;
        dst[1] = a.y;
    } else {
#pragma unroll
        for (int i = 0; i < K; ++i) dst[i] = p[i];
    }
}

// Loads a register group of a thread's rows into registers: the ZS = own_steps steps of raw
// delta from t + sg·ZS that this lane turns into step sizes, and US steps of u, either all GS
// steps from t or (US == ZS) the lane's own steps like delta. Vector loads when the rows allow,
// element loads (with any input type and the sequence end) otherwise. Rows that do not exist and
// steps past the end read as zeros. The lanes of a row thus read different parts of it, not the
// same data four times.
template <int NT, int RPT, int TPR, int GS, int US>
VM_DEV void load_group(const ScanParams& p, const Geo<NT, RPT, TPR>& q, const size_t (&row)[RPT],
                       int t, float (&u)[RPT][US], float (&z)[RPT][own_steps(TPR, GS)]) {
    constexpr int ZS = own_steps(TPR, GS);
    static_assert(US == GS || US == ZS, "u steps: the whole group or the lane's own");
    const int zt = ZS < GS ? t + q.sg * ZS : t;
    const int ut = US < GS ? zt : t;
#pragma unroll
    for (int rr = 0; rr < RPT; ++rr) {
        const bool ok = q.rowOk(rr);
        if (ok && p.vecIn && t + GS <= q.tEnd) {
            // zt and ut are multiples of ZS and US (t is one of GS): aligned vector loads
            load_run<US>(static_cast<const float*>(p.u) + row[rr] + ut, u[rr]);
            load_run<ZS>(static_cast<const float*>(p.delta) + row[rr] + zt, z[rr]);
        } else {
#pragma unroll
            for (int s2 = 0; s2 < US; ++s2) {
                const bool in = ok && ut + s2 < q.tEnd;
                u[rr][s2] = in ? ld(p.u, row[rr] + ut + s2, p.itype) : 0.f;
            }
#pragma unroll
            for (int s2 = 0; s2 < ZS; ++s2) {
                const bool in = ok && zt + s2 < q.tEnd;
                z[rr][s2] = in ? ld(p.delta, row[rr] + zt + s2, p.itype) : 0.f;
            }
        }
    }
}

// Stages only the group's B and C of a chunk (T x NS tiles) -- the data all rows of the block
// share -- with cp.async (float32) or through registers (half types).
template <int NT, int RPT, int TPR>
VM_DEV void stage_bc(const ScanParams& p, const Geo<NT, RPT, TPR>& q, int t0, int tn, float* sB,
                     float* sC) {
    stage(p, q, t0, tn, Tiles{nullptr, nullptr, nullptr, sB, sC});
}

template <bool B>
struct BoolC {
    static constexpr bool value = B;
};

// Δ and Δ·u for the GS steps of a register group of each of the thread's rows, from the values
// that load_group gave this lane. When TPR lanes share a row they would all compute the same Δ:
// instead lane sg of the row computes the GS / TPR consecutive steps from sg·GS / TPR (the only
// ones whose delta it loaded) and the lanes exchange them with shuffles (the softplus costs two
// special-function operations, the unit that bounds the N = 16 forward); with only its own
// steps of u too (US < GS), it exchanges Δ·u the same way.
template <int RPT, int TPR, int GS, int US>
VM_DEV void group_steps(const ScanParams& p, const float (&z)[RPT][own_steps(TPR, GS)],
                        const float (&u)[RPT][US], const float (&bias)[RPT], float (&dt)[RPT][GS],
                        float (&dtu)[RPT][GS]) {
    constexpr int PER = own_steps(TPR, GS);
    if constexpr (PER == GS) {
#pragma unroll
        for (int rr = 0; rr < RPT; ++rr)
#pragma unroll
            for (int s2 = 0; s2 < GS; ++s2) {
                float dz;
                step_size(z[rr][s2] + bias[rr], p.softplus, dt[rr][s2], dz);
                dtu[rr][s2] = dt[rr][s2] * u[rr][s2 % US];
            }
    } else {
        const int lane = threadIdx.x & 31;
        const int first = lane & ~(TPR - 1);
#pragma unroll
        for (int rr = 0; rr < RPT; ++rr) {
            float mine[PER], mdu[PER];
#pragma unroll
            for (int j = 0; j < PER; ++j) {
                float dz;
                step_size(z[rr][j] + bias[rr], p.softplus, mine[j], dz);
                mdu[j] = mine[j] * u[rr][j % US];
            }
#pragma unroll
            for (int s2 = 0; s2 < GS; ++s2) {
                const int src = first | (s2 / PER);
                dt[rr][s2] = VM_SHFL_IDX(mine[s2 % PER], src);
                dtu[rr][s2] = US < GS ? VM_SHFL_IDX(mdu[s2 % PER], src)
                                      : dt[rr][s2] * u[rr][s2 % US];
            }
        }
    }
}

// Reduce-scatter of V values over the lanes that differ in bits OFF, OFF/2, ..., STOP: while
// more than one value is left, a lane keeps half of them (the upper half when its OFF bit is
// set) and adds its partner's copy of that half; once one value is left, the remaining levels
// are plain all-reduce steps, and only the lane with those bits clear stays the writer.
template <int V, int OFF, int STOP>
struct Butterfly {
    // where run() leaves a lane's values, without moving any: the first index and whether the
    // lane writes them (they depend on the lane only)
    static VM_DEV void slot(int lane, int& base, bool& writer) {
        if constexpr (OFF >= STOP && OFF >= 1) {
            if constexpr (V > 1) {
                if (lane & OFF) base += V / 2;
                Butterfly<V / 2, OFF / 2, STOP>::slot(lane, base, writer);
            } else {
                if (lane & OFF) writer = false;
                Butterfly<1, OFF / 2, STOP>::slot(lane, base, writer);
            }
        }
    }

    static VM_DEV void run(float* v, int lane, int& base, bool& writer) {
        if constexpr (OFF >= STOP && OFF >= 1) {
            if constexpr (V > 1) {
                constexpr int H = V / 2;
                const bool up = (lane & OFF) != 0;
#pragma unroll
                for (int i = 0; i < H; ++i) {
                    const float send = up ? v[i] : v[i + H];
                    const float keep = up ? v[i + H] : v[i];
                    v[i] = keep + VM_SHFL_XOR(send, OFF);
                }
                if (up) base += H;
                Butterfly<H, OFF / 2, STOP>::run(v, lane, base, writer);
            } else {
                v[0] += VM_SHFL_XOR(v[0], OFF);
                if (lane & OFF) writer = false;
                Butterfly<1, OFF / 2, STOP>::run(v, lane, base, writer);
            }
        }
    }
};

// ---------------------------------------------------------------------------------------------
// Forward. Modes (by which pointers are set): final (y, optional h0 per span, last state, and
// optionally ckpt: the states the backward starts its chunks from, every 2^ckptShift steps),
// local (hEnd + sumDelta per span, no y), checkpoint (ckpt at every chunk start, optional h0).
// WANT_Y selects the final mode (ss_fwd) or the two state-only modes (ss_fwds), which need no C
// tile and no output sums; SAVE the final mode with ckpt (ss_fwdc). As separate kernels each is
// compiled (and given registers) for its own work.
//
// Each thread streams its own rows of u and delta through registers, a group of GS steps ahead
// (vector loads, no shared-memory round trip; a lane of a row shared by several loads only its
// share of the steps, see load_group), computes Δ = softplus(delta + bias) with them and
// writes y from registers; only B and C, shared by all rows of the block, go through shared
// memory (two cp.async buffers of one chunk each).
template <int NT, int RPT, int TPR, bool WANT_Y, bool SAVE = false>
VM_DEV void fwd_stream_body(const ScanParams& p) {
    // steps per register group: deeper for few states per thread (memory-bound), where more
    // loads must be in flight per thread
    constexpr int GS = stream_group(NT * RPT);
    // outputs of rows split over lanes summed once per register group (reduce-scatter)
    constexpr bool RS = WANT_Y && TPR >= 4 && TPR <= GS;
    const Geo<NT, RPT, TPR> q(p);
    VM_SMEM(smem);
    const int bcTile = align4(q.T * q.NS);
    require(q.nthr % 32 == 0 && WANT_Y == (p.y != nullptr) && q.nthr % TPR == 0 &&
            q.NP >= q.N && q.T % GS == 0 &&
            (!WANT_Y || SAVE == (p.ckpt != nullptr)) &&
            (!SAVE || ((1 << p.ckptShift) % GS == 0 && p.ckptChunks > 0)) &&
            (unsigned)(4 * bcTile) * 4u <= dyn_smem_bytes());

    float A2[RPT][NT], h[RPT][NT], Dv[RPT], bias[RPT], sumD[RPT];
    size_t row[RPT];
#pragma unroll
    for (int rr = 0; rr < RPT; ++rr) {
        const bool ok = q.rowOk(rr);
        const int c = q.channel(rr);
        row[rr] = q.rowIndex(c) * q.L;
        Dv[rr] = (ok && p.D) ? p.D[c] : 0.f;
        bias[rr] = (ok && p.bias) ? p.bias[c] : 0.f;
        sumD[rr] = 0.f;
        row_states(p, q, rr, p.h0, A2[rr], h[rr]);
    }

    const int first = q.tBegin >> q.logT;
    const int nck = (q.tEnd - q.tBegin + q.T - 1) >> q.logT;
    // groups in flight: two for memory-bound configurations (few states per thread)
    constexpr int PD = (NT * RPT < 4) ? 2 : 1;
    constexpr int ZS = own_steps(TPR, GS);  // raw delta steps this lane loads per group
    // u steps: the lane's own when the outputs are reduce-scattered (its share of a step's sum
    // then needs no u; the D·u term is added to the steps it ends up writing, its own)
    constexpr int US = RS ? ZS : GS;
    float cu[RPT][US], cz[RPT][ZS];  // the group being computed
    float au[RPT][US], az[RPT][ZS];  // the next one, already requested (PD == 2)
    load_group<NT, RPT, TPR, GS, US>(p, q, row, q.tBegin, cu, cz);
    if constexpr (PD == 2) load_group<NT, RPT, TPR, GS, US>(p, q, row, q.tBegin + GS, au, az);
    stage_bc(p, q, q.tBegin, min(q.T, q.tEnd - q.tBegin), smem, WANT_Y ? smem + bcTile : nullptr);
    for (int k = 0; k < nck; ++k) {
        const int t0 = (first + k) << q.logT;
        const int tn = min(q.T, q.tEnd - t0);
        const bool more = k + 1 < nck;
        float* sB = smem + (k & 1) * 2 * bcTile;
        float* sC = sB + bcTile;
        if (more) {
            float* nB = smem + ((k + 1) & 1) * 2 * bcTile;
            stage_bc(p, q, t0 + q.T, min(q.T, q.tEnd - t0 - q.T), nB,
                     WANT_Y ? nB + bcTile : nullptr);
        }
        cp_async_wait(more);
        __syncthreads();
        if constexpr (!WANT_Y) {
            if (p.ckpt) {
                const bool vecCk = vector_states(p.ckpt, q.N);
#pragma unroll
                for (int rr = 0; rr < RPT; ++rr) {
                    if (!q.rowOk(rr)) continue;
                    float* dst =
                            p.ckpt + (q.rowIndex(q.channel(rr)) * p.nChunks + first + k) * q.N;
                    put_states<NT>(dst, q.sg, q.N, vecCk, h[rr]);
                }
            }
        }
        for (int tg = 0; tg < tn; tg += GS) {
            if constexpr (SAVE) {
                // saved for the backward: the state entering every ckptShift-aligned step (the
                // backward's chunk starts; the stride is a multiple of GS, so every one of them
                // starts a group). Stored before the group's loads are requested: after them it
                // cost 25 more registers.
                const int t = t0 + tg;
                if ((t & ((1 << p.ckptShift) - 1)) == 0) {
                    const bool vecCk = vector_states(p.ckpt, q.N);
#pragma unroll
                    for (int rr = 0; rr < RPT; ++rr) {
                        if (!q.rowOk(rr)) continue;
                        float* dst = p.ckpt + (q.rowIndex(q.channel(rr)) * p.ckptChunks +
                                               (t >> p.ckptShift)) *
                                                      q.N;
                        put_states<NT>(dst, q.sg, q.N, vecCk, h[rr]);
                    }
                }
            }
            float nu[RPT][US], nz[RPT][ZS];
            load_group<NT, RPT, TPR, GS, US>(p, q, row, t0 + tg + PD * GS, nu, nz);
            float yv[RPT][GS], dtv[RPT][GS], duv[RPT][GS];
            group_steps<RPT, TPR, GS, US>(p, cz, cu, bias, dtv, duv);
            // full chunks run without per-step bounds checks (the common case)
            auto steps = [&](auto full, auto out) {
                constexpr bool FULL = decltype(full)::value;
                constexpr bool OUT = decltype(out)::value;
#pragma unroll
                for (int s2 = 0; s2 < GS; ++s2) {
                    const int t = tg + s2;
                    if (FULL || t < tn) {
                        float Bv[NT];
                        load_states<NT>(sB + t * q.NS + q.sg * NT, Bv);
                        // rows past the group need no guard here: their u and delta read as
                        // zeros and their A and h as zeros, so Δ·u = 0 and h stays 0, and
                        // nothing of theirs is stored
                        if constexpr (!OUT) {
#pragma unroll
                            for (int rr = 0; rr < RPT; ++rr) {
                                const float dt = dtv[rr][s2];
                                const float dtu = duv[rr][s2];
#pragma unroll
                                for (int j = 0; j < NT; ++j) {
                                    h[rr][j] = fmaf(exp2f(dt * A2[rr][j]), h[rr][j], dtu * Bv[j]);
                                }
                                sumD[rr] += dt;
                            }
                            continue;
                        }
                        float Cv[NT];
                        load_states<NT>(sC + t * q.NS + q.sg * NT, Cv);
#pragma unroll
                        for (int rr = 0; rr < RPT; ++rr) {
                            const float dt = dtv[rr][s2];
                            const float dtu = duv[rr][s2];
                            // NT / 4 partial sums of at most four terms: short FMA chains
                            // without an extra multiply and add per sum
                            constexpr int NA = NT >= 8 ? NT / 4 : 1;
                            float acc[NA];
#pragma unroll
                            for (int i = 0; i < NA; ++i) acc[i] = 0.f;
#pragma unroll
                            for (int j = 0; j < NT; ++j) {
                                const float a = exp2f(dt * A2[rr][j]);
                                h[rr][j] = fmaf(a, h[rr][j], dtu * Bv[j]);
                                acc[j % NA] = fmaf(Cv[j], h[rr][j], acc[j % NA]);
                            }
                            float sum = acc[0];
#pragma unroll
                            for (int i = 1; i < NA; ++i) sum += acc[i];
                            if constexpr (RS) {
                                // this lane's share; the group's sums are reduce-scattered below
                                yv[rr][s2] = sum;
                            } else {
#pragma unroll
                                for (int off = 1; off < TPR; off <<= 1) {
                                    sum += VM_SHFL_XOR(sum, off);
                                }
                                yv[rr][s2] = fmaf(Dv[rr], cu[rr][s2 % US], sum);
                            }
                            sumD[rr] += dt;
                        }
                    }
                }
            };
            if (tn == q.T) {
                steps(BoolC<true>{}, BoolC<WANT_Y>{});
            } else {
                steps(BoolC<false>{}, BoolC<WANT_Y>{});
            }
            if constexpr (WANT_Y && RS) {
                // the row's lanes sum the group's outputs by reduce-scatter: lane sg ends with
                // the GS / TPR consecutive steps from `base` (log2 TPR shuffle levels for GS
                // steps instead of log2 TPR per step) and writes them
                const int cnt = min(GS, tn - tg);
                constexpr int VL = GS / TPR;
#pragma unroll
                for (int rr = 0; rr < RPT; ++rr) {
                    int base = 0;
                    bool writer = true;
                    Butterfly<GS, TPR / 2, 1>::run(yv[rr], q.tid & 31, base, writer);
                    if (!q.rowOk(rr)) continue;
                    // the lane's steps base .. base + VL - 1 are its own (base = sg·VL), whose u
                    // it holds
#pragma unroll
                    for (int k = 0; k < VL; ++k) {
                        yv[rr][k] = fmaf(Dv[rr], cu[rr][k % US], yv[rr][k]);
                    }
                    const size_t o = row[rr] + t0 + tg + base;
                    if (p.vecOut && cnt == GS && VL == 4) {
                        *reinterpret_cast<float4*>(static_cast<float*>(p.y) + o) =
                                make_float4(yv[rr][0], yv[rr][1], yv[rr][2], yv[rr][3]);
                    } else if (p.vecOut && cnt == GS && VL == 2) {
                        *reinterpret_cast<float2*>(static_cast<float*>(p.y) + o) =
                                make_float2(yv[rr][0], yv[rr][1]);
                    } else {
#pragma unroll
                        for (int k = 0; k < VL; ++k) {
                            if (base + k < cnt) st(p.y, o + k, yv[rr][k], p.otype);
                        }
                    }
                }
            } else if (p.y && q.sg == 0) {
                const int cnt = min(GS, tn - tg);
#pragma unroll
                for (int rr = 0; rr < RPT; ++rr) {
                    if (!q.rowOk(rr)) continue;
                    const size_t o = row[rr] + t0 + tg;
                    if (p.vecOut && cnt == GS) {
                        float4* yp = reinterpret_cast<float4*>(static_cast<float*>(p.y) + o);
#pragma unroll
                        for (int v = 0; v < GS / 4; ++v) {
                            yp[v] = make_float4(yv[rr][4 * v], yv[rr][4 * v + 1], yv[rr][4 * v + 2],
                                                yv[rr][4 * v + 3]);
                        }
                    } else {
#pragma unroll
                        for (int s2 = 0; s2 < GS; ++s2) {
                            if (s2 < cnt) st(p.y, o + s2, yv[rr][s2], p.otype);
                        }
                    }
                }
            }
#pragma unroll
            for (int rr = 0; rr < RPT; ++rr)
#pragma unroll
                for (int s2 = 0; s2 < GS; ++s2) {
                    if constexpr (PD == 2) {
                        if (s2 < US) {
                            cu[rr][s2] = au[rr][s2];
                            au[rr][s2] = nu[rr][s2];
                        }
                        if (s2 < ZS) {
                            cz[rr][s2] = az[rr][s2];
                            az[rr][s2] = nz[rr][s2];
                        }
                    } else {
                        if (s2 < US) cu[rr][s2] = nu[rr][s2];
                        if (s2 < ZS) cz[rr][s2] = nz[rr][s2];
                    }
                }
        }
        __syncthreads();  // this B/C buffer is refilled by the prefetch of the next iteration
    }

#pragma unroll
    for (int rr = 0; rr < RPT; ++rr) {
        if (!q.rowOk(rr)) continue;
        const size_t rowId = q.rowIndex(q.channel(rr));
#pragma unroll
        for (int j = 0; j < NT; ++j) {
            const int n = q.sg * NT + j;
            if (n >= q.N) continue;
            if (!WANT_Y && p.hEnd) p.hEnd[(rowId * p.nSpans + q.span) * q.N + n] = h[rr][j];
            if (p.last && q.span == p.nSpans - 1) p.last[rowId * q.N + n] = h[rr][j];
        }
        if (!WANT_Y && p.sumDelta && q.sg == 0) {
            p.sumDelta[rowId * p.nSpans + q.span] = sumD[rr];
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Forward of the fused cross-scan (rows gathered through the direction index maps): u and delta
// are staged in shared memory tiles like B and C, and every direction's y is added into the
// merged output. Modes as fwd_stream_body. Shared memory: two buffers of {u, delta, B, C}.
template <int NT, int RPT, int TPR>
VM_DEV void fwd_tiled_body(const ScanParams& p) {
    const Geo<NT, RPT, TPR> q(p);
    VM_SMEM(smem);
    const bool vecCk = vector_states(p.ckpt, q.N);
    const int rowTile = align4(q.R * q.TP);
    const int bcTile = align4(q.T * q.NS);
    const int bufSize = 2 * rowTile + 2 * bcTile;
    require(q.nthr % 32 == 0 && q.nthr % TPR == 0 && q.NP >= q.N &&
            (unsigned)(2 * bufSize) * 4u <= dyn_smem_bytes());
    // buffer k: {u, delta, B, C}
    auto tiles = [&](int k) {
        float* base = smem + (k & 1) * bufSize;
        return Tiles{base, base + rowTile, nullptr, base + 2 * rowTile, base + 2 * rowTile + bcTile};
    };

    float A2[RPT][NT], h[RPT][NT], Dv[RPT], sumD[RPT];
#pragma unroll
    for (int rr = 0; rr < RPT; ++rr) {
        const bool ok = q.rowOk(rr);
        const int c = q.channel(rr);
        Dv[rr] = (ok && p.D) ? p.D[c] : 0.f;
        sumD[rr] = 0.f;
        row_states(p, q, rr, p.h0, A2[rr], h[rr]);
    }

    const int first = q.tBegin >> q.logT;
    const int nck = (q.tEnd - q.tBegin + q.T - 1) >> q.logT;
    stage(p, q, q.tBegin, min(q.T, q.tEnd - q.tBegin), tiles(0));
    for (int k = 0; k < nck; ++k) {
        const int t0 = (first + k) << q.logT;
        const int tn = min(q.T, q.tEnd - t0);
        const bool more = k + 1 < nck;
        if (more) stage(p, q, t0 + q.T, min(q.T, q.tEnd - t0 - q.T), tiles(k + 1));
        const Tiles cur = tiles(k);
        cp_async_wait(more);
        __syncthreads();
        transform(p, q, tn, cur.d);
        if (p.ckpt) {
#pragma unroll
            for (int rr = 0; rr < RPT; ++rr) {
                if (!q.rowOk(rr)) continue;
                float* dst = p.ckpt + (q.rowIndex(q.channel(rr)) * p.nChunks + first + k) * q.N;
                put_states<NT>(dst, q.sg, q.N, vecCk, h[rr]);
            }
        }
        __syncthreads();
        for (int t = 0; t < tn; ++t) {
            float Bv[NT], Cv[NT];
            load_states<NT>(cur.B + t * q.NS + q.sg * NT, Bv);
            load_states<NT>(cur.C + t * q.NS + q.sg * NT, Cv);
#pragma unroll
            for (int rr = 0; rr < RPT; ++rr) {
                const int o = q.rho(rr) * q.TP + t;
                const float dt = cur.d[o];
                const float uu = cur.u[o];
                const float dtu = dt * uu;
                float acc = 0.f;
#pragma unroll
                for (int j = 0; j < NT; ++j) {
                    const float a = exp2f(dt * A2[rr][j]);
                    h[rr][j] = fmaf(a, h[rr][j], dtu * Bv[j]);
                    acc = fmaf(Cv[j], h[rr][j], acc);
                }
#pragma unroll
                for (int off = 1; off < TPR; off <<= 1) acc += VM_SHFL_XOR(acc, off);
                row_sync<TPR>();
                // y overwrites u in place once every lane of the row has read it
                if (q.sg == 0) cur.u[o] = fmaf(Dv[rr], uu, acc);
                sumD[rr] += dt;
            }
        }
        if (p.y) {
            __syncthreads();
            const int total = q.R << q.logT;
            for (int i = q.tid; i < total; i += q.nthr) {
                const int r = i >> q.logT;
                const int t = i & (q.T - 1);
                const int cl = q.tile * q.R + r;
                if (cl < q.Dg && t < tn) {
                    const float v = cur.u[r * q.TP + t];
                    if (p.cross) {
                        const int pix = pixel_of(p.cross, q.g, t0 + t, q.L, p.height, p.width);
                        atomicAdd(static_cast<float*>(p.y) + ((size_t)q.b * q.Dg + cl) * q.L + pix, v);
                    } else {
                        st(p.y, q.rowIndex(q.g * q.Dg + cl) * q.L + t0 + t, v, p.otype);
                    }
                }
            }
        }
        __syncthreads();  // this buffer is refilled by the prefetch of the next iteration
    }

#pragma unroll
    for (int rr = 0; rr < RPT; ++rr) {
        if (!q.rowOk(rr)) continue;
        const size_t row = q.rowIndex(q.channel(rr));
#pragma unroll
        for (int j = 0; j < NT; ++j) {
            const int n = q.sg * NT + j;
            if (n >= q.N) continue;
            if (p.hEnd) p.hEnd[(row * p.nSpans + q.span) * q.N + n] = h[rr][j];
            if (p.last && q.span == p.nSpans - 1) p.last[row * q.N + n] = h[rr][j];
        }
        if (p.sumDelta && q.sg == 0) p.sumDelta[row * p.nSpans + q.span] = sumD[rr];
    }
}

// Δ = softplus(delta + bias) in place for the thread's own rows of a plain (R x TP) tile of a
// chunk (steps past tn and rows past Dg get zeros): lane sg of a row takes the steps t with
// t % TPR == sg (the caller has a block barrier next). `bias` holds the rows' delta_bias, read
// once per kernel: a read from global memory here, at every chunk, was the backward's largest
// wait for memory (Nsight Compute, stage 3).
template <int NT, int RPT, int TPR>
VM_DEV void transform_rows(const ScanParams& p, const Geo<NT, RPT, TPR>& q, int tn,
                           const float (&bias)[RPT], float* tile) {
#pragma unroll
    for (int rr = 0; rr < RPT; ++rr) {
        const bool ok = q.rowOk(rr);
        float* row = tile + q.rho(rr) * q.TP;
        for (int t = q.sg; t < q.T; t += TPR) {
            float dt = 0.f, dz = 0.f;
            if (ok && t < tn) step_size(row[t] + bias[rr], p.softplus, dt, dz);
            row[t] = dt;
        }
    }
}

// The fields of the backward's interleaved per-row, per-step records (see bwd_body).
constexpr int kRecD = 0, kRecG = 1, kRecU = 2, kRecZ = 3;

// The backward's records {Δ, dy, u, dΔ/dz} of the thread's own rows for a chunk, formed from the
// staged plain (R x T) tiles of raw delta, dy and u: Δ = softplus(delta + bias) once per element
// (steps past tn and rows past Dg get zeros). Lane sg of a row forms the quads of steps from
// 4 sg, 4 (sg + TPR), ... with 16-byte reads of the tiles when the chunk has a quad for each of
// the row's lanes, otherwise the steps sg, sg + TPR, ...; one 16-byte write per record. The
// caller's next block barrier orders these writes before the records are read.
template <int NT, int RPT, int TPR>
VM_DEV void form_records(const ScanParams& p, const Geo<NT, RPT, TPR>& q, int tn,
                         const float (&bias)[RPT], const Tiles& pl, float* rec) {
#pragma unroll
    for (int rr = 0; rr < RPT; ++rr) {
        const int r = q.rho(rr);
        const bool ok = q.rowOk(rr);
        const float* d = pl.d + r * q.T;
        const float* g = pl.g + r * q.T;
        const float* u = pl.u + r * q.T;
        float4* out = reinterpret_cast<float4*>(rec + 4 * r * q.TP);
        auto record = [&](int t, float z, float gv, float uv) {
            float dt = 0.f, dz = 0.f;
            const bool in = ok && t < tn;
            if (in) step_size(z + bias[rr], p.softplus, dt, dz);
            float f[4];
            f[kRecD] = dt;
            f[kRecG] = in ? gv : 0.f;
            f[kRecU] = in ? uv : 0.f;
            f[kRecZ] = dz;
            out[t] = make_float4(f[0], f[1], f[2], f[3]);
        };
        if (q.T >= 4 * TPR) {
            // q.T / (4 TPR) quads per lane (powers of two)
            for (int k = 0; k < q.T / (4 * TPR); ++k) {
                const int t = 4 * (q.sg + k * TPR);
                const float4 dv = *reinterpret_cast<const float4*>(d + t);
                const float4 gv = *reinterpret_cast<const float4*>(g + t);
                const float4 uv = *reinterpret_cast<const float4*>(u + t);
                record(t, dv.x, gv.x, uv.x);
                record(t + 1, dv.y, gv.y, uv.y);
                record(t + 2, dv.z, gv.z, uv.z);
                record(t + 3, dv.w, gv.w, uv.w);
            }
        } else if (q.T % TPR == 0) {
            // the general loop below with its trip count made plain (q.T / TPR for every lane),
            // so that the fixed-geometry copy unrolls it
            for (int k = 0; k < q.T / TPR; ++k) {
                const int t = q.sg + k * TPR;
                record(t, d[t], g[t], u[t]);
            }
        } else {
            for (int t = q.sg; t < q.T; t += TPR) record(t, d[t], g[t], u[t]);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Backward, local reverse pass of a span (used when the backward is split into spans): runs
// lambda_t = C_t g_t + ā_{t+1} lambda_{t+1} from zero at the span's end and writes
// ā_{t0} lambda_{t0} (the span's contribution to the carry into the span on its left) to hEnd,
// and the span's sum of step sizes to sumDelta. Shared memory: two buffers of {delta, dy, C}.
template <int NT, int RPT, int TPR>
VM_DEV void bwd_local_body(const ScanParams& p) {
    const Geo<NT, RPT, TPR> q(p);
    VM_SMEM(smem);
    const int rowTile = align4(q.R * q.TP);
    const int bcTile = align4(q.T * q.NS);
    const int bufSize = 2 * rowTile + bcTile;
    require(q.nthr % 32 == 0 && q.nthr % TPR == 0 && q.NP >= q.N &&
            (unsigned)(2 * bufSize) * 4u <= dyn_smem_bytes());
    // buffer k: {delta, dy, C}
    auto tiles = [&](int k) {
        float* base = smem + (k & 1) * bufSize;
        return Tiles{nullptr, base, base + rowTile, nullptr, base + 2 * rowTile};
    };

    float A2[RPT][NT], x[RPT][NT], sumD[RPT], biasRow[RPT];
#pragma unroll
    for (int rr = 0; rr < RPT; ++rr) {
        sumD[rr] = 0.f;
        biasRow[rr] = (q.rowOk(rr) && p.bias) ? p.bias[q.channel(rr)] : 0.f;
        row_states(p, q, rr, nullptr, A2[rr], x[rr]);
    }
    const int cFirst = q.tBegin >> q.logT;
    const int cLast = (q.tEnd - 1) >> q.logT;
    const int nck = cLast - cFirst + 1;
    stage(p, q, cLast << q.logT, min(q.T, q.tEnd - (cLast << q.logT)), tiles(0));
    for (int k = 0; k < nck; ++k) {
        const int ci = cLast - k;
        const int t0 = ci << q.logT;
        const int tn = min(q.T, q.tEnd - t0);
        const bool more = k + 1 < nck;
        if (more) stage(p, q, t0 - q.T, q.T, tiles(k + 1));
        const Tiles cur = tiles(k);
        cp_async_wait(more);
        __syncthreads();
        transform_rows(p, q, tn, biasRow, cur.d);
        __syncthreads();
        for (int t = tn - 1; t >= 0; --t) {
            float Cv[NT];
            load_states<NT>(cur.C + t * q.NS + q.sg * NT, Cv);
#pragma unroll
            for (int rr = 0; rr < RPT; ++rr) {
                const int o = q.rho(rr) * q.TP + t;
                const float dt = cur.d[o];
                const float gg = cur.g[o];
#pragma unroll
                for (int j = 0; j < NT; ++j) {
                    const float lam = fmaf(Cv[j], gg, x[rr][j]);
                    x[rr][j] = exp2f(dt * A2[rr][j]) * lam;
                }
                sumD[rr] += dt;
            }
        }
        __syncthreads();
    }
#pragma unroll
    for (int rr = 0; rr < RPT; ++rr) {
        if (!q.rowOk(rr)) continue;
        const size_t row = q.rowIndex(q.channel(rr));
#pragma unroll
        for (int j = 0; j < NT; ++j) {
            const int n = q.sg * NT + j;
            if (n < q.N) p.hEnd[(row * p.nSpans + q.span) * q.N + n] = x[rr][j];
        }
        if (q.sg == 0) p.sumDelta[row * p.nSpans + q.span] = sumD[rr];
    }
}

// ---------------------------------------------------------------------------------------------
// Per-thread slots in shared memory: K floats per thread and slot, kept as units of W floats
// (16 bytes when K allows) at ((slot * K/W + unit) * nthr + tid) * W, so the lanes of a warp
// touch consecutive units: one conflict-free vector access per unit.
template <int K>
struct ThreadSlots {
    static constexpr int W = K % 4 == 0 ? 4 : K % 2 == 0 ? 2 : 1;
    static constexpr int U = K / W;
    float* base;  // this thread's first unit
    int stride;   // floats between two units of one thread

    VM_DEV ThreadSlots(float* s, int nthr, int tid) : base(s + tid * W), stride(nthr * W) {}

    // floats of `slots` slots for a block of nthr threads
    VM_DEV static int floats(int slots, int nthr) { return slots * K * nthr; }

    // unit u (floats u·W ..) of this thread's slot
    VM_DEV float* unit(int slot, int u) const { return base + (slot * U + u) * stride; }

    template <int R, int C>
    VM_DEV void store(int slot, const float (&v)[R][C]) const {
        static_assert(R * C == K, "slot size");
        float* s = base + slot * U * stride;
#pragma unroll
        for (int u = 0; u < U; ++u) {
            const int k = u * W;
            if constexpr (W == 4) {
                *reinterpret_cast<float4*>(s + u * stride) =
                        make_float4(v[k / C][k % C], v[(k + 1) / C][(k + 1) % C],
                                    v[(k + 2) / C][(k + 2) % C], v[(k + 3) / C][(k + 3) % C]);
            } else {
#pragma unroll
                for (int i = 0; i < W; ++i) s[u * stride + i] = v[(k + i) / C][(k + i) % C];
            }
        }
    }

    template <int R, int C>
    VM_DEV void load(int slot, float (&v)[R][C]) const {
        static_assert(R * C == K, "slot size");
        const float* s = base + slot * U * stride;
#pragma unroll
        for (int u = 0; u < U; ++u) {
            const int k = u * W;
            if constexpr (W == 4) {
                const float4 f = *reinterpret_cast<const float4*>(s + u * stride);
                v[k / C][k % C] = f.x;
                v[(k + 1) / C][(k + 1) % C] = f.y;
                v[(k + 2) / C][(k + 2) % C] = f.z;
                v[(k + 3) / C][(k + 3) % C] = f.w;
            } else {
#pragma unroll
                for (int i = 0; i < W; ++i) v[(k + i) / C][(k + i) % C] = s[u * stride + i];
            }
        }
    }
};

// How many of a step's 2 RPT row sums a lane keeps after their reduce-scatter over the TPR
// lanes of its rows.
template <int RPT, int TPR>
struct RowSums {
    static constexpr int VH = 2 * RPT >= TPR ? 2 * RPT / TPR : 1;
};

// v[i] for an index known only at run time, by selects (indexing a register array with it would
// move the array to local memory).
template <int K, typename X>
VM_DEV X pick(const X (&v)[K], int i) {
    X r = v[0];
#pragma unroll
    for (int k = 1; k < K; ++k) {
        if (i == k) r = v[k];
    }
    return r;
}

// How the backward hands its per-step dB/dC partials (2·NT per thread: Σ over its rows of
// λ Δ u and of dy h) to the block reduction: PRE levels of the warp reduce-scatter over the
// lanes of different rows first (down to one value per thread and step, or as far as the row
// lanes allow: fewer shared-memory stores and a smaller partials tile, measured faster than
// stopping at four), then the values go to shared memory and are summed over the remaining row
// lanes and the warps once per chunk.
template <int NT, int TPR>
struct BwdPartials {
    static constexpr int V = 2 * NT;
    static constexpr int ROW_BITS = log2_exact(32 / TPR);  // lane bits that select rows
    static constexpr int WANT = log2_exact(V);
    static constexpr int PRE = WANT < ROW_BITS ? WANT : ROW_BITS;
    static constexpr int VS = V >> PRE;  // values stored per thread and step
    static constexpr int FREE = 1 << (ROW_BITS - PRE);  // row lanes still to sum per warp
};

// The λ carry entering this span from its right, from the reverse local pass's results (hEnd,
// sumDelta per span) when no chained carries (mu) are given: the chain over the spans right of
// this one that the reverse ss_combine computes, with the same operations in the same order, so
// the backward needs no combine launch in between (its latency and a launch are a visible part
// of a batch-1 backward). Loads go a batch of spans ahead of the dependent chain.
template <int NT, int RPT, int TPR>
VM_DEV void reverse_carry(const ScanParams& p, const Geo<NT, RPT, TPR>& q, int rr,
                          const float (&A2)[NT], float (&x)[NT]) {
#pragma unroll
    for (int j = 0; j < NT; ++j) x[j] = 0.f;
    if (!q.rowOk(rr)) return;
    const size_t row = q.rowIndex(q.channel(rr));
    const int S = p.nSpans;
    constexpr int kBatch = 4;
    for (int k0 = S - 1; k0 > q.span; k0 -= kBatch) {
        float e[kBatch][NT], sd[kBatch];
#pragma unroll
        for (int u = 0; u < kBatch; ++u) {
            const int k = k0 - u;
            const size_t o = row * S + (k > q.span ? k : q.span);
            sd[u] = p.sumDelta[o];
#pragma unroll
            for (int j = 0; j < NT; ++j) {
                const int n = q.sg * NT + j;
                e[u][j] = n < q.N ? p.hEnd[o * q.N + n] : 0.f;
            }
        }
#pragma unroll
        for (int u = 0; u < kBatch; ++u) {
            if (k0 - u > q.span) {
#pragma unroll
                for (int j = 0; j < NT; ++j) x[j] = fmaf(exp2f(A2[j] * sd[u]), x[j], e[u][j]);
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Backward of a span: walks its chunks right to left. Per chunk: form each row's records from
// the staged rows of u, delta and dy by the row's own lanes, then (after a block barrier) stage
// the next chunk to the left into the same tiles while this one is worked on (16-byte copies
// where the rows allow), rescan the chunk forwards from its checkpoint,
// keeping every state in shared memory (one 16-byte store per four states), then walk it
// backwards carrying λ and form the gradients of spec §5.3 with no branch in the step. The
// per-row inputs of a step are one interleaved record {Δ, dy, u, dΔ/dz} (a single 16-byte
// read); the row's lanes reduce-scatter its sums and write {du, ddelta} back into it, and the
// records are written out coalesced after the walk. The chunk's checkpoint is copied one chunk
// ahead. The dB/dC partials go, after at most a few reduce-scatter levels, to shared memory
// and are summed over the block's rows once per chunk, then added atomically; dA, dD and
// d(delta_bias) are summed per thread over the span and added atomically at the end.
// Shared memory: one set of u, delta, dy tiles (R x T each); two buffers of {B, C}; the chunk's
// records (R x TP x 4); its states (T slots: the checkpoint, then h_0 .. h_{T-2}; h_{T-1} stays
// in registers), whose slot t holds the partials of step t once the walk has read it; its summed
// dB/dC (2 NP x T); one more slot per thread into which the next chunk's checkpoint is copied
// ahead. The stage-1 configuration (64 rows, 4 states x 4 lanes) needs 54.5 KB: four blocks per
// SM, which made its kernel 10 % faster on an H100 than three (a second set of row tiles, 60.5
// KB, kept the staging a whole chunk ahead but left room for three).
template <int NT, int RPT, int TPR, int FT = 0, int FN = 0>
VM_DEV void bwd_body(const ScanParams& p) {
    using Part = BwdPartials<NT, TPR>;
    using States = ThreadSlots<RPT * NT>;
    static_assert(Part::VS <= RPT * NT, "a step's partials fit in the state slot it frees");
    static_assert((FT == 0) == (FN == 0), "the chunk and the block size are fixed together");
    const Geo<NT, RPT, TPR> q(p, FT, FN);
    // item counts of the block-wide per-chunk loops when they are compile-time (else 0)
    constexpr int kRowSteps = FT ? FN / TPR * RPT * FT : 0;  // rows x steps of a chunk
    constexpr int kSums = 2 * NT * TPR * FT;                 // (dB, dC) x states x steps
    VM_SMEM(smem);
    const int nwarps = q.nthr / 32;
    const int plTile = align4(q.R * q.T);
    const int recTile = 4 * align4(q.R * q.TP);
    const int bcTile = align4(q.T * q.NS);
    const int hTile = States::floats(q.T, q.nthr);
    const int sumTile = align4(2 * q.NP * q.T);
    const int ckTile = States::floats(1, q.nthr);
    require(q.nthr % 32 == 0 && q.nthr % TPR == 0 && q.NP >= q.N &&
            (unsigned)(3 * plTile + 4 * bcTile + recTile + hTile + sumTile + ckTile) * 4u <=
                    dyn_smem_bytes());
    // one set of u, delta, dy tiles (plain, 16-byte aligned rows), two buffers of {B, C}
    auto tiles = [&](int k) {
        float* bc = smem + 3 * plTile + (k & 1) * 2 * bcTile;
        return Tiles{smem, smem + plTile, smem + 2 * plTile, bc, bc + bcTile, 1, q.T};
    };
    float* const rec = smem + 3 * plTile + 4 * bcTile;  // the chunk's records
    float* sStates = rec + recTile;
    const States sH(sStates, q.nthr, q.tid);
    // value i of thread x's dB/dC partials of step t: in x's state slot t, which the reverse walk
    // frees at step t (the first unit of the slot, then the next)
    auto part = [&](int t, int x, int i) {
        return sStates + t * (RPT * NT) * q.nthr + (i / States::W) * (q.nthr * States::W) +
               x * States::W + i % States::W;
    };
    float* sSum = sStates + hTile;  // (2 NP, T): the chunk's dB (first NP rows) and dC
    const bool vecCk = vector_states(p.ckpt, q.N);
    // The checkpoint a chunk starts from, copied by cp.async one chunk ahead into a slot of this
    // thread's own (so no barrier orders it), where whole 16-byte slices of it can be: the
    // chunk then starts without waiting for a load from global memory. Otherwise it is read
    // when the chunk starts.
    const States sCk(sSum + sumTile, q.nthr, q.tid);
    const bool ckAsync = NT % 4 == 0 && vecCk && q.NP == q.N;
    // chunk ci's checkpoint (state row) of the thread's row rr
    auto ckRow = [&](int rr, int ci) -> const float* {
        return p.ckpt + (q.rowIndex(q.channel(rr)) * p.nChunks + ci) * q.N;
    };
    // requests chunk ci's checkpoint slices of the thread's rows (zeros for rows past the group)
    auto fetchCk = [&](int ci) {
        if constexpr (NT % 4 == 0) {
#pragma unroll
            for (int rr = 0; rr < RPT; ++rr) {
                const float* src = ckRow(rr, ci) + q.sg * NT;
#pragma unroll
                for (int qd = 0; qd < NT / 4; ++qd) {
                    float* dst = sCk.unit(0, rr * (NT / 4) + qd);
                    if (q.rowOk(rr)) {
                        cp_async16(dst, src + 4 * qd);
                    } else {
                        *reinterpret_cast<float4*>(dst) = make_float4(0.f, 0.f, 0.f, 0.f);
                    }
                }
            }
            cp_async_commit();
        }
    };

    const int lane = q.tid & 31;
    // du and ddelta rows as whole 16-byte stores (float32, 16-byte aligned rows)
    const bool vecD =
            p.gradType == kF32 && p.vecIn && aligned16(p.du) && aligned16(p.ddelta);

    float A2[RPT][NT], x[RPT][NT], dAacc[RPT][NT], Dv[RPT], dDacc[RPT], biasRow[RPT];
#pragma unroll
    for (int rr = 0; rr < RPT; ++rr) {
        const bool ok = q.rowOk(rr);
        const int c = q.channel(rr);
        Dv[rr] = (ok && p.D) ? p.D[c] : 0.f;
        biasRow[rr] = (ok && p.bias) ? p.bias[c] : 0.f;
        dDacc[rr] = 0.f;
        row_states(p, q, rr, p.mu, A2[rr], x[rr]);
        if (p.mu == nullptr && p.hEnd != nullptr) reverse_carry(p, q, rr, A2[rr], x[rr]);
#pragma unroll
        for (int j = 0; j < NT; ++j) dAacc[rr][j] = 0.f;
    }
    // A step's row sums (per row: Σ λ B, then dΔ before the softplus factor dz; 2 RPT values)
    // are reduce-scattered over the row's lanes: log2 TPR shuffle levels for all rows together
    // instead of two shuffles per row and level. This lane ends with Row::VH of them from
    // rowBase (value 2 rr + 1 is row rr's dΔ part) and, when rowWriter, turns each into du or
    // ddelta of its row and stores it: the stores are spread over the row's lanes too.
    using Row = RowSums<RPT, TPR>;
    int rowBase = 0;
    bool rowWriter = true;
    Butterfly<2 * RPT, TPR / 2, 1>::slot(lane, rowBase, rowWriter);
    float Dmine[Row::VH], dbacc[Row::VH];
#pragma unroll
    for (int k = 0; k < Row::VH; ++k) {
        Dmine[k] = pick(Dv, (rowBase + k) >> 1);
        dbacc[k] = 0.f;
    }

    const int cFirst = q.tBegin >> q.logT;
    const int cLast = (q.tEnd - 1) >> q.logT;
    const int nck = cLast - cFirst + 1;
    stage<NT, RPT, TPR, true, FT, FN>(p, q, cLast << q.logT,
                                      min(q.T, q.tEnd - (cLast << q.logT)), tiles(0));
    if (ckAsync) fetchCk(cLast);
    for (int k = 0; k < nck; ++k) {
        const int ci = cLast - k;
        const int t0 = ci << q.logT;
        const int tn = min(q.T, q.tEnd - t0);
        const bool more = k + 1 < nck;
        const Tiles cur = tiles(k);
        // The per-chunk work below addresses with a copy of the geometry whose thread and block
        // indices are recomputed every chunk: otherwise the compiler keeps its addresses live
        // in registers across the reverse walk, which then has fewer for its own loads.
        Geo<NT, RPT, TPR> qc = q;
        if constexpr (FT != 0) {
            qc.tid = opaque(q.tid);
            qc.rt = qc.tid / TPR;
            qc.sg = qc.tid % TPR;
            qc.tile = opaque(q.tile);
            qc.g = opaque(q.g);
            qc.b = opaque(q.b);
        }
        // this thread's records of step 0 of each of its rows
        float* myRec[RPT];
#pragma unroll
        for (int rr = 0; rr < RPT; ++rr) myRec[rr] = rec + 4 * q.rho(rr) * q.TP;
        // h_{tn-1}, the state the rescan ends with, carried into the reverse walk in registers
        float hcur[RPT][NT];
        {
            float (&hc)[RPT][NT] = hcur;
            if (!ckAsync) {
#pragma unroll
                for (int rr = 0; rr < RPT; ++rr) {
                    if (q.rowOk(rr)) {
                        get_states<NT>(ckRow(rr, ci), q.sg, q.N, vecCk, hc[rr]);
                    } else {
#pragma unroll
                        for (int j = 0; j < NT; ++j) hc[rr][j] = 0.f;
                    }
                }
            }
            // this chunk's staging and checkpoint have landed
            cp_async_wait(false);
            if (ckAsync) {
                sCk.load(0, hc);
                // the next chunk's checkpoint, into the slot just read: its own group, which the
                // next chunk's wait completes
                if (more) fetchCk(ci - 1);
            }
            sH.store(0, hc);
            __syncthreads();
            form_records(p, qc, tn, biasRow, cur, rec);
            // every row's tiles are read: the next chunk's staging may overwrite them while this
            // one is rescanned and walked
            __syncthreads();
            if (more) stage<NT, RPT, TPR, true, FT, FN>(p, qc, t0 - qc.T, qc.T, tiles(k + 1));

            // forward rescan of the chunk: slot t + 1 holds h_t (t < tn - 1)
            for (int t = 0; t < tn; ++t) {
                float Bv[NT];
                load_states<NT>(cur.B + t * q.NS + q.sg * NT, Bv);
#pragma unroll
                for (int rr = 0; rr < RPT; ++rr) {
                    const float4 r = reinterpret_cast<const float4*>(myRec[rr])[t];
                    const float dt = r.x;
                    const float dtu = dt * r.z;
#pragma unroll
                    for (int j = 0; j < NT; ++j) {
                        hc[rr][j] = fmaf(exp2f(dt * A2[rr][j]), hc[rr][j], dtu * Bv[j]);
                    }
                }
                if (t + 1 < tn) sH.store(t + 1, hc);
            }
        }

        // reverse walk: h_{t-1} is slot t, h_t is in hcur (the previous step's h_{t-1})
        for (int t = tn - 1; t >= 0; --t) {
            float Bv[NT], Cv[NT], hprev[RPT][NT];
            load_states<NT>(cur.B + t * q.NS + q.sg * NT, Bv);
            load_states<NT>(cur.C + t * q.NS + q.sg * NT, Cv);
            sH.load(t, hprev);
            float vq[2 * NT];
#pragma unroll
            for (int j = 0; j < 2 * NT; ++j) vq[j] = 0.f;
            float4 rv[RPT];
            float rs[2 * RPT];
#pragma unroll
            for (int rr = 0; rr < RPT; ++rr) {
                const float4 r = reinterpret_cast<const float4*>(myRec[rr])[t];
                rv[rr] = r;
                const float dt = r.x, gg = r.y, uu = r.z;
                const float dtu = dt * uu;
                float sdu = 0.f, sda = 0.f;
#pragma unroll
                for (int j = 0; j < NT; ++j) {
                    const float lam = fmaf(Cv[j], gg, x[rr][j]);
                    x[rr][j] = exp2f(dt * A2[rr][j]) * lam;  // ā λ, the carry into step t - 1
                    const float w = x[rr][j] * hprev[rr][j];  // λ ā h_{t-1}
                    dAacc[rr][j] = fmaf(w, dt, dAacc[rr][j]);
                    sda = fmaf(w, A2[rr][j], sda);  // Σ A λ ā h_{t-1}, times ln 2 below
                    sdu = fmaf(lam, Bv[j], sdu);    // Σ λ B
                    vq[j] = fmaf(lam, dtu, vq[j]);
                    vq[NT + j] = fmaf(gg, hcur[rr][j], vq[NT + j]);
                }
                // dΔ = Σ λ (B u + A ā h_{t-1}) = u Σ λ B + Σ A λ ā h_{t-1}
                rs[2 * rr] = sdu;
                rs[2 * rr + 1] = fmaf(uu, sdu, sda * kLn2);
                dDacc[rr] = fmaf(gg, uu, dDacc[rr]);
            }
            {
                int rb = 0;
                bool rw = true;
                Butterfly<2 * RPT, TPR / 2, 1>::run(rs, lane, rb, rw);
            }
            row_sync<TPR>();
            if (rowWriter) {
                // {du, ddelta} replace {u, dΔ/dz} in the records
#pragma unroll
                for (int k = 0; k < Row::VH; ++k) {
                    const int vi = rowBase + k;
                    const float4 r = pick(rv, vi >> 1);
                    const bool isDd = Row::VH > 1 ? (k & 1) != 0 : (vi & 1) != 0;
                    const float dd = rs[k] * r.w;
                    dbacc[k] += isDd ? dd : 0.f;
                    rec[4 * (q.rho(vi >> 1) * q.TP + t) + (isDd ? kRecZ : kRecU)] =
                            isDd ? dd : fmaf(Dmine[k], r.y, r.x * rs[k]);
                }
            }
            int base = 0;
            bool writer = true;
            Butterfly<Part::V, 16, (32 >> Part::PRE)>::run(vq, lane, base, writer);
            // slot t is this thread's own and was read above: it now keeps the step's partials
#pragma unroll
            for (int i = 0; i < Part::VS; ++i) *part(t, q.tid, i) = vq[i];
#pragma unroll
            for (int rr = 0; rr < RPT; ++rr)
#pragma unroll
                for (int j = 0; j < NT; ++j) hcur[rr][j] = hprev[rr][j];
        }
        __syncthreads();

        // du, ddelta: the block's rows are consecutive rows of (Bt, C, L)
        {
            const int total = qc.R << qc.logT;
            const int rows = min(qc.R, qc.Dg - qc.tile * qc.R);
            const size_t first = qc.rowIndex(qc.g * qc.Dg + qc.tile * qc.R) * qc.L + t0;
            const bool f32 = p.gradType == kF32;
            if (vecD && tn == qc.T) {
                // four steps of a row per item: two 16-byte stores
                const int qshift = qc.logT - 2;
                block_items<kRowSteps / 4, FN>(qc.tid, qc.nthr, qc.R << qshift, [&](int i) {
                    const int r = i >> qshift;
                    const int t = 4 * (i & ((1 << qshift) - 1));
                    if (r >= rows) return;
                    const float* a = rec + 4 * (r * qc.TP + t) + kRecU;
                    const float2 v0 = *reinterpret_cast<const float2*>(a);
                    const float2 v1 = *reinterpret_cast<const float2*>(a + 4);
                    const float2 v2 = *reinterpret_cast<const float2*>(a + 8);
                    const float2 v3 = *reinterpret_cast<const float2*>(a + 12);
                    const size_t idx = first + (size_t)r * qc.L + t;
                    store16(static_cast<float*>(p.du) + idx, v0.x, v1.x, v2.x, v3.x);
                    store16(static_cast<float*>(p.ddelta) + idx, v0.y, v1.y, v2.y, v3.y);
                });
            } else {
                block_items<kRowSteps, FN>(qc.tid, qc.nthr, total, [&](int i) {
                    const int r = i >> qc.logT;
                    const int t = i & (qc.T - 1);
                    if (r < rows && t < tn) {
                        const size_t idx = first + (size_t)r * qc.L + t;
                        const float2 v =
                                *reinterpret_cast<const float2*>(rec + 4 * (r * qc.TP + t) + kRecU);
                        if (f32) {
                            static_cast<float*>(p.du)[idx] = v.x;
                            static_cast<float*>(p.ddelta)[idx] = v.y;
                        } else {
                            st(p.du, idx, v.x, p.gradType);
                            st(p.ddelta, idx, v.y, p.gradType);
                        }
                    }
                });
            }
        }
        // dB, dC of the chunk. Value qi (dB_j, then dC_j, j < NT) of the lanes with state slice sg
        // lies, after the reduce-scatter, with the lanes whose top PRE bits select the slice
        // qi / VS, at index qi % VS; an item sums one such value over the free row lanes and the
        // warps.
        {
            constexpr int TB = log2_exact(TPR);
            constexpr int SLICES = Part::V / Part::VS;
            const int items = (qc.T * SLICES * TPR) * Part::VS;
            block_items<kSums, FN>(qc.tid, qc.nthr, items, [&](int i) {
                int rest = i;
                const int vi = rest % Part::VS;
                rest /= Part::VS;
                const int sg = rest % TPR;
                rest /= TPR;
                const int slice = rest % SLICES;
                const int t = rest / SLICES;
                const int lane0 = (slice << (5 - Part::PRE)) | sg;
                float acc = 0.f;
                for (int w = 0; w < nwarps; ++w) {
#pragma unroll
                    for (int m = 0; m < Part::FREE; ++m) {
                        acc += *part(t, w * 32 + (lane0 | (m << TB)), vi);
                    }
                }
                const int qi = slice * Part::VS + vi;
                const int qq = qi / NT;
                const int n = sg * NT + qi % NT;
                sSum[(qq * qc.NP + n) * qc.T + t] = acc;
            });
        }
        __syncthreads();
        {
            const int total = (2 * qc.NP) << qc.logT;
            block_items<kSums, FN>(qc.tid, qc.nthr, total, [&](int i) {
                const int t = i & (qc.T - 1);
                const int qn = i >> qc.logT;
                const int qq = qn / qc.NP;
                const int n = qn - qq * qc.NP;
                if (t < tn && n < qc.N) {
                    float* dst = qq == 0 ? p.dB : p.dC;
                    atomicAdd(dst + ((size_t)(qc.b * qc.G + qc.g) * qc.N + n) * qc.L + t0 + t,
                              sSum[i]);
                }
            });
        }
        // the next chunk's first barrier orders these reads of sSum before its writes; its
        // staging into the buffer read above starts after the barrier above
    }

#pragma unroll
    for (int rr = 0; rr < RPT; ++rr) {
        if (!q.rowOk(rr)) continue;
        const int c = q.channel(rr);
#pragma unroll
        for (int j = 0; j < NT; ++j) {
            const int n = q.sg * NT + j;
            if (n < q.N) atomicAdd(p.dA + (size_t)c * q.N + n, dAacc[rr][j]);
        }
        if (q.sg == 0 && p.dD) atomicAdd(p.dD + c, dDacc[rr]);
    }
    if (p.dbias && rowWriter) {
#pragma unroll
        for (int k = 0; k < Row::VH; ++k) {
            const int vi = rowBase + k;
            const bool isDd = Row::VH > 1 ? (k & 1) != 0 : (vi & 1) != 0;
            if (isDd && q.rowOk(vi >> 1)) atomicAdd(p.dbias + q.channel(vi >> 1), dbacc[k]);
        }
    }
}


// The backward configurations the autotuner picks for N = 16 (16 states over 4 or 2 lanes) get
// a second copy of the backward compiled for their usual launch -- chunks of 8 steps, 128
// threads -- with both known at compile time: the per-chunk loops (staging, records, du/ddelta,
// the dB/dC sums and their atomic additions) then have fixed trip counts and the tile offsets
// are constants. Other launches take the general copy.
template <int NT, int RPT, int TPR>
struct BwdFixed {
    static constexpr bool on = NT * TPR == 16 && (TPR == 4 || TPR == 2) && RPT * NT <= 8;
    static constexpr int chunk = 8, threads = 128;
};

template <int NT, int RPT, int TPR>
VM_DEV void bwd_entry(const ScanParams& p) {
    using F = BwdFixed<NT, RPT, TPR>;
    if constexpr (F::on) {
        if (p.chunk == F::chunk && blockDim.x == F::threads) {
            bwd_body<NT, RPT, TPR, F::chunk, F::threads>(p);
            return;
        }
    }
    bwd_body<NT, RPT, TPR>(p);
}

// ---------------------------------------------------------------------------------------------
// Warp-per-row layout for N = 1 ("time lanes"): the 32 lanes of a warp split time instead of
// states. A warp walks its row in tiles of 128 steps, lane i holding steps 4i..4i+3 of a tile, so
// every load and store of u, delta, B, C, dy, y, du and ddelta is a fully coalesced 16-byte-per-
// lane access. Within a tile the recurrence h_t = ā_t h_{t-1} + b_t is an associative scan of
// affine maps (a, b): each lane composes its four steps, a five-level shuffle scan composes the
// lanes, and the carry entering the tile finishes the states. With one state per row the thread-
// per-row kernels are memory-bound on scattered row reads; this layout reads each row in order.
// A block holds W warps; warp w owns rows rr·W + w (rr < RPW) of one tile of rows of a group.

constexpr int kTimeItems = 4;                      // steps per lane
constexpr int kTimeTile = 32 * kTimeItems;         // steps per warp tile (the plans' chunk)

template <int RPW>
struct TimeGeo {
    int lane, warp, W, R, C, L, G, Dg, tile, g, b, span, tBegin, tEnd;

    VM_DEV explicit TimeGeo(const ScanParams& p) {
        lane = threadIdx.x & 31;
        warp = threadIdx.x >> 5;
        W = blockDim.x >> 5;
        R = W * RPW;
        C = p.channels;
        L = p.length;
        G = p.groups;
        Dg = p.dimPerGroup;
        const int tiles = (Dg + R - 1) / R;
        int bx = blockIdx.x;
        tile = bx % tiles;
        bx /= tiles;
        g = bx % G;
        b = bx / G;
        span = blockIdx.y;
        tBegin = span * p.spanChunks * kTimeTile;
        tEnd = min(L, tBegin + p.spanChunks * kTimeTile);
    }

    VM_DEV int local(int rr) const { return tile * R + rr * W + warp; }
    VM_DEV bool rowOk(int rr) const { return local(rr) < Dg; }
    VM_DEV int channel(int rr) const { return g * Dg + (rowOk(rr) ? local(rr) : 0); }
    VM_DEV size_t row(int rr) const { return (size_t)b * C + channel(rr); }
    // first step of this lane in the tile starting at t0
    VM_DEV int step(int t0) const { return t0 + kTimeItems * lane; }
};

// Four consecutive steps of a row from position t (zeros past `end`): one 16-byte load when the
// data is float32 and aligned, element loads otherwise.
VM_DEV void load4(const void* x, size_t base, int t, int end, int dt, bool vec, float (&v)[4]) {
    if (vec && t + 4 <= end) {
        const float4 f = *reinterpret_cast<const float4*>(static_cast<const float*>(x) + base + t);
        v[0] = f.x;
        v[1] = f.y;
        v[2] = f.z;
        v[3] = f.w;
    } else {
#pragma unroll
        for (int i = 0; i < 4; ++i) v[i] = t + i < end ? ld(x, base + t + i, dt) : 0.f;
    }
}

VM_DEV void store4(void* x, size_t base, int t, int end, int dt, bool vec, const float (&v)[4]) {
    if (vec && t + 4 <= end) {
        *reinterpret_cast<float4*>(static_cast<float*>(x) + base + t) =
                make_float4(v[0], v[1], v[2], v[3]);
    } else {
#pragma unroll
        for (int i = 0; i < 4; ++i) {
            if (t + i < end) st(x, base + t + i, v[i], dt);
        }
    }
}

// Inclusive scan of affine maps x -> a x + b over the lanes, lane 0 first (forward in time):
// afterwards lane i holds the composition of lanes 0..i.
VM_DEV void scan_affine_up(float& a, float& b, int lane) {
#pragma unroll
    for (int off = 1; off < 32; off <<= 1) {
        const float ap = VM_SHFL_UP(a, off);
        const float bp = VM_SHFL_UP(b, off);
        if (lane >= off) {
            b = fmaf(a, bp, b);
            a *= ap;
        }
    }
}

// The same, lane 31 first (backward in time): lane i holds the composition of lanes 31..i.
VM_DEV void scan_affine_down(float& a, float& b, int lane) {
#pragma unroll
    for (int off = 1; off < 32; off <<= 1) {
        const float an = VM_SHFL_DOWN(a, off);
        const float bn = VM_SHFL_DOWN(b, off);
        if (lane + off < 32) {
            b = fmaf(a, bn, b);
            a *= an;
        }
    }
}

VM_DEV float warp_sum(float v) {
#pragma unroll
    for (int off = 16; off >= 1; off >>= 1) v += VM_SHFL_XOR(v, off);
    return v;
}

// The per-step terms of one lane's four steps: Δ, dΔ/dz, ā = exp(Δ A) and b = Δ u B, with Δ = 0
// (so ā = 1, b = 0: the identity) for steps past `end`.
VM_DEV void step_terms(const ScanParams& p, int t, int end, float bias, float a2, const float (&u)[4],
                       const float (&z)[4], const float (&Bv)[4], float (&dt)[4], float (&dz)[4],
                       float (&da)[4], float (&bb)[4]) {
#pragma unroll
    for (int i = 0; i < 4; ++i) {
        step_size(z[i] + bias, p.softplus, dt[i], dz[i]);
        if (t + i >= end) {
            dt[i] = 0.f;
            dz[i] = 0.f;
        }
        da[i] = exp2f(dt[i] * a2);
        bb[i] = dt[i] * u[i] * Bv[i];
    }
}

// States of a lane's four steps given the state entering the tile: composes the lane's steps,
// scans the lanes and applies the carry. Returns the state leaving the tile (lane 31's last).
VM_DEV float tile_states(float carry, const float (&da)[4], const float (&bb)[4], int lane,
                         float (&hprev)[4], float (&h)[4]) {
    float pa = da[0], pb = bb[0];
#pragma unroll
    for (int i = 1; i < 4; ++i) {
        pb = fmaf(da[i], pb, bb[i]);
        pa *= da[i];
    }
    scan_affine_up(pa, pb, lane);
    float ea = VM_SHFL_UP(pa, 1);
    float eb = VM_SHFL_UP(pb, 1);
    if (lane == 0) {
        ea = 1.f;
        eb = 0.f;
    }
    float hs = fmaf(ea, carry, eb);
#pragma unroll
    for (int i = 0; i < 4; ++i) {
        hprev[i] = hs;
        hs = fmaf(da[i], hs, bb[i]);
        h[i] = hs;
    }
    return VM_SHFL_IDX(hs, 31);
}

// The adjoint of a tile walked backwards: lambda_t = C_t g_t + x_t, x_{t-1} = ā_t lambda_t, with
// `carry` = x entering the tile from its right. Fills lambda of the lane's four steps and returns
// x leaving the tile on its left (lane 0's).
VM_DEV float tile_adjoint(float carry, const float (&da)[4], const float (&cg)[4], int lane,
                          float (&lam)[4]) {
    float pa = 1.f, pb = 0.f;
#pragma unroll
    for (int i = 3; i >= 0; --i) {
        pb = da[i] * (cg[i] + pb);
        pa *= da[i];
    }
    scan_affine_down(pa, pb, lane);
    float ea = VM_SHFL_DOWN(pa, 1);
    float eb = VM_SHFL_DOWN(pb, 1);
    if (lane == 31) {
        ea = 1.f;
        eb = 0.f;
    }
    float x = fmaf(ea, carry, eb);
#pragma unroll
    for (int i = 3; i >= 0; --i) {
        lam[i] = cg[i] + x;
        x = da[i] * lam[i];
    }
    return VM_SHFL_IDX(x, 0);
}

// Forward, warp per row (N = 1). Modes as fwd_stream_body: final (y, h0 per span, last), local
// (hEnd + sumDelta), checkpoint (ckpt at every tile start).
template <int RPW>
VM_DEV void fwd_time_body(const ScanParams& p) {
    const TimeGeo<RPW> q(p);
    require(p.chunk == kTimeTile && p.dstate == 1 && (blockDim.x & 31) == 0);
    const bool vecBC = p.vecIn && aligned16(p.B) && aligned16(p.C);
    float a2[RPW], Dv[RPW], bias[RPW], h[RPW], sumD[RPW];
    size_t base[RPW];
#pragma unroll
    for (int rr = 0; rr < RPW; ++rr) {
        const bool ok = q.rowOk(rr);
        const int c = q.channel(rr);
        base[rr] = q.row(rr) * q.L;
        a2[rr] = ok ? p.A[c] * kLog2e : 0.f;
        Dv[rr] = (ok && p.D) ? p.D[c] : 0.f;
        bias[rr] = (ok && p.bias) ? p.bias[c] : 0.f;
        h[rr] = (ok && p.h0) ? p.h0[q.row(rr) * p.nSpans + q.span] : 0.f;
        sumD[rr] = 0.f;
    }
    const size_t bcBase = (size_t)(q.b * q.G + q.g) * q.L;
    const int first = q.tBegin / kTimeTile;
    for (int t0 = q.tBegin, k = first; t0 < q.tEnd; t0 += kTimeTile, ++k) {
        const int t = q.step(t0);
        float Bv[4], Cv[4];
        load4(p.B, bcBase, t, q.tEnd, p.itype, vecBC, Bv);
        if (p.y) load4(p.C, bcBase, t, q.tEnd, p.itype, vecBC, Cv);
#pragma unroll
        for (int rr = 0; rr < RPW; ++rr) {
            if (!q.rowOk(rr)) continue;  // warp-uniform
            if (p.ckpt && q.lane == 0) p.ckpt[q.row(rr) * p.nChunks + k] = h[rr];
            float u[4], z[4], dt[4], dz[4], da[4], bb[4], hp[4], hs[4];
            load4(p.u, base[rr], t, q.tEnd, p.itype, p.vecIn, u);
            load4(p.delta, base[rr], t, q.tEnd, p.itype, p.vecIn, z);
            step_terms(p, t, q.tEnd, bias[rr], a2[rr], u, z, Bv, dt, dz, da, bb);
            h[rr] = tile_states(h[rr], da, bb, q.lane, hp, hs);
#pragma unroll
            for (int i = 0; i < 4; ++i) sumD[rr] += dt[i];
            if (p.y) {
                float y[4];
#pragma unroll
                for (int i = 0; i < 4; ++i) y[i] = fmaf(Cv[i], hs[i], Dv[rr] * u[i]);
                store4(p.y, base[rr], t, q.tEnd, p.otype, p.vecOut, y);
            }
        }
    }
#pragma unroll
    for (int rr = 0; rr < RPW; ++rr) {
        if (!q.rowOk(rr)) continue;
        const float sd = warp_sum(sumD[rr]);
        if (q.lane != 0) continue;
        const size_t r = q.row(rr);
        if (p.hEnd) p.hEnd[r * p.nSpans + q.span] = h[rr];
        if (p.last && q.span == p.nSpans - 1) p.last[r] = h[rr];
        if (p.sumDelta) p.sumDelta[r * p.nSpans + q.span] = sd;
    }
}

// Local reverse pass of a span, warp per row (N = 1): x at the span's start from zero at its end,
// and the span's sum of step sizes (as bwd_local_body).
template <int RPW>
VM_DEV void bwd_local_time_body(const ScanParams& p) {
    const TimeGeo<RPW> q(p);
    require(p.chunk == kTimeTile && p.dstate == 1 && (blockDim.x & 31) == 0);
    const bool vecBC = p.vecIn && aligned16(p.C);
    const bool vecG = p.gtype == kF32 && p.vecIn && aligned16(p.dy);
    float a2[RPW], bias[RPW], x[RPW], sumD[RPW];
#pragma unroll
    for (int rr = 0; rr < RPW; ++rr) {
        const int c = q.channel(rr);
        a2[rr] = q.rowOk(rr) ? p.A[c] * kLog2e : 0.f;
        bias[rr] = (q.rowOk(rr) && p.bias) ? p.bias[c] : 0.f;
        x[rr] = 0.f;
        sumD[rr] = 0.f;
    }
    const size_t bcBase = (size_t)(q.b * q.G + q.g) * q.L;
    const int lastTile = (q.tEnd - 1) / kTimeTile * kTimeTile;
    for (int t0 = lastTile; t0 >= q.tBegin; t0 -= kTimeTile) {
        const int t = q.step(t0);
        float Cv[4];
        load4(p.C, bcBase, t, q.tEnd, p.itype, vecBC, Cv);
#pragma unroll
        for (int rr = 0; rr < RPW; ++rr) {
            if (!q.rowOk(rr)) continue;
            const size_t base = q.row(rr) * q.L;
            float z[4], g[4], dt[4], dz[4], da[4], cg[4], lam[4];
            load4(p.delta, base, t, q.tEnd, p.itype, p.vecIn, z);
            load4(p.dy, base, t, q.tEnd, p.gtype, vecG, g);
#pragma unroll
            for (int i = 0; i < 4; ++i) {
                step_size(z[i] + bias[rr], p.softplus, dt[i], dz[i]);
                if (t + i >= q.tEnd) dt[i] = 0.f;
                da[i] = exp2f(dt[i] * a2[rr]);
                cg[i] = Cv[i] * g[i];
                sumD[rr] += dt[i];
            }
            x[rr] = tile_adjoint(x[rr], da, cg, q.lane, lam);
        }
    }
#pragma unroll
    for (int rr = 0; rr < RPW; ++rr) {
        if (!q.rowOk(rr)) continue;
        const float sd = warp_sum(sumD[rr]);
        if (q.lane != 0) continue;
        const size_t r = q.row(rr);
        p.hEnd[r * p.nSpans + q.span] = x[rr];
        p.sumDelta[r * p.nSpans + q.span] = sd;
    }
}

// Backward, warp per row (N = 1): walks the span's tiles right to left; per tile and row, the
// states from the tile's checkpoint (forward lane scan), lambda from the carry (backward lane
// scan), then the gradients of spec §5.3. dB and dC of a tile are summed over the warp's rows in
// registers, over the block's warps in shared memory, and added to global memory once per block.
// The checkpoints come from `ckpt` when given; otherwise a forward sweep over the span (from the
// span's start state h0, or zero) first keeps them in shared memory -- one launch instead of two,
// and the reverse walk re-reads the most recently read tiles first, which the L2 still holds.
// Shared memory: two (warps, 2, 128) partial buffers, then (warps, RPW, tiles of the span)
// without `ckpt`.
template <int RPW>
VM_DEV void bwd_time_body(const ScanParams& p) {
    const TimeGeo<RPW> q(p);
    VM_SMEM(red);
    const int firstTile = q.tBegin / kTimeTile;
    const int nTiles = (q.tEnd - q.tBegin + kTimeTile - 1) / kTimeTile;
    const bool own = p.ckpt == nullptr;
    const int redTile = q.W * 2 * kTimeTile;  // one buffer of dB/dC partials
    float* sck = red + 2 * redTile + q.warp * RPW * nTiles;
    require(p.chunk == kTimeTile && p.dstate == 1 && (blockDim.x & 31) == 0 &&
            (unsigned)(2 * redTile + (own ? q.W * RPW * nTiles : 0)) * 4u <= dyn_smem_bytes());
    if (own) {
        const size_t bcRow = (size_t)(q.b * q.G + q.g) * q.L;
        const bool vecB = p.vecIn && aligned16(p.B);
        float h[RPW], a2f[RPW], bf[RPW];
#pragma unroll
        for (int rr = 0; rr < RPW; ++rr) {
            const bool ok = q.rowOk(rr);
            const int c = q.channel(rr);
            a2f[rr] = ok ? p.A[c] * kLog2e : 0.f;
            bf[rr] = (ok && p.bias) ? p.bias[c] : 0.f;
            h[rr] = (ok && p.h0) ? p.h0[q.row(rr) * p.nSpans + q.span] : 0.f;
        }
        // the sweep keeps few values live, so the next tile's loads are requested before the
        // current tile is scanned (the reverse walk below sets the kernel's register count)
        auto load = [&](int t0, float(&B4)[4], float(&u4)[RPW][4], float(&z4)[RPW][4]) {
            const int t = q.step(t0);
            load4(p.B, bcRow, t, q.tEnd, p.itype, vecB, B4);
#pragma unroll
            for (int rr = 0; rr < RPW; ++rr) {
                const int end = q.rowOk(rr) ? q.tEnd : 0;  // rows past the group read nothing
                const size_t base = q.row(rr) * q.L;
                load4(p.u, base, t, end, p.itype, p.vecIn, u4[rr]);
                load4(p.delta, base, t, end, p.itype, p.vecIn, z4[rr]);
            }
        };
        float cB[4], cu[RPW][4], cz[RPW][4];
        load(q.tBegin, cB, cu, cz);
        for (int t0 = q.tBegin, k = 0; t0 < q.tEnd; t0 += kTimeTile, ++k) {
            const bool more = t0 + kTimeTile < q.tEnd;
            float nB[4], nu[RPW][4], nz[RPW][4];
            if (more) load(t0 + kTimeTile, nB, nu, nz);
            const int t = q.step(t0);
#pragma unroll
            for (int rr = 0; rr < RPW; ++rr) {
                if (!q.rowOk(rr)) continue;
                if (q.lane == 0) sck[rr * nTiles + k] = h[rr];
                float dt[4], dz[4], da[4], bb[4], hp[4], hs[4];
                step_terms(p, t, q.tEnd, bf[rr], a2f[rr], cu[rr], cz[rr], cB, dt, dz, da, bb);
                h[rr] = tile_states(h[rr], da, bb, q.lane, hp, hs);
            }
            if (more) {
#pragma unroll
                for (int i = 0; i < 4; ++i) {
                    cB[i] = nB[i];
#pragma unroll
                    for (int rr = 0; rr < RPW; ++rr) {
                        cu[rr][i] = nu[rr][i];
                        cz[rr][i] = nz[rr][i];
                    }
                }
            }
        }
        warp_sync();  // lane 0's checkpoints, read by every lane of the warp below
    }
    const bool vecBC = p.vecIn && aligned16(p.B) && aligned16(p.C);
    const bool vecG = p.gtype == kF32 && p.vecIn && aligned16(p.dy);
    const bool vecD = p.gradType == kF32 && p.vecIn && aligned16(p.du) && aligned16(p.ddelta);
    float a2[RPW], Dv[RPW], bias[RPW], x[RPW], dAacc[RPW], dDacc[RPW], dbacc[RPW];
#pragma unroll
    for (int rr = 0; rr < RPW; ++rr) {
        const bool ok = q.rowOk(rr);
        const int c = q.channel(rr);
        a2[rr] = ok ? p.A[c] * kLog2e : 0.f;
        Dv[rr] = (ok && p.D) ? p.D[c] : 0.f;
        bias[rr] = (ok && p.bias) ? p.bias[c] : 0.f;
        x[rr] = (ok && p.mu) ? p.mu[q.row(rr) * p.nSpans + q.span] : 0.f;
        dAacc[rr] = 0.f;
        dDacc[rr] = 0.f;
        dbacc[rr] = 0.f;
    }
    const size_t bcBase = (size_t)(q.b * q.G + q.g) * q.L;
    const int lastTile = (q.tEnd - 1) / kTimeTile * kTimeTile;
    for (int t0 = lastTile; t0 >= q.tBegin; t0 -= kTimeTile) {
        const int t = q.step(t0);
        const int k = t0 / kTimeTile;
        float Bv[4], Cv[4], dBs[4] = {0.f, 0.f, 0.f, 0.f}, dCs[4] = {0.f, 0.f, 0.f, 0.f};
        load4(p.B, bcBase, t, q.tEnd, p.itype, vecBC, Bv);
        load4(p.C, bcBase, t, q.tEnd, p.itype, vecBC, Cv);
#pragma unroll
        for (int rr = 0; rr < RPW; ++rr) {
            if (!q.rowOk(rr)) continue;
            const size_t r = q.row(rr);
            const size_t base = r * q.L;
            float u[4], z[4], g[4], dt[4], dz[4], da[4], bb[4], hp[4], hs[4], cg[4], lam[4];
            load4(p.u, base, t, q.tEnd, p.itype, p.vecIn, u);
            load4(p.delta, base, t, q.tEnd, p.itype, p.vecIn, z);
            load4(p.dy, base, t, q.tEnd, p.gtype, vecG, g);
            const float h0 = own ? sck[rr * nTiles + (k - firstTile)] : p.ckpt[r * p.nChunks + k];
            step_terms(p, t, q.tEnd, bias[rr], a2[rr], u, z, Bv, dt, dz, da, bb);
            tile_states(h0, da, bb, q.lane, hp, hs);
#pragma unroll
            for (int i = 0; i < 4; ++i) cg[i] = Cv[i] * g[i];
            x[rr] = tile_adjoint(x[rr], da, cg, q.lane, lam);
            const float Aln = a2[rr] * kLn2;
            float du[4], dd[4];
#pragma unroll
            for (int i = 0; i < 4; ++i) {
                const float w = lam[i] * (da[i] * hp[i]);  // λ ā h_{t-1}
                du[i] = fmaf(Dv[rr], g[i], dt[i] * Bv[i] * lam[i]);
                dd[i] = fmaf(lam[i], Bv[i] * u[i], Aln * w) * dz[i];
                dAacc[rr] = fmaf(w, dt[i], dAacc[rr]);
                dDacc[rr] = fmaf(g[i], u[i], dDacc[rr]);
                dbacc[rr] += dd[i];
                dBs[i] = fmaf(lam[i], dt[i] * u[i], dBs[i]);
                dCs[i] = fmaf(g[i], hs[i], dCs[i]);
            }
            store4(p.du, base, t, q.tEnd, p.gradType, vecD, du);
            store4(p.ddelta, base, t, q.tEnd, p.gradType, vecD, dd);
        }
        // two partial buffers, alternating per tile: a thread only rewrites one after the next
        // tile's barrier, which every thread reaches after its reads of the previous round
        float* part = red + ((k - firstTile) & 1) * redTile;
#pragma unroll
        for (int i = 0; i < 4; ++i) {
            part[(q.warp * 2) * kTimeTile + kTimeItems * q.lane + i] = dBs[i];
            part[(q.warp * 2 + 1) * kTimeTile + kTimeItems * q.lane + i] = dCs[i];
        }
        __syncthreads();
        for (int i = threadIdx.x; i < 2 * kTimeTile; i += blockDim.x) {
            const int which = i / kTimeTile;
            const int s = i - which * kTimeTile;
            if (t0 + s < q.tEnd) {
                float sum = 0.f;
                for (int w = 0; w < q.W; ++w) sum += part[(w * 2 + which) * kTimeTile + s];
                atomicAdd((which == 0 ? p.dB : p.dC) + bcBase + t0 + s, sum);
            }
        }
    }
#pragma unroll
    for (int rr = 0; rr < RPW; ++rr) {
        if (!q.rowOk(rr)) continue;
        const float sA = warp_sum(dAacc[rr]);
        const float sD = warp_sum(dDacc[rr]);
        const float sb = warp_sum(dbacc[rr]);
        if (q.lane != 0) continue;
        const int c = q.channel(rr);
        atomicAdd(p.dA + c, sA);
        if (p.dD) atomicAdd(p.dD + c, sD);
        if (p.dbias) atomicAdd(p.dbias + c, sb);
    }
}

}  // namespace vmscan

// ---------------------------------------------------------------------------------------------
// Chains spans: for each (batch, channel, state), left to right (or right to left with
// `reverse`), carry[s] = H; H = exp(A * sumDelta[s]) * H + hEnd[s]. Forward: the carries are
// the start states of the spans and H ends as the last state. Reverse: the carries are the
// lambda contributions entering each span from its right.
VM_KERNEL void ss_combine(const vmscan::ScanParams p) {
    const long long total = (long long)p.batch * p.channels * p.dstate;
    const long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= total) return;
    const int N = p.dstate;
    const int n = (int)(i % N);
    const long long bc = i / N;
    const int c = (int)(bc % p.channels);
    const float a2 = p.A[(size_t)c * N + n] * vmscan::kLog2e;
    const int S = p.nSpans;
    constexpr int kBatch = 8;  // independent loads in flight before the dependent chain
    float H = 0.f;
    for (int k0 = 0; k0 < S; k0 += kBatch) {
        float e[kBatch], sd[kBatch];
#pragma unroll
        for (int u = 0; u < kBatch; ++u) {
            const int k = k0 + u;
            if (k < S) {
                const size_t o = (size_t)bc * S + (p.reverse ? S - 1 - k : k);
                e[u] = p.hEnd[o * N + n];
                sd[u] = p.sumDelta[o];
            }
        }
#pragma unroll
        for (int u = 0; u < kBatch; ++u) {
            const int k = k0 + u;
            if (k < S) {
                const size_t o = (size_t)bc * S + (p.reverse ? S - 1 - k : k);
                p.ckpt[o * N + n] = H;
                H = fmaf(exp2f(a2 * sd[u]), H, e[u]);
            }
        }
    }
    if (p.last) p.last[(size_t)bc * N + n] = H;
}

#ifndef VMAMBA_HOST_EMULATION
// Zeroes the gradients the backward kernels accumulate into -- dA (C, N), dB and dC (Bt, G, N,
// L), and dD and d(delta_bias) (C) where set -- in one launch ahead of them: five framework
// fills cost about 10 µs of host time each, more than the rest of a backward call's host work.
// A grid-stride loop of 16-byte stores (4-byte ones for an unaligned array and the tail).
namespace vmscan {
VM_DEV void zero_floats(float* x, size_t n, size_t first, size_t stride) {
    if (x == nullptr) return;
    size_t head = 0;
    if (aligned16(x)) {
        const size_t n4 = n / 4;
        float4* x4 = reinterpret_cast<float4*>(x);
        for (size_t i = first; i < n4; i += stride) x4[i] = make_float4(0.f, 0.f, 0.f, 0.f);
        head = 4 * n4;
    }
    for (size_t i = head + first; i < n; i += stride) x[i] = 0.f;
}
}  // namespace vmscan

VM_KERNEL void ss_zero(const vmscan::ScanParams p) {
    const size_t first = (size_t)blockIdx.x * blockDim.x + threadIdx.x;
    const size_t stride = (size_t)gridDim.x * blockDim.x;
    const size_t bc = (size_t)p.batch * p.groups * p.dstate * p.length;
    vmscan::zero_floats(p.dB, bc, first, stride);
    vmscan::zero_floats(p.dC, bc, first, stride);
    vmscan::zero_floats(p.dA, (size_t)p.channels * p.dstate, first, stride);
    vmscan::zero_floats(p.dD, p.channels, first, stride);
    vmscan::zero_floats(p.dbias, p.channels, first, stride);
}
#endif

// Kernel entry points: ss_{fwd,fwds,fwdc,fwdx,bwdlocal,bwd}_<NT>_<RPT>_<TPR> (states per thread,
// rows per thread, threads per row); fwds is the state-only forward (local and checkpoint passes),
// fwdc the final-mode forward that also saves the backward's chunk states (its own kernel: the
// stores cost the plain forward up to 25 registers otherwise), fwdx the forward of the fused
// cross-scan. The Java launch-config table lists exactly these combinations. FWD_REGS, BWD_REGS:
// optional register caps (VM_MAXNREG) on the plain forward and on the backward.
#define VM_INSTANTIATE_REGS(NT, RPT, TPR, FWD_REGS, BWD_REGS)                                \
    VM_KERNEL void FWD_REGS ss_fwd_##NT##_##RPT##_##TPR(const vmscan::ScanParams p) {    \
        vmscan::fwd_stream_body<NT, RPT, TPR, true>(p);                                  \
    }                                                                                    \
    VM_KERNEL void ss_fwds_##NT##_##RPT##_##TPR(const vmscan::ScanParams p) {            \
        vmscan::fwd_stream_body<NT, RPT, TPR, false>(p);                                 \
    }                                                                                    \
    VM_KERNEL void ss_fwdc_##NT##_##RPT##_##TPR(const vmscan::ScanParams p) {            \
        vmscan::fwd_stream_body<NT, RPT, TPR, true, true>(p);                            \
    }                                                                                    \
    VM_KERNEL void ss_fwdx_##NT##_##RPT##_##TPR(const vmscan::ScanParams p) {            \
        vmscan::fwd_tiled_body<NT, RPT, TPR>(p);                                         \
    }                                                                                    \
    VM_KERNEL void ss_bwdlocal_##NT##_##RPT##_##TPR(const vmscan::ScanParams p) {        \
        vmscan::bwd_local_body<NT, RPT, TPR>(p);                                         \
    }                                                                                    \
    VM_KERNEL void BWD_REGS ss_bwd_##NT##_##RPT##_##TPR(const vmscan::ScanParams p) {    \
        vmscan::bwd_entry<NT, RPT, TPR>(p);                                              \
    }

// Without register caps: the compiler's own allocation.
#define VM_INSTANTIATE(NT, RPT, TPR) VM_INSTANTIATE_REGS(NT, RPT, TPR, , )

// The set below must match LaunchConfigs.KERNELS: all rows-per-thread variants where they fit in
// registers without spilling; one row per thread for N > 16.
#define VM_INSTANTIATE_ROWS(NT, TPR) \
    VM_INSTANTIATE(NT, 1, TPR)       \
    VM_INSTANTIATE(NT, 2, TPR)       \
    VM_INSTANTIATE(NT, 4, TPR)

// Warp-per-row kernels for N = 1: ss_{fwd,bwdlocal,bwd}_t_<rows per warp>.
#define VM_INSTANTIATE_TIME(RPW)                                                            \
    VM_KERNEL void ss_fwd_t_##RPW(const vmscan::ScanParams p) {                             \
        vmscan::fwd_time_body<RPW>(p);                                                      \
    }                                                                                       \
    VM_KERNEL void ss_bwdlocal_t_##RPW(const vmscan::ScanParams p) {                        \
        vmscan::bwd_local_time_body<RPW>(p);                                                \
    }                                                                                       \
    VM_KERNEL void ss_bwd_t_##RPW(const vmscan::ScanParams p) {                             \
        vmscan::bwd_time_body<RPW>(p);                                                      \
    }

VM_INSTANTIATE_TIME(1)
VM_INSTANTIATE_TIME(2)
VM_INSTANTIATE_TIME(4)
VM_INSTANTIATE_ROWS(1, 1)
VM_INSTANTIATE_ROWS(2, 1)
VM_INSTANTIATE_ROWS(4, 1)
VM_INSTANTIATE_ROWS(8, 1)
VM_INSTANTIATE_ROWS(4, 2)
// 4 states x 4 lanes, one row per thread, the usual forward for N = 16 with many rows: capped at
// 80 registers (79 without spills, from 105) it fits six blocks of 128 threads per SM instead of
// four, 5 % faster at v0-T stage 1 and 8 % at stage 3 on an H100 (docs/BENCHMARKS.md). A cap of
// 72 (16 bytes of spills) and one of 96 on the saving forward (from 108) measured no better.
VM_INSTANTIATE_REGS(4, 1, 4, VM_MAXNREG(80), )
// 4 states x 4 lanes, two rows per thread, the autotuner's backward for N = 16: capped at 128
// registers, which its fixed-geometry copy (bwd_entry) would exceed (162: three blocks per SM
// instead of four, slower on an H100).
VM_INSTANTIATE_REGS(4, 2, 4, , VM_MAXNREG(128))
VM_INSTANTIATE(4, 4, 4)
VM_INSTANTIATE(16, 1, 1)
VM_INSTANTIATE(16, 2, 1)
VM_INSTANTIATE(8, 1, 2)
VM_INSTANTIATE(8, 2, 2)
VM_INSTANTIATE(16, 1, 2)
VM_INSTANTIATE(16, 1, 4)
VM_INSTANTIATE(16, 1, 8)
VM_INSTANTIATE(16, 1, 16)
