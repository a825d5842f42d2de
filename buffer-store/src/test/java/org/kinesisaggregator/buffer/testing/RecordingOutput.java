package org.kinesisaggregator.buffer.testing;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import org.kinesisaggregator.buffer.Chunk;
import org.kinesisaggregator.buffer.Output;
import org.kinesisaggregator.buffer.WriteResult;

/**
 * An output that reads every chunk it is given and records the ids it delivered, answering with a
 * policy the test sets (default: everything delivered). Thread-safe.
 */
public final class RecordingOutput implements Output {
    private final String type;
    private final ConcurrentLinkedQueue<Long> delivered = new ConcurrentLinkedQueue<>();
    private final ConcurrentLinkedQueue<String> tags = new ConcurrentLinkedQueue<>();
    private final AtomicInteger writes = new AtomicInteger();
    private volatile Function<List<Events.Event>, WriteResult> policy = events -> WriteResult.allDelivered();

    public RecordingOutput(String type) {
        this.type = type;
    }

    public RecordingOutput() {
        this("recording");
    }

    public void setPolicy(Function<List<Events.Event>, WriteResult> policy) {
        this.policy = policy;
    }

    public void failAlways(String reason) {
        setPolicy(events -> WriteResult.failed(reason));
    }

    public void succeed() {
        setPolicy(events -> WriteResult.allDelivered());
    }

    @Override
    public String type() {
        return type;
    }

    @Override
    public CompletableFuture<WriteResult> write(Chunk chunk) {
        writes.incrementAndGet();
        List<Events.Event> events = Events.read(chunk);
        WriteResult r = policy.apply(events);
        for (Events.Event e : events) {
            if (r.isDelivered(e.index())) {
                delivered.add(e.id());
                tags.add(e.tag());
            }
        }
        return CompletableFuture.completedFuture(r);
    }

    public List<Long> delivered() {
        return new ArrayList<>(delivered);
    }

    public List<String> tags() {
        return new ArrayList<>(tags);
    }

    public int writes() {
        return writes.get();
    }

    public static WriteResult rejectAll(List<Events.Event> events, String reason) {
        TreeMap<Integer, String> m = new TreeMap<>();
        events.forEach(e -> m.put(e.index(), reason));
        return WriteResult.partial(new BitSet(), Map.copyOf(m), null);
    }
}
