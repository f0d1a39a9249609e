package dev.lorahub.cli;

import dev.lorahub.LoraHubException;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import picocli.CommandLine;
import picocli.CommandLine.IExecutionExceptionHandler;
import picocli.CommandLine.ParseResult;

/**
 * The CLI's error policy. Bad input ({@link LoraHubException}, {@link IOException}, {@link
 * IllegalArgumentException}) exits with {@link LoraHubCli#EXIT_BAD_INPUT}; anything else is a bug
 * and exits with {@link LoraHubCli#EXIT_INTERNAL}. Either way stderr gets exactly one line, {@code
 * "<command>: <file>: <problem>"}, and the stack trace follows only with {@code --verbose}.
 */
final class ErrorReporter implements IExecutionExceptionHandler {

    @Override
    public int handleExecutionException(
            Exception ex, CommandLine commandLine, ParseResult fullParseResult) {
        Throwable cause = ex instanceof UncheckedIOException u ? u.getCause() : ex;
        boolean badInput =
                cause instanceof LoraHubException
                        || cause instanceof IOException
                        || cause instanceof IllegalArgumentException;
        PrintWriter err = commandLine.getErr();
        String command = commandLine.getCommandSpec().qualifiedName();
        String line = badInput ? describe(cause) : "internal error: " + describe(cause);
        err.println(command + ": " + oneLine(line));
        if (LoraHubCli.isVerbose(fullParseResult)) {
            ex.printStackTrace(err);
        }
        err.flush();
        return badInput ? LoraHubCli.EXIT_BAD_INPUT : LoraHubCli.EXIT_INTERNAL;
    }

    /**
     * @return the problem in words: domain and argument messages as they are (they name the file),
     *     file-system failures as "file: what", anything else with its class name
     */
    static String describe(Throwable t) {
        if (t instanceof FileSystemException fse && fse.getReason() == null) {
            String what = fileProblem(fse);
            String file = fse.getFile() == null ? "" : fse.getFile();
            return fse.getOtherFile() == null
                    ? file + ": " + what
                    : file + " -> " + fse.getOtherFile() + ": " + what;
        }
        String message = t.getMessage();
        if (t instanceof LoraHubException
                || t instanceof IllegalArgumentException
                || t instanceof FileSystemException) {
            return message == null ? t.getClass().getSimpleName() : message;
        }
        String name = t.getClass().getSimpleName();
        return message == null ? name : name + ": " + message;
    }

    private static String fileProblem(FileSystemException fse) {
        if (fse instanceof NoSuchFileException) {
            return "no such file or folder";
        } else if (fse instanceof AccessDeniedException) {
            return "permission denied";
        } else if (fse instanceof FileAlreadyExistsException) {
            return "already exists";
        } else if (fse instanceof NotDirectoryException) {
            return "not a folder";
        } else if (fse instanceof DirectoryNotEmptyException) {
            return "folder is not empty";
        }
        return fse.getClass().getSimpleName();
    }

    /** Folds a multi-line message into one line. */
    static String oneLine(String s) {
        return s.strip().replaceAll("\\s*\\R\\s*", " | ");
    }
}
