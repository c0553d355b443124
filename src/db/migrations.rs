//! Pending schema migrations (placeholder; being written).
