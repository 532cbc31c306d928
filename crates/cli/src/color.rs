//! Whether text output gets ANSI colours: `--color auto|always|never`; in `auto`, only on a
//! terminal and only when `NO_COLOR` is unset or empty (the no-color.org convention). An
//! explicit `--color always` wins over `NO_COLOR`.

use std::io::IsTerminal;
use std::sync::OnceLock;

use clap::ValueEnum;

/// The `--color` choice.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub enum ColorWhen {
    /// Colours on a terminal, unless `NO_COLOR` is set.
    #[default]
    Auto,
    /// Always colours (even in a pipe or with `NO_COLOR`).
    Always,
    /// Never colours.
    Never,
}

static CHOICE: OnceLock<ColorWhen> = OnceLock::new();

/// Records the command line's choice (once, at start).
pub fn choose(when: ColorWhen) {
    let _ = CHOICE.set(when);
}

/// Whether standard output gets colours.
pub fn stdout() -> bool {
    decide(
        CHOICE.get().copied().unwrap_or_default(),
        std::io::stdout().is_terminal(),
        std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty()),
    )
}

fn decide(when: ColorWhen, terminal: bool, no_color: bool) -> bool {
    match when {
        ColorWhen::Always => true,
        ColorWhen::Never => false,
        ColorWhen::Auto => terminal && !no_color,
    }
}

#[cfg(test)]
mod tests {
    use super::{decide, ColorWhen};

    #[test]
    fn flag_then_no_color_then_terminal() {
        assert!(decide(ColorWhen::Always, false, true));
        assert!(!decide(ColorWhen::Never, true, false));
        assert!(decide(ColorWhen::Auto, true, false));
        assert!(!decide(ColorWhen::Auto, true, true));
        assert!(!decide(ColorWhen::Auto, false, false));
    }
}
