package dev.finetune.templates;

import java.util.ArrayList;
import java.util.Collection;

/** A Python tuple: a list that prints with parentheses ({@code (1, 2)}, {@code (1,)}). */
final class Tuple extends ArrayList<Object> {
    private static final long serialVersionUID = 1L;

    Tuple(Collection<?> items) {
        super(items);
    }
}
