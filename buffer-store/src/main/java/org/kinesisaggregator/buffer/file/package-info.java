/**
 * The chunk file format ({@link org.kinesisaggregator.buffer.file.ChunkFileFormat}, with
 * {@code FORMAT_VERSION}), frame verification as a tri-state
 * ({@link org.kinesisaggregator.buffer.file.FrameCheck}) and start-up recovery of one file
 * ({@link org.kinesisaggregator.buffer.file.ChunkRecovery}): every frame re-validated, a torn tail
 * cut (WARN), a corrupt region in the middle cut out with the valid frames after it kept (WARN,
 * resync by {@link org.kinesisaggregator.buffer.file.FrameReader#resync}), a corrupt tail cut
 * (ERROR).
 */
package org.kinesisaggregator.buffer.file;
