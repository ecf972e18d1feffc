package dev.finetune.templates;

import java.util.LinkedHashMap;

/** {@code namespace(...)}: the one object a template may assign attributes of ({@code set ns.x = ...}). */
final class Namespace extends LinkedHashMap<String, Object> {
    private static final long serialVersionUID = 1L;
}
