package org.kinesisaggregator.server.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.util.Arrays;
import org.msgpack.core.MessagePack;
import org.msgpack.core.MessageUnpacker;
import org.msgpack.value.Value;

/** A plain TCP client for hand-made bytes (what no real client sends), with blocking reads bounded by a timeout. */
public final class RawClient implements AutoCloseable {
    private final Socket socket;
    private final OutputStream out;
    private final InputStream in;
    private MessageUnpacker unpacker;

    public RawClient(InetSocketAddress address) {
        try {
            socket = new Socket();
            socket.connect(address, 5000);
            socket.setSoTimeout(10_000);
            out = socket.getOutputStream();
            in = socket.getInputStream();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public RawClient send(byte[]... parts) {
        try {
            for (byte[] part : parts) {
                out.write(part);
            }
            out.flush();
            return this;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Reads exactly {@code n} bytes. */
    public byte[] read(int n) {
        try {
            byte[] b = in.readNBytes(n);
            if (b.length < n) {
                throw new AssertionError(
                        "connection closed after " + b.length + " of " + n + " bytes: " + Arrays.toString(b));
            }
            return b;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Reads the next msgpack value. */
    public Value readValue() {
        try {
            if (unpacker == null) {
                unpacker = MessagePack.newDefaultUnpacker(in);
            }
            return unpacker.unpackValue();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** True when the server closed the connection (end of stream or reset) before the timeout. */
    public boolean isClosedByServer() {
        try {
            while (true) {
                int b = in.read();
                if (b < 0) {
                    return true;
                }
            }
        } catch (SocketTimeoutException e) {
            return false;
        } catch (IOException e) {
            return true;
        }
    }

    /** Bytes the server sent that are waiting to be read, without blocking. */
    public int available() {
        try {
            return in.available();
        } catch (IOException e) {
            return -1;
        }
    }

    public Socket socket() {
        return socket;
    }

    public void shutdownOutput() {
        try {
            socket.shutdownOutput();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void close() {
        try {
            socket.close();
        } catch (IOException ignored) {
            // closing a test socket
        }
    }
}
