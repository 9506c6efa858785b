//! Helpers shared by integration tests (`mod support;` in a test file).

#![allow(dead_code)]

pub mod powershell;
