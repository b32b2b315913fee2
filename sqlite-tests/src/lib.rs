//! Shared helpers for the conformance and interop tests.
