package org.kinesisaggregator.kinesis.aggregation;

/**
 * The KPL aggregated record format, shared by producers (KPL, our {@link AggregateBuilder}) and
 * consumers (KCL, awslabs kinesis-aggregation, our {@link Deaggregator}):
 *
 * <pre>
 *   magic F3 89 9A C2 | protobuf AggregatedRecord | MD5(protobuf bytes), 16 bytes
 *
 *   message AggregatedRecord {
 *     repeated string partition_key_table     = 1;
 *     repeated string explicit_hash_key_table = 2;
 *     repeated Record records                 = 3;
 *   }
 *   message Record {
 *     required uint64 partition_key_index     = 1;
 *     optional uint64 explicit_hash_key_index = 2;
 *     required bytes  data                    = 3;
 *     repeated Tag    tags                    = 4;   // never written by us, skipped on read
 *   }
 * </pre>
 *
 * (from {@code messages.proto} inside the KPL jar and the KPL's {@code aggregation-format.md}).
 *
 * <p><b>Frozen wire format: do not add, remove, renumber or retype fields.</b> Every KCL and Lambda
 * consumer in the field parses exactly this. {@link #FORMAT_VERSION} names the revision we
 * implement.
 */
public final class AggregationFormat {

    /** The format revision implemented here (KPL's only one so far). */
    public static final int FORMAT_VERSION = 1;

    /** The four bytes every aggregated record starts with. */
    public static final byte[] MAGIC = {(byte) 0xF3, (byte) 0x89, (byte) 0x9A, (byte) 0xC2};

    /** Length of the MD5 digest that ends an aggregated record. */
    public static final int DIGEST_LENGTH = 16;

    /** Magic plus digest: the bytes an aggregate adds around its protobuf message. */
    public static final int FRAMING_BYTES = MAGIC.length + DIGEST_LENGTH;

    // AggregatedRecord fields
    static final int FIELD_PARTITION_KEY_TABLE = 1;
    static final int FIELD_EXPLICIT_HASH_KEY_TABLE = 2;
    static final int FIELD_RECORDS = 3;
    // Record fields
    static final int FIELD_PARTITION_KEY_INDEX = 1;
    static final int FIELD_EXPLICIT_HASH_KEY_INDEX = 2;
    static final int FIELD_DATA = 3;
    static final int FIELD_TAGS = 4;

    private AggregationFormat() {}

    /** True when {@code data} starts with {@link #MAGIC} and is long enough to hold a digest. */
    public static boolean isAggregated(byte[] data, int offset, int length) {
        if (length < FRAMING_BYTES) {
            return false;
        }
        for (int i = 0; i < MAGIC.length; i++) {
            if (data[offset + i] != MAGIC[i]) {
                return false;
            }
        }
        return true;
    }
}
