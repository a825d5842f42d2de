package org.kinesisaggregator.kinesis.testing;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.kinesisaggregator.kinesis.tail.KinesisRecord;

/**
 * De-aggregates Kinesis records with awslabs' npm {@code aws-kinesis-agg} ({@code deaggregateSync},
 * checksums on) in a Node child process ({@code tools/node/deaggregate.js}): an implementation we
 * did not write, so that a bug shared by our aggregator and our de-aggregator cannot pass.
 */
public final class NodeDeaggregator {
    private NodeDeaggregator() {}

    /** A user record as aws-kinesis-agg returned it. */
    public record Result(
            String sequenceNumber,
            Long subSequenceNumber,
            String partitionKey,
            String explicitPartitionKey,
            byte[] data) {}

    /** What came out: the user records and the errors the library raised. */
    public record Output(List<Result> userRecords, List<String> errors, long records) {}

    /** Runs the records through aws-kinesis-agg. */
    public static Output deaggregate(List<KinesisRecord> records) {
        try {
            Process process = new ProcessBuilder(
                            "node",
                            LocalKinesis.projectRoot()
                                    .resolve("tools/node/deaggregate.js")
                                    .toString())
                    .redirectError(ProcessBuilder.Redirect.INHERIT)
                    .start();
            CompletableFuture<Output> output = CompletableFuture.supplyAsync(() -> read(process));
            try (OutputStream in = process.getOutputStream()) {
                StringBuilder line = new StringBuilder();
                for (KinesisRecord r : records) {
                    line.setLength(0);
                    line.append("{\"sequenceNumber\":\"")
                            .append(r.sequenceNumber())
                            .append("\",\"partitionKey\":")
                            .append(jsonString(r.partitionKey()))
                            .append(",\"data\":\"")
                            .append(Base64.getEncoder().encodeToString(r.data()))
                            .append("\"}\n");
                    in.write(line.toString().getBytes(StandardCharsets.UTF_8));
                }
            }
            Output result = output.get(2, TimeUnit.MINUTES);
            if (!process.waitFor(30, TimeUnit.SECONDS) || process.exitValue() != 0) {
                throw new IllegalStateException(
                        "deaggregate.js failed (exit " + (process.isAlive() ? "none" : process.exitValue()) + ")");
            }
            return result;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot run node tools/node/deaggregate.js", e);
        } catch (Exception e) {
            throw new IllegalStateException("deaggregate.js did not finish", e);
        }
    }

    @SuppressWarnings("unchecked")
    private static Output read(Process process) {
        List<Result> users = new ArrayList<>();
        List<String> errors = new ArrayList<>();
        long records = -1;
        try (BufferedReader reader =
                new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = reader.readLine()) != null) {
                Map<String, Object> json = Json.parseObject(line.getBytes(StandardCharsets.UTF_8));
                if (json.containsKey("error")) {
                    errors.add(json.get("error") + " at " + json.get("sequenceNumber"));
                } else if ("done".equals(json.get("event"))) {
                    records = (Long) json.get("records");
                } else {
                    users.add(new Result(
                            (String) json.get("sequenceNumber"),
                            (Long) json.get("subSequenceNumber"),
                            (String) json.get("partitionKey"),
                            (String) json.get("explicitPartitionKey"),
                            Base64.getDecoder().decode((String) json.get("data"))));
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return new Output(users, errors, records);
    }

    private static String jsonString(String s) {
        StringBuilder out = new StringBuilder("\"");
        for (char c : s.toCharArray()) {
            if (c == '"' || c == '\\') {
                out.append('\\').append(c);
            } else if (c < 0x20) {
                out.append(String.format("\\u%04x", (int) c));
            } else {
                out.append(c);
            }
        }
        return out.append('"').toString();
    }
}
