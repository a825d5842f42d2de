package org.kinesisaggregator.server.testing;

import java.time.Duration;
import org.kinesisaggregator.server.ConnectionLimits;
import org.kinesisaggregator.server.ForwardSettings;
import org.kinesisaggregator.server.SecuritySettings;
import org.kinesisaggregator.server.TlsSettings;

/** Builds {@link ForwardSettings} for tests: in_forward's defaults on 127.0.0.1, port 0, one worker. */
public final class Settings {
    private String bind = "127.0.0.1";
    private int port = 0;
    private int workers = 1;
    private Duration linger = Duration.ZERO;
    private long chunkSizeLimit;
    private long chunkSizeWarnLimit;
    private long decompressionSizeLimit = ForwardSettings.DEFAULT_DECOMPRESSION_SIZE_LIMIT_BYTES;
    private boolean skipInvalidEvent = true;
    private String sourceHostnameKey;
    private String sourceAddressKey;
    private boolean denyKeepalive;
    private boolean sendKeepalivePacket;
    private String addTagPrefix;
    private String eventMetadataKey;
    private boolean proxyProtocol;
    private TlsSettings tls;
    private SecuritySettings security;
    private ConnectionLimits limits = ConnectionLimits.DEFAULT;

    public static Settings local() {
        return new Settings();
    }

    public Settings workers(int v) {
        workers = v;
        return this;
    }

    public Settings chunkSizeLimit(long v) {
        chunkSizeLimit = v;
        return this;
    }

    public Settings chunkSizeWarnLimit(long v) {
        chunkSizeWarnLimit = v;
        return this;
    }

    public Settings decompressionSizeLimit(long v) {
        decompressionSizeLimit = v;
        return this;
    }

    public Settings skipInvalidEvent(boolean v) {
        skipInvalidEvent = v;
        return this;
    }

    public Settings sourceHostnameKey(String v) {
        sourceHostnameKey = v;
        return this;
    }

    public Settings sourceAddressKey(String v) {
        sourceAddressKey = v;
        return this;
    }

    public Settings denyKeepalive(boolean v) {
        denyKeepalive = v;
        return this;
    }

    public Settings sendKeepalivePacket(boolean v) {
        sendKeepalivePacket = v;
        return this;
    }

    public Settings addTagPrefix(String v) {
        addTagPrefix = v;
        return this;
    }

    public Settings eventMetadataKey(String v) {
        eventMetadataKey = v;
        return this;
    }

    public Settings proxyProtocol(boolean v) {
        proxyProtocol = v;
        return this;
    }

    public Settings tls(TlsSettings v) {
        tls = v;
        return this;
    }

    public Settings security(SecuritySettings v) {
        security = v;
        return this;
    }

    public Settings linger(Duration v) {
        linger = v;
        return this;
    }

    public Settings port(int v) {
        port = v;
        return this;
    }

    public Settings limits(ConnectionLimits v) {
        limits = v;
        return this;
    }

    public ForwardSettings build() {
        return new ForwardSettings(
                bind,
                port,
                workers,
                linger,
                chunkSizeLimit,
                chunkSizeWarnLimit,
                decompressionSizeLimit,
                skipInvalidEvent,
                sourceHostnameKey,
                sourceAddressKey,
                sourceHostnameKey != null,
                denyKeepalive,
                sendKeepalivePacket,
                addTagPrefix,
                eventMetadataKey,
                proxyProtocol,
                tls,
                security,
                limits);
    }
}
