package dev.lorahub;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Distinct names for adapters loaded from several paths ({@link LoraModule#distinctlyNamed}): a
 * module is named after its folder ({@link LoraModule#load(Path)}); when folders share that name
 * ({@code run1/adapter}, {@code run2/adapter}), or it is a name kept by another module, each of
 * them is named by the shortest suffix of its path that tells them apart ({@code run1/adapter},
 * {@code run2/adapter}), joined with {@code /}: each path gets the shortest suffix no other path of
 * its group shares and no kept name equals.
 */
final class ModuleNames {
    private ModuleNames() {}

    /**
     * @param paths absolute, normalized adapter paths
     * @param defaults the name {@link LoraModule#load(Path)} gives each
     * @param kept names other modules of the same list keep (chosen, or made in memory)
     * @return one distinct name per path, in order: the default where it is unique
     * @throws IllegalArgumentException if a path is given twice
     */
    static List<String> distinct(List<Path> paths, List<String> defaults, Set<String> kept) {
        Map<String, List<Integer>> byName = new HashMap<>();
        for (int i = 0; i < paths.size(); i++) {
            byName.computeIfAbsent(defaults.get(i), k -> new ArrayList<>()).add(i);
        }
        List<String> out = new ArrayList<>(defaults);
        for (Map.Entry<String, List<Integer>> group : byName.entrySet()) {
            if (group.getValue().size() > 1 || kept.contains(group.getKey())) {
                nameBySuffix(paths, defaults, group.getValue(), kept, out);
            }
        }
        return out;
    }

    /**
     * @param modules modules to be used together
     * @throws IllegalArgumentException naming the first two of the same name and their folders
     */
    static void requireDistinct(List<LoraModule> modules) {
        Map<String, Integer> seen = new HashMap<>();
        for (int i = 0; i < modules.size(); i++) {
            LoraModule m = modules.get(i);
            Integer before = seen.put(m.name(), i);
            if (before != null) {
                throw new IllegalArgumentException(
                        "modules "
                                + before
                                + from(modules.get(before))
                                + " and "
                                + i
                                + from(m)
                                + " are both named '"
                                + m.name()
                                + "'; weights are reported by name, so names must be distinct:"
                                + " rename one (LoraModule.withName; lorahub --modules NAME=DIR)");
            }
        }
    }

    private static String from(LoraModule m) {
        return m.sourceFolders().isEmpty() ? "" : " (" + m.sourceFolders().iterator().next() + ")";
    }

    private static void nameBySuffix(
            List<Path> paths,
            List<String> defaults,
            List<Integer> group,
            Set<String> kept,
            List<String> out) {
        for (int i : group) {
            int most = paths.get(i).getNameCount();
            for (int levels = 1; ; levels++) {
                String name = suffix(paths.get(i), defaults.get(i), levels);
                boolean unique = !kept.contains(name);
                for (int j : group) {
                    unique &= j == i || !suffix(paths.get(j), defaults.get(j), levels).equals(name);
                }
                if (unique) {
                    out.set(i, name);
                    break;
                }
                if (levels > most) {
                    throw new IllegalArgumentException(twice(paths, group));
                }
            }
        }
    }

    /** The default name behind the last {@code levels} folders of the parent, joined by '/'. */
    private static String suffix(Path path, String defaultName, int levels) {
        Path parent = path.getParent();
        int n = parent == null ? 0 : Math.min(levels, parent.getNameCount());
        if (n == 0) {
            return defaultName;
        }
        return parent.subpath(parent.getNameCount() - n, parent.getNameCount())
                        .toString()
                        .replace('\\', '/')
                + "/"
                + defaultName;
    }

    private static String twice(List<Path> paths, List<Integer> group) {
        for (int a = 0; a < group.size(); a++) {
            for (int b = a + 1; b < group.size(); b++) {
                if (paths.get(group.get(a)).equals(paths.get(group.get(b)))) {
                    return "adapter "
                            + paths.get(group.get(a))
                            + " is given twice (entries "
                            + group.get(a)
                            + " and "
                            + group.get(b)
                            + ")";
                }
            }
        }
        return "adapters " + group.stream().map(paths::get).toList() + " cannot be told apart";
    }
}
