//! The error line: the error and its causes, each said once.
//!
//! Errors are meant to either print their cause or return it as `source()`, never both (the
//! core's do); a cause whose text is already in the message is still skipped, so a library
//! that does both cannot make the line repeat itself ("No space left on device (os error 28):
//! No space left on device (os error 28)").

use std::fmt::Write;

pub fn message(err: &anyhow::Error) -> String {
    let mut text = String::new();
    for cause in err.chain() {
        let said = cause.to_string();
        if said.is_empty() || text.contains(&said) {
            continue;
        }
        if !text.is_empty() {
            text.push_str(": ");
        }
        let _ = write!(text, "{said}");
    }
    text
}

#[cfg(test)]
mod tests {
    use super::message;
    use anyhow::Context;

    fn os_error() -> std::io::Error {
        std::io::Error::from_raw_os_error(28)
    }

    #[test]
    fn a_core_error_says_its_io_cause_once() {
        let core: layerlens_core::Error = os_error().into();
        let err = Err::<(), _>(core).context("squashing in.tar").unwrap_err();
        let text = message(&err);
        assert_eq!(text.matches("No space left on device").count(), 1, "{text}");
        // anyhow's own rendering of the chain agrees: the core no longer repeats its source.
        let alt = format!("{err:#}");
        assert_eq!(alt.matches("No space left on device").count(), 1, "{alt}");
    }

    #[test]
    fn a_cause_printed_and_returned_is_said_once() {
        #[derive(Debug)]
        struct Both(std::io::Error);
        impl std::fmt::Display for Both {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                write!(f, "write failed: {}", self.0)
            }
        }
        impl std::error::Error for Both {
            fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
                Some(&self.0)
            }
        }
        let err = anyhow::Error::new(Both(os_error())).context("writing out.tar");
        assert_eq!(
            message(&err),
            "writing out.tar: write failed: No space left on device (os error 28)"
        );
    }

    #[test]
    fn distinct_causes_are_all_said() {
        let err = anyhow::anyhow!("inner").context("middle").context("outer");
        assert_eq!(message(&err), "outer: middle: inner");
    }
}
