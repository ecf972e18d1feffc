package dev.finetune.app.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.finetune.config.ConfigLoader;
import dev.finetune.config.ConfigSchema;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * jobs/colab/finetune.ipynb: valid notebook JSON with the seed's eight sections, and every {@code jobs/finetune}
 * command it runs (its {@code finetune(...)} calls) is accepted by the real CLI parser.
 */
class ColabNotebookTest {
    private static final Pattern CALL = Pattern.compile("finetune\\(((?:[^()]|\\([^()]*\\))*)\\)");
    private static final Pattern ARG = Pattern.compile(
            "\\s*(?:\"((?:[^\"\\\\]|\\\\.)*)\"|([A-Za-z_][\\w.]*(?:\\([^()]*\\))?(?:\\.\\w+\\(\\))*)|(log=.*))\\s*");

    static JsonNode notebook;
    static List<String> code = new ArrayList<>();
    static List<String> markdown = new ArrayList<>();

    @BeforeAll
    static void read() throws IOException {
        Path p = Paths.get(System.getProperty("project.root", "..")).resolve("jobs/colab/finetune.ipynb");
        notebook = new ObjectMapper().readTree(p.toFile());
        for (JsonNode cell : notebook.get("cells")) {
            StringBuilder sb = new StringBuilder();
            for (JsonNode line : cell.get("source")) {
                sb.append(line.asText());
            }
            (cell.get("cell_type").asText().equals("code") ? code : markdown).add(sb.toString());
        }
    }

    @Test
    void isANotebookVersion4WithTheSeedsEightSectionsInOrder() {
        assertEquals(4, notebook.get("nbformat").asInt());
        String[] sections = {
            "## 1. Environment and Drive",
            "## 2. Hugging Face login and model choice",
            "## 3. Dataset",
            "## 4. LoRA / QLoRA settings",
            "## 5. Training",
            "## 6. Save to Drive",
            "## 7. Inference demo",
            "## 8. Optional: push to the Hub"
        };
        int found = 0;
        for (String m : markdown) {
            if (found < sections.length && m.startsWith(sections[found])) {
                found++;
            }
        }
        assertEquals(sections.length, found, "sections missing or out of order after " + found);
    }

    @Test
    void theTokenIsReadWithGetpassAndNeverPrintedOrPassedOnTheCommandLine() {
        String all = String.join("\n", code);
        assertTrue(all.contains("getpass("), "token must be read with getpass");
        for (String cell : code) {
            for (String line : cell.split("\n")) {
                if (line.contains("print(") || line.contains("finetune(") || line.startsWith("!")) {
                    String rest = line.replace("if os.environ.get(\"HF_TOKEN\")", "");
                    assertFalse(
                            rest.contains("HF_TOKEN") || rest.contains("token)"),
                            "token may reach output or a command line: " + line);
                    assertFalse(line.contains("{token}") || line.contains("$token"), line);
                }
            }
        }
    }

    @Test
    void theProjectSourceIsTheFirstCodeCellsParameterAndTheLauncherRunsThroughBash() throws IOException {
        String first = code.get(0);
        Matcher param =
                Pattern.compile("(?m)^PROJECT_SRC = \"([^\"]+)\"\\s+# @param").matcher(first);
        assertTrue(param.find(), "the first code cell sets PROJECT_SRC as a form parameter:\n" + first);
        for (String choice : new String[] {"git URL", "zip on Drive", "folder on Drive"}) {
            assertTrue(first.contains(choice), "the first cell documents the choice '" + choice + "'");
        }
        String all = String.join("\n", code);
        assertFalse(all.contains("assert PROJECT_SRC"), "an empty or wrong source gets a message, not an assert");
        assertTrue(all.contains("fetch_project(PROJECT_SRC, PROJECT_DIR)"));
        assertTrue(
                all.contains("cmd = [\"bash\", PROJECT_DIR + \"/jobs/finetune\""),
                "the launcher runs through bash (a copy from Drive or a zip loses the executable bit)");
        String readme = new String(
                Files.readAllBytes(
                        Paths.get(System.getProperty("project.root", "..")).resolve("README.md")),
                java.nio.charset.StandardCharsets.UTF_8);
        assertTrue(
                readme.contains("`PROJECT_SRC`") && readme.contains(param.group(1)),
                "README's Colab section says what PROJECT_SRC is and its default");
    }

    @Test
    void itInstallsAJdk17AndBuildsTheProject() {
        String all = String.join("\n", code);
        assertTrue(all.contains("openjdk-17-jdk-headless"));
        assertTrue(all.contains("drive.mount('/content/drive')"));
        assertTrue(all.contains("nvidia-smi"));
    }

    @Test
    void theConfigurationItWritesUsesOnlyRealKeys() {
        String cell = null;
        for (String c : code) {
            if (c.contains("run_config = {")) {
                cell = c;
            }
        }
        assertNotNull(cell, "no run_config cell");
        Matcher m = Pattern.compile("^\\s+\"(\\w+)\":", Pattern.MULTILINE).matcher(cell);
        int keys = 0;
        while (m.find()) {
            assertTrue(ConfigSchema.get().has(m.group(1)), "unknown config key in notebook: " + m.group(1));
            keys++;
        }
        assertTrue(keys >= 21, "expected the seed's parameter cell, found " + keys + " keys");
    }

    @Test
    void everyCommandItRunsExistsAndAcceptsItsFlags() {
        Map<String, Subcommand> commands = Main.commands();
        List<String> seen = new ArrayList<>();
        for (String cell : code) {
            Matcher call = CALL.matcher(cell);
            while (call.find()) {
                if (cell.substring(0, call.start()).endsWith("def ")) {
                    continue; // the helper's definition
                }
                List<String> args = arguments(call.group(1));
                for (int i = 1; i < args.size(); i++) {
                    ConfigSchema.Key key =
                            ConfigSchema.get().byFlag(args.get(i - 1).replaceFirst("^--", ""));
                    if (args.get(i).equals("VALUE") && key != null && key.isBoolean()) {
                        args.set(i, "true"); // a Python expression giving true/false
                    }
                }
                String name = args.get(0);
                if (name.equals("--help")) {
                    continue;
                }
                Subcommand command = commands.get(name);
                assertNotNull(command, "notebook runs unknown subcommand " + name);
                CommandLine line =
                        CommandLine.parse(command, args.subList(1, args.size()).toArray(new String[0]));
                // literal config values must also have the right type and range
                Map<String, String> literal = new LinkedHashMap<>();
                for (Map.Entry<String, String> e : line.overrides().entrySet()) {
                    if (!e.getValue().equals("VALUE")) {
                        literal.put(e.getKey(), e.getValue());
                    }
                }
                ConfigLoader.load(null, literal);
                seen.add(name);
            }
        }
        assertTrue(
                seen.containsAll(Arrays.asList("config", "prepare", "inspect", "train", "generate", "push")),
                "notebook commands: " + seen);
    }

    /** Python call arguments: string literals as written, names and expressions as the word VALUE. */
    private static List<String> arguments(String text) {
        List<String> out = new ArrayList<>();
        for (String part : splitTopLevel(text)) {
            Matcher a = ARG.matcher(part);
            assertTrue(a.matches(), "cannot read argument: " + part);
            if (a.group(3) != null) {
                continue; // log= keyword
            }
            out.add(a.group(1) != null ? a.group(1) : "VALUE");
        }
        return out;
    }

    private static List<String> splitTopLevel(String text) {
        List<String> parts = new ArrayList<>();
        int depth = 0;
        boolean quoted = false;
        StringBuilder cur = new StringBuilder();
        for (char ch : text.toCharArray()) {
            if (ch == '"') {
                quoted = !quoted;
            } else if (!quoted && ch == '(') {
                depth++;
            } else if (!quoted && ch == ')') {
                depth--;
            } else if (!quoted && depth == 0 && ch == ',') {
                parts.add(cur.toString());
                cur.setLength(0);
                continue;
            }
            cur.append(ch);
        }
        if (cur.toString().trim().length() > 0) {
            parts.add(cur.toString());
        }
        return parts;
    }
}
