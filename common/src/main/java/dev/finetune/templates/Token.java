package dev.finetune.templates;

/** One lexical token of a template: literal text, a tag delimiter, or a piece of an expression. */
final class Token {
    enum Kind {
        TEXT,
        VAR_BEGIN,
        VAR_END,
        BLOCK_BEGIN,
        BLOCK_END,
        NAME,
        STRING,
        INT,
        FLOAT,
        OP,
        EOF
    }

    final Kind kind;
    final String value;
    final int line;

    Token(Kind kind, String value, int line) {
        this.kind = kind;
        this.value = value;
        this.line = line;
    }

    boolean is(Kind k, String v) {
        return kind == k && value.equals(v);
    }

    boolean isOp(String v) {
        return is(Kind.OP, v);
    }

    boolean isName(String v) {
        return is(Kind.NAME, v);
    }

    @Override
    public String toString() {
        return kind == Kind.EOF ? "end of template" : kind == Kind.TEXT ? "text" : "'" + value + "'";
    }
}
