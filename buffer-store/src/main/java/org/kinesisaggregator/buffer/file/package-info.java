/**
 * The chunk file format ({@link org.kinesisaggregator.buffer.file.ChunkFileFormat}, with
 * {@code FORMAT_VERSION}), frame verification as a tri-state
 * ({@link org.kinesisaggregator.buffer.file.FrameCheck}) and start-up recovery of one file
 * ({@link org.kinesisaggregator.buffer.file.ChunkRecovery}): every frame re-validated, the file cut
 * at the first frame that is torn (WARN) or corrupt (ERROR).
 */
package org.kinesisaggregator.buffer.file;
