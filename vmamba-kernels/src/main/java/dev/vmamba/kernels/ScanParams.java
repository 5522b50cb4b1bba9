package dev.vmamba.kernels;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The by-value argument of every kernel: a little-endian image of the {@code ScanParams} struct of
 * {@code selective_scan.cu} (23 device pointers, then 24 ints; 280 bytes, checked by a {@code
 * static_assert} there). Field order here and there must agree; {@link Ptr} and {@link Int} list
 * them in that order.
 */
final class ScanParams {

    /** Size of the struct in bytes. */
    static final int SIZE = 280;

    /** Pointer fields, in struct order (8 bytes each). */
    enum Ptr {
        U,
        DELTA,
        A,
        B,
        C,
        D,
        BIAS,
        Y,
        LAST,
        H_END,
        SUM_DELTA,
        H0,
        CKPT,
        DY,
        DU,
        DDELTA,
        DA,
        DB,
        DC,
        DD,
        DBIAS,
        MU,
        LAM_OUT
    }

    /** Integer fields, in struct order (4 bytes each, after the pointers). */
    enum Int {
        BATCH,
        CHANNELS,
        LENGTH,
        DSTATE,
        GROUPS,
        DIM_PER_GROUP,
        CHUNK,
        CHUNK_SHIFT,
        SPAN_CHUNKS,
        N_SPANS,
        N_CHUNKS,
        ITYPE,
        OTYPE,
        GTYPE,
        GRAD_TYPE,
        SOFTPLUS,
        CROSS,
        HEIGHT,
        WIDTH,
        REVERSE,
        VEC_IN,
        VEC_OUT,
        CKPT_SHIFT,
        CKPT_CHUNKS
    }

    private static final int INT_BASE = Ptr.values().length * 8;

    static {
        if (INT_BASE + Int.values().length * 4 != SIZE) {
            throw new AssertionError("ScanParams layout out of sync with selective_scan.cu");
        }
    }

    private final ByteBuffer buf;

    ScanParams() {
        buf = ByteBuffer.allocate(SIZE).order(ByteOrder.LITTLE_ENDIAN);
    }

    private ScanParams(ByteBuffer copy) {
        buf = copy;
    }

    ScanParams set(Ptr field, long address) {
        buf.putLong(field.ordinal() * 8, address);
        return this;
    }

    ScanParams set(Int field, int value) {
        buf.putInt(INT_BASE + field.ordinal() * 4, value);
        return this;
    }

    long get(Ptr field) {
        return buf.getLong(field.ordinal() * 8);
    }

    int get(Int field) {
        return buf.getInt(INT_BASE + field.ordinal() * 4);
    }

    /** An independent copy to modify for the next launch of a plan. */
    ScanParams copy() {
        ByteBuffer b = ByteBuffer.allocate(SIZE).order(ByteOrder.LITTLE_ENDIAN);
        b.put(buf.array());
        return new ScanParams(b);
    }

    byte[] bytes() {
        return buf.array();
    }
}
