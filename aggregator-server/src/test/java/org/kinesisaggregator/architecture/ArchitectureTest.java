package org.kinesisaggregator.architecture;

import static com.tngtech.archunit.base.DescribedPredicate.not;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.equivalentTo;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideInAPackage;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.fields;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.junit.AnalyzeClasses;
import com.tngtech.archunit.junit.ArchTest;
import com.tngtech.archunit.lang.ArchRule;
import com.tngtech.archunit.library.freeze.FreezingArchRule;
import org.kinesisaggregator.conf.ConfException;
import org.slf4j.Logger;

/**
 * DESIGN section 2's module rules, checked over the main classes of every module on this module's
 * class path (buffer-store, kpl-bridge and aggregator-server itself).
 *
 * <p>A rule the code does not meet yet is frozen ({@link FreezingArchRule}): the violations it had
 * when it was written are listed in {@code src/test/resources/archunit_store}, any new one fails the
 * build, and each one fixed leaves the store for good. An empty store entry means the rule holds.
 */
@AnalyzeClasses(packages = "org.kinesisaggregator", importOptions = ImportOption.DoNotIncludeTests.class)
class ArchitectureTest {

    private static final String[] OUTSIDE_BUFFER_STORE = {
        "io.netty..",
        "software.amazon..",
        "com.amazonaws..",
        "org.kinesisaggregator.kinesis..",
        "org.kinesisaggregator.server..",
        "org.kinesisaggregator.conf..",
        "org.kinesisaggregator.admin..",
        "org.kinesisaggregator.cli..",
    };

    private static final String[] OUTSIDE_KPL_BRIDGE = {
        "io.netty..",
        "org.kinesisaggregator.server..",
        "org.kinesisaggregator.conf..",
        "org.kinesisaggregator.admin..",
        "org.kinesisaggregator.cli..",
    };

    /** buffer-store knows files, MapDB, chunks, retry timing and the Output interface: no Netty, AWS or conf. */
    @ArchTest
    static final ArchRule bufferStoreKnowsNoNettyAwsOrConf = noClasses()
            .that()
            .resideInAPackage("org.kinesisaggregator.buffer..")
            .should()
            .dependOnClassesThat()
            .resideInAnyPackage(OUTSIDE_BUFFER_STORE);

    /** kpl-bridge knows KPL, the AWS SDK, protobuf and formatting: no Netty, no conf syntax, nothing of the server. */
    @ArchTest
    static final ArchRule kplBridgeKnowsNoNettyOrConf = noClasses()
            .that()
            .resideInAPackage("org.kinesisaggregator.kinesis..")
            .should()
            .dependOnClassesThat()
            .resideInAnyPackage(OUTSIDE_KPL_BRIDGE);

    /**
     * Only {@code .conf} (the parser) and {@code .server.app} (mapping conf onto settings records) read conf
     * syntax; everything else takes typed settings. {@code ConfException} aside: it is the error a bad conf
     * raises, and {@code cli.Main} catches it to report it (file:line and the parameter are in its message).
     */
    @ArchTest
    static final ArchRule onlyConfAndAppReadConfSyntax = noClasses()
            .that()
            .resideOutsideOfPackages("org.kinesisaggregator.conf..", "org.kinesisaggregator.server.app..")
            .should()
            .dependOnClassesThat(resideInAPackage("org.kinesisaggregator.conf..")
                    .and(not(equivalentTo(ConfException.class)))
                    .as("conf syntax (any class of org.kinesisaggregator.conf but ConfException)"));

    /**
     * Outputs are built from settings records: the factories that read a {@code <match>} and map it onto
     * them live in {@code server.app}, which depends on {@code server.output}, never the other way.
     */
    @ArchTest
    static final ArchRule outputsDoNotDependOnTheApp = noClasses()
            .that()
            .resideInAPackage("org.kinesisaggregator.server.output..")
            .should()
            .dependOnClassesThat()
            .resideInAPackage("org.kinesisaggregator.server.app..");

    /**
     * The top packages form no cycle (dependencies point one way). Frozen; its store is empty since
     * {@code admin.AdminServer} no longer implements {@code server.Input} ({@code server.app.AdminInput} wraps it).
     */
    @ArchTest
    static final ArchRule topPackagesAreFreeOfCycles = FreezingArchRule.freeze(
            slices().matching("org.kinesisaggregator.(*)..").should().beFreeOfCycles());

    /**
     * The one event format (issue 9): outputs format through kpl-bridge's {@code kinesis.format}, which
     * knows no AWS, KPL or aggregation internals, and no output maps msgpack values to text itself.
     */
    @ArchTest
    static final ArchRule eventFormatKnowsNoAws = noClasses()
            .that()
            .resideInAPackage("org.kinesisaggregator.kinesis.format..")
            .should()
            .dependOnClassesThat()
            .resideInAnyPackage(
                    "software.amazon..",
                    "com.amazonaws..",
                    "org.kinesisaggregator.kinesis.internal..",
                    "org.kinesisaggregator.kinesis.aggregation..",
                    "org.kinesisaggregator.kinesis.tail..");

    /** Outputs take the format's bytes: no JSON generator or msgpack value tree in server.output. */
    @ArchTest
    static final ArchRule outputsDoNotMapValuesThemselves = noClasses()
            .that()
            .resideInAPackage("org.kinesisaggregator.server.output..")
            .should()
            .dependOnClassesThat()
            .haveFullyQualifiedName("com.fasterxml.jackson.core.JsonGenerator")
            .orShould()
            .dependOnClassesThat()
            .resideInAPackage("org.msgpack.value..");

    /** No stack traces to stderr: failures are logged (SLF4J) or thrown. */
    @ArchTest
    static final ArchRule noPrintStackTrace = noClasses()
            .should()
            .callMethod(Throwable.class, "printStackTrace")
            .because("failures are logged with SLF4J or rethrown, never printed");

    /** One name for a class's own logger. */
    @ArchTest
    static final ArchRule loggersAreNamedLog = fields().that()
            .haveRawType(Logger.class)
            .and()
            .arePrivate()
            .should()
            .haveName("log")
            .andShould()
            .beStatic()
            .andShould()
            .beFinal();
}
