package dev.finetune.trainer.safetensors;

/** The element types of the safetensors header this project reads or writes, with their sizes in bytes. */
public enum SafetensorsDType {
    F64(8),
    F32(4),
    F16(2),
    BF16(2),
    I64(8),
    I32(4),
    I16(2),
    I8(1),
    U8(1),
    BOOL(1);

    private final int bytes;

    SafetensorsDType(int bytes) {
        this.bytes = bytes;
    }

    /** Size of one element in bytes. */
    public int bytes() {
        return bytes;
    }

    /** Parses a header dtype string such as {@code "BF16"}; names the file in the error. */
    static SafetensorsDType parse(String value, String where) {
        try {
            return valueOf(value);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(where + ": unsupported safetensors dtype '" + value
                    + "'; supported: F64, F32, F16, BF16, I64, I32, I16, I8, U8, BOOL");
        }
    }
}
