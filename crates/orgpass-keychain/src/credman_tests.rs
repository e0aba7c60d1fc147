//! Windows only: the keychain layer against the platform's Credential Manager (Wine's under `cargo xtask
//! windows`, the real one on a Windows machine): a value past one credential's 1,280 UTF-16 characters is split
//! over numbered entries and read back whole, and the 2,560-byte blob limit is probed where the platform enforces
//! it (below `keyring`, which refuses longer values itself).

use windows_sys::Win32::Foundation::{ERROR_NOT_FOUND, GetLastError};
use windows_sys::Win32::Security::Credentials::{
    CRED_MAX_CREDENTIAL_BLOB_SIZE, CRED_PERSIST_LOCAL_MACHINE, CRED_TYPE_GENERIC, CREDENTIALW,
    CredDeleteW, CredWriteW,
};

use crate::{
    CHUNK_LEN, KeychainError, OsKeychain, SecretBackend, delete_chunked, read_chunked,
    write_chunked,
};

/// A service name of this test run only, so nothing collides with a real session on a real machine.
fn keychain() -> OsKeychain {
    OsKeychain::new(&format!("orgpass-credman-test-{}", std::process::id()))
        .expect("Credential Manager is available")
}

/// Whether this is Wine (ntdll exports `wine_get_version`), whose limits are reported rather than assumed.
fn wine_version() -> Option<String> {
    unsafe extern "system" {
        fn GetModuleHandleA(name: *const u8) -> *mut core::ffi::c_void;
        fn GetProcAddress(
            module: *mut core::ffi::c_void,
            name: *const u8,
        ) -> *const core::ffi::c_void;
    }
    // SAFETY: both names are NUL-terminated; the function, when present, takes nothing and returns a static
    // NUL-terminated string.
    unsafe {
        let ntdll = GetModuleHandleA(c"ntdll.dll".as_ptr().cast());
        if ntdll.is_null() {
            return None;
        }
        let f = GetProcAddress(ntdll, c"wine_get_version".as_ptr().cast());
        if f.is_null() {
            return None;
        }
        let f: extern "C" fn() -> *const core::ffi::c_char = std::mem::transmute(f);
        Some(std::ffi::CStr::from_ptr(f()).to_string_lossy().into_owned())
    }
}

fn wide(s: &str) -> Vec<u16> {
    s.encode_utf16().chain(std::iter::once(0)).collect()
}

/// `CredWriteW` of a generic credential with a blob of `size` bytes; the Windows error code when refused.
fn write_blob(target: &str, size: usize) -> Result<(), u32> {
    let mut target = wide(target);
    let mut user = wide("orgpass-test");
    let mut blob = vec![b'x'; size];
    let credential = CREDENTIALW {
        Flags: 0,
        Type: CRED_TYPE_GENERIC,
        TargetName: target.as_mut_ptr(),
        Comment: std::ptr::null_mut(),
        LastWritten: unsafe { std::mem::zeroed() },
        CredentialBlobSize: size as u32,
        CredentialBlob: blob.as_mut_ptr(),
        Persist: CRED_PERSIST_LOCAL_MACHINE,
        AttributeCount: 0,
        Attributes: std::ptr::null_mut(),
        TargetAlias: std::ptr::null_mut(),
        UserName: user.as_mut_ptr(),
    };
    // SAFETY: every pointer in `credential` points into a live buffer of the size it states.
    if unsafe { CredWriteW(&credential, 0) } != 0 {
        Ok(())
    } else {
        Err(unsafe { GetLastError() })
    }
}

fn delete_blob(target: &str) -> bool {
    let target = wide(target);
    // SAFETY: a NUL-terminated wide string.
    let deleted = unsafe { CredDeleteW(target.as_ptr(), CRED_TYPE_GENERIC, 0) } != 0;
    deleted || unsafe { GetLastError() } != ERROR_NOT_FOUND
}

#[test]
fn a_value_past_one_credential_is_split_and_read_back_whole() {
    let keychain = keychain();
    // 3,000 UTF-16 characters: more than the 1,280 one credential holds, so three entries.
    let value: String = "eyJ0b2tlbi1sb25nZXItdGhhbi1vbmUtY3JlZGVudGlhbA"
        .chars()
        .cycle()
        .take(3000)
        .collect();
    write_chunked(&keychain, "session", &value).expect("the long value is stored");
    let entries = value.len().div_ceil(CHUNK_LEN);
    assert_eq!(entries, 3);
    assert_eq!(
        keychain.get("session").unwrap().as_deref(),
        Some("orgpass-chunks:3"),
        "the first entry holds the header"
    );
    for i in 1..=entries {
        let part = keychain
            .get(&format!("session#{i}"))
            .unwrap()
            .expect("each chunk is a credential");
        assert!(
            part.encode_utf16().count() <= 1280,
            "chunk {i} fits one credential"
        );
    }
    assert_eq!(
        read_chunked(&keychain, "session").unwrap().as_deref(),
        Some(value.as_str())
    );

    // A shorter value replaces it in one entry and the chunks left over are removed.
    write_chunked(&keychain, "session", "short").unwrap();
    assert_eq!(
        read_chunked(&keychain, "session").unwrap().as_deref(),
        Some("short")
    );
    assert_eq!(keychain.get("session#1").unwrap(), None);
    assert!(delete_chunked(&keychain, "session").unwrap());
    assert_eq!(read_chunked(&keychain, "session").unwrap(), None);
}

#[test]
fn one_credential_takes_1280_characters_and_keyring_refuses_one_more() {
    let keychain = keychain();
    let fits = "a".repeat(1280);
    keychain
        .set("edge", &fits)
        .expect("1,280 UTF-16 characters fit one credential");
    assert_eq!(
        keychain.get("edge").unwrap().as_deref(),
        Some(fits.as_str())
    );
    let err = keychain.set("edge", &"a".repeat(1281)).unwrap_err();
    assert!(matches!(err, KeychainError::Failed(_)), "{err:?}");
    assert!(keychain.delete("edge").unwrap());
}

/// Windows refuses a generic credential's blob over 2,560 bytes (`CRED_MAX_CREDENTIAL_BLOB_SIZE`) with
/// ERROR_INVALID_PARAMETER; whether Wine does is printed (Wine 8 does not: it stores 2,561 bytes).
#[test]
fn the_platform_blob_limit() {
    assert_eq!(CRED_MAX_CREDENTIAL_BLOB_SIZE, 2560);
    let target = format!("orgpass-credman-test-{}-blob", std::process::id());
    write_blob(&target, 2560).expect("a 2,560-byte blob is accepted");
    let over = write_blob(&target, 2561);
    let wine = wine_version();
    match (&wine, over) {
        (None, Err(code)) => assert_eq!(code, 87, "ERROR_INVALID_PARAMETER"),
        (None, Ok(())) => panic!("Windows accepted a 2,561-byte credential blob"),
        (Some(version), Err(code)) => {
            println!(
                "Wine {version} enforces Windows' 2,560-byte credential blob limit (error {code})"
            );
            assert_eq!(code, 87, "ERROR_INVALID_PARAMETER, as Windows");
        }
        (Some(version), Ok(())) => {
            println!(
                "Wine {version} does not enforce Windows' 2,560-byte credential blob limit: it stored 2,561 bytes; \
                 Orgpass's own 1,200-character chunks keep it under the limit either way"
            );
        }
    }
    assert!(delete_blob(&target));
}
