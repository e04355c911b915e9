//! Shared test code: the pty driver, the console's demo environment, the
//! in-process demo server helpers.

pub mod cli_env;
pub mod console_env;
pub mod demo;
pub mod openapi;
pub mod pty;
