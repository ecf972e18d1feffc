package dev.finetune.trainer.train;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Reads the event file back with a small independent TFRecord + protobuf decoder, checking every CRC. */
class TensorBoardWriterTest {

    @Test
    void maskedCrcMatchesTheCrc32cCheckValue() {
        // CRC-32C("123456789") = 0xE3069283 (RFC 3720 check value); TFRecord masks it: ror 15, + 0xa282ead8
        int crc = 0xE3069283;
        int masked = ((crc >>> 15) | (crc << 17)) + 0xa282ead8;
        assertEquals(masked, TensorBoardWriter.maskedCrc("123456789".getBytes(StandardCharsets.US_ASCII), 0, 9));
    }

    @Test
    void scalarsReadBackWithValidFramingAndFields() throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (TensorBoardWriter w = new TensorBoardWriter(out, 1700000000.5)) {
            w.scalar("train/loss", 10, 2.5f, 1700000001.25);
            w.scalar("eval/perplexity", 300, 12.75f, 1700000002.0);
        }
        List<byte[]> records = records(out.toByteArray());
        assertEquals(3, records.size());
        Event first = Event.parse(records.get(0));
        assertEquals("brain.Event:2", first.fileVersion);
        assertEquals(1700000000.5, first.wallTime);
        Event loss = Event.parse(records.get(1));
        assertEquals(10, loss.step);
        assertEquals("train/loss", loss.tag);
        assertEquals(2.5f, loss.value);
        assertEquals(1700000001.25, loss.wallTime);
        Event ppl = Event.parse(records.get(2));
        assertEquals(300, ppl.step);
        assertEquals("eval/perplexity", ppl.tag);
        assertEquals(12.75f, ppl.value);
    }

    /** Splits TFRecord framing, verifying both masked CRCs of every record. */
    static List<byte[]> records(byte[] file) {
        ByteBuffer b = ByteBuffer.wrap(file).order(ByteOrder.LITTLE_ENDIAN);
        List<byte[]> out = new ArrayList<>();
        while (b.hasRemaining()) {
            byte[] len = new byte[8];
            b.get(len);
            int lenCrc = b.getInt();
            assertEquals(TensorBoardWriter.maskedCrc(len, 0, 8), lenCrc, "length CRC of record " + out.size());
            int n = (int) ByteBuffer.wrap(len).order(ByteOrder.LITTLE_ENDIAN).getLong();
            byte[] data = new byte[n];
            b.get(data);
            assertEquals(TensorBoardWriter.maskedCrc(data, 0, n), b.getInt(), "data CRC of record " + out.size());
            out.add(data);
        }
        return out;
    }

    /** The few protobuf fields of tensorflow.Event a scalar summary uses. */
    static final class Event {
        double wallTime;
        long step;
        String fileVersion;
        String tag;
        float value = Float.NaN;

        static Event parse(byte[] bytes) {
            Event e = new Event();
            ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
            while (b.hasRemaining()) {
                long key = varint(b);
                int field = (int) (key >>> 3);
                int wire = (int) (key & 7);
                if (field == 1 && wire == 1) {
                    e.wallTime = b.getDouble();
                } else if (field == 2 && wire == 0) {
                    e.step = varint(b);
                } else if (field == 3 && wire == 2) {
                    e.fileVersion = string(b);
                } else if (field == 5 && wire == 2) {
                    ByteBuffer summary = sub(b);
                    assertEquals(1 << 3 | 2, varint(summary), "Summary.value");
                    ByteBuffer value = sub(summary);
                    while (value.hasRemaining()) {
                        long k = varint(value);
                        if (k == (1 << 3 | 2)) {
                            e.tag = string(value);
                        } else if (k == (2 << 3 | 5)) {
                            e.value = value.getFloat();
                        } else {
                            throw new AssertionError("unexpected Summary.Value key " + k);
                        }
                    }
                } else {
                    throw new AssertionError("unexpected Event key field " + field + " wire " + wire);
                }
            }
            return e;
        }

        private static long varint(ByteBuffer b) {
            long v = 0;
            for (int shift = 0; ; shift += 7) {
                int x = b.get() & 0xFF;
                v |= (long) (x & 0x7F) << shift;
                if (x < 0x80) {
                    return v;
                }
            }
        }

        private static ByteBuffer sub(ByteBuffer b) {
            int n = (int) varint(b);
            ByteBuffer s = b.slice().order(ByteOrder.LITTLE_ENDIAN);
            s.limit(n);
            b.position(b.position() + n);
            return s;
        }

        private static String string(ByteBuffer b) {
            ByteBuffer s = sub(b);
            byte[] out = new byte[s.remaining()];
            s.get(out);
            return new String(out, StandardCharsets.UTF_8);
        }
    }
}
