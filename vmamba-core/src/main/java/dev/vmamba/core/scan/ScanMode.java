package dev.vmamba.core.scan;

/**
 * How the four scan directions traverse the {@code H×W} grid (spec §4). Released models use {@link
 * #CROSS2D}; the others exist for the official ablations.
 */
public enum ScanMode {
    /** Row-major, column-major, and both reversed ({@code scans = 0}). */
    CROSS2D,
    /** Four copies of the row-major order ({@code scans = 1}, forward type {@code v051d}). */
    UNIDI,
    /** Row-major twice and reversed row-major twice ({@code scans = 2}, {@code v052d}). */
    BIDI
}
