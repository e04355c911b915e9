//! Who is at the keyboard: the OS account, the SSH client it came from and the
//! terminal, as the audit trail records them. A shared admin key does not say
//! who used it; these do.

use std::io::IsTerminal;
use std::net::IpAddr;
use std::os::unix::fs::MetadataExt;

use serde::{Deserialize, Serialize};

/// The person behind a write, as far as the host can tell.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Who {
    /// `$USER`, else `$LOGNAME`, else `uid <n>`.
    pub user: String,
    /// The real uid of the process; unlike `$USER` it cannot be set by the user.
    pub uid: Option<u32>,
    /// `address:port` of the SSH client (`[v6]:port` for IPv6).
    pub ssh_client: Option<String>,
    /// The terminal on standard input, e.g. `/dev/pts/3`.
    pub tty: Option<String>,
    pub host: String,
}

impl Who {
    /// Reads the environment of this process.
    pub fn from_env() -> Self {
        let var = |name: &str| std::env::var(name).ok();
        let uid = current_uid();
        Who {
            // The account the uid belongs to: $USER can be set by anyone.
            user: uid
                .and_then(account_name)
                .unwrap_or_else(|| user_name(var("USER").as_deref(), var("LOGNAME").as_deref(), uid)),
            uid,
            ssh_client: ssh_client(var("SSH_CONNECTION").as_deref(), var("SSH_CLIENT").as_deref()),
            tty: current_tty(),
            host: host_name(),
        }
    }
}

/// The login name of `uid` from `/etc/passwd`, when the host has it there.
pub fn account_name(uid: u32) -> Option<String> {
    let passwd = std::fs::read_to_string("/etc/passwd").ok()?;
    passwd.lines().find_map(|line| {
        let mut fields = line.split(':');
        let name = fields.next()?;
        let entry_uid = fields.nth(1)?.parse::<u32>().ok()?;
        (entry_uid == uid && !name.is_empty()).then(|| name.to_owned())
    })
}

/// `$USER`, else `$LOGNAME`, else the uid, so that a line always names someone
/// (used when the uid has no account entry, e.g. in a container).
pub fn user_name(user: Option<&str>, logname: Option<&str>, uid: Option<u32>) -> String {
    [user, logname]
        .into_iter()
        .flatten()
        .map(str::trim)
        .find(|name| !name.is_empty())
        .map(str::to_owned)
        .unwrap_or_else(|| uid.map_or_else(|| "unknown".to_owned(), |uid| format!("uid {uid}")))
}

/// The client's address and port from `SSH_CONNECTION` ("client_ip client_port
/// server_ip server_port"), else `SSH_CLIENT` ("client_ip client_port
/// server_port"). A value that does not parse is kept as it is (it is still
/// evidence), trimmed to a sane length.
pub fn ssh_client(ssh_connection: Option<&str>, ssh_client: Option<&str>) -> Option<String> {
    let raw = [ssh_connection, ssh_client]
        .into_iter()
        .flatten()
        .map(str::trim)
        .find(|value| !value.is_empty())?;
    let mut parts = raw.split_whitespace();
    let parsed = match (
        parts.next().map(str::parse::<IpAddr>),
        parts.next().map(str::parse::<u16>),
    ) {
        (Some(Ok(IpAddr::V4(ip))), Some(Ok(port))) => Some(format!("{ip}:{port}")),
        (Some(Ok(IpAddr::V6(ip))), Some(Ok(port))) => Some(format!("[{ip}]:{port}")),
        _ => None,
    };
    Some(parsed.unwrap_or_else(|| raw.chars().take(200).collect()))
}

/// The owner of `/proc/self` is the process's uid (Linux); no libc needed.
fn current_uid() -> Option<u32> {
    std::fs::metadata("/proc/self").ok().map(|meta| meta.uid())
}

fn current_tty() -> Option<String> {
    if !std::io::stdin().is_terminal() {
        return None;
    }
    std::fs::read_link("/proc/self/fd/0")
        .ok()
        .map(|path| path.display().to_string())
}

fn host_name() -> String {
    ["/proc/sys/kernel/hostname", "/etc/hostname"]
        .iter()
        .filter_map(|path| std::fs::read_to_string(path).ok())
        .chain(std::env::var("HOSTNAME").ok())
        .map(|name| name.trim().to_owned())
        .find(|name| !name.is_empty())
        .unwrap_or_else(|| "unknown".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ssh_connection_wins_and_gives_address_and_port() {
        let who = ssh_client(Some("203.0.113.7 52144 10.0.0.5 22"), Some("198.51.100.1 1 22"));
        assert_eq!(who.as_deref(), Some("203.0.113.7:52144"));
        let v6 = ssh_client(None, Some("2001:db8::1 40000 22"));
        assert_eq!(v6.as_deref(), Some("[2001:db8::1]:40000"));
        assert_eq!(ssh_client(Some(" "), None), None);
        assert_eq!(ssh_client(Some("garbage"), None).as_deref(), Some("garbage"));
    }

    #[test]
    fn user_falls_back_to_logname_then_uid() {
        assert_eq!(user_name(Some("ana"), Some("bob"), Some(1000)), "ana");
        assert_eq!(user_name(Some(""), Some("bob"), Some(1000)), "bob");
        assert_eq!(user_name(None, None, Some(1000)), "uid 1000");
        assert_eq!(user_name(None, None, None), "unknown");
    }

    #[test]
    fn from_env_names_a_user_and_a_host() {
        let who = Who::from_env();
        assert!(!who.user.is_empty());
        assert!(!who.host.is_empty());
    }
}
