//! Standard output that never panics: `println!` panics when stdout is a pipe whose reader
//! has gone (`videokit demo | head -1`). [`outln!`] writes a line instead; when the reader has
//! gone the process ends at once and quietly with status 141 (128 + SIGPIPE, what a Unix tool
//! killed by SIGPIPE reports), and on any other write error with a message and status 1.

use std::io::Write;

/// The exit status when stdout's reader has gone: 128 + SIGPIPE (13).
pub const BROKEN_PIPE_STATUS: i32 = 141;

/// `println!` that ends the process quietly when stdout's reader has gone.
macro_rules! outln {
    ($($t:tt)*) => {
        $crate::out::line(format_args!($($t)*))
    };
}

/// Write one line to stdout (flushed: stdout is line-buffered), or end the process.
pub fn line(args: std::fmt::Arguments<'_>) {
    if let Err(e) = writeln!(std::io::stdout().lock(), "{args}") {
        failed(&e);
    }
}

/// Flush stdout, or end the process.
pub fn flush() {
    if let Err(e) = std::io::stdout().flush() {
        failed(&e);
    }
}

fn failed(e: &std::io::Error) -> ! {
    if e.kind() == std::io::ErrorKind::BrokenPipe {
        std::process::exit(BROKEN_PIPE_STATUS);
    }
    // Not eprintln!: it panics too when stderr is gone.
    let _ = writeln!(std::io::stderr().lock(), "videokit: cannot write to standard output: {e}");
    std::process::exit(1)
}
