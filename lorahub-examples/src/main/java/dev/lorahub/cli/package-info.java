/**
 * The {@code lorahub} command line: the picocli root {@link dev.lorahub.cli.LoraHubCli} and its
 * subcommands ({@code inspect}, {@code merge}, ...), plus terminal helpers that subcommands share:
 * {@link dev.lorahub.cli.ProgressBar} (progress on stderr) and {@link dev.lorahub.cli.SvgPlot}
 * (dependency-free SVG bar and line charts).
 */
@NullMarked
package dev.lorahub.cli;

import org.jspecify.annotations.NullMarked;
