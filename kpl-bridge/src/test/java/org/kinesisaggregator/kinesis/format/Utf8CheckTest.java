package org.kinesisaggregator.kinesis.format;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.kinesisaggregator.kinesis.testing.TestSeed;

/** Our validator against the JDK's strict decoder, on random and on tricky inputs. */
class Utf8CheckTest {

    @Test
    void agreesWithTheJdkStrictDecoder() {
        long seed = TestSeed.create("Utf8CheckTest");
        Random random = new Random(seed);
        byte[][] tricky = {
            {},
            {'a'},
            {(byte) 0xc2, (byte) 0x80},
            {(byte) 0xc0, (byte) 0x80},
            {(byte) 0xe0, (byte) 0x80, (byte) 0x80},
            {(byte) 0xed, (byte) 0xa0, (byte) 0x80},
            {(byte) 0xef, (byte) 0xbf, (byte) 0xbf},
            {(byte) 0xf0, (byte) 0x90, (byte) 0x80, (byte) 0x80},
            {(byte) 0xf4, (byte) 0x90, (byte) 0x80, (byte) 0x80},
            {(byte) 0xf0, (byte) 0x80, (byte) 0x80, (byte) 0x80},
            {(byte) 0xe2, (byte) 0x82},
            {(byte) 0x80},
            "日本語 \uD83D\uDE00".getBytes(StandardCharsets.UTF_8),
        };
        for (byte[] bytes : tricky) {
            assertThat(Utf8Check.isValid(bytes, 0, bytes.length))
                    .as("%s", HexFormat.of().formatHex(bytes))
                    .isEqualTo(jdkValid(bytes));
        }
        for (int i = 0; i < 100_000; i++) {
            byte[] bytes = new byte[random.nextInt(i % 2 == 0 ? 8 : 40)];
            int asciiBias = random.nextInt(12);
            for (int j = 0; j < bytes.length; j++) {
                int pick = random.nextInt(4 + asciiBias) >= 3 ? 0 : random.nextInt(3) + 1;
                bytes[j] = (byte)
                        (pick == 0
                                ? random.nextInt(0x80)
                                : pick == 1 ? 0x80 + random.nextInt(0x40) : 0xc0 + random.nextInt(0x40));
            }
            int offset = bytes.length == 0 ? 0 : random.nextInt(bytes.length);
            byte[] tail = Arrays.copyOfRange(bytes, offset, bytes.length);
            assertThat(Utf8Check.isValid(bytes, offset, bytes.length))
                    .as("seed %d, offset %d", seed, offset)
                    .isEqualTo(jdkValid(tail));
            assertThat(Utf8Check.isValid(bytes, 0, bytes.length))
                    .as("seed %d, %s", seed, HexFormat.of().formatHex(bytes))
                    .isEqualTo(jdkValid(bytes));
        }
    }

    private static boolean jdkValid(byte[] bytes) {
        try {
            StandardCharsets.UTF_8
                    .newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes));
            return true;
        } catch (CharacterCodingException e) {
            return false;
        }
    }
}
