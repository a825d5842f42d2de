package org.kinesisaggregator.cli;

import java.io.PrintStream;
import java.io.PrintWriter;
import java.net.URI;
import java.util.concurrent.Callable;
import org.kinesisaggregator.kinesis.CredentialsSettings;
import org.kinesisaggregator.kinesis.tail.StreamTail;
import org.kinesisaggregator.kinesis.tail.TailOptions;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code kinesis-aggregator tail --stream S}: reads a stream, de-aggregates KPL records (MD5
 * checked) and prints one JSON line per user record, like {@code tail -f} (or until
 * {@code --count N} records, or the end of the stream with {@code --no-follow}).
 *
 * <p>Not thread-safe; one per invocation.
 */
@Command(
        name = "tail",
        mixinStandardHelpOptions = true,
        sortOptions = false,
        usageHelpAutoWidth = true,
        description = "Prints the user records of a Kinesis stream as JSON lines (KPL aggregates de-aggregated).")
final class TailCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = "--stream", required = true, description = "The stream to read.")
    String stream;

    @Option(
            names = "--endpoint",
            description = "Kinesis endpoint, e.g. https://127.0.0.1:4567 for the local emulator"
                    + " (default: AWS). Certificates are not checked for a loopback endpoint.")
    URI endpoint;

    @Option(
            names = "--region",
            description = "Region (default: AWS_REGION and the SDK's chain; us-east-1 for a" + " loopback endpoint).")
    String region;

    @Option(
            names = "--from",
            defaultValue = "trim_horizon",
            description = "trim_horizon, latest, or an ISO-8601 instant: records that arrived at or after it"
                    + " (default: ${DEFAULT-VALUE}).")
    String from;

    @Option(names = "--count", defaultValue = "0", description = "Stop after N user records (default: no limit).")
    long count;

    @Option(names = "--no-follow", description = "Stop at the end of the stream instead of waiting for more.")
    boolean noFollow;

    @Option(
            names = "--records",
            description = "Print an envelope per user record (shard, sequence numbers,"
                    + " partition key, whether it came aggregated) instead of its data only.")
    boolean records;

    @Option(names = "--no-verify-certificate", description = "Trust any TLS certificate of the endpoint.")
    boolean noVerifyCertificate;

    @Option(
            names = "--fake-credentials",
            description = "Use static dummy credentials (the local emulator accepts any).")
    boolean fakeCredentials;

    private final PrintStream out;

    TailCommand(PrintStream out) {
        this.out = out;
    }

    @Override
    public Integer call() {
        PrintWriter err = spec.commandLine().getErr();
        TailOptions options;
        try {
            options = TailOptions.defaults(stream)
                    .withEndpoint(endpoint)
                    .withFrom(TailOptions.StartPosition.fromConfName(from))
                    .withCount(count)
                    .withFollow(!noFollow)
                    .withOutput(records ? TailOptions.OutputFormat.RECORD : TailOptions.OutputFormat.DATA);
            boolean loopback = endpoint != null
                    && ("127.0.0.1".equals(endpoint.getHost()) || "localhost".equals(endpoint.getHost()));
            if (region != null) {
                options = options.withRegion(region);
            } else if (loopback) {
                options = options.withRegion("us-east-1");
            }
            if (noVerifyCertificate) {
                options = options.withVerifyCertificate(false);
            }
            if (fakeCredentials) {
                options = options.withCredentials(
                        new CredentialsSettings.Static("AKIDLOCALEMULATOR", "local-emulator-secret", null));
            }
        } catch (IllegalArgumentException e) {
            err.println("kinesis-aggregator tail: " + e.getMessage());
            return Main.USAGE;
        }
        try {
            StreamTail.run(options, out);
            return Main.OK;
        } catch (RuntimeException e) {
            err.println("kinesis-aggregator tail: " + e.getMessage());
            return Main.RUNTIME_FAILURE;
        }
    }
}
