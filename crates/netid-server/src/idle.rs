//! Closing idle connections: a connection that has neither read nor written a byte for the
//! configured time is closed, whether it is a keep-alive connection nobody uses or a client
//! that opened it and sends nothing (or stopped half-way through its headers, or stopped
//! reading the answer). Without this each such connection would hold a socket and a task for
//! as long as the peer liked. The time is longer than any request may run
//! ([`crate::REQUEST_TIMEOUT`]), so a request being answered is never cut.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::time::{Instant, Sleep};

/// A connection that fails its pending read or write once it has been idle for `timeout`.
pub(crate) struct IdleStream<S> {
    inner: S,
    timeout: Duration,
    last_progress: Instant,
    /// Fires at `last_progress + timeout` or earlier; moved on lazily when it fires, so that
    /// bytes moving cost no timer operation.
    alarm: Pin<Box<Sleep>>,
}

impl<S> IdleStream<S> {
    /// `inner`, closed once it has moved no byte for `timeout`.
    pub(crate) fn new(inner: S, timeout: Duration) -> Self {
        let now = Instant::now();
        Self {
            inner,
            timeout,
            last_progress: now,
            alarm: Box::pin(tokio::time::sleep_until(now + timeout)),
        }
    }

    /// Whether the connection has been idle for the whole timeout; otherwise the alarm is set
    /// (again) to wake this task when it might be.
    fn idle_too_long(&mut self, cx: &mut Context<'_>) -> bool {
        loop {
            let deadline = self.last_progress + self.timeout;
            if self.alarm.deadline() != deadline {
                self.alarm.as_mut().reset(deadline);
            }
            if self.alarm.as_mut().poll(cx).is_pending() {
                return false;
            }
            if Instant::now() >= self.last_progress + self.timeout {
                return true;
            }
        }
    }

    fn timed_out() -> io::Error {
        io::Error::new(io::ErrorKind::TimedOut, "the connection was idle too long")
    }

    /// Notes progress when `result` moved bytes, or fails a pending call on an idle connection.
    fn outcome<T>(
        &mut self,
        cx: &mut Context<'_>,
        poll: Poll<io::Result<T>>,
        moved: impl FnOnce(&T) -> bool,
    ) -> Poll<io::Result<T>> {
        match poll {
            Poll::Ready(Ok(value)) => {
                if moved(&value) {
                    self.last_progress = Instant::now();
                }
                Poll::Ready(Ok(value))
            }
            Poll::Ready(Err(error)) => Poll::Ready(Err(error)),
            Poll::Pending if self.idle_too_long(cx) => Poll::Ready(Err(Self::timed_out())),
            Poll::Pending => Poll::Pending,
        }
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for IdleStream<S> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        let poll = Pin::new(&mut this.inner).poll_read(cx, buf);
        let after = buf.filled().len();
        this.outcome(cx, poll, |()| after > before)
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for IdleStream<S> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let poll = Pin::new(&mut this.inner).poll_write(cx, buf);
        this.outcome(cx, poll, |written| *written > 0)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let poll = Pin::new(&mut this.inner).poll_write_vectored(cx, bufs);
        this.outcome(cx, poll, |written| *written > 0)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let poll = Pin::new(&mut this.inner).poll_flush(cx);
        this.outcome(cx, poll, |()| false)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }
}
