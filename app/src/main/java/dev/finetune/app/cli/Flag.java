package dev.finetune.app.cli;

/** A subcommand's own flag (not a configuration key): {@code --name VALUE}, or a switch when valueName is null. */
final class Flag {
    final String name;
    final String valueName;
    final String help;
    final String defaultText;

    private Flag(String name, String valueName, String help, String defaultText) {
        this.name = name;
        this.valueName = valueName;
        this.help = help;
        this.defaultText = defaultText;
    }

    static Flag value(String name, String valueName, String help) {
        return new Flag(name, valueName, help, "");
    }

    static Flag value(String name, String valueName, String help, String defaultText) {
        return new Flag(name, valueName, help, defaultText);
    }

    static Flag toggle(String name, String help) {
        return new Flag(name, null, help, "");
    }

    boolean isSwitch() {
        return valueName == null;
    }
}
