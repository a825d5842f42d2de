/**
 * The chunk file format ({@link org.kinesisaggregator.buffer.file.ChunkFileFormat}, with
 * {@code FORMAT_VERSION}), frame verification as a tri-state
 * ({@link org.kinesisaggregator.buffer.file.FrameCheck}) and start-up recovery of one file
 * ({@link org.kinesisaggregator.buffer.file.ChunkRecovery}): every frame re-validated, a torn tail
 * cut (WARN), a corrupt region in the middle cut out with the valid frames after it kept (WARN,
 * resync by {@link org.kinesisaggregator.buffer.file.FrameReader#resync}), a corrupt tail cut
 * (ERROR).
 *
 * <p><b>Invariants.</b> A frame counts only when its CRC32C matches and its entries validate; a key
 * or an event comes only from such a frame. The file header's format version decides the frame
 * layout (every version ever written stays readable; an unknown one moves the file to
 * {@code failed/}). Recovery never keeps a byte after a torn tail, and never drops a valid frame
 * that follows a corrupt region.
 *
 * <p><b>Threads.</b> The format and recovery functions are stateless; recovery runs on the thread
 * that starts the buffer, before its writer thread exists. A {@code FrameReader} belongs to one
 * reader.
 */
package org.kinesisaggregator.buffer.file;
