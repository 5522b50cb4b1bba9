package dev.vmamba.models.image;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * The 1000 ImageNet-1k (ILSVRC 2012) classes in the index order every released model uses: sorted
 * WordNet ids, each with its comma-separated names (bundled as {@code synset_words.txt}, the list
 * published with the ILSVRC 2012 development kit and redistributed by Caffe).
 */
public final class ImageNetClasses {

    private static final String RESOURCE = "/dev/vmamba/models/imagenet/synset_words.txt";
    private static final int COUNT = 1000;

    private static volatile ImageNetClasses instance;

    private final List<String> wnids;
    private final List<String> names;

    private ImageNetClasses(List<String> wnids, List<String> names) {
        this.wnids = Collections.unmodifiableList(wnids);
        this.names = Collections.unmodifiableList(names);
    }

    /**
     * @return the bundled class list
     */
    public static ImageNetClasses get() {
        if (instance == null) {
            synchronized (ImageNetClasses.class) {
                if (instance == null) {
                    instance = load();
                }
            }
        }
        return instance;
    }

    private static ImageNetClasses load() {
        List<String> wnids = new ArrayList<>();
        List<String> names = new ArrayList<>();
        try (InputStream in = ImageNetClasses.class.getResourceAsStream(RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException("missing resource " + RESOURCE);
            }
            BufferedReader r =
                    new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
            for (String line = r.readLine(); line != null; line = r.readLine()) {
                if (line.isBlank()) {
                    continue;
                }
                int sp = line.indexOf(' ');
                wnids.add(line.substring(0, sp));
                names.add(line.substring(sp + 1).trim());
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        if (wnids.size() != COUNT) {
            throw new IllegalStateException(RESOURCE + " lists " + wnids.size() + " classes");
        }
        return new ImageNetClasses(wnids, names);
    }

    /**
     * @return the class names by index, e.g. {@code "tench, Tinca tinca"} for class 0
     */
    public List<String> names() {
        return names;
    }

    /**
     * @return the WordNet ids by index, e.g. {@code n01440764} for class 0
     */
    public List<String> wnids() {
        return wnids;
    }
}
