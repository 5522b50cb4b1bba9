package dev.vmamba.models;

/**
 * What the official release says about a preset's trained weights (spec §1.3). The files are GitHub
 * release assets of the official repository; this project never downloads them itself.
 *
 * @param fileName the checkpoint file name in the release
 * @param releaseTag the release tag ({@code #v0cls} or {@code #v2cls})
 * @param top1 reported ImageNet-1k top-1 accuracy (%)
 * @param parameterCount exact parameter count of the classifier
 * @param gflops exact GFLOPs at 224² as the official counter prints them
 */
public record PretrainedWeights(
        String fileName, String releaseTag, double top1, long parameterCount, double gflops) {

    private static final String RELEASES = "https://github.com/MzeroMiko/VMamba/releases/download/";

    /**
     * @return the download address of the official checkpoint
     */
    public String url() {
        return RELEASES + releaseTag.replace("#", "%23") + "/" + fileName;
    }
}
