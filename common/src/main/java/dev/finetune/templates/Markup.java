package dev.finetune.templates;

/**
 * markupsafe's Markup, which Jinja's {@code safe} and {@code escape} filters return even with autoescape off:
 * {@code "a"|safe + x} HTML-escapes x (transformers renders some tool templates that way, so we must too).
 * Everywhere else it behaves as its plain string.
 */
final class Markup {
    final String text;

    Markup(String text) {
        this.text = text;
    }

    static String escape(String s) {
        StringBuilder sb = new StringBuilder(s.length());
        for (char c : s.toCharArray()) {
            switch (c) {
                case '&':
                    sb.append("&amp;");
                    break;
                case '<':
                    sb.append("&lt;");
                    break;
                case '>':
                    sb.append("&gt;");
                    break;
                case '"':
                    sb.append("&#34;");
                    break;
                case '\'':
                    sb.append("&#39;");
                    break;
                default:
                    sb.append(c);
            }
        }
        return sb.toString();
    }

    /** The markup text of a value joined to a Markup: escaped unless it is Markup already. */
    static String escaped(Object v) {
        return v instanceof Markup ? ((Markup) v).text : escape(PyOps.str(v));
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Markup && ((Markup) o).text.equals(text);
    }

    @Override
    public int hashCode() {
        return text.hashCode();
    }

    @Override
    public String toString() {
        return text;
    }
}
