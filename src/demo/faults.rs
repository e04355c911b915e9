//! Injected faults for tests of clients on bad networks: a fixed latency, a 500
//! on every Nth request, and connections dropped without an answer.
//!
//! A dropped connection is closed by making the socket refuse the response
//! bytes: hyper then abandons the connection, and the client sees it close with
//! no status line at all, as with a crashed server or a reset link.

use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::extract::connect_info::Connected;
use axum::serve::{IncomingStream, Listener};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};

/// Fault settings and the request counter they key on.
#[derive(Debug, Default)]
pub struct Faults {
    latency: Duration,
    /// 0 = off.
    fail_every: AtomicU64,
    /// 0 = off.
    drop_every: AtomicU64,
    drop_next: AtomicUsize,
    requests: AtomicU64,
}

/// What to do with one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Serve,
    Fail,
    Drop,
}

impl Faults {
    pub fn new(latency: Duration, fail_every: Option<u64>, drop_every: Option<u64>) -> Self {
        Self {
            latency,
            fail_every: AtomicU64::new(fail_every.unwrap_or(0)),
            drop_every: AtomicU64::new(drop_every.unwrap_or(0)),
            drop_next: AtomicUsize::new(0),
            requests: AtomicU64::new(0),
        }
    }

    pub fn latency(&self) -> Duration {
        self.latency
    }

    /// Counts the request and decides its fate.
    pub fn judge(&self) -> Verdict {
        let count = self.requests.fetch_add(1, Ordering::SeqCst) + 1;
        let take_drop = self
            .drop_next
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
            .is_ok();
        let drop_every = self.drop_every.load(Ordering::SeqCst);
        if take_drop || (drop_every > 0 && count.is_multiple_of(drop_every)) {
            return Verdict::Drop;
        }
        let fail_every = self.fail_every.load(Ordering::SeqCst);
        if fail_every > 0 && count.is_multiple_of(fail_every) {
            return Verdict::Fail;
        }
        Verdict::Serve
    }

    /// Every `n`th request from now on answers 500 (`None` turns it off).
    pub fn set_fail_every(&self, n: Option<u64>) {
        self.requests.store(0, Ordering::SeqCst);
        self.fail_every.store(n.unwrap_or(0), Ordering::SeqCst);
    }

    /// The connections of the next `n` requests are closed without an answer.
    pub fn drop_next(&self, n: usize) {
        self.drop_next.store(n, Ordering::SeqCst);
    }
}

/// Accepts TCP connections whose answer can be suppressed.
pub struct DemoListener {
    inner: TcpListener,
}

impl DemoListener {
    pub fn new(inner: TcpListener) -> Self {
        Self { inner }
    }
}

/// The connection a request came in on; handlers get it as `ConnectInfo`.
#[derive(Clone, Debug)]
pub struct Connection {
    cut: Arc<AtomicBool>,
}

impl Connection {
    /// Closes the connection instead of answering.
    pub fn cut(&self) {
        self.cut.store(true, Ordering::SeqCst);
    }
}

/// A TCP stream that fails every write once its connection is cut.
pub struct CuttableStream {
    inner: TcpStream,
    cut: Arc<AtomicBool>,
}

fn cut_error() -> io::Error {
    io::Error::new(
        io::ErrorKind::ConnectionAborted,
        "connection dropped on purpose by the demo server",
    )
}

impl AsyncRead for CuttableStream {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        if self.cut.load(Ordering::SeqCst) {
            return Poll::Ready(Err(cut_error()));
        }
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl AsyncWrite for CuttableStream {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        if self.cut.load(Ordering::SeqCst) {
            return Poll::Ready(Err(cut_error()));
        }
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        if self.cut.load(Ordering::SeqCst) {
            return Poll::Ready(Err(cut_error()));
        }
        Pin::new(&mut self.inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        if self.cut.load(Ordering::SeqCst) {
            return Poll::Ready(Err(cut_error()));
        }
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

impl Listener for DemoListener {
    type Io = CuttableStream;
    type Addr = Connection;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        loop {
            match self.inner.accept().await {
                Ok((stream, _remote)) => {
                    // Small JSON answers: do not wait for Nagle.
                    let _ = stream.set_nodelay(true);
                    let cut = Arc::new(AtomicBool::new(false));
                    return (
                        CuttableStream {
                            inner: stream,
                            cut: cut.clone(),
                        },
                        Connection { cut },
                    );
                }
                // Out of file descriptors and the like: back off, keep serving.
                Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
            }
        }
    }

    fn local_addr(&self) -> io::Result<Self::Addr> {
        self.inner.local_addr()?;
        Ok(Connection {
            cut: Arc::new(AtomicBool::new(false)),
        })
    }
}

impl Connected<IncomingStream<'_, DemoListener>> for Connection {
    fn connect_info(stream: IncomingStream<'_, DemoListener>) -> Self {
        stream.remote_addr().clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fail_every_counts_from_when_it_is_set() {
        let faults = Faults::new(Duration::ZERO, None, None);
        assert_eq!(faults.judge(), Verdict::Serve);
        faults.set_fail_every(Some(3));
        let verdicts: Vec<Verdict> = (0..6).map(|_| faults.judge()).collect();
        assert_eq!(
            verdicts,
            [
                Verdict::Serve,
                Verdict::Serve,
                Verdict::Fail,
                Verdict::Serve,
                Verdict::Serve,
                Verdict::Fail
            ]
        );
    }

    #[test]
    fn drop_next_drops_exactly_that_many() {
        let faults = Faults::new(Duration::ZERO, None, None);
        faults.drop_next(2);
        let verdicts: Vec<Verdict> = (0..3).map(|_| faults.judge()).collect();
        assert_eq!(verdicts, [Verdict::Drop, Verdict::Drop, Verdict::Serve]);
    }
}
