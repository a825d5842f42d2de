/**
 * The application assembled from a conf. One class, one job:
 * <ul>
 *   <li>{@link org.kinesisaggregator.server.app.Aggregator}: the application's lifecycle (assemble, start,
 *       readiness, flush, close and reload);
 *   <li>{@code Assembler}: conf → plugin settings and components, each {@code <source>}, {@code <filter>},
 *       {@code <match>} through its {@code @type}'s factory in the one registry
 *       ({@link org.kinesisaggregator.server.app.Plugins}: source, output, filter, {@code <secondary>} and
 *       buffer factories), {@code <buffer>}s by {@link org.kinesisaggregator.server.app.BufferConf} (v1 and
 *       v0.12 names), other sections by their {@code *Conf} class;
 *   <li>{@code LabelGraph}: the routers of the labels, {@code @label} resolution, relabel edges and their
 *       errors (unknown label, cycle); {@code RouteSummary}: the {@code --dry-run} summary;
 *       {@code OutputSection} / {@code SourceSection}: what one output's / source's factory gets;
 *       {@code Carryover}: what a reload takes over; {@code ShutdownSequence}: the close order;
 *   <li>{@code OutputFactory} / {@code OutputContext}: an output {@code @type}'s factory and what it gets;
 *       {@code BuiltinOutputs} and {@code KinesisOutputFactory}: the output types, mapped onto
 *       {@code server.output}'s and kpl-bridge's settings records.
 * </ul>
 * Only this package and {@code org.kinesisaggregator.conf} read conf syntax: the components get typed
 * settings (and the application's clock, zone and host name). ArchitectureTest states the rule; what
 * does not meet it yet (the CLI, which catches {@code ConfException}) is listed in its frozen store.
 *
 * <h2>Invariants</h2>
 * <ul>
 *   <li>Assembling does no I/O and starts no thread; every conf problem is found there, as a
 *       {@code ConfException} with file and line, before anything starts; all that mapping can go on
 *       after (a bad value, a failed directive) are collected and reported together in file order.
 *   <li>{@code <system> workers} and {@code <worker>} sections run in the one process
 *       ({@link org.kinesisaggregator.server.app.WorkerSections}); what a person needs to know about the
 *       conf as applied is in the summary ({@link org.kinesisaggregator.server.app.DryRunReport}).
 *   <li>Start order: outputs, buffers, inputs. Close order: not ready, {@code drain_delay}, inputs drained
 *       and closed (bounded by {@code shutdown_timeout}), buffers closed, outputs closed, admin endpoints last
 *       ({@code ShutdownSequence}); each step logged,
 *       a failure logged and the next step run.
 *   <li>A conf reload assembles the new conf taking over the running sources and outputs whose
 *       sections are unchanged (a {@code SwitchableSink} between a kept source and the routes is
 *       switched once the new conf runs); the old application closes only the rest, before the new one
 *       starts its new parts, so that no buffer directory is ever open twice.
 *   <li>A file buffer's directory is {@code <path>/<output id>} ({@code <root_dir>/buffer/<output id>}
 *       without a path); the output id is {@code @id} or derived from the type and pattern.
 *   <li>Output types not in this build (Kinesis, until kpl-bridge) assemble for {@code --dry-run} but
 *       refuse to start.
 *
 *   <li>{@code <label @FLUENT_LOG>} ({@link org.kinesisaggregator.server.app.FluentLogEvents}): log lines
 *       are queued (bounded, never waiting) from start, after the buffers started, until close, before the
 *       buffers close; what its own emitting and buffer threads log is never emitted.
 * </ul>
 *
 * <h2>Threads</h2>
 * One thread assembles and starts; {@code Aggregator.close()} may run on a shutdown hook thread
 * (synchronized, idempotent). With {@code <label @FLUENT_LOG>}, one thread ({@code fluent-log}) appends
 * the log events to that label's router.
 */
package org.kinesisaggregator.server.app;
