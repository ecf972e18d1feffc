package dev.finetune.templates;

/**
 * Jinja's default Undefined: prints as "", is falsy, iterates as empty, {@code is defined} is false; using it
 * in arithmetic or reading an attribute of it is an error that names what was undefined.
 */
final class Undefined {
    final String name;

    Undefined(String name) {
        this.name = name;
    }

    TemplateException error(String doing) {
        return new TemplateException("'" + name + "' is undefined (" + doing + ")");
    }

    @Override
    public String toString() {
        return "";
    }
}
