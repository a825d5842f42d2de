/**
 * The outputs of this module — {@code stdout}, {@code file}, {@code null}, and {@code secondary_file}
 * for {@code <secondary>} — built from typed settings records only: the conf is read, and each
 * {@code @type} mapped onto these classes, by {@code org.kinesisaggregator.server.app}
 * ({@code OutputFactory}, {@code BuiltinOutputs}, {@code KinesisOutputFactory}). This package depends
 * on no conf syntax and not on {@code server.app} (ArchitectureTest).
 *
 * <h2>Invariants</h2>
 * <ul>
 *   <li>Terminal outputs implement buffer-store's {@link org.kinesisaggregator.buffer.Output}: a write
 *       completes only once its events are written (to the stream or the file) and reports per event.
 *   <li>An unbuffered output ({@link org.kinesisaggregator.server.output.SyncOutputSink}) completes an
 *       append only when the output's write completed: the forwarder's ack waits for it.
 *   <li>{@code copy} and {@code relabel} are not outputs of their own: they are sinks (fan-out, a label's
 *       router) and never hold events.
 * </ul>
 *
 * <h2>Threads</h2>
 * {@code Output.write} never blocks its caller: outputs that do blocking I/O (stdout, file,
 * secondary_file) own one worker thread, created in {@code start()} and stopped in {@code close()}, and
 * run their writes on it one at a time. Outputs are constructed on the assembling thread.
 */
package org.kinesisaggregator.server.output;
