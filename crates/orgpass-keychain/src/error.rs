//! One classification of keychain failures, shared by every product that keeps secrets in the OS keychain.

/// Why the keychain could not be used. Each product converts this into its own error, whose message says what to
/// do there; the classification itself is made once, in [`crate::OsKeychain`].
#[derive(Debug, thiserror::Error)]
pub enum KeychainError {
    /// No keychain to talk to (on Linux: no Secret Service on the D-Bus session bus, or no session bus at all).
    #[error(
        "no OS keychain is available ({0}); on Linux start a Secret Service (GNOME Keyring or KWallet) in the \
         desktop's D-Bus session"
    )]
    Unavailable(String),
    /// The keychain is there but locked, and unlocking it was refused or impossible (no prompt could be shown).
    #[error("the OS keychain is locked ({0}); unlock it and try again")]
    Locked(String),
    /// A value written in chunks is incomplete or its header is damaged.
    #[error("a keychain entry is damaged ({0})")]
    Corrupt(String),
    /// Any other failure the platform store reported.
    #[error("the OS keychain failed: {0}")]
    Failed(String),
}
