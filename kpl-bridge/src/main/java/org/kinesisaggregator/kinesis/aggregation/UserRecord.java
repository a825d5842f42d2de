package org.kinesisaggregator.kinesis.aggregation;

import java.util.Arrays;
import java.util.Objects;

/**
 * One user record as a consumer sees it after de-aggregation.
 *
 * @param partitionKey its partition key (from the aggregate's table, or the Kinesis record's own)
 * @param explicitHashKey its explicit hash key, or null
 * @param data its bytes (owned by this record)
 * @param subSequenceNumber its position inside the aggregate (0 for a record that was not aggregated)
 * @param aggregated whether it came out of an aggregated record
 */
public record UserRecord(
        String partitionKey, String explicitHashKey, byte[] data, int subSequenceNumber, boolean aggregated) {

    public UserRecord {
        Objects.requireNonNull(partitionKey, "partitionKey");
        Objects.requireNonNull(data, "data");
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof UserRecord other
                && partitionKey.equals(other.partitionKey)
                && Objects.equals(explicitHashKey, other.explicitHashKey)
                && Arrays.equals(data, other.data)
                && subSequenceNumber == other.subSequenceNumber
                && aggregated == other.aggregated;
    }

    @Override
    public int hashCode() {
        return Objects.hash(partitionKey, explicitHashKey, Arrays.hashCode(data), subSequenceNumber, aggregated);
    }

    @Override
    public String toString() {
        return "UserRecord[partitionKey=" + partitionKey + ", explicitHashKey=" + explicitHashKey + ", bytes="
                + data.length + ", sub=" + subSequenceNumber + ", aggregated=" + aggregated + "]";
    }
}
