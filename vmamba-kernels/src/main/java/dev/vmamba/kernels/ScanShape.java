package dev.vmamba.kernels;

/**
 * The sizes of one scan that launch configurations depend on.
 *
 * @param batch Bt
 * @param channels C (= K·d_inner in VMamba)
 * @param groups G, the B/C groups (K = 4 directions in VMamba)
 * @param dState N
 * @param length L
 */
public record ScanShape(int batch, int channels, int groups, int dState, int length) {

    /** Checks that every size is positive and the groups divide the channels. */
    public ScanShape {
        if (batch < 1 || channels < 1 || groups < 1 || dState < 1 || length < 1) {
            throw new IllegalArgumentException("scan sizes must be positive: " + this);
        }
        if (channels % groups != 0) {
            throw new IllegalArgumentException(
                    "groups " + groups + " must divide channels " + channels);
        }
    }

    /**
     * @return channels per group
     */
    public int dimPerGroup() {
        return channels / groups;
    }

    /**
     * @return independent (batch, channel) rows
     */
    public long rows() {
        return (long) batch * channels;
    }

    @Override
    public String toString() {
        return "(Bt=" + batch + ", C=" + channels + ", G=" + groups + ", N=" + dState + ", L="
                + length + ")";
    }
}
