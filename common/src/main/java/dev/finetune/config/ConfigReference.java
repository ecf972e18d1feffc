package dev.finetune.config;

/**
 * The configuration reference as Markdown, generated from {@link ConfigSchema}: README.md carries exactly this
 * text between its config-reference markers (a test compares them), so the documentation cannot drift.
 */
public final class ConfigReference {
    public static final String START = "<!-- config-reference:start (generated: jobs/finetune config --reference) -->";
    public static final String END = "<!-- config-reference:end -->";

    private ConfigReference() {}

    public static String markdown() {
        StringBuilder sb = new StringBuilder();
        for (Section s : Section.values()) {
            sb.append("\n**").append(s.title).append("**\n\n");
            sb.append("| YAML key | flag | default | meaning |\n|---|---|---|---|\n");
            for (ConfigSchema.Key k : ConfigSchema.get().keys(s)) {
                sb.append("| `")
                        .append(k.name)
                        .append("` | `--")
                        .append(k.flag)
                        .append("` | ")
                        .append(k.defaultText.isEmpty() ? "" : "`" + k.defaultText + "`")
                        .append(" | ")
                        .append(k.help.replace("|", "\\|").replace("<", "&lt;").replace(">", "&gt;"))
                        .append(" |\n");
            }
        }
        return sb.toString();
    }
}
