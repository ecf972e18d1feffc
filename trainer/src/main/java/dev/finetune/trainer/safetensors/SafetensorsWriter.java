package dev.finetune.trainer.safetensors;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes a safetensors file from float data (F32, F16, or BF16 rounded from float bits in Java) or int64
 * data, with a {@code __metadata__} map such as {"format": "pt"} (what transformers and peft check on load).
 * Tensors are declared first (the header needs every shape), then streamed one at a time (or in parts,
 * {@link #writePart}), so a merged model never has to be in memory whole. A file on a local path is written
 * to a temporary sibling and renamed on {@link #close()}, so a crash never leaves a truncated file under the
 * final name; a file on a stream relies on its caller's atomic publish.
 */
public final class SafetensorsWriter implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** A declared tensor: name, on-disk dtype, shape. */
    public static final class Spec {
        final String name;
        final SafetensorsDType dtype;
        final long[] shape;

        public Spec(String name, SafetensorsDType dtype, long... shape) {
            this.name = name;
            this.dtype = dtype;
            this.shape = shape.clone();
        }

        long size() {
            long n = 1;
            for (long d : shape) {
                n *= d;
            }
            return n;
        }
    }

    /** What happens to the bytes once the stream is closed: publish them when complete, discard them if not. */
    private interface Finish {
        void finish(boolean complete) throws IOException;
    }

    private final String where;
    private final OutputStream out;
    private final List<Spec> specs;
    private final Finish finish;
    private int next;
    /** The tensor being written in parts, or null between tensors; {@link #remaining} elements still due. */
    private Spec open;

    private long remaining;

    private SafetensorsWriter(String where, OutputStream out, List<Spec> specs, Finish finish) {
        this.where = where;
        this.out = out;
        this.specs = specs;
        this.finish = finish;
    }

    /** Starts a file with these tensors, in this order; write each with {@link #write} in the same order. */
    public static SafetensorsWriter create(Path target, Map<String, String> metadata, List<Spec> specs)
            throws IOException {
        byte[] header = header(metadata, specs);
        Path parent = target.toAbsolutePath().getParent();
        Files.createDirectories(parent);
        Path tmp = Files.createTempFile(parent, target.getFileName().toString(), ".tmp");
        OutputStream os = new BufferedOutputStream(Files.newOutputStream(tmp), 1 << 20);
        os.write(header);
        return new SafetensorsWriter(target.toString(), os, new ArrayList<>(specs), complete -> {
            if (complete) {
                Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } else {
                Files.deleteIfExists(tmp);
            }
        });
    }

    /**
     * Starts a file on a stream the writer then owns and closes (e.g. a Hadoop FileSystem output inside an
     * atomically published folder, which makes a temporary name per file unnecessary). {@code where} names the
     * file in errors. An incomplete file is closed as it is; the caller discards it.
     */
    public static SafetensorsWriter create(
            OutputStream stream, String where, Map<String, String> metadata, List<Spec> specs) throws IOException {
        byte[] header = header(metadata, specs);
        OutputStream os = new BufferedOutputStream(stream, 1 << 20);
        os.write(header);
        return new SafetensorsWriter(where, os, new ArrayList<>(specs), complete -> {});
    }

    /** The 8-byte length, the JSON header and its space padding, as upstream writes them. */
    private static byte[] header(Map<String, String> metadata, List<Spec> specs) throws IOException {
        ObjectNode header = JSON.createObjectNode();
        if (metadata != null && !metadata.isEmpty()) {
            ObjectNode m = header.putObject("__metadata__");
            metadata.forEach(m::put);
        }
        long offset = 0;
        for (Spec s : specs) {
            if (s.dtype != SafetensorsDType.F32
                    && s.dtype != SafetensorsDType.F16
                    && s.dtype != SafetensorsDType.BF16
                    && s.dtype != SafetensorsDType.I64) {
                throw new IllegalArgumentException(
                        "tensor " + s.name + ": the writer writes F32, F16, BF16 or I64, not " + s.dtype);
            }
            ObjectNode t = header.putObject(s.name);
            t.put("dtype", s.dtype.name());
            ArrayNode shape = t.putArray("shape");
            for (long d : s.shape) {
                shape.add(d);
            }
            long bytes = s.size() * s.dtype.bytes();
            t.putArray("data_offsets").add(offset).add(offset + bytes);
            offset += bytes;
        }
        byte[] json = JSON.writeValueAsBytes(header);
        int padded = (json.length + 7) / 8 * 8; // data starts 8-byte aligned, padded with spaces as upstream does
        ByteBuffer bytes = ByteBuffer.allocate(8 + padded)
                .order(ByteOrder.LITTLE_ENDIAN)
                .putLong(padded)
                .put(json);
        while (bytes.hasRemaining()) {
            bytes.put((byte) ' ');
        }
        return bytes.array();
    }

    /** Writes the next declared tensor from floats, converting to its declared dtype. */
    public void write(String name, float[] values) throws IOException {
        if (open != null) {
            throw new IllegalStateException(where + ": tensor " + open.name + " is still " + remaining
                    + " elements short; finish it before writing " + name);
        }
        writePart(name, values, values.length, true);
    }

    /**
     * Writes the first {@code count} of {@code values} as the next part of tensor {@code name}: the declared
     * tensor being written, or else the next declared one. Lets a large tensor be converted in chunks, so
     * only a chunk (not a whole FP32 copy) is on the heap.
     */
    public void writePart(String name, float[] values, int count) throws IOException {
        writePart(name, values, count, false);
    }

    private void writePart(String name, float[] values, int count, boolean whole) throws IOException {
        if (open == null) {
            open = expect(name, whole ? count : -1);
            remaining = open.size();
        } else if (!open.name.equals(name)) {
            throw new IllegalStateException(where + ": tensor " + open.name + " is still " + remaining
                    + " elements short; got a part of " + name);
        }
        Spec s = open;
        if (s.dtype == SafetensorsDType.I64) {
            throw new IllegalArgumentException("tensor " + name + " is declared I64; write it from long[]");
        }
        if (count > remaining || count > values.length) {
            throw new IllegalStateException(where + ": " + count + " more elements for tensor " + name + ", which has "
                    + remaining + " left to write");
        }
        remaining -= count;
        if (remaining == 0) {
            open = null;
        }
        ByteBuffer buf = ByteBuffer.allocate(Math.max(1, Math.min(count, 1 << 16)) * s.dtype.bytes())
                .order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < count; i++) {
            float v = values[i];
            if (!buf.hasRemaining()) {
                flush(buf);
            }
            switch (s.dtype) {
                case F32:
                    buf.putFloat(v);
                    break;
                case F16:
                    buf.putShort(Half.floatToF16(v));
                    break;
                default:
                    buf.putShort(Half.floatToBf16(v));
                    break;
            }
        }
        flush(buf);
    }

    /** Writes the next declared tensor from longs (I64). */
    public void write(String name, long[] values) throws IOException {
        if (open != null) {
            throw new IllegalStateException(where + ": tensor " + open.name + " is still " + remaining
                    + " elements short; finish it before writing " + name);
        }
        Spec s = expect(name, values.length);
        if (s.dtype != SafetensorsDType.I64) {
            throw new IllegalArgumentException(
                    "tensor " + name + " is declared " + s.dtype + "; write it from float[]");
        }
        ByteBuffer buf = ByteBuffer.allocate(values.length * 8).order(ByteOrder.LITTLE_ENDIAN);
        for (long v : values) {
            buf.putLong(v);
        }
        flush(buf);
    }

    /** The next declared tensor, which must be {@code name} with {@code count} elements (-1: any count). */
    private Spec expect(String name, long count) {
        if (next >= specs.size()) {
            throw new IllegalStateException(
                    where + ": all " + specs.size() + " declared tensors are written; " + name + " is extra");
        }
        Spec s = specs.get(next);
        if (!s.name.equals(name) || (count >= 0 && s.size() != count)) {
            throw new IllegalStateException("expected tensor " + s.name + " with " + s.size() + " elements next, got "
                    + name + " with " + count);
        }
        next++;
        return s;
    }

    private void flush(ByteBuffer buf) throws IOException {
        out.write(buf.array(), 0, buf.position());
        buf.clear();
    }

    /** Finishes the file and renames it into place; fails if a declared tensor was not written. */
    @Override
    public void close() throws IOException {
        out.close();
        if (next != specs.size() || open != null) {
            finish.finish(false);
            throw new IllegalStateException(where + ": only " + (open != null ? next - 1 : next) + " of " + specs.size()
                    + " declared tensors were written; the file is incomplete and was discarded");
        }
        finish.finish(true);
    }

    /** Writes named float arrays (e.g. a LoRA adapter) in one go, in the map's order, as {@code dtype}. */
    public static void writeAll(
            Path target, Map<String, String> metadata, Map<String, NDArray> tensors, SafetensorsDType dtype)
            throws IOException {
        List<Spec> specs = new ArrayList<>();
        for (Map.Entry<String, NDArray> e : tensors.entrySet()) {
            specs.add(new Spec(e.getKey(), dtype, e.getValue().getShape().getShape()));
        }
        try (SafetensorsWriter w = create(target, metadata, specs)) {
            for (Map.Entry<String, NDArray> e : tensors.entrySet()) {
                NDArray a = e.getValue();
                if (a.getDataType() == DataType.FLOAT32) {
                    w.write(e.getKey(), a.toFloatArray());
                } else {
                    try (NDArray f32 = a.toType(DataType.FLOAT32, false)) {
                        w.write(e.getKey(), f32.toFloatArray());
                    }
                }
            }
        }
    }

    /** {"format": "pt"}: what transformers' and peft's loaders expect in {@code __metadata__}. */
    public static Map<String, String> ptMetadata() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("format", "pt");
        return m;
    }
}
