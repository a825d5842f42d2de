/**
 * The {@code kinesis-aggregator} command line (picocli): options, log levels, exit codes, and the
 * process lifecycle (start, SIGTERM through a shutdown hook, wait for the close).
 *
 * <h2>Invariants</h2>
 * Exit codes are stable and documented (0 ok, 1 runtime failure, 2 usage, 3 invalid conf). Conf
 * errors are printed to standard error with their {@code file:line:}; logs go to Logback's console
 * appender (standard error), summaries and {@code stdout} outputs to standard output.
 *
 * <h2>Threads</h2>
 * The main thread parses, assembles, starts, then waits for the close; the shutdown hook thread
 * closes the application.
 */
package org.kinesisaggregator.cli;
