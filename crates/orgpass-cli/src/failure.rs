//! A command's failure: the message for stderr and the exit code it maps to (2 bad usage or input, 3 sign-in
//! refused, 4 timed out or cancelled, 1 anything else).

use orgpass::ErrorKind;

/// A failure with its exit code; the message is for stderr.
pub struct Failure {
    /// The exit code.
    pub code: u8,
    /// What went wrong and what to do, for stderr.
    pub message: String,
}

impl Failure {
    /// A failure that exits with `code`.
    pub fn new(code: u8, message: impl std::fmt::Display) -> Self {
        Self {
            code,
            message: message.to_string(),
        }
    }

    /// A failure of the engine, with the exit code for its kind.
    pub fn of(kind: ErrorKind, message: impl std::fmt::Display) -> Self {
        let code = match kind {
            ErrorKind::Usage => 2,
            ErrorKind::Refused => 3,
            ErrorKind::TimedOut | ErrorKind::Cancelled => 4,
            ErrorKind::Other => 1,
        };
        Self::new(code, message)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exit_codes() {
        assert_eq!(Failure::of(ErrorKind::Usage, "").code, 2);
        assert_eq!(Failure::of(ErrorKind::Refused, "").code, 3);
        assert_eq!(Failure::of(ErrorKind::TimedOut, "").code, 4);
        assert_eq!(Failure::of(ErrorKind::Cancelled, "").code, 4);
        assert_eq!(Failure::of(ErrorKind::Other, "").code, 1);
    }
}
