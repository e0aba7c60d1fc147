//! Who is on the other end of a loopback connection: the local user that owns the connecting socket, so an address
//! meant for this user's browser is not served to another user of the same machine who read it from a command line.
//!
//! Linux answers from `/proc/net/tcp` and `/proc/net/tcp6` (the socket whose local address is the peer's and whose
//! remote address is ours, and its owner's uid; a client's IPv6 socket reaching 127.0.0.1 shows there as
//! `::ffff:127.0.0.1`). Elsewhere the owner is not looked up.

use std::net::{IpAddr, SocketAddr};

/// Whether the connection from `peer` to our `local` address was made by a process of this user (or by root, who can
/// read this user's keychain anyway). Reads files: call it off the async runtime.
///
/// On Linux a connection whose owner cannot be found (the tables unreadable, the socket already gone) counts as
/// another user's, the check failing closed, except under WSL: there the Windows browser's connection arrives
/// through WSL's own relay, which may not be in this system's tables at all. On other systems every loopback
/// connection is taken.
pub(crate) fn same_user(local: SocketAddr, peer: SocketAddr) -> bool {
    #[cfg(target_os = "linux")]
    {
        let owner = ["/proc/net/tcp", "/proc/net/tcp6"]
            .iter()
            .filter_map(|path| std::fs::read_to_string(path).ok())
            .find_map(|table| owner(&table, local, peer));
        // SAFETY: geteuid(2) takes no arguments, touches no memory of ours and cannot fail.
        let me = unsafe { libc::geteuid() };
        let wsl = std::path::Path::new("/proc/sys/fs/binfmt_misc/WSLInterop").exists();
        admits(owner, me, wsl)
    }
    #[cfg(not(target_os = "linux"))]
    {
        let _ = (local, peer);
        true
    }
}

/// The rule: this user or root own the connecting socket; an owner not found only under WSL.
#[cfg_attr(not(target_os = "linux"), allow(dead_code))]
fn admits(owner: Option<u32>, me: u32, wsl: bool) -> bool {
    match owner {
        Some(uid) => uid == me || uid == 0,
        None => wsl,
    }
}

/// The uid that owns the socket from `peer` to `local` in a `/proc/net/tcp` or `/proc/net/tcp6` table.
#[cfg_attr(not(target_os = "linux"), allow(dead_code))]
fn owner(table: &str, local: SocketAddr, peer: SocketAddr) -> Option<u32> {
    table.lines().skip(1).find_map(|line| {
        let fields: Vec<&str> = line.split_whitespace().collect();
        let (from, to, uid) = (fields.get(1)?, fields.get(2)?, fields.get(7)?);
        (address(from)? == peer && address(to)? == local).then(|| uid.parse().ok())?
    })
}

/// `0100007F:1F90` (the IPv4 address as the kernel's 32-bit word in this machine's byte order, then the port), or
/// an IPv6 address as four such words, as an address; an IPv4-mapped IPv6 address as its IPv4 one.
#[cfg_attr(not(target_os = "linux"), allow(dead_code))]
fn address(field: &str) -> Option<SocketAddr> {
    let (ip, port) = field.split_once(':')?;
    let words = (0..ip.len() / 8)
        .map(|i| u32::from_str_radix(ip.get(i * 8..i * 8 + 8)?, 16).ok())
        .collect::<Option<Vec<u32>>>()?;
    let bytes: Vec<u8> = words.iter().flat_map(|w| w.to_ne_bytes()).collect();
    let ip = match (ip.len(), bytes.len()) {
        (8, 4) => IpAddr::from(<[u8; 4]>::try_from(bytes).ok()?),
        (32, 16) => {
            let v6 = std::net::Ipv6Addr::from(<[u8; 16]>::try_from(bytes).ok()?);
            v6.to_ipv4_mapped().map_or(IpAddr::V6(v6), IpAddr::V4)
        }
        _ => return None,
    };
    let port = u16::from_str_radix(port, 16).ok()?;
    Some(SocketAddr::new(ip, port))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A table as Linux prints it on a little-endian machine: our listener on 127.0.0.1:8080, a connection to it from
    /// 127.0.0.1:41394 owned by uid 1000, the same port from another address owned by 0.
    const TABLE: &str = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 100 1 0 100 0 0 10 0
   1: 0100007F:A1B2 0100007F:1F90 01 00000000:00000000 00:00000000 00000000  1000        0 101 1 0 20 4 30 10 -1
   2: 0200007F:A1B2 0100007F:1F90 01 00000000:00000000 00:00000000 00000000     0        0 102 1 0 20 4 30 10 -1
   3: 0100007F:1F90 0100007F:A1B2 01 00000000:00000000 00:00000000 00000000  1000        0 103 1 0 20 4 30 10 -1
";

    #[test]
    #[cfg(target_endian = "little")]
    fn the_owner_is_the_socket_from_the_peer_to_us() {
        let local: SocketAddr = "127.0.0.1:8080".parse().unwrap();
        let peer: SocketAddr = "127.0.0.1:41394".parse().unwrap();
        assert_eq!(owner(TABLE, local, peer), Some(1000));
        assert_eq!(
            owner(TABLE, local, "127.0.0.2:41394".parse().unwrap()),
            Some(0)
        );
        assert_eq!(
            owner(TABLE, local, "127.0.0.1:41395".parse().unwrap()),
            None
        );
        assert_eq!(owner(TABLE, peer, local), Some(1000), "our own side");
        assert_eq!(owner("garbage\n0: x y", local, peer), None);
    }

    /// This process's own connection to its own listener is its user's; a connection that is gone is not.
    /// A client's IPv6 socket reaching our 127.0.0.1 listener, as `/proc/net/tcp6` lists it (little-endian).
    #[test]
    #[cfg(target_endian = "little")]
    fn an_ipv4_mapped_client_socket_is_found_in_tcp6() {
        const TCP6: &str = "  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0000000000000000FFFF00000100007F:A1B2 0000000000000000FFFF00000100007F:1F90 01 00000000:00000000 00:00000000 00000000  1000        0 104 1 0 20 4 30 10 -1
   1: 00000000000000000000000001000000:A1B3 00000000000000000000000001000000:1F90 01 00000000:00000000 00:00000000 00000000  1001        0 105 1 0 20 4 30 10 -1
";
        let local: SocketAddr = "127.0.0.1:8080".parse().unwrap();
        assert_eq!(
            owner(TCP6, local, "127.0.0.1:41394".parse().unwrap()),
            Some(1000)
        );
        assert_eq!(
            owner(
                TCP6,
                "[::1]:8080".parse().unwrap(),
                "[::1]:41395".parse().unwrap()
            ),
            Some(1001),
            "a plain IPv6 loopback row"
        );
        assert_eq!(owner(TCP6, local, "127.0.0.1:41395".parse().unwrap()), None);
    }

    #[test]
    fn this_user_or_root_is_admitted_and_an_unknown_owner_only_under_wsl() {
        #[rustfmt::skip]
        let rows = [
            (Some(1000), false, true), (Some(0), false, true), (Some(1001), false, false),
            (None, false, false), (None, true, true), (Some(1001), true, false),
        ];
        for (owner, wsl, want) in rows {
            assert_eq!(admits(owner, 1000, wsl), want, "{owner:?} wsl={wsl}");
        }
    }

    #[test]
    #[cfg(target_os = "linux")]
    fn a_connection_of_this_process_is_the_same_user() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let local = listener.local_addr().unwrap();
        let client = std::net::TcpStream::connect(local).unwrap();
        let peer = client.local_addr().unwrap();
        let (_server, seen) = listener.accept().unwrap();
        assert_eq!(seen, peer);
        assert!(same_user(local, peer));
        assert!(!same_user(local, "127.0.0.1:1".parse().unwrap()));
    }
}
