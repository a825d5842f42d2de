package org.kinesisaggregator.server.app;

import java.time.ZoneId;
import java.util.ArrayList;
import java.util.List;
import org.kinesisaggregator.conf.ConfElement;
import org.kinesisaggregator.conf.ConfException;
import org.kinesisaggregator.conf.ConfParam;
import org.kinesisaggregator.server.route.RecordKey;
import org.kinesisaggregator.server.route.RecordTransformerFilter;

/**
 * Maps {@code <filter> @type record_transformer} onto a {@link RecordTransformerFilter}:
 * {@code <record>} pairs, {@code remove_keys}, {@code renew_record}, {@code keep_keys},
 * {@code auto_typecast}; {@code enable_ruby true} and {@code renew_time_key} are refused. Errors
 * name file, line and parameter.
 *
 * <p>Stateless; used on the assembling thread.
 */
public final class RecordTransformerConf {
    private RecordTransformerConf() {}

    /** Reads a {@code <filter> @type record_transformer} element, marking what it reads used. */
    public static RecordTransformerFilter filter(ConfElement element, String hostname, ZoneId zone) {
        if (element.bool("enable_ruby", false)) {
            throw element.error(
                    "enable_ruby",
                    "true is not supported: Ruby expressions cannot run here (expected: false," + " with placeholders "
                            + RecordTransformerFilter.SUPPORTED + ")");
        }
        if (element.has("renew_time_key")) {
            throw element.error(
                    "renew_time_key", "is not supported (expected: times are kept as the events carry them)");
        }
        boolean renew = element.bool("renew_record", false);
        List<String> keep = element.array("keep_keys", List.of());
        if (!keep.isEmpty() && !renew) {
            throw element.error("keep_keys", "needs renew_record true (as in Fluentd)");
        }
        List<RecordKey> remove = new ArrayList<>();
        ConfParam removeParam = element.param("remove_keys");
        for (String k : element.array("remove_keys", List.of())) {
            try {
                remove.add(RecordKey.parse(k));
            } catch (IllegalArgumentException e) {
                throw new ConfException(removeParam.location(), "remove_keys: " + e.getMessage(), e);
            }
        }
        List<RecordTransformerFilter.Field> record = new ArrayList<>();
        for (ConfElement section : element.elements("record")) {
            for (ConfParam p : section.params().values()) {
                p.markUsed();
                try {
                    record.add(RecordTransformerFilter.Field.parse(p.name(), p.value()));
                } catch (IllegalArgumentException e) {
                    throw new ConfException(p.location(), e.getMessage(), e);
                }
            }
        }
        return RecordTransformerFilter.of(
                record, remove, keep, renew, element.bool("auto_typecast", true), hostname, zone);
    }
}
