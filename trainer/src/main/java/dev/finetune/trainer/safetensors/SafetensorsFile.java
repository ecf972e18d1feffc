package dev.finetune.trainer.safetensors;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * One safetensors file: an 8-byte little-endian header length, a JSON header, then the raw data. Each tensor
 * is memory-mapped on demand ({@link FileChannel#map} per tensor), so files over 2 GiB work and only one
 * tensor's conversion buffer is ever held on the heap.
 */
public final class SafetensorsFile implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** Headers are small (kilobytes); anything beyond this is a corrupt or foreign file. */
    private static final long MAX_HEADER = 100L << 20;

    private final Path path;
    private final FileChannel channel;
    private final long dataStart;
    private final Map<String, TensorInfo> tensors;
    private final Map<String, String> metadata;

    private SafetensorsFile(
            Path path,
            FileChannel channel,
            long dataStart,
            Map<String, TensorInfo> tensors,
            Map<String, String> metadata) {
        this.path = path;
        this.channel = channel;
        this.dataStart = dataStart;
        this.tensors = tensors;
        this.metadata = metadata;
    }

    /** Opens and validates the header; the data stays on disk until a tensor is read. */
    public static SafetensorsFile open(Path path) throws IOException {
        FileChannel ch = FileChannel.open(path, StandardOpenOption.READ);
        try {
            long fileSize = ch.size();
            if (fileSize < 8) {
                throw new IOException(path + ": not a safetensors file (" + fileSize + " bytes, need at least 8)");
            }
            ByteBuffer lenBuf = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            readFully(ch, lenBuf, 0, path);
            long headerLen = lenBuf.getLong(0);
            if (headerLen <= 0 || headerLen > MAX_HEADER || 8 + headerLen > fileSize) {
                throw new IOException(path + ": header length " + headerLen + " does not fit a file of " + fileSize
                        + " bytes; the file is truncated or not safetensors");
            }
            ByteBuffer header = ByteBuffer.allocate((int) headerLen);
            readFully(ch, header, 8, path);
            JsonNode root = JSON.readTree(new String(header.array(), StandardCharsets.UTF_8));
            long dataStart = 8 + headerLen;
            long dataSize = fileSize - dataStart;
            Map<String, TensorInfo> tensors = new LinkedHashMap<>();
            Map<String, String> metadata = new LinkedHashMap<>();
            for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                if (e.getKey().equals("__metadata__")) {
                    e.getValue()
                            .fields()
                            .forEachRemaining(
                                    m -> metadata.put(m.getKey(), m.getValue().asText()));
                    continue;
                }
                tensors.put(e.getKey(), parseEntry(path, e.getKey(), e.getValue(), dataSize));
            }
            return new SafetensorsFile(
                    path, ch, dataStart, Collections.unmodifiableMap(tensors), Collections.unmodifiableMap(metadata));
        } catch (IOException | RuntimeException e) {
            ch.close();
            throw e;
        }
    }

    private static TensorInfo parseEntry(Path path, String name, JsonNode v, long dataSize) throws IOException {
        String where = path + " tensor '" + name + "'";
        SafetensorsDType dtype = SafetensorsDType.parse(v.path("dtype").asText(), where);
        JsonNode shapeNode = v.path("shape");
        long[] shape = new long[shapeNode.size()];
        long count = 1;
        for (int i = 0; i < shape.length; i++) {
            shape[i] = shapeNode.get(i).asLong();
            count *= shape[i];
        }
        long begin = v.path("data_offsets").path(0).asLong(-1);
        long end = v.path("data_offsets").path(1).asLong(-1);
        if (begin < 0 || end < begin || end > dataSize || end - begin != count * dtype.bytes()) {
            throw new IOException(where + ": data_offsets [" + begin + ", " + end + "] do not match " + count
                    + " elements of " + dtype + " inside a data section of " + dataSize + " bytes");
        }
        return new TensorInfo(name, dtype, shape, begin, end);
    }

    private static void readFully(FileChannel ch, ByteBuffer buf, long pos, Path path) throws IOException {
        while (buf.hasRemaining()) {
            int n = ch.read(buf, pos + buf.position());
            if (n < 0) {
                throw new IOException(path + ": unexpected end of file while reading the header");
            }
        }
    }

    public Path path() {
        return path;
    }

    /** Tensor names in header order. */
    public Set<String> names() {
        return tensors.keySet();
    }

    public boolean contains(String name) {
        return tensors.containsKey(name);
    }

    /** The {@code __metadata__} map (empty when absent). */
    public Map<String, String> metadata() {
        return metadata;
    }

    /** Header entry of {@code name}; the error lists a few of the names that do exist. */
    public TensorInfo info(String name) {
        TensorInfo t = tensors.get(name);
        if (t == null) {
            throw new IllegalArgumentException(path + ": no tensor '" + name + "' (the file has " + tensors.size()
                    + " tensors, e.g. " + firstNames(5) + ")");
        }
        return t;
    }

    private String firstNames(int n) {
        StringBuilder sb = new StringBuilder();
        int i = 0;
        for (String k : tensors.keySet()) {
            if (i++ == n) {
                sb.append(", ...");
                break;
            }
            sb.append(i > 1 ? ", " : "").append(k);
        }
        return sb.toString();
    }

    /** The tensor's raw little-endian bytes, memory-mapped (read-only, not copied). */
    public ByteBuffer map(String name) throws IOException {
        TensorInfo t = info(name);
        return channel.map(FileChannel.MapMode.READ_ONLY, dataStart + t.begin(), t.end() - t.begin())
                .order(ByteOrder.LITTLE_ENDIAN);
    }

    /** The tensor as floats (F32, F16, BF16, F64), for tests and small tensors. */
    public float[] readFloats(String name) throws IOException {
        TensorInfo t = info(name);
        float[] out = new float[Math.toIntExact(t.size())];
        readFloats(name, 0, out, out.length);
        return out;
    }

    /**
     * Elements {@code [from, from + count)} of the flattened tensor as floats into {@code dst[0, count)}: reads a
     * large tensor in chunks without a whole FP32 copy on the heap.
     */
    public void readFloats(String name, long from, float[] dst, int count) throws IOException {
        TensorInfo t = info(name);
        if (from < 0 || count < 0 || from + count > t.size() || count > dst.length) {
            throw new IllegalArgumentException(
                    path + " tensor '" + name + "': elements [" + from + ", " + (from + count) + ") into a buffer of "
                            + dst.length + " are outside its " + t.size() + " elements");
        }
        int bytes = t.dtype().bytes();
        ByteBuffer b = channel.map(
                        FileChannel.MapMode.READ_ONLY, dataStart + t.begin() + from * bytes, (long) count * bytes)
                .order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < count; i++) {
            dst[i] = readFloat(b, t.dtype(), i, name);
        }
    }

    /** The tensor as longs (I64, I32, I16, I8, U8, BOOL). */
    public long[] readLongs(String name) throws IOException {
        TensorInfo t = info(name);
        ByteBuffer b = map(name);
        long[] out = new long[Math.toIntExact(t.size())];
        for (int i = 0; i < out.length; i++) {
            switch (t.dtype()) {
                case I64:
                    out[i] = b.getLong(i * 8);
                    break;
                case I32:
                    out[i] = b.getInt(i * 4);
                    break;
                case I16:
                    out[i] = b.getShort(i * 2);
                    break;
                case I8:
                    out[i] = b.get(i);
                    break;
                case U8:
                case BOOL:
                    out[i] = b.get(i) & 0xFF;
                    break;
                default:
                    throw new IllegalArgumentException(
                            path + " tensor '" + name + "' is " + t.dtype() + ", not an integer type");
            }
        }
        return out;
    }

    private float readFloat(ByteBuffer b, SafetensorsDType dtype, int i, String name) {
        switch (dtype) {
            case F32:
                return b.getFloat(i * 4);
            case F16:
                return Half.f16ToFloat(b.getShort(i * 2));
            case BF16:
                return Half.bf16ToFloat(b.getShort(i * 2));
            case F64:
                return (float) b.getDouble(i * 8);
            default:
                throw new IllegalArgumentException(path + " tensor '" + name + "' is " + dtype + ", not a float type");
        }
    }

    /** Elements converted per chunk while loading: bounds the host buffer to 64 MB whatever the tensor size. */
    private static final int CHUNK = 16 << 20;

    /**
     * Loads a float tensor into {@code manager} (and its device) as {@code target} (FLOAT32 or FLOAT16), into
     * memory PyTorch owns. Conversion (BF16 → FP32/FP16 in Java, since DJL must never see BFLOAT16,
     * docs/djl.md) runs in chunks through one reused buffer, so host memory beyond the mapping stays under 64 MB.
     * Never hands out a tensor backed by the read-only mapping: DJL's create() on CPU wraps a direct buffer
     * without copying (from_blob), and an in-place update of such a tensor would write into the mapping.
     */
    public NDArray load(String name, NDManager manager, DataType target) throws IOException {
        if (target != DataType.FLOAT32 && target != DataType.FLOAT16) {
            throw new IllegalArgumentException("load target must be FLOAT32 or FLOAT16, got " + target);
        }
        TensorInfo t = info(name);
        SafetensorsDType src = t.dtype();
        if (src != SafetensorsDType.F32
                && src != SafetensorsDType.F16
                && src != SafetensorsDType.BF16
                && src != SafetensorsDType.F64) {
            throw new IllegalArgumentException(
                    path + " tensor '" + name + "' is " + src + "; model weights must be F32, F16, BF16 or F64");
        }
        long size = t.size();
        ByteBuffer mapped = map(name);
        int outBytes = target == DataType.FLOAT32 ? 4 : 2;
        boolean rawCopy = (src == SafetensorsDType.F32 && target == DataType.FLOAT32)
                || (src == SafetensorsDType.F16 && target == DataType.FLOAT16);
        ByteBuffer scratch = rawCopy
                ? null
                : ByteBuffer.allocateDirect((int) Math.min(size, CHUNK) * outBytes)
                        .order(ByteOrder.nativeOrder());
        NDArray flat = manager.zeros(new Shape(size), target);
        try {
            for (long start = 0; start < size; start += CHUNK) {
                int n = (int) Math.min(CHUNK, size - start);
                ByteBuffer chunk;
                if (rawCopy) {
                    ByteBuffer dup = mapped.duplicate();
                    dup.position((int) (start * outBytes)).limit((int) ((start + n) * outBytes));
                    chunk = dup.slice().order(ByteOrder.nativeOrder());
                } else {
                    scratch.clear();
                    convert(mapped, src, start, n, scratch, target);
                    scratch.limit(n * outBytes);
                    chunk = scratch;
                }
                try (NDArray part = manager.create(chunk, new Shape(n), target)) {
                    flat.set(new ai.djl.ndarray.index.NDIndex(start + ":" + (start + n)), part);
                }
            }
            NDArray shaped = flat.reshape(new Shape(t.shape()));
            flat.close();
            return shaped;
        } catch (RuntimeException e) {
            flat.close();
            throw e;
        }
    }

    /** Converts n elements from index {@code start} of {@code src} into {@code out} as FP32 or FP16 bits. */
    private static void convert(
            ByteBuffer in, SafetensorsDType src, long start, int n, ByteBuffer out, DataType target) {
        boolean toF32 = target == DataType.FLOAT32;
        for (int i = 0; i < n; i++) {
            long j = start + i;
            float v;
            switch (src) {
                case BF16:
                    if (toF32) {
                        out.putInt(i * 4, (in.getShort((int) (j * 2)) & 0xFFFF) << 16);
                        continue;
                    }
                    v = Half.bf16ToFloat(in.getShort((int) (j * 2)));
                    break;
                case F16:
                    v = Half.f16ToFloat(in.getShort((int) (j * 2)));
                    break;
                case F32:
                    v = in.getFloat((int) (j * 4));
                    break;
                default:
                    v = (float) in.getDouble((int) (j * 8));
                    break;
            }
            if (toF32) {
                out.putFloat(i * 4, v);
            } else {
                out.putShort(i * 2, Half.floatToF16(v));
            }
        }
    }

    /** Loads an integer tensor as INT64 (inputs, labels). */
    public NDArray loadLongs(String name, NDManager manager) throws IOException {
        return manager.create(readLongs(name), new Shape(info(name).shape()));
    }

    @Override
    public void close() throws IOException {
        channel.close();
    }
}
