//! Integration suite; tests live in tests/tests/api.
