package org.kinesisaggregator.cli;

import java.lang.reflect.Constructor;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Installs handlers of POSIX signals (USR1, USR2, HUP) through {@code sun.misc.Signal}, the JDK's
 * only way to catch them.
 *
 * <p>Why reflection: javac emits a mandatory "internal proprietary API" warning for every use of
 * {@code sun.misc.Signal} and {@code sun.misc.SignalHandler} that no {@code -Xlint} option or
 * {@code @SuppressWarnings} can silence, and the build compiles with {@code -Werror}. So this one
 * class reaches them through reflection and implements the handler interface with a
 * {@link Proxy}; nothing else in the code base names them. The classes live in the
 * {@code jdk.unsupported} module, which exports them (no {@code --add-opens} needed).
 *
 * <p>A handler runs on the JVM's signal dispatch thread: the callback must return quickly (hand the
 * work to another thread). Thread-safe.
 */
final class PosixSignals {
    private static final Logger log = LoggerFactory.getLogger(PosixSignals.class);

    private PosixSignals() {}

    /**
     * Calls {@code handler} with the signal's name ({@code "USR1"}) each time the process receives it.
     *
     * @param name the signal without {@code SIG}: {@code USR1}, {@code USR2}, {@code HUP}
     * @return false (and a WARN line) when the JVM refuses the signal (e.g. HotSpot uses it itself) or
     *     this JDK has no {@code sun.misc.Signal}
     */
    static boolean handle(String name, Consumer<String> handler) {
        try {
            Class<?> signalClass = Class.forName("sun.misc.Signal");
            Class<?> handlerClass = Class.forName("sun.misc.SignalHandler");
            Constructor<?> newSignal = signalClass.getConstructor(String.class);
            Method install = signalClass.getMethod("handle", signalClass, handlerClass);
            Object signal = newSignal.newInstance(name);
            Object proxy = Proxy.newProxyInstance(
                    handlerClass.getClassLoader(), new Class<?>[] {handlerClass}, (self, method, args) -> {
                        switch (method.getName()) {
                            case "handle" -> {
                                handler.accept(name);
                                return null;
                            }
                            case "hashCode" -> {
                                return System.identityHashCode(self);
                            }
                            case "equals" -> {
                                return self == args[0];
                            }
                            case "toString" -> {
                                return "handler of SIG" + name;
                            }
                            default -> throw new UnsupportedOperationException(method.getName());
                        }
                    });
            install.invoke(null, signal, proxy);
            return true;
        } catch (InvocationTargetException e) {
            log.warn(
                    "Cannot handle SIG{}: {}; it keeps the JVM's default action",
                    name,
                    e.getCause().toString());
            return false;
        } catch (ReflectiveOperationException | RuntimeException e) {
            log.warn("Cannot handle SIG{}: {}; it keeps the JVM's default action", name, e.toString());
            return false;
        }
    }
}
