package dev.finetune.trainer.train;

import java.io.ByteArrayOutputStream;
import java.io.Closeable;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.zip.CRC32C;

/**
 * Scalar summaries in TensorBoard's event-file format, written without TensorFlow or protobuf:
 * TFRecord framing (u64 length, masked CRC32C of the length, payload, masked CRC32C of the payload; all
 * little-endian) around {@code tensorflow.Event} messages encoded by hand. The first record carries
 * {@code file_version = "brain.Event:2"}, as TensorBoard's own writers do. Name the file
 * {@code events.out.tfevents.<seconds>.<host>} so TensorBoard finds it.
 *
 * <p>Protobuf fields used: Event {wall_time=1 double, step=2 int64, file_version=3 string, summary=5};
 * Summary {value=1 repeated}; Summary.Value {tag=1 string, simple_value=2 float}.
 */
public final class TensorBoardWriter implements Closeable {

    /** Added to the rotated CRC, as TFRecord specifies. */
    static final int MASK_DELTA = 0xa282ead8;

    private final OutputStream out;

    /** Starts an event file on {@code out} (the writer owns and closes it). */
    public TensorBoardWriter(OutputStream out, double wallTimeSeconds) throws IOException {
        this.out = out;
        ByteArrayOutputStream event = new ByteArrayOutputStream();
        writeDouble(event, 1, wallTimeSeconds);
        writeBytes(event, 3, "brain.Event:2".getBytes(StandardCharsets.UTF_8));
        writeRecord(event.toByteArray());
        out.flush();
    }

    /** The conventional file name. */
    public static String fileName(long epochSeconds, String host) {
        return "events.out.tfevents." + epochSeconds + "." + host;
    }

    /** One scalar point of the curve {@code tag} at {@code step}. */
    public void scalar(String tag, long step, float value, double wallTimeSeconds) throws IOException {
        ByteArrayOutputStream val = new ByteArrayOutputStream();
        writeBytes(val, 1, tag.getBytes(StandardCharsets.UTF_8));
        writeTag(val, 2, 5);
        writeFixed32(val, Float.floatToIntBits(value));
        ByteArrayOutputStream summary = new ByteArrayOutputStream();
        writeBytes(summary, 1, val.toByteArray());
        ByteArrayOutputStream event = new ByteArrayOutputStream();
        writeDouble(event, 1, wallTimeSeconds);
        writeTag(event, 2, 0);
        writeVarint(event, step);
        writeBytes(event, 5, summary.toByteArray());
        writeRecord(event.toByteArray());
    }

    /** Pushes what was written to the file system (TensorBoard reads files while they grow). */
    public void flush() throws IOException {
        out.flush();
    }

    @Override
    public void close() throws IOException {
        out.close();
    }

    private void writeRecord(byte[] payload) throws IOException {
        ByteBuffer header = ByteBuffer.allocate(12).order(ByteOrder.LITTLE_ENDIAN);
        header.putLong(payload.length);
        header.putInt(maskedCrc(header.array(), 0, 8));
        out.write(header.array());
        out.write(payload);
        ByteBuffer footer = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN);
        footer.putInt(maskedCrc(payload, 0, payload.length));
        out.write(footer.array());
    }

    /** TFRecord's masked CRC32C: rotate right by 15 bits, add a constant. */
    static int maskedCrc(byte[] data, int offset, int length) {
        CRC32C crc = new CRC32C();
        crc.update(data, offset, length);
        int c = (int) crc.getValue();
        return ((c >>> 15) | (c << 17)) + MASK_DELTA;
    }

    private static void writeTag(ByteArrayOutputStream out, int field, int wireType) {
        writeVarint(out, ((long) field << 3) | wireType);
    }

    static void writeVarint(ByteArrayOutputStream out, long value) {
        while ((value & ~0x7FL) != 0) {
            out.write((int) ((value & 0x7F) | 0x80));
            value >>>= 7;
        }
        out.write((int) value);
    }

    private static void writeDouble(ByteArrayOutputStream out, int field, double value) {
        writeTag(out, field, 1);
        long bits = Double.doubleToLongBits(value);
        for (int i = 0; i < 8; i++) {
            out.write((int) (bits >>> (8 * i)) & 0xFF);
        }
    }

    private static void writeFixed32(ByteArrayOutputStream out, int bits) {
        for (int i = 0; i < 4; i++) {
            out.write((bits >>> (8 * i)) & 0xFF);
        }
    }

    private static void writeBytes(ByteArrayOutputStream out, int field, byte[] bytes) {
        writeTag(out, field, 2);
        writeVarint(out, bytes.length);
        out.write(bytes, 0, bytes.length);
    }
}
