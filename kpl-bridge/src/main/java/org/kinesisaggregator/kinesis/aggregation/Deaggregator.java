package org.kinesisaggregator.kinesis.aggregation;

import com.google.protobuf.CodedInputStream;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.WireFormat;
import java.io.IOException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;

/**
 * Reads Kinesis records back into user records ({@link AggregationFormat}).
 *
 * <p>A record that does not start with the magic is returned as one plain user record, as KCL and
 * awslabs kinesis-aggregation do. A record that does start with it must carry a matching MD5 and a
 * well-formed message, or {@link AggregateFormatException} is thrown: we never guess (KCL would
 * hand such a record over as plain data; for a tool and for tests, loud is better).
 *
 * <p>Stateless; thread-safe.
 */
public final class Deaggregator {
    private static final HexFormat HEX = HexFormat.of();

    private Deaggregator() {}

    /** {@link #deaggregate(byte[], int, int, String, String)} over the whole array. */
    public static List<UserRecord> deaggregate(byte[] record, String partitionKey, String explicitHashKey)
            throws AggregateFormatException {
        return deaggregate(record, 0, record.length, partitionKey, explicitHashKey);
    }

    /**
     * The user records inside one Kinesis record.
     *
     * @param partitionKey the Kinesis record's partition key
     * @param explicitHashKey the Kinesis record's explicit hash key, or null
     */
    public static List<UserRecord> deaggregate(
            byte[] record, int offset, int length, String partitionKey, String explicitHashKey)
            throws AggregateFormatException {
        Objects.requireNonNull(partitionKey, "partitionKey");
        Objects.checkFromIndexSize(offset, length, record.length);
        if (!AggregationFormat.isAggregated(record, offset, length)) {
            byte[] data = new byte[length];
            System.arraycopy(record, offset, data, 0, length);
            return List.of(new UserRecord(partitionKey, explicitHashKey, data, 0, false));
        }
        int messageOffset = offset + AggregationFormat.MAGIC.length;
        int messageLength = length - AggregationFormat.FRAMING_BYTES;
        checkDigest(record, messageOffset, messageLength);
        try {
            return parse(CodedInputStream.newInstance(record, messageOffset, messageLength));
        } catch (InvalidProtocolBufferException e) {
            throw new AggregateFormatException(
                    "message: " + e.getMessage() + " (expected: a protobuf AggregatedRecord)", e);
        } catch (IOException e) {
            throw new AggregateFormatException("message: unreadable (" + e.getMessage() + ")", e);
        }
    }

    private static void checkDigest(byte[] record, int messageOffset, int messageLength)
            throws AggregateFormatException {
        MessageDigest md5;
        try {
            md5 = MessageDigest.getInstance("MD5");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("MD5 is missing from this JVM; every JVM must provide it", e);
        }
        md5.update(record, messageOffset, messageLength);
        byte[] computed = md5.digest();
        int digestOffset = messageOffset + messageLength;
        for (int i = 0; i < AggregationFormat.DIGEST_LENGTH; i++) {
            if (record[digestOffset + i] != computed[i]) {
                throw new AggregateFormatException(
                        "md5: " + HEX.formatHex(record, digestOffset, digestOffset + AggregationFormat.DIGEST_LENGTH)
                                + " (expected: " + HEX.formatHex(computed) + ", the MD5 of the " + messageLength
                                + "-byte message)");
            }
        }
    }

    private static List<UserRecord> parse(CodedInputStream in) throws IOException, AggregateFormatException {
        List<String> partitionKeys = new ArrayList<>();
        List<String> hashKeys = new ArrayList<>();
        List<long[]> indexes = new ArrayList<>();
        List<byte[]> datas = new ArrayList<>();
        while (true) {
            int tag = in.readTag();
            if (tag == 0) {
                break;
            }
            int field = WireFormat.getTagFieldNumber(tag);
            int wireType = WireFormat.getTagWireType(tag);
            if (field == AggregationFormat.FIELD_PARTITION_KEY_TABLE
                    && wireType == WireFormat.WIRETYPE_LENGTH_DELIMITED) {
                partitionKeys.add(in.readStringRequireUtf8());
            } else if (field == AggregationFormat.FIELD_EXPLICIT_HASH_KEY_TABLE
                    && wireType == WireFormat.WIRETYPE_LENGTH_DELIMITED) {
                hashKeys.add(in.readStringRequireUtf8());
            } else if (field == AggregationFormat.FIELD_RECORDS && wireType == WireFormat.WIRETYPE_LENGTH_DELIMITED) {
                int length = in.readRawVarint32();
                int limit = in.pushLimit(length);
                long[] index = {-1, -1};
                byte[] data = readRecord(in, index, datas.size());
                in.popLimit(limit);
                indexes.add(index);
                datas.add(data);
            } else if (!in.skipField(tag)) {
                break;
            }
        }
        List<UserRecord> records = new ArrayList<>(datas.size());
        for (int i = 0; i < datas.size(); i++) {
            long partitionKeyIndex = indexes.get(i)[0];
            long hashKeyIndex = indexes.get(i)[1];
            if (partitionKeyIndex >= partitionKeys.size()) {
                throw new AggregateFormatException("records[" + i + "].partition_key_index: " + partitionKeyIndex
                        + " (expected: < " + partitionKeys.size() + ", the partition key table size)");
            }
            if (hashKeyIndex >= hashKeys.size()) {
                throw new AggregateFormatException("records[" + i + "].explicit_hash_key_index: " + hashKeyIndex
                        + " (expected: < " + hashKeys.size() + ", the explicit hash key table size)");
            }
            records.add(new UserRecord(
                    partitionKeys.get((int) partitionKeyIndex),
                    hashKeyIndex < 0 ? null : hashKeys.get((int) hashKeyIndex),
                    datas.get(i),
                    i,
                    true));
        }
        return records;
    }

    /** Reads one Record message; fills index[0] (partition key) and index[1] (hash key, -1 when absent). */
    private static byte[] readRecord(CodedInputStream in, long[] index, int position)
            throws IOException, AggregateFormatException {
        byte[] data = null;
        while (true) {
            int tag = in.readTag();
            if (tag == 0) {
                break;
            }
            int field = WireFormat.getTagFieldNumber(tag);
            int wireType = WireFormat.getTagWireType(tag);
            if (field == AggregationFormat.FIELD_PARTITION_KEY_INDEX && wireType == WireFormat.WIRETYPE_VARINT) {
                index[0] = in.readUInt64();
            } else if (field == AggregationFormat.FIELD_EXPLICIT_HASH_KEY_INDEX
                    && wireType == WireFormat.WIRETYPE_VARINT) {
                index[1] = in.readUInt64();
            } else if (field == AggregationFormat.FIELD_DATA && wireType == WireFormat.WIRETYPE_LENGTH_DELIMITED) {
                data = in.readByteArray();
            } else if (!in.skipField(tag)) {
                break;
            }
        }
        if (index[0] < 0) {
            throw new AggregateFormatException(
                    "records[" + position + "].partition_key_index: missing (expected: a required uint64)");
        }
        if (data == null) {
            throw new AggregateFormatException("records[" + position + "].data: missing (expected: required bytes)");
        }
        return data;
    }
}
