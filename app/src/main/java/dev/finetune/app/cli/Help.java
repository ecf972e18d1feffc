package dev.finetune.app.cli;

import dev.finetune.config.ConfigSchema;
import dev.finetune.config.Section;
import java.util.ArrayList;
import java.util.List;

/** Renders --help: usage, description, own flags, then the configuration keys of the sections it reads. */
final class Help {
    private static final int WIDTH = 100;
    private static final int LEFT = 34;

    private Help() {}

    static String of(Subcommand c) {
        StringBuilder sb = new StringBuilder();
        sb.append("Usage: jobs/finetune ")
                .append(c.name)
                .append(c.takesConfig() ? " [--config FILE]" : "")
                .append(c.flags().isEmpty() && !c.takesConfig() ? "" : " [options]")
                .append("\n\n");
        sb.append(c.summary).append("\n\n");
        for (String para : c.description().split("\n\n")) {
            if (para.startsWith("  ")) {
                sb.append(para).append('\n'); // examples: kept as written
            } else {
                wrap(sb, "", para.replace('\n', ' '), WIDTH);
            }
            sb.append('\n');
        }
        if (!c.flags().isEmpty() || c.takesConfig()) {
            sb.append("Options:\n");
            if (c.takesConfig()) {
                item(
                        sb,
                        "--config FILE",
                        "YAML run configuration (presets in conf/); the flags below override its keys.",
                        "");
            }
            for (Flag f : c.flags()) {
                item(sb, "--" + f.name + (f.isSwitch() ? "" : " " + f.valueName), f.help, f.defaultText);
            }
            item(sb, "-h, --help", "Show this help.", "");
        }
        if (c.takesConfig()) {
            sb.append("\nConfiguration keys (YAML key = flag in snake_case; README.md has all of them):\n");
            for (Section s : c.sections()) {
                sb.append("  ").append(s.title).append('\n');
                for (ConfigSchema.Key k : ConfigSchema.get().keys(s)) {
                    item(sb, "--" + k.flag + " " + k.valueName(), k.help, k.defaultText);
                }
            }
            sb.append("\nAny other configuration key is accepted too; boolean keys also take --no-<key>.\n");
        }
        return sb.toString();
    }

    private static void item(StringBuilder sb, String left, String help, String defaultText) {
        String text = help + (defaultText.isEmpty() ? "" : " [default: " + defaultText + "]");
        String head = "    " + left;
        if (head.length() >= LEFT - 1) {
            sb.append(head).append('\n');
            head = "";
        }
        StringBuilder pad = new StringBuilder(head);
        while (pad.length() < LEFT) {
            pad.append(' ');
        }
        List<String> lines = lines(text, WIDTH - LEFT);
        for (int i = 0; i < lines.size(); i++) {
            sb.append(i == 0 ? pad.toString() : spaces(LEFT))
                    .append(lines.get(i))
                    .append('\n');
        }
    }

    private static void wrap(StringBuilder sb, String indent, String text, int width) {
        for (String l : lines(text, width - indent.length())) {
            sb.append(indent).append(l).append('\n');
        }
    }

    private static List<String> lines(String text, int width) {
        List<String> out = new ArrayList<>();
        StringBuilder cur = new StringBuilder();
        for (String word : text.split(" ")) {
            if (cur.length() > 0 && cur.length() + 1 + word.length() > width) {
                out.add(cur.toString());
                cur.setLength(0);
            }
            if (cur.length() > 0) {
                cur.append(' ');
            }
            cur.append(word);
        }
        if (cur.length() > 0) {
            out.add(cur.toString());
        }
        return out;
    }

    private static String spaces(int n) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < n; i++) {
            sb.append(' ');
        }
        return sb.toString();
    }
}
