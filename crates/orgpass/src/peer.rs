//! Who is on the other end of a loopback connection: the local user that owns the connecting socket, so an address
//! meant for this user's browser is not served to another user of the same machine who read it from a command line.
//!
//! Linux answers from `/proc/net/tcp` (the socket whose local address is the peer's and whose remote address is
//! ours, and its owner's uid). Elsewhere the owner is not looked up.

use std::net::SocketAddr;

/// Whether the connection from `peer` to our `local` address was made by a process of this user.
///
/// On Linux a connection whose owner cannot be found (the table unreadable, the socket already gone) counts as
/// another user's: the check fails closed. On other systems every loopback connection is taken.
pub(crate) fn same_user(local: SocketAddr, peer: SocketAddr) -> bool {
    #[cfg(target_os = "linux")]
    {
        let Ok(table) = std::fs::read_to_string("/proc/net/tcp") else {
            return false;
        };
        // SAFETY: geteuid(2) takes no arguments, touches no memory of ours and cannot fail.
        let me = unsafe { libc::geteuid() };
        owner(&table, local, peer) == Some(me)
    }
    #[cfg(not(target_os = "linux"))]
    {
        let _ = (local, peer);
        true
    }
}

/// The uid that owns the socket from `peer` to `local` in a `/proc/net/tcp` table.
#[cfg_attr(not(target_os = "linux"), allow(dead_code))]
fn owner(table: &str, local: SocketAddr, peer: SocketAddr) -> Option<u32> {
    table.lines().skip(1).find_map(|line| {
        let fields: Vec<&str> = line.split_whitespace().collect();
        let (from, to, uid) = (fields.get(1)?, fields.get(2)?, fields.get(7)?);
        (address(from)? == peer && address(to)? == local).then(|| uid.parse().ok())?
    })
}

/// `0100007F:1F90` (the IPv4 address as the kernel's 32-bit word in this machine's byte order, then the port) as an
/// address.
#[cfg_attr(not(target_os = "linux"), allow(dead_code))]
fn address(field: &str) -> Option<SocketAddr> {
    let (ip, port) = field.split_once(':')?;
    if ip.len() != 8 {
        return None;
    }
    let ip = u32::from_str_radix(ip, 16).ok()?.to_ne_bytes();
    let port = u16::from_str_radix(port, 16).ok()?;
    Some(SocketAddr::from((ip, port)))
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
