//! devtenant (placeholder until its issue lands).
