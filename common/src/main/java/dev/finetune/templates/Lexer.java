package dev.finetune.templates;

import java.util.ArrayList;
import java.util.List;

/**
 * Splits a template into tokens, applying Jinja's whitespace rules as transformers configures them:
 * trim_blocks (drop the first newline after a block or comment tag), lstrip_blocks (drop spaces and tabs
 * between a line's start and a block or comment tag; {@code {%+} opts out), and {@code -} on a delimiter,
 * which strips all whitespace on that side. Like Jinja's defaults, newlines become \n and one trailing newline
 * of the template is dropped.
 */
final class Lexer {
    private static final String[] OPS = {
        "**", "//", "==", "!=", "<=", ">=", "+", "-", "*", "/", "%", "~", "<", ">", "(", ")", "[", "]", "{", "}", ",",
        ".", ":", "|", "="
    };

    private final String src;
    private final boolean trimBlocks;
    private final boolean lstripBlocks;
    private final List<Token> out = new ArrayList<>();
    private int pos;
    private int line = 1;

    Lexer(String src, boolean trimBlocks, boolean lstripBlocks) {
        // Jinja's defaults: newlines normalised to \n, and one trailing newline dropped (keep_trailing_newline)
        String s = src.replace("\r\n", "\n").replace('\r', '\n');
        this.src = s.endsWith("\n") ? s.substring(0, s.length() - 1) : s;
        this.trimBlocks = trimBlocks;
        this.lstripBlocks = lstripBlocks;
    }

    List<Token> tokenize() {
        while (pos < src.length()) {
            int tag = nextTag(pos);
            String text = src.substring(pos, tag < 0 ? src.length() : tag);
            if (tag < 0) {
                emitText(text);
                pos = src.length();
                break;
            }
            char kind = src.charAt(tag + 1); // '{', '%' or '#'
            char mod = tag + 2 < src.length() ? src.charAt(tag + 2) : ' ';
            boolean lineStarting = pos == 0 || src.charAt(pos - 1) == '\n';
            if (mod == '-') {
                text = rstrip(text);
            } else if (kind != '{' && lstripBlocks && mod != '+') {
                int lineStart = text.lastIndexOf('\n') + 1;
                if ((lineStart > 0 || lineStarting) && isBlank(text, lineStart)) {
                    text = text.substring(0, lineStart);
                }
            }
            emitText(text);
            line += count(src, pos, tag);
            pos = tag + 2 + (mod == '-' || mod == '+' ? 1 : 0);
            if (kind == '#') {
                int end = src.indexOf("#}", pos);
                if (end < 0) {
                    throw new TemplateException("line " + line + ": comment {# is never closed by #}");
                }
                boolean strip = src.charAt(end - 1) == '-';
                line += count(src, pos, end + 2);
                pos = end + 2;
                afterTag(strip, src.charAt(end - 1) == '+');
            } else if (kind == '%') {
                out.add(new Token(Token.Kind.BLOCK_BEGIN, "{%", line));
                lexExpression("%}");
                if (isRawStart()) {
                    lexRaw();
                }
            } else {
                out.add(new Token(Token.Kind.VAR_BEGIN, "{{", line));
                lexExpression("}}");
            }
        }
        out.add(new Token(Token.Kind.EOF, "", line));
        return out;
    }

    private int nextTag(int from) {
        int i = from;
        while (true) {
            i = src.indexOf('{', i);
            if (i < 0 || i + 1 >= src.length()) {
                return -1;
            }
            char c = src.charAt(i + 1);
            if (c == '{' || c == '%' || c == '#') {
                return i;
            }
            i++;
        }
    }

    /** Reads expression tokens up to the closing delimiter, then applies the right-side whitespace rules. */
    private void lexExpression(String close) {
        int depth = 0;
        while (true) {
            skipSpaces();
            if (pos >= src.length()) {
                throw new TemplateException("line " + line + ": tag is never closed by " + close);
            }
            char c = src.charAt(pos);
            if (depth == 0 && (c == '-' || c == '+') && src.startsWith(close, pos + 1)) {
                pos += 1 + close.length();
                endTag(close, c == '-', c == '+');
                return;
            }
            if (depth == 0 && src.startsWith(close, pos)) {
                pos += close.length();
                endTag(close, false, false);
                return;
            }
            if (Character.isLetter(c) || c == '_') {
                int s = pos;
                while (pos < src.length() && (Character.isLetterOrDigit(src.charAt(pos)) || src.charAt(pos) == '_')) {
                    pos++;
                }
                out.add(new Token(Token.Kind.NAME, src.substring(s, pos), line));
            } else if (Character.isDigit(c)) {
                lexNumber();
            } else if (c == '\'' || c == '"') {
                lexString(c);
            } else {
                String op = null;
                for (String o : OPS) {
                    if (src.startsWith(o, pos)) {
                        op = o;
                        break;
                    }
                }
                if (op == null) {
                    throw new TemplateException("line " + line + ": unexpected character '" + c + "' in a tag");
                }
                if (op.equals("(") || op.equals("[") || op.equals("{")) {
                    depth++;
                } else if (op.equals(")") || op.equals("]") || op.equals("}")) {
                    depth--;
                }
                pos += op.length();
                out.add(new Token(Token.Kind.OP, op, line));
            }
        }
    }

    private void endTag(String close, boolean strip, boolean keep) {
        out.add(new Token(close.equals("}}") ? Token.Kind.VAR_END : Token.Kind.BLOCK_END, close, line));
        if (close.equals("%}")) {
            afterTag(strip, keep);
        } else if (strip) {
            skipSpaces();
        }
    }

    private void afterTag(boolean strip, boolean keep) {
        if (strip) {
            skipSpaces();
        } else if (trimBlocks && !keep) {
            if (src.startsWith("\n", pos)) {
                pos++;
                line++;
            } else if (src.startsWith("\r\n", pos)) {
                pos += 2;
                line++;
            }
        }
    }

    private boolean isRawStart() {
        int n = out.size();
        return n >= 3 && out.get(n - 2).isName("raw") && out.get(n - 3).kind == Token.Kind.BLOCK_BEGIN;
    }

    /** {% raw %}...{% endraw %}: the body is text, untouched. */
    private void lexRaw() {
        out.remove(out.size() - 1);
        out.remove(out.size() - 1);
        out.remove(out.size() - 1);
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("\\{%(-?)\\s*endraw\\s*(-?)%\\}")
                .matcher(src);
        if (!m.find(pos)) {
            throw new TemplateException("line " + line + ": {% raw %} is never closed by {% endraw %}");
        }
        String body = src.substring(pos, m.start());
        emitText(m.group(1).isEmpty() ? body : rstrip(body));
        line += count(src, pos, m.end());
        pos = m.end();
        afterTag(!m.group(2).isEmpty(), false);
    }

    private void lexNumber() {
        int s = pos;
        while (pos < src.length() && (Character.isDigit(src.charAt(pos)) || src.charAt(pos) == '_')) {
            pos++;
        }
        boolean isFloat = false;
        if (pos + 1 < src.length() && src.charAt(pos) == '.' && Character.isDigit(src.charAt(pos + 1))) {
            isFloat = true;
            pos++;
            while (pos < src.length() && Character.isDigit(src.charAt(pos))) {
                pos++;
            }
        }
        if (pos < src.length() && (src.charAt(pos) == 'e' || src.charAt(pos) == 'E')) {
            isFloat = true;
            pos++;
            if (src.charAt(pos) == '+' || src.charAt(pos) == '-') {
                pos++;
            }
            while (pos < src.length() && Character.isDigit(src.charAt(pos))) {
                pos++;
            }
        }
        out.add(new Token(
                isFloat ? Token.Kind.FLOAT : Token.Kind.INT,
                src.substring(s, pos).replace("_", ""),
                line));
    }

    private void lexString(char quote) {
        StringBuilder sb = new StringBuilder();
        int startLine = line;
        pos++;
        while (true) {
            if (pos >= src.length()) {
                throw new TemplateException("line " + startLine + ": string literal is never closed");
            }
            char c = src.charAt(pos++);
            if (c == quote) {
                break;
            }
            if (c == '\n') {
                line++;
            }
            if (c != '\\') {
                sb.append(c);
                continue;
            }
            char e = src.charAt(pos++);
            switch (e) {
                case 'n':
                    sb.append('\n');
                    break;
                case 't':
                    sb.append('\t');
                    break;
                case 'r':
                    sb.append('\r');
                    break;
                case 'b':
                    sb.append('\b');
                    break;
                case 'f':
                    sb.append('\f');
                    break;
                case '0':
                    sb.append('\0');
                    break;
                case 'u':
                    sb.append((char) Integer.parseInt(src.substring(pos, pos + 4), 16));
                    pos += 4;
                    break;
                case 'x':
                    sb.append((char) Integer.parseInt(src.substring(pos, pos + 2), 16));
                    pos += 2;
                    break;
                case '\n':
                    line++;
                    break; // a backslash-newline continues the literal
                case '\\':
                case '\'':
                case '"':
                    sb.append(e);
                    break;
                default:
                    sb.append('\\').append(e); // Python keeps unknown escapes as written
            }
        }
        out.add(new Token(Token.Kind.STRING, sb.toString(), startLine));
    }

    private void emitText(String text) {
        if (!text.isEmpty()) {
            out.add(new Token(Token.Kind.TEXT, text, line));
        }
    }

    private void skipSpaces() {
        while (pos < src.length() && Character.isWhitespace(src.charAt(pos))) {
            if (src.charAt(pos) == '\n') {
                line++;
            }
            pos++;
        }
    }

    private static String rstrip(String s) {
        int e = s.length();
        while (e > 0 && Character.isWhitespace(s.charAt(e - 1))) {
            e--;
        }
        return s.substring(0, e);
    }

    private static boolean isBlank(String s, int from) {
        for (int i = from; i < s.length(); i++) {
            if (s.charAt(i) != ' ' && s.charAt(i) != '\t') {
                return false;
            }
        }
        return true;
    }

    private static int count(String s, int from, int to) {
        int n = 0;
        for (int i = from; i < to && i < s.length(); i++) {
            if (s.charAt(i) == '\n') {
                n++;
            }
        }
        return n;
    }
}
