//! Log lines into the host's log, tagged there with plugin and target.
//! Plain `println!`/`eprintln!` also reach the host log, untagged by level.

use crate::bindings::trawl::collector::log::Level;
use crate::host::log;

/// Logs at debug level.
pub fn debug(message: &str) {
    log(Level::Debug, message);
}

/// Logs at info level.
pub fn info(message: &str) {
    log(Level::Info, message);
}

/// Logs at warn level.
pub fn warn(message: &str) {
    log(Level::Warn, message);
}

/// Logs at error level.
pub fn error(message: &str) {
    log(Level::Error, message);
}
