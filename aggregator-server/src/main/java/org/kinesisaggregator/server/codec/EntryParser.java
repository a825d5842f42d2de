package org.kinesisaggregator.server.codec;

import io.netty.buffer.ByteBuf;
import org.kinesisaggregator.buffer.EventTimes;

/**
 * Validates one event entry {@code [time, record]} as its bytes arrive, resumably, and records
 * where its parts are so that the decoder can keep the bytes as they came or rewrite the few
 * entries that need it.
 *
 * <p>Rules (those of in_forward): {@code time} is an integer, a float or an EventTime (ext type 0
 * of exactly 8 bytes; any other length of ext type 0 is a protocol error); {@code nil} or a time
 * whose integer part is 0 means "now"; any other time must be in {@link EventTimes}' range (what
 * every output can represent), else the entry is invalid; Fluent Bit's {@code [time, metadata]} pair is accepted in
 * place of the time. {@code record} is a map. Anything else makes the entry invalid: it is walked
 * over to its end and reported with a reason, so that it can be skipped. An entry that grows past
 * the largest event the decoder holds is reported {@link #isTooLarge() too large} and walked over
 * while its bytes are discarded.
 *
 * <p>Positions are relative to the entry's first byte. In <em>bare</em> mode (Message mode) there
 * is no array header: the time and the record are two consecutive values.
 *
 * <p>Not thread-safe; one per connection, reused for every entry.
 */
final class EntryParser {
    static final int NEED_MORE = 0;
    static final int VALID = 1;
    static final int INVALID = 2;

    private static final int ENTRY_HEADER = 0;
    private static final int TIME = 1;
    private static final int META_TIME = 2;
    private static final int META_VALUE = 3;
    private static final int RECORD_HEADER = 4;
    private static final int RECORD_BODY = 5;
    private static final int SKIP_REST = 6;

    private final MsgpackSkipper skipper;
    private final int maxEventBytes;
    private boolean bare;
    private int phase;
    private int pos;
    private boolean discarding;

    private int timeStart;
    private int timeEnd;
    private boolean timeIsNow;
    private int metaStart;
    private int metaEnd;
    private int recordStart;
    private String invalidReason;
    private boolean tooLarge;

    EntryParser(int maxDepth, int maxEventBytes) {
        this.skipper = new MsgpackSkipper(maxDepth);
        this.maxEventBytes = maxEventBytes;
        reset(false);
    }

    /** Gets ready for the next entry; {@code bare}: Message mode's time and record without array header. */
    void reset(boolean bare) {
        this.bare = bare;
        phase = bare ? TIME : ENTRY_HEADER;
        pos = 0;
        discarding = false;
        timeStart = -1;
        timeEnd = -1;
        timeIsNow = false;
        metaStart = -1;
        metaEnd = -1;
        recordStart = -1;
        invalidReason = null;
        tooLarge = false;
        skipper.reset();
    }

    /** No byte of the current entry has been looked at. */
    boolean isIdle() {
        return pos == 0 && phase == (bare ? TIME : ENTRY_HEADER);
    }

    /** Bytes of the current entry walked over so far (its length once complete). */
    int position() {
        return pos;
    }

    /**
     * The caller discarded the first {@code bytes} bytes of a too-large entry (only while
     * {@link #isDiscarding()}): positions move back.
     */
    void discarded(int bytes) {
        pos -= bytes;
    }

    boolean isDiscarding() {
        return discarding;
    }

    boolean isTooLarge() {
        return tooLarge;
    }

    String invalidReason() {
        return invalidReason;
    }

    int timeStart() {
        return timeStart;
    }

    int timeEnd() {
        return timeEnd;
    }

    boolean isTimeNow() {
        return timeIsNow;
    }

    boolean hasMetadata() {
        return metaStart >= 0;
    }

    int metaStart() {
        return metaStart;
    }

    int metaEnd() {
        return metaEnd;
    }

    int recordStart() {
        return recordStart;
    }

    /** The bytes can be stored as they are: an array of 2, a plain time that is not "now". */
    boolean isVerbatim() {
        return !bare && !timeIsNow && metaStart < 0;
    }

    /**
     * Continues walking the entry that starts at absolute index {@code entryStart}.
     *
     * @param limit absolute index of the end of the readable bytes
     * @param entriesBound absolute index that no entry may reach past (end of a PackedForward's
     *     entries), or {@link Long#MAX_VALUE}
     * @return {@link #NEED_MORE}, {@link #VALID} or {@link #INVALID}
     */
    int parse(ByteBuf buf, int entryStart, int limit, long entriesBound) {
        long eventBound = discarding ? entriesBound : Math.min(entriesBound, (long) entryStart + maxEventBytes);
        while (true) {
            int index = entryStart + pos;
            switch (phase) {
                case ENTRY_HEADER -> {
                    if (index >= limit) {
                        return NEED_MORE;
                    }
                    int b = buf.getUnsignedByte(index);
                    if (b == 0x92) {
                        pos++;
                        phase = TIME;
                        continue;
                    }
                    if (!Msgpack.isArray(b)) {
                        invalid(1, "entry: " + Msgpack.typeName(b) + " (expected: array [time, record])");
                        continue;
                    }
                    int header = Msgpack.headerLength(b);
                    if (index + header > limit) {
                        checkHeaderBound(index + header, entriesBound);
                        return NEED_MORE;
                    }
                    long count = Msgpack.arrayCount(buf, index, b);
                    if (count == 2) {
                        pos += header;
                        phase = TIME;
                        continue;
                    }
                    pos += header;
                    invalid(count, "entry: array of " + count + " (expected: [time, record])");
                    continue;
                }
                case TIME, META_TIME -> {
                    if (index >= limit) {
                        return NEED_MORE;
                    }
                    int b = buf.getUnsignedByte(index);
                    boolean inner = phase == META_TIME;
                    // values left to skip if the time turns out invalid: this one, (metadata,) the record
                    long rest = inner ? 3 : 2;
                    if (!inner && Msgpack.isArray(b)) {
                        int header = Msgpack.headerLength(b);
                        if (index + header > limit) {
                            checkHeaderBound(index + header, entriesBound);
                            return NEED_MORE;
                        }
                        long count = Msgpack.arrayCount(buf, index, b);
                        if (count != 2) {
                            invalid(
                                    rest,
                                    "time: array of " + count
                                            + " (expected: integer, float, EventTime or [time, metadata])");
                            continue;
                        }
                        pos += header;
                        phase = META_TIME;
                        continue;
                    }
                    int length = timeLength(buf, index, limit, b);
                    if (length == 0) {
                        checkHeaderBound(index + Math.max(1, Msgpack.headerLength(b)), entriesBound);
                        return NEED_MORE;
                    }
                    if (length < 0) {
                        invalid(rest, invalidReason);
                        continue;
                    }
                    timeStart = pos;
                    timeEnd = pos + length;
                    pos += length;
                    if (inner) {
                        metaStart = pos;
                        skipper.begin(1);
                        phase = META_VALUE;
                    } else {
                        phase = RECORD_HEADER;
                    }
                }
                case META_VALUE -> {
                    int reached = walk(buf, index, limit, eventBound, entriesBound, 2);
                    if (reached < 0) {
                        return NEED_MORE;
                    }
                    metaEnd = pos;
                    phase = RECORD_HEADER;
                }
                case RECORD_HEADER -> {
                    if (index >= limit) {
                        return NEED_MORE;
                    }
                    int b = buf.getUnsignedByte(index);
                    if (!Msgpack.isMap(b)) {
                        invalid(1, "record: " + Msgpack.typeName(b) + " (expected: map)");
                        continue;
                    }
                    int header = Msgpack.headerLength(b);
                    if (index + header > limit) {
                        checkHeaderBound(index + header, entriesBound);
                        return NEED_MORE;
                    }
                    long pairs = Msgpack.mapCount(buf, index, b);
                    recordStart = pos;
                    pos += header;
                    skipper.begin(pairs * 2);
                    phase = RECORD_BODY;
                }
                case RECORD_BODY -> {
                    int reached = walk(buf, index, limit, eventBound, entriesBound, 2);
                    if (reached < 0) {
                        return NEED_MORE;
                    }
                    return VALID;
                }
                case SKIP_REST -> {
                    int reached = walk(buf, index, limit, eventBound, entriesBound, 1);
                    if (reached < 0) {
                        return NEED_MORE;
                    }
                    return INVALID;
                }
                default -> throw new IllegalStateException("phase " + phase);
            }
        }
    }

    /**
     * Walks the skipper; returns -1 when more bytes are needed (or the entry became too large and
     * is now being discarded), else the position reached with the skipper done.
     */
    private int walk(ByteBuf buf, int index, int limit, long eventBound, long entriesBound, int depthUsed) {
        int effectiveLimit = (int) Math.min(limit, eventBound);
        int reached = skipper.skip(buf, index, effectiveLimit, eventBound, depthUsed);
        pos += reached - index;
        if (skipper.isDone()) {
            return pos;
        }
        boolean atEventBound = skipper.isOverflow() || reached >= eventBound;
        if (atEventBound) {
            if (eventBound >= entriesBound) {
                throw ForwardProtocolException.malformed(
                        "entries",
                        "an event reaching past the end of entries",
                        "whole events inside the declared entries length");
            }
            if (!discarding) {
                // too large to hold: walk over the rest while the caller discards the bytes
                tooLarge = true;
                discarding = true;
                if (invalidReason == null) {
                    invalidReason = "event: more than " + maxEventBytes + " bytes (expected: <= " + maxEventBytes + ")";
                }
                phase = SKIP_REST;
            }
        }
        return -1;
    }

    private void invalid(long valuesToSkip, String reason) {
        invalidReason = reason;
        skipper.begin(valuesToSkip);
        phase = SKIP_REST;
    }

    private static void checkHeaderBound(long headerEnd, long entriesBound) {
        if (headerEnd > entriesBound) {
            throw ForwardProtocolException.malformed(
                    "entries",
                    "a value header reaching past the end of entries",
                    "whole events inside the declared entries length");
        }
    }

    /**
     * Length of a complete time value at {@code index}, 0 when incomplete, -1 when it is no valid
     * time (with {@link #invalidReason} set). Sets {@link #timeIsNow}. A time outside
     * {@link EventTimes the range every output can represent} is not valid; 0 ("now") is.
     */
    private int timeLength(ByteBuf buf, int index, int limit, int b) {
        if (b <= 0x7f) {
            timeIsNow = b == 0;
            return 1;
        }
        if (b >= 0xe0) {
            return integerTime(b - 0x100, 1);
        }
        int header = Msgpack.headerLength(b);
        if (header < 0) {
            throw ForwardProtocolException.malformed("time", Msgpack.typeName(b), "a valid msgpack format byte");
        }
        if (index + header > limit) {
            return 0;
        }
        switch (b) {
            case Msgpack.NIL:
                timeIsNow = true;
                return 1;
            case Msgpack.UINT8:
                return integerTime(buf.getUnsignedByte(index + 1), header);
            case Msgpack.INT8:
                return integerTime(buf.getByte(index + 1), header);
            case Msgpack.UINT16:
                return integerTime(buf.getUnsignedShort(index + 1), header);
            case Msgpack.INT16:
                return integerTime(buf.getShort(index + 1), header);
            case Msgpack.UINT32:
                return integerTime(buf.getUnsignedInt(index + 1), header);
            case Msgpack.INT32:
                return integerTime(buf.getInt(index + 1), header);
            case Msgpack.INT64:
                return integerTime(buf.getLong(index + 1), header);
            case Msgpack.UINT64: {
                long v = buf.getLong(index + 1);
                if (v < 0) {
                    invalidReason =
                            "time: integer " + Long.toUnsignedString(v) + " (expected: " + EventTimes.RANGE + ")";
                    return -1;
                }
                return integerTime(v, header);
            }
            case Msgpack.FLOAT32, Msgpack.FLOAT64: {
                double v = b == Msgpack.FLOAT32 ? buf.getFloat(index + 1) : buf.getDouble(index + 1);
                // in_forward's "now" is a time whose integer part is 0: -1 < v < 1
                timeIsNow = v > -1.0 && v < 1.0;
                if (!timeIsNow && !EventTimes.isRepresentable(v)) {
                    invalidReason = "time: float " + v + " (expected: " + EventTimes.RANGE + ")";
                    return -1;
                }
                return header;
            }
            default:
                break;
        }
        if (Msgpack.isExt(b)) {
            long length = Msgpack.payloadLength(buf, index, b);
            byte type = Msgpack.extType(buf, index, b);
            if (type != 0) {
                invalidReason = "time: ext type " + type + " (expected: integer, float or EventTime)";
                return -1;
            }
            if (length != 8) {
                throw ForwardProtocolException.malformed("time", "EventTime of " + length + " bytes", "8 bytes");
            }
            if (index + header + 8 > limit) {
                return 0;
            }
            // the seconds are an unsigned 32-bit integer: all in the range; the nanoseconds may not be
            timeIsNow = buf.getInt(index + header) == 0;
            long nanos = buf.getUnsignedInt(index + header + 4);
            if (!timeIsNow && nanos > EventTimes.MAX_NANOS) {
                invalidReason = "time: EventTime nanoseconds " + nanos + " (expected: 0.." + EventTimes.MAX_NANOS + ")";
                return -1;
            }
            return header + 8;
        }
        invalidReason = "time: " + Msgpack.typeName(b) + " (expected: integer, float or EventTime)";
        return -1;
    }

    /** An integer time of {@code length} bytes: 0 is "now"; else it must be in the range. */
    private int integerTime(long seconds, int length) {
        timeIsNow = seconds == 0;
        if (seconds < EventTimes.MIN_EPOCH_SECOND || seconds > EventTimes.MAX_EPOCH_SECOND) {
            invalidReason = "time: integer " + seconds + " (expected: " + EventTimes.RANGE + ")";
            return -1;
        }
        return length;
    }
}
