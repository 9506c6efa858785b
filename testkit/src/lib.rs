//! Test support for windoctor (placeholder until the fake API server lands).
