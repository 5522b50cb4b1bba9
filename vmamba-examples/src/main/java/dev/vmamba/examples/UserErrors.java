package dev.vmamba.examples;

import ai.djl.MalformedModelException;
import ai.djl.repository.zoo.ModelNotFoundException;
import ai.djl.translate.TranslateException;
import java.io.IOException;
import java.io.PrintWriter;
import java.util.concurrent.Callable;

/**
 * Reports the errors a user can fix (bad arguments, unreadable or mismatched files) as one clear
 * message instead of a stack trace. Anything else propagates, so real bugs keep their trace.
 */
final class UserErrors {

    /** Exit code for errors in the user's input. */
    static final int EXIT_USAGE = 2;

    private UserErrors() {}

    static int run(String command, PrintWriter err, Callable<Integer> body) throws Exception {
        try {
            return body.call();
        } catch (IllegalArgumentException
                | IOException
                | MalformedModelException
                | ModelNotFoundException
                | TranslateException e) {
            StringBuilder sb = new StringBuilder("vmamba " + command + ": " + e.getMessage());
            for (Throwable c = e.getCause(); c != null && c != c.getCause(); c = c.getCause()) {
                if (c.getMessage() != null && !sb.toString().contains(c.getMessage())) {
                    sb.append("\n  caused by: ").append(c.getMessage());
                }
            }
            err.println(sb);
            err.flush();
            return EXIT_USAGE;
        }
    }
}
