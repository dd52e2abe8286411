//! Captures every log line the server writes during a test, to scan them for personal data.

use std::io::Write;
use std::sync::{Arc, Mutex, OnceLock};

use tracing_subscriber::fmt::MakeWriter;

/// The captured log output (JSON lines) of the whole test binary, from a starting offset.
#[derive(Debug, Clone, Default)]
pub struct LogCapture {
    buffer: Arc<Mutex<Vec<u8>>>,
    from: usize,
}

impl LogCapture {
    /// Everything logged since this capture started (by any test of the binary: a scan for
    /// planted data only gets stricter).
    pub fn text(&self) -> String {
        let buffer = self.buffer.lock().unwrap();
        String::from_utf8_lossy(buffer.get(self.from..).unwrap_or_default()).into_owned()
    }
}

/// A writer appending to the capture.
#[derive(Debug)]
pub struct CaptureWriter(Arc<Mutex<Vec<u8>>>);

impl Write for CaptureWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for LogCapture {
    type Writer = CaptureWriter;

    fn make_writer(&'a self) -> Self::Writer {
        CaptureWriter(Arc::clone(&self.buffer))
    }
}

/// The binary-wide capture, installed once.
static GLOBAL: OnceLock<LogCapture> = OnceLock::new();

/// Installs, once per test binary, a global TRACE-level JSON subscriber writing into a shared
/// buffer, and returns a view of everything logged from now on.
///
/// Global rather than thread-local: tracing caches each callsite's interest process-wide, so a
/// thread-local subscriber misses events whose callsites another test's thread hit first
/// (seen as a flaky capture in CI). The server's log lines from every thread are captured.
pub fn capture_logs() -> LogCapture {
    let global = GLOBAL.get_or_init(|| {
        let capture = LogCapture::default();
        let subscriber = tracing_subscriber::fmt()
            .json()
            .with_max_level(tracing::Level::TRACE)
            .with_current_span(true)
            .with_span_list(true)
            .with_writer(capture.clone())
            .finish();
        tracing::subscriber::set_global_default(subscriber)
            .expect("no other global subscriber in a test binary that captures logs");
        capture
    });
    LogCapture {
        buffer: Arc::clone(&global.buffer),
        from: global.buffer.lock().unwrap().len(),
    }
}
