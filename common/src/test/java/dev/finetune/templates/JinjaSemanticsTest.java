package dev.finetune.templates;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Language features against the real Jinja2: templates/jinja-cases.json holds each case's expected output as
 * Jinja2 3.1.6 renders it in transformers' environment (made by templates/make_jinja_cases.py).
 */
class JinjaSemanticsTest {

    @Test
    void everyCaseRendersAsJinja2Does() throws IOException {
        List<Map<String, Object>> cases;
        try (InputStream in = getClass().getResourceAsStream("/templates/jinja-cases.json")) {
            cases = new ObjectMapper().readValue(in, new TypeReference<List<Map<String, Object>>>() {});
        }
        assertTrue(cases.size() >= 40);
        List<String> failures = new ArrayList<>();
        for (Map<String, Object> c : cases) {
            String name = (String) c.get("name");
            try {
                @SuppressWarnings("unchecked")
                Map<String, Object> vars = (Map<String, Object>) c.get("vars");
                String got = ChatTemplate.compile((String) c.get("template")).render(vars);
                if (!got.equals(c.get("expected"))) {
                    failures.add(name + ": expected <" + c.get("expected") + "> got <" + got + ">");
                }
            } catch (RuntimeException e) {
                failures.add(name + ": " + e);
            }
        }
        assertEquals(List.of(), failures);
    }

    @Test
    void raiseExceptionStopsRenderingWithTheTemplatesMessage() {
        ChatTemplate t = ChatTemplate.compile(
                "{% if messages[0].role != 'user' %}{{ raise_exception('Conversations must start with a user') }}{% endif %}");
        TemplateRaisedException e = assertThrows(
                TemplateRaisedException.class,
                () -> t.render(List.of(Map.of("role", "assistant", "content", "x")), false, null));
        assertTrue(e.getMessage().endsWith("Conversations must start with a user"), e.getMessage());
    }

    @Test
    void undefinedInArithmeticOrAttributeAccessIsAnErrorNamingIt() {
        TemplateException e = assertThrows(
                TemplateException.class,
                () -> ChatTemplate.compile("{{ 'a' + missing }}").render(Map.of()));
        assertTrue(e.getMessage().contains("'missing' is undefined"), e.getMessage());
        e = assertThrows(
                TemplateException.class,
                () -> ChatTemplate.compile("{{ missing.role }}").render(Map.of()));
        assertTrue(e.getMessage().contains("'missing' is undefined"), e.getMessage());
        e = assertThrows(
                TemplateException.class,
                () -> ChatTemplate.compile("{% for x in none %}{% endfor %}").render(Map.of()));
        assertTrue(e.getMessage().contains("None is not iterable"), e.getMessage());
        e = assertThrows(
                TemplateException.class,
                () -> ChatTemplate.compile("{{ missing|tojson }}").render(Map.of()));
        assertTrue(e.getMessage().contains("'missing' is undefined"), e.getMessage());
    }

    @Test
    void syntaxErrorsNameTheLine() {
        TemplateException e =
                assertThrows(TemplateException.class, () -> ChatTemplate.compile("line one\n{% if x %}\nno end"));
        assertTrue(e.getMessage().contains("endif"), e.getMessage());
        e = assertThrows(TemplateException.class, () -> ChatTemplate.compile("a\nb\n{{ x | }}"));
        assertTrue(e.getMessage().startsWith("line 3"), e.getMessage());
    }

    @Test
    void toolsAndDocumentsAreDefinedButNoneUnlessGiven() {
        ChatTemplate t = ChatTemplate.compile("{{ tools is defined }}{{ tools is none }}{{ documents is none }}");
        assertEquals("TrueTrueTrue", t.render(List.of(), false, null));
    }

    @Test
    void strftimeFormatsTheDirectivesTemplatesUse() {
        LocalDateTime t = LocalDateTime.of(2026, 7, 4, 9, 5, 3);
        assertEquals("04 Jul 2026 09:05:03 Saturday July", Builtins.strftime("%d %b %Y %H:%M:%S %A %B", t));
    }
}
