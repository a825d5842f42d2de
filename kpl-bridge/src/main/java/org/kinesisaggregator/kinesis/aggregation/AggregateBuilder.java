package org.kinesisaggregator.kinesis.aggregation;

import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.WireFormat;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.security.DigestException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;

/**
 * Builds one KPL-format aggregated record ({@link AggregationFormat}) from user records, keeping
 * its exact finished size known at every step so that the caller can stop before a limit.
 *
 * <p>User record data is copied in when added; {@link #finish()} writes magic, the protobuf message
 * (key tables first, then records, in field order) and the MD5 of the message into a new array.
 * {@link #reset()} makes the builder reusable; its buffers are kept.
 *
 * <p>Not thread-safe; one builder per writer thread.
 */
public final class AggregateBuilder {
    private static final int RECORDS_TAG_SIZE = CodedOutputStream.computeTagSize(AggregationFormat.FIELD_RECORDS);

    private int maxBytes;
    private final MessageDigest md5;

    private final Map<String, Integer> partitionKeyIndexes = new HashMap<>();
    private final Map<String, Integer> hashKeyIndexes = new HashMap<>();
    private String[] partitionKeys = new String[4];
    private String[] hashKeys = new String[4];
    private String lastPartitionKey;
    private int lastPartitionKeyIndex;

    private byte[] data = new byte[64 * 1024];
    private int dataLength;
    private int[] recordDataOffsets = new int[256];
    private int[] recordPartitionKeyIndexes = new int[256];
    private int[] recordHashKeyIndexes = new int[256];
    private int recordCount;

    /** Size of the protobuf message so far. */
    private int messageBytes;

    /**
     * @param maxBytes the most a finished aggregate (magic + message + digest) may weigh; at least
     *     {@link AggregationFormat#FRAMING_BYTES} + 8
     */
    public AggregateBuilder(int maxBytes) {
        this.maxBytes = checkMaxBytes(maxBytes);
        try {
            this.md5 = MessageDigest.getInstance("MD5");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("MD5 is missing from this JVM; every JVM must provide it", e);
        }
    }

    /** The limit given at construction. */
    public int maxBytes() {
        return maxBytes;
    }

    /** How many user records have been added since the last reset. */
    public int recordCount() {
        return recordCount;
    }

    /** True when no record has been added since the last reset. */
    public boolean isEmpty() {
        return recordCount == 0;
    }

    /** The size {@link #finish()} would return now, in bytes. */
    public int sizeBytes() {
        return AggregationFormat.FRAMING_BYTES + messageBytes;
    }

    /** The partition key of the first record, or null when empty. */
    public String firstPartitionKey() {
        return recordCount == 0 ? null : partitionKeys[recordPartitionKeyIndexes[0]];
    }

    /** The explicit hash key of the first record (null when it has none, or when empty). */
    public String firstExplicitHashKey() {
        if (recordCount == 0 || recordHashKeyIndexes[0] < 0) {
            return null;
        }
        return hashKeys[recordHashKeyIndexes[0]];
    }

    /**
     * How many bytes the finished aggregate would grow by if this record were added. Adding a record
     * that makes {@link #sizeBytes()} exceed {@link #maxBytes()} is refused.
     */
    public int sizeIncrement(int dataLength, String partitionKey, String explicitHashKey) {
        int increment = 0;
        int partitionKeyIndex;
        if (partitionKey.equals(lastPartitionKey)) {
            partitionKeyIndex = lastPartitionKeyIndex;
        } else {
            Integer known = partitionKeyIndexes.get(partitionKey);
            if (known == null) {
                partitionKeyIndex = partitionKeyIndexes.size();
                increment +=
                        CodedOutputStream.computeStringSize(AggregationFormat.FIELD_PARTITION_KEY_TABLE, partitionKey);
            } else {
                partitionKeyIndex = known;
            }
        }
        int hashKeyIndex = -1;
        if (explicitHashKey != null) {
            Integer known = hashKeyIndexes.get(explicitHashKey);
            if (known == null) {
                hashKeyIndex = hashKeyIndexes.size();
                increment += CodedOutputStream.computeStringSize(
                        AggregationFormat.FIELD_EXPLICIT_HASH_KEY_TABLE, explicitHashKey);
            } else {
                hashKeyIndex = known;
            }
        }
        int recordBytes = recordSize(partitionKeyIndex, hashKeyIndex, dataLength);
        return increment + RECORDS_TAG_SIZE + CodedOutputStream.computeUInt32SizeNoTag(recordBytes) + recordBytes;
    }

    /** The finished size of an aggregate holding only this record. */
    public static int sizeOfOne(int dataLength, String partitionKey, String explicitHashKey) {
        int size = AggregationFormat.FRAMING_BYTES
                + CodedOutputStream.computeStringSize(AggregationFormat.FIELD_PARTITION_KEY_TABLE, partitionKey);
        if (explicitHashKey != null) {
            size += CodedOutputStream.computeStringSize(
                    AggregationFormat.FIELD_EXPLICIT_HASH_KEY_TABLE, explicitHashKey);
        }
        int recordBytes = recordSize(0, explicitHashKey == null ? -1 : 0, dataLength);
        return size + RECORDS_TAG_SIZE + CodedOutputStream.computeUInt32SizeNoTag(recordBytes) + recordBytes;
    }

    /**
     * Adds a user record unless that would take the aggregate over {@link #maxBytes()}.
     *
     * @param partitionKey the user record's partition key (1..256 characters)
     * @param explicitHashKey its explicit hash key (decimal), or null
     * @return false (and nothing added) when the record does not fit
     */
    public boolean add(byte[] bytes, int offset, int length, String partitionKey, String explicitHashKey) {
        Objects.requireNonNull(partitionKey, "partitionKey");
        Objects.checkFromIndexSize(offset, length, bytes.length);
        int increment = sizeIncrement(length, partitionKey, explicitHashKey);
        if (sizeBytes() + increment > maxBytes) {
            return false;
        }
        int partitionKeyIndex = partitionKeyIndex(partitionKey);
        int hashKeyIndex = explicitHashKey == null ? -1 : hashKeyIndex(explicitHashKey);
        ensureRecordCapacity();
        ensureDataCapacity(length);
        System.arraycopy(bytes, offset, data, dataLength, length);
        recordDataOffsets[recordCount] = dataLength;
        recordPartitionKeyIndexes[recordCount] = partitionKeyIndex;
        recordHashKeyIndexes[recordCount] = hashKeyIndex;
        dataLength += length;
        recordCount++;
        messageBytes += increment;
        return true;
    }

    /**
     * The finished aggregate: magic, message, MD5 of the message. The builder keeps its content
     * until {@link #reset()}.
     *
     * @throws IllegalStateException when empty
     */
    public byte[] finish() {
        if (recordCount == 0) {
            throw new IllegalStateException("aggregate: empty (expected: at least one record)");
        }
        byte[] out = new byte[sizeBytes()];
        System.arraycopy(AggregationFormat.MAGIC, 0, out, 0, AggregationFormat.MAGIC.length);
        int messageOffset = AggregationFormat.MAGIC.length;
        CodedOutputStream stream = CodedOutputStream.newInstance(out, messageOffset, messageBytes);
        try {
            for (int i = 0; i < partitionKeyIndexes.size(); i++) {
                stream.writeString(AggregationFormat.FIELD_PARTITION_KEY_TABLE, partitionKeys[i]);
            }
            for (int i = 0; i < hashKeyIndexes.size(); i++) {
                stream.writeString(AggregationFormat.FIELD_EXPLICIT_HASH_KEY_TABLE, hashKeys[i]);
            }
            for (int i = 0; i < recordCount; i++) {
                int start = recordDataOffsets[i];
                int end = i + 1 < recordCount ? recordDataOffsets[i + 1] : dataLength;
                int length = end - start;
                stream.writeTag(AggregationFormat.FIELD_RECORDS, WireFormat.WIRETYPE_LENGTH_DELIMITED);
                stream.writeUInt32NoTag(recordSize(recordPartitionKeyIndexes[i], recordHashKeyIndexes[i], length));
                stream.writeUInt64(AggregationFormat.FIELD_PARTITION_KEY_INDEX, recordPartitionKeyIndexes[i]);
                if (recordHashKeyIndexes[i] >= 0) {
                    stream.writeUInt64(AggregationFormat.FIELD_EXPLICIT_HASH_KEY_INDEX, recordHashKeyIndexes[i]);
                }
                stream.writeByteArray(AggregationFormat.FIELD_DATA, data, start, length);
            }
            stream.checkNoSpaceLeft();
        } catch (IOException e) {
            throw new UncheckedIOException(
                    "aggregate: size accounting is wrong (message of " + messageBytes + " bytes)", e);
        }
        md5.reset();
        md5.update(out, messageOffset, messageBytes);
        try {
            md5.digest(out, messageOffset + messageBytes, AggregationFormat.DIGEST_LENGTH);
        } catch (DigestException e) {
            throw new IllegalStateException(
                    "MD5 digest of " + AggregationFormat.DIGEST_LENGTH + " bytes did not fit", e);
        }
        return out;
    }

    /** Empties the builder for the next aggregate, with a new limit. */
    public void reset(int newMaxBytes) {
        reset();
        maxBytes = checkMaxBytes(newMaxBytes);
    }

    /** How many distinct partition keys the aggregate's table holds. */
    public int partitionKeyCount() {
        return partitionKeyIndexes.size();
    }

    private static int checkMaxBytes(int maxBytes) {
        if (maxBytes < AggregationFormat.FRAMING_BYTES + 8) {
            throw new IllegalArgumentException(
                    "maxBytes: " + maxBytes + " (expected: >= " + (AggregationFormat.FRAMING_BYTES + 8) + ")");
        }
        return maxBytes;
    }

    /** Empties the builder for the next aggregate. */
    public void reset() {
        partitionKeyIndexes.clear();
        hashKeyIndexes.clear();
        Arrays.fill(partitionKeys, null);
        Arrays.fill(hashKeys, null);
        lastPartitionKey = null;
        lastPartitionKeyIndex = -1;
        dataLength = 0;
        recordCount = 0;
        messageBytes = 0;
    }

    private static int recordSize(int partitionKeyIndex, int hashKeyIndex, int dataLength) {
        int size = CodedOutputStream.computeUInt64Size(AggregationFormat.FIELD_PARTITION_KEY_INDEX, partitionKeyIndex);
        if (hashKeyIndex >= 0) {
            size += CodedOutputStream.computeUInt64Size(AggregationFormat.FIELD_EXPLICIT_HASH_KEY_INDEX, hashKeyIndex);
        }
        return size
                + CodedOutputStream.computeTagSize(AggregationFormat.FIELD_DATA)
                + CodedOutputStream.computeUInt32SizeNoTag(dataLength)
                + dataLength;
    }

    private int partitionKeyIndex(String partitionKey) {
        if (partitionKey.equals(lastPartitionKey)) {
            return lastPartitionKeyIndex;
        }
        Integer known = partitionKeyIndexes.get(partitionKey);
        int index;
        if (known == null) {
            index = partitionKeyIndexes.size();
            partitionKeyIndexes.put(partitionKey, index);
            if (index == partitionKeys.length) {
                partitionKeys = Arrays.copyOf(partitionKeys, index * 2);
            }
            partitionKeys[index] = partitionKey;
        } else {
            index = known;
        }
        lastPartitionKey = partitionKey;
        lastPartitionKeyIndex = index;
        return index;
    }

    private int hashKeyIndex(String explicitHashKey) {
        Integer known = hashKeyIndexes.get(explicitHashKey);
        if (known != null) {
            return known;
        }
        int index = hashKeyIndexes.size();
        hashKeyIndexes.put(explicitHashKey, index);
        if (index == hashKeys.length) {
            hashKeys = Arrays.copyOf(hashKeys, index * 2);
        }
        hashKeys[index] = explicitHashKey;
        return index;
    }

    private void ensureRecordCapacity() {
        if (recordCount == recordDataOffsets.length) {
            int capacity = recordCount * 2;
            recordDataOffsets = Arrays.copyOf(recordDataOffsets, capacity);
            recordPartitionKeyIndexes = Arrays.copyOf(recordPartitionKeyIndexes, capacity);
            recordHashKeyIndexes = Arrays.copyOf(recordHashKeyIndexes, capacity);
        }
    }

    private void ensureDataCapacity(int more) {
        if (dataLength + more > data.length) {
            data = Arrays.copyOf(data, Math.max(data.length * 2, dataLength + more));
        }
    }
}
