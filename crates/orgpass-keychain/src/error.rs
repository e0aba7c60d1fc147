//! One classification of keychain failures, shared by every product that keeps secrets in the OS keychain.

/// Why the keychain could not be used. Each product converts this into its own error, whose message says what to
/// do there; the classification itself is made once, in [`crate::OsKeychain`].
#[derive(Debug, thiserror::Error)]
pub enum KeychainError {
    /// No keychain to talk to (on Linux: no Secret Service on the D-Bus session bus, or no session bus at all).
    #[error("no OS keychain is available ({0}); {hint}", hint = hint::UNAVAILABLE)]
    Unavailable(String),
    /// The keychain is there but locked, and unlocking it was refused or impossible (no prompt could be shown).
    #[error("the OS keychain is locked ({0}); {hint}", hint = hint::LOCKED)]
    Locked(String),
    /// A value written in chunks is incomplete or its header is damaged.
    #[error("a keychain entry is damaged ({0})")]
    Corrupt(String),
    /// Any other failure the platform store reported.
    #[error("the OS keychain failed: {0}")]
    Failed(String),
}

/// What to do about a missing or locked keychain, in this platform's words (its store, its tools).
pub mod hint {
    /// No keychain answered.
    #[cfg(windows)]
    pub const UNAVAILABLE: &str = "Windows Credential Manager did not answer: check that the Credential Manager \
         service (VaultSvc) is running (services.msc), and run Orgpass from your own signed-in Windows session";
    /// No keychain answered.
    #[cfg(target_os = "macos")]
    pub const UNAVAILABLE: &str = "the login keychain did not answer: open Keychain Access and check that the login keychain exists";
    /// No keychain answered.
    #[cfg(not(any(windows, target_os = "macos")))]
    pub const UNAVAILABLE: &str =
        "on Linux start a Secret Service (GNOME Keyring or KWallet) in the desktop's D-Bus session";

    /// The keychain refused access.
    #[cfg(windows)]
    pub const LOCKED: &str = "Windows Credential Manager has no logon session to store into (a service, a \
         scheduled task or `runas /netonly` without your profile loaded): run it from your own signed-in Windows \
         session and try again";
    /// The keychain refused access.
    #[cfg(target_os = "macos")]
    pub const LOCKED: &str = "unlock the login keychain in Keychain Access and try again";
    /// The keychain refused access.
    #[cfg(not(any(windows, target_os = "macos")))]
    pub const LOCKED: &str = "unlock it and try again";
}
