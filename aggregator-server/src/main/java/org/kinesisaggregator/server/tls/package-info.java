/**
 * {@code <transport tls>}: the server's {@code SslContext} (JDK provider) from PEM files, read with
 * the JDK alone. Built once in {@code start()}; the context is thread-safe and each connection gets
 * its own {@code SslHandler}.
 *
 * <p><b>Invariants.</b> Key, certificate and CA files are read once, at start: a missing or
 * unreadable file fails the start naming the parameter (and {@code --dry-run} checks them); no
 * private key material is logged.
 *
 * <p><b>Threads.</b> The factory runs on the starting thread; the {@code SslContext} it returns is
 * thread-safe and shared by the source's connections.
 */
package org.kinesisaggregator.server.tls;
