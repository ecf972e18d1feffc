package dev.finetune.trainer.safetensors;

import java.util.Arrays;

/** One header entry: name, dtype, shape and the byte range inside the data section. */
public final class TensorInfo {
    private final String name;
    private final SafetensorsDType dtype;
    private final long[] shape;
    private final long begin;
    private final long end;

    TensorInfo(String name, SafetensorsDType dtype, long[] shape, long begin, long end) {
        this.name = name;
        this.dtype = dtype;
        this.shape = shape.clone();
        this.begin = begin;
        this.end = end;
    }

    public String name() {
        return name;
    }

    public SafetensorsDType dtype() {
        return dtype;
    }

    public long[] shape() {
        return shape.clone();
    }

    /** Number of elements. */
    public long size() {
        long n = 1;
        for (long d : shape) {
            n *= d;
        }
        return n;
    }

    /** Offset of the first byte within the data section. */
    public long begin() {
        return begin;
    }

    /** Offset one past the last byte within the data section. */
    public long end() {
        return end;
    }

    @Override
    public String toString() {
        return name + " " + dtype + Arrays.toString(shape);
    }
}
