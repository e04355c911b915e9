//! Copies audit lines to the local syslog daemon (journald, rsyslog) through
//! its `/dev/log` datagram socket, so a bastion's existing log shipping carries
//! them off the host where the user who made a change cannot edit them.
//!
//! The local protocol is the one glibc's `syslog(3)` speaks: an RFC 3164 line
//! without host name, `<PRI>Mmm dd hh:mm:ss tag[pid]: message`.

use std::io;
use std::os::unix::net::UnixDatagram;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// Where the local syslog daemon listens.
pub const DEV_LOG: &str = "/dev/log";

/// `authpriv`: audit lines end up in the root-only auth log.
const FACILITY_AUTHPRIV: u8 = 10;

/// How urgent a line is, as syslog severities.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Severity {
    Warning = 4,
    Notice = 5,
}

/// One connection to the syslog socket, reconnected once when the daemon restarted.
#[derive(Debug)]
pub struct Syslog {
    socket_path: PathBuf,
    socket: Mutex<Option<UnixDatagram>>,
}

impl Syslog {
    /// Connects to `socket_path`; the error says why syslog is unavailable.
    pub fn connect(socket_path: &Path) -> io::Result<Self> {
        let socket = connect(socket_path)?;
        Ok(Syslog {
            socket_path: socket_path.to_owned(),
            socket: Mutex::new(Some(socket)),
        })
    }

    /// Sends one message with the `idcon` tag.
    pub fn send(&self, severity: Severity, message: &str) -> io::Result<()> {
        let datagram = format_line(severity, &chrono::Local::now(), std::process::id(), message);
        let mut guard = self
            .socket
            .lock()
            .map_err(|_| io::Error::other("syslog connection poisoned by an earlier panic"))?;
        if let Some(socket) = guard.as_ref()
            && socket.send(datagram.as_bytes()).is_ok()
        {
            return Ok(());
        }
        // The daemon may have restarted (journald does on upgrades): reconnect once.
        let socket = connect(&self.socket_path)?;
        let sent = socket.send(datagram.as_bytes());
        *guard = Some(socket);
        sent.map(|_| ())
    }
}

fn connect(path: &Path) -> io::Result<UnixDatagram> {
    let socket = UnixDatagram::unbound()?;
    socket.connect(path)?;
    Ok(socket)
}

/// The datagram for one message.
pub fn format_line<Tz: chrono::TimeZone>(
    severity: Severity,
    now: &chrono::DateTime<Tz>,
    pid: u32,
    message: &str,
) -> String
where
    Tz::Offset: std::fmt::Display,
{
    let priority = FACILITY_AUTHPRIV * 8 + severity as u8;
    format!("<{priority}>{} idcon[{pid}]: {message}", now.format("%b %e %H:%M:%S"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn line_is_rfc3164_with_authpriv_priority() {
        let when = chrono::Utc.with_ymd_and_hms(2024, 3, 5, 7, 8, 9).single();
        let Some(when) = when else { return };
        assert_eq!(
            format_line(Severity::Notice, &when, 42, "{\"a\":1}"),
            "<85>Mar  5 07:08:09 idcon[42]: {\"a\":1}"
        );
        assert!(format_line(Severity::Warning, &when, 1, "x").starts_with("<84>"));
    }

    #[test]
    fn sends_to_a_listening_socket_and_fails_without_one() {
        let Ok(dir) = tempfile::tempdir() else { return };
        let path = dir.path().join("log");
        assert!(Syslog::connect(&path).is_err());
        let Ok(server) = UnixDatagram::bind(&path) else { return };
        let syslog = Syslog::connect(&path);
        assert!(syslog.is_ok());
        if let Ok(syslog) = syslog {
            assert!(syslog.send(Severity::Notice, "hello").is_ok());
        }
        let mut buf = [0u8; 256];
        let n = server.recv(&mut buf).unwrap_or(0);
        let text = String::from_utf8_lossy(&buf[..n]);
        assert!(
            text.starts_with("<85>") && text.ends_with(&format!("idcon[{}]: hello", std::process::id())),
            "{text}"
        );
    }
}
