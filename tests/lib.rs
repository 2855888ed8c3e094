//! Integration tests of the `overkiz` crate live in `tests/tests/`.
