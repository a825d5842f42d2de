/**
 * {@code <transport tls>}: the server's {@code SslContext} (JDK provider) from PEM files, read with
 * the JDK alone. Built once in {@code start()}; the context is thread-safe and each connection gets
 * its own {@code SslHandler}.
 */
package org.kinesisaggregator.server.tls;
