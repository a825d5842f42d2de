/**
 * The fluent conf file: Fluentd v1 syntax parsed into a tree of {@link org.kinesisaggregator.conf.ConfElement}s
 * with typed access.
 *
 * <h2>Invariants</h2>
 * <ul>
 *   <li>Every element and parameter carries the file and line it was written on
 *       ({@link org.kinesisaggregator.conf.ConfLocation}); every error about the conf is a
 *       {@link org.kinesisaggregator.conf.ConfException} whose message starts with {@code file:line:}
 *       and names the parameter or element, what was found and what was expected.
 *   <li>One parse reports every syntax error it can recover from ({@code ConfParser} skips a bad line,
 *       keeps a bad start tag's section open, closes unclosed sections at an enclosing end tag), as one
 *       {@link org.kinesisaggregator.conf.ConfErrors} in file order; nothing is returned when there is one.
 *   <li>Values are strings as the parser resolved them (quotes, escapes, {@code #{...}}, multi-line JSON
 *       normalized); types (time, size, bool, enum, array, hash) are applied on access, strictly.
 *   <li>Reading a parameter marks it used; what no plugin read is reported Fluentd-style after the
 *       application is assembled ({@code --strict} turns the report into an error).
 * </ul>
 *
 * <p>Only this package and {@code org.kinesisaggregator.server.app} (plus the output factories, through
 * {@code ConfElement}'s typed accessors) read conf syntax; everything else takes typed, immutable settings.
 *
 * <h2>Threads</h2>
 * Nothing here is thread-safe: a conf is loaded and mapped by one thread (start-up, {@code --dry-run}),
 * and the tree is not used after the application is assembled.
 */
package org.kinesisaggregator.conf;
