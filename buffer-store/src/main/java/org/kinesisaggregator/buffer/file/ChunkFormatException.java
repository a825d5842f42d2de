package org.kinesisaggregator.buffer.file;

import java.io.IOException;

/** A chunk file whose header is not one this release can read. The message names the file and the field. */
public class ChunkFormatException extends IOException {
    private static final long serialVersionUID = 1L;

    public ChunkFormatException(String message) {
        super(message);
    }
}
