package dev.finetune.config;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/** Documents one key of {@link RunConfig}: the help text every surface (--help, README) shows, and its group. */
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.FIELD)
public @interface Option {
    /** One or two sentences: what it does, the allowed values, why the default. */
    String help();

    Section section();

    /** The value shown in place of a null default (e.g. a derived path). */
    String defaultText() default "";
}
