package dev.finetune.templates;

import java.util.List;
import java.util.Map;

/** Something a template can call: a global function, a macro, or a bound string/dict method. */
interface PyCallable {
    Object call(List<Object> args, Map<String, Object> kwargs, int line);
}
