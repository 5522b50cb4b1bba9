/** The {@code vmamba} command-line tool and analysis programs built on the library. */
package dev.vmamba.examples;
